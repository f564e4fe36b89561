"""In a real browser: a violence post's draft carries 17 and 3919 and no 3114 (#16).

Uses the dashboard server and Debian's Chromium as ``test_e2e_browser.py`` does.
"""

from __future__ import annotations

import pytest

from maraude import db as mdb
from tests.dashboard.dashboard_seed import PASSWORD
from tests.dashboard.test_e2e_browser import ARGS, CHROMIUM, served  # noqa: F401

pytestmark = pytest.mark.slow

# Our own wording, written for this test.
VIOLENCE = "Il a dit qu'il va me tuer, il me frappe, je suis enfermée avec ma fille."


def test_a_violence_post_gets_17_and_3919_and_no_3114(served):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    url, path, leads = served
    database = mdb.open_db(path)
    database.execute(
        "UPDATE posts SET text = ? WHERE id = (SELECT post_id FROM leads WHERE id = ?)",
        [VIOLENCE, leads["crisis"]],
    )
    database.close()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.get_by_label("Identifiant").fill("alice")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_role("button", name="Signalement suivant").click()
        draft = page.get_by_label("Votre réponse")
        expect(draft).to_be_visible(timeout=30_000)
        text = draft.input_value()
        box = page.get_by_text("Violences : 17 / 112, 3919, SMS 114").first
        expect(box).to_be_visible(timeout=30_000)
        browser.close()
    assert "17" in text
    assert "3919" in text
    assert "3114" not in text
