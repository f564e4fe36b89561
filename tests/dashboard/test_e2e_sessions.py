"""Sessions and the demo in a real headless browser (Debian's Chromium): a reload
and a new tab keep the session, the demo reaches every page through its role
switcher, and no page asks anything of a host other than this one."""

from __future__ import annotations

import shutil
from urllib.parse import urlparse

import pytest

from maraude import db as mdb
from tests.dashboard.dashboard_seed import PASSWORD, seed
from tests.dashboard.screenshots import ARGS, CHROMIUM, VIEWPORT, serve

pytestmark = pytest.mark.slow

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
TIMEOUT = 30_000


@pytest.fixture(autouse=True)
def _chromium():
    if shutil.which("chromium") is None:
        pytest.skip(
            "Debian's chromium is not installed: apt-get install chromium "
            "(.ci/run does it)"
        )


def watch_requests(context) -> list[str]:
    """Every request the pages make to a host that is not this machine."""
    outside: list[str] = []

    def check(request) -> None:
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and (
            url.hostname not in LOOPBACK
        ):
            outside.append(request.url)

    context.on("request", check)
    return outside


def test_a_reload_and_a_new_tab_keep_the_session(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    db_path = tmp_path / "sessions.db"
    seed(db_path)
    with serve(db_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        outside = watch_requests(context)
        page = context.new_page()
        page.goto(url)
        page.get_by_label("Identifiant").fill("alice")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_text("File d'attente").first).to_be_visible(timeout=TIMEOUT)
        page.wait_for_timeout(1000)  # the cookie is written after the first run
        page.reload()
        expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible(
            timeout=TIMEOUT
        )
        expect(page.get_by_label("Mot de passe")).to_have_count(0)
        other = context.new_page()  # a new tab on the same browser
        other.goto(f"{url}/activity")
        expect(other.get_by_text("Santé des collectes")).to_be_visible(timeout=TIMEOUT)
        other.close()
        page.get_by_role("button", name="Se déconnecter").click()
        expect(page.get_by_label("Mot de passe")).to_be_visible(timeout=TIMEOUT)
        page.wait_for_timeout(1000)
        page.reload()  # signed out stays signed out
        expect(page.get_by_label("Mot de passe")).to_be_visible(timeout=TIMEOUT)
        browser.close()
    assert outside == []
    actions = [e["action"] for e in mdb.audit_entries(mdb.open_db(db_path))]
    assert "session_resumed" in actions
    assert "sign_out" in actions


#: Each role of the demo, and the pages its sidebar must offer.
DEMO_PAGES = {
    "intervenant·e": ["File d'attente", "Activité"],
    "responsable": ["Arbitrage"],
    "modérateur·rice": ["Étiqueter"],
    "administrateur·rice": ["Administration"],
}
READY = {
    "File d'attente": "File d'attente",
    "Activité": "Santé des collectes",
    "Arbitrage": "Désaccords à trancher",
    "Étiqueter": "Forme de non-recours",
    "Administration": "Comptes et rôles",
}


def test_the_demo_reaches_every_page_through_the_role_switcher(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    db_path = tmp_path / "demo.db"
    seed(db_path)
    mdb.set_meta(mdb.open_db(db_path), "demo", "1")
    with serve(db_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        outside = watch_requests(context)
        page = context.new_page()
        page.goto(url)
        expect(page.get_by_text("demo (intervenant·e)")).to_be_visible(timeout=TIMEOUT)
        for role, titles in DEMO_PAGES.items():
            switcher = page.get_by_role("combobox", name="Rôle de démonstration")
            switcher.click()
            page.get_by_role("option", name=role, exact=True).click()
            expect(page.get_by_text(f"({role})")).to_be_visible(timeout=TIMEOUT)
            for title in titles:
                page.get_by_role("link", name=title).click()
                expect(page.get_by_text(READY[title]).first).to_be_visible(
                    timeout=TIMEOUT
                )
                assert not page.locator('[data-testid="stException"]').count()
        page.reload()  # the role chosen survives a reload
        expect(page.get_by_text("(administrateur·rice)")).to_be_visible(timeout=TIMEOUT)
        page.get_by_role("button", name="Se déconnecter").click()
        expect(
            page.get_by_role("button", name="Entrer dans la démonstration")
        ).to_be_visible(timeout=TIMEOUT)
        browser.close()
    assert outside == []
