"""Screenshots of every page, in a real browser, on a seeded database.

``python -m tests.dashboard.screenshots [OUT_DIR]`` seeds a temporary database
(``seed(..., rich=True)``), serves the dashboard on a free port, signs in as the
administrator ``ada`` and saves ``queue.png``, ``lead.png`` (the crisis protocol),
``label.png``, ``adjudication.png``, ``activity.png`` (and ``activity-crawl.png``)
and ``admin.png`` (and ``admin-sources.png``, ``admin-optout.png``), 1280×800,
to OUT_DIR (default ``docs/screenshots``). Needs Debian's ``chromium`` and
Playwright's Python package (no browser download).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.dashboard.dashboard_seed import PASSWORD, seed

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 800}
SECRET = "screenshots-secret-0123456789"  # noqa: S105 (a throwaway test key)

#: (file name, sidebar link, text that shows the page is ready)
PAGES = (
    ("label.png", "Étiqueter", "Forme de non-recours"),
    ("adjudication.png", "Arbitrage", "Désaccords à trancher"),
    ("activity.png", "Activité", "Santé des collectes"),
    ("admin.png", "Administration", "Comptes et rôles"),
)

#: More views of a page: (file name, text to scroll to or None, tab to open first)
EXTRAS = {
    "activity.png": (("activity-crawl.png", "Santé des collectes", None),),
    "admin.png": (
        ("admin-sources.png", None, "Sources"),
        ("admin-optout.png", "Demandes de désinscription", "Désinscriptions"),
    ),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(db_path: Path) -> Iterator[str]:
    """Run ``maraude dashboard`` on ``db_path``; yields its URL."""
    port = free_port()
    env = dict(os.environ, MARAUDE_DB=str(db_path), MARAUDE_SECRET=SECRET)
    env.pop("MARAUDE_CONFIG", None)
    command = ["dashboard", "--db", str(db_path), "--port", str(port)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "maraude", *command],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the dashboard did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _settle(page) -> None:
    """Wait until Streamlit has finished running the script and drawing charts;
    fail if the page shows an exception."""
    page.wait_for_load_state("networkidle")
    page.locator('[data-testid="stStatusWidget"]').wait_for(
        state="hidden", timeout=30_000
    )
    page.wait_for_timeout(1200)
    if page.locator('[data-testid="stException"]').count():
        raise RuntimeError(f"the page {page.url} shows an exception")


def take(url: str, out: Path) -> list[Path]:
    """Sign in as ``ada`` and save one PNG per page; the files written."""
    from playwright.sync_api import expect, sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(url)
        page.get_by_label("Identifiant").fill("ada")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_text("sans prise en charge").first).to_be_visible(
            timeout=30_000
        )
        _settle(page)
        page.screenshot(path=str(out / "queue.png"))
        shots.append(out / "queue.png")
        page.get_by_role("button", name="Ouvrir").first.click()  # the crisis
        expect(page.get_by_text("3114").first).to_be_visible(timeout=30_000)
        _settle(page)
        page.screenshot(path=str(out / "lead.png"))
        shots.append(out / "lead.png")
        for name, link, ready in PAGES:
            page.get_by_role("link", name=link).click()
            expect(page.get_by_text(ready).first).to_be_visible(timeout=30_000)
            _settle(page)
            page.screenshot(path=str(out / name))
            shots.append(out / name)
            for extra, scroll_to, tab in EXTRAS.get(name, ()):
                if tab:
                    page.get_by_role("tab", name=tab).click()
                if scroll_to:
                    page.get_by_text(scroll_to).first.evaluate(
                        "e => e.scrollIntoView({block: 'start'})"
                    )
                _settle(page)
                page.screenshot(path=str(out / extra))
                shots.append(out / extra)
        browser.close()
    return shots


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "screenshots.db"
        seed(db_path, rich=True)
        with serve(db_path) as url:
            for shot in take(url, out):
                print(f"{shot} ({shot.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
