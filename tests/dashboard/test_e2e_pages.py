"""Every page in a real headless browser (Debian's Chromium), as the screenshots
of docs/screenshots are taken: no page shows an exception, each PNG is small."""

from __future__ import annotations

import shutil

import pytest

from tests.dashboard.dashboard_seed import seed
from tests.dashboard.screenshots import serve, take

pytestmark = pytest.mark.slow


def test_every_page_renders_in_a_browser(tmp_path):
    if shutil.which("chromium") is None:
        pytest.skip(
            "Debian's chromium is not installed: apt-get install chromium "
            "(.ci/run does it)"
        )
    db_path = tmp_path / "pages.db"
    seed(db_path, rich=True)
    with serve(db_path) as url:
        shots = take(url, tmp_path / "shots")
    assert {s.name for s in shots} >= {
        "queue.png",
        "lead.png",
        "label.png",
        "adjudication.png",
        "activity.png",
        "admin.png",
    }
    for shot in shots:
        assert 10_000 < shot.stat().st_size < 300_000, shot.name


def test_a_moderator_labels_with_the_keyboard(tmp_path):
    if shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed: apt-get install chromium")
    from playwright.sync_api import expect, sync_playwright

    from maraude import db as mdb
    from tests.dashboard.dashboard_seed import PASSWORD
    from tests.dashboard.screenshots import ARGS, CHROMIUM, VIEWPORT

    db_path = tmp_path / "keys.db"
    seed(db_path)
    with serve(db_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(url)
        page.get_by_label("Identifiant").fill("mod")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_role("link", name="Étiqueter").click()
        expect(page.get_by_text("RSA refusé ?").first).to_be_visible(timeout=30_000)
        rights = page.get_by_role("checkbox", name="Droits")
        expect(rights).to_be_visible(timeout=30_000)
        page.wait_for_timeout(500)  # let Streamlit bind the shortcuts
        page.keyboard.press("3")  # droits
        try:
            expect(rights).to_be_checked(timeout=5_000)
        except AssertionError:  # a keypress that landed before the binding
            page.keyboard.press("3")
            expect(rights).to_be_checked(timeout=10_000)
        page.keyboard.press("s")  # enregistrer
        expect(page.get_by_text("Étiquette enregistrée.")).to_be_visible(timeout=30_000)
        browser.close()
    (label,) = mdb.labels(mdb.open_db(db_path))
    assert (label["username"], label["rights"], label["distress"]) == ("mod", 1, 0)
