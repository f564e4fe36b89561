"""In a real headless browser (#16): a senior takes an escalated lead from the
"Transmis" page and closes it. Uses the dashboard server of test_e2e_browser."""

from __future__ import annotations

import pytest

from maraude import db as mdb
from maraude.ops import desk
from tests.dashboard.dashboard_seed import PASSWORD
from tests.dashboard.test_e2e_browser import ARGS, CHROMIUM
from tests.dashboard.test_e2e_browser import served as served  # the fixture

pytestmark = pytest.mark.slow

ALICE = {"username": "alice", "role": "worker"}


def test_a_senior_takes_an_escalated_lead_and_closes_it(served, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, path, leads = served
    database = mdb.open_db(path)
    desk.claim(database, ALICE, leads["crisis"], 45)
    desk.escalate(database, ALICE, leads["crisis"], "crise, besoin d'un avis")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.get_by_label("Identifiant").fill("sam")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_role("link", name="Transmis").click()
        expect(page.get_by_text("Transmis par alice")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Prendre", exact=True).click()
        expect(page.get_by_text("Signalement pris.")).to_be_visible(timeout=30_000)
        page.get_by_label("Clore : note (facultative)").fill("15 appelé")
        page.get_by_role("button", name="Clore", exact=True).click()
        expect(page.get_by_text("Signalement clos.")).to_be_visible(timeout=30_000)
        page.screenshot(path=str(tmp_path / "closed.png"))
        browser.close()
    lead = mdb.get_lead(database, leads["crisis"])
    assert (lead["status"], lead["claimed_by"]) == ("closed", "sam")
    assert "sam (clos) : 15 appelé" in lead["note"]
    done = [e["action"] for e in mdb.audit_entries(database)]
    assert {"take_escalated", "close"} <= set(done)
    database.close()
