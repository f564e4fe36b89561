"""End to end in a real headless browser: sign in, open the queue, take the top
lead, mark it replied, and check the database.

Playwright's Python package drives the Chromium of Debian's `chromium` package
(found on the PATH): Playwright cannot download its own browser here.
`.ci/run` installs the package.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from maraude import db as mdb
from tests.dashboard.dashboard_seed import PASSWORD, seed

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    if CHROMIUM is None:
        pytest.skip(
            "Debian's chromium is not installed: apt-get install chromium "
            "(.ci/run does it)"
        )
    path = tmp_path / "e2e.db"
    leads = seed(path)
    port = free_port()
    env = dict(os.environ, MARAUDE_DB=str(path))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "maraude",
            "dashboard",
            "--db",
            str(path),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("the dashboard did not start")
    yield url, path, leads
    proc.terminate()
    proc.wait(10)


def test_sign_in_claim_the_top_lead_and_reply(served, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, path, leads = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.get_by_label("Identifiant").fill("alice")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_text("CRISE").first).to_be_visible(timeout=30_000)
        page.screenshot(path=str(tmp_path / "queue.png"))
        page.get_by_role("button", name="Signalement suivant").click()
        expect(page.get_by_text("3114").first).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="J'ai répondu").click()
        expect(page.get_by_text("Réponse enregistrée.")).to_be_visible(timeout=30_000)
        browser.close()
    database = mdb.open_db(path)
    lead = mdb.get_lead(database, leads["crisis"])  # the top lead: the crisis
    assert lead["status"] == "replied"
    assert lead["claimed_by"] == "alice"
    assert "3114" in lead["reply_text"]
    actions = [e["action"] for e in mdb.audit_entries(database)]
    assert "sign_in" in actions
