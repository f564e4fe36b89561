"""The seniors' "Transmis" page, the worker's "Mes signalements" page and the
follow-up actions of the lead page (#16), with AppTest on a seeded database."""

from __future__ import annotations

import pytest

from maraude import db as mdb
from maraude.ops import desk
from tests.dashboard.dashboard_seed import HOSTILE, elements
from tests.dashboard.test_inert_pages import _check
from tests.dashboard.test_inert_pages import hostile as hostile  # the fixture

ALICE = {"username": "alice", "role": "worker"}
BOB = {"username": "bob", "role": "worker"}
SAM = {"username": "sam", "role": "senior"}


def shown(at, kind: str | None = None) -> str:
    return " ".join(text for t, text in elements(at) if kind is None or t == kind)


def button(at, label: str, n: int = 0):
    return [b for b in at.button if b.label == label][n]


def form_input(at, label: str):
    return next(w for w in at.text_input if w.label == label)


def page(at, path: str):
    at.switch_page(path).run()
    assert not at.exception
    return at


def escalate(db, lead_id: int, by=ALICE, why: str = "crise, je veux un avis"):
    desk.claim(db, by, lead_id, 45)
    desk.escalate(db, by, lead_id, why)


@pytest.mark.parametrize(
    ("username", "offered"),
    [("alice", {"mine"}), ("sam", {"mine", "escalated"}), ("mod", set())],
)
@pytest.mark.parametrize("name", ["mine", "escalated"])
def test_follow_up_pages_are_offered_by_role(app, leads, username, offered, name):
    at = app(username)
    if name in offered:
        page(at, f"pages/{name}.py")
    else:  # not registered by st.navigation for this role
        with pytest.raises(ValueError, match="Known pages"):
            at.switch_page(f"pages/{name}.py")


def test_the_senior_sees_escalated_leads_with_the_reason(app, leads, db):
    escalate(db, leads["hostile"])
    at = page(app("sam"), "pages/escalated.py")
    text = shown(at)
    assert "À prendre (1)" in text
    assert "Transmis par alice" in text
    assert "alice (transmis) : crise, je veux un avis" in text
    assert "<script>" not in shown(at, "markdown")  # nothing outside as markdown
    assert HOSTILE not in text  # only facts, no post text on this list
    assert next(e["action"] for e in mdb.audit_entries(db, 5)) == "page_view"


def test_the_senior_takes_an_escalated_lead_from_the_list(app, leads, db):
    escalate(db, leads["crisis"])
    at = page(app("sam"), "pages/escalated.py")
    button(at, "Prendre").click().run()
    assert not at.exception
    lead = mdb.get_lead(db, leads["crisis"])
    assert (lead["status"], lead["claimed_by"]) == ("claimed", "sam")
    assert "Remettre dans la file" in shown(at)  # now on the lead page


def test_the_senior_closes_a_taken_lead_on_its_page(app, leads, db):
    escalate(db, leads["crisis"])
    desk.take(db, SAM, leads["crisis"])
    at = app("sam")
    at.session_state["lead_id"] = leads["crisis"]
    page(at, "pages/lead.py")
    assert "Transmettre" not in [b.label for b in at.button]  # give it back instead
    form_input(at, "Clore : note (facultative)").input("15 appelé")
    button(at, "Clore").click().run()
    assert not at.exception
    lead = mdb.get_lead(db, leads["crisis"])
    assert lead["status"] == "closed"
    assert "sam (clos) : 15 appelé" in lead["note"]


def test_sending_back_without_a_note_is_a_clear_error(app, leads, db):
    escalate(db, leads["minor"])
    desk.take(db, SAM, leads["minor"])
    at = app("sam")
    at.session_state["lead_id"] = leads["minor"]
    page(at, "pages/lead.py")
    button(at, "Remettre dans la file").click().run()
    assert any("Écrivez une note" in e.value for e in at.error)
    assert mdb.get_lead(db, leads["minor"])["status"] == "claimed"


def test_an_empty_reason_to_escalate_is_a_clear_error(app, leads, db):
    desk.claim(db, ALICE, leads["crisis"], 45)
    at = app("alice")
    at.session_state["lead_id"] = leads["crisis"]
    page(at, "pages/lead.py")
    button(at, "Transmettre").click().run()
    assert any("Dites pourquoi" in e.value for e in at.error)
    assert mdb.get_lead(db, leads["crisis"])["status"] == "claimed"


def test_escalating_stays_possible_after_replying(app, leads, db):
    desk.claim(db, ALICE, leads["crisis"], 45)
    desk.reply(db, ALICE, leads["crisis"], "Bonjour, le 3114 répond 24 h/24.")
    at = app("alice")
    at.session_state["lead_id"] = leads["crisis"]
    page(at, "pages/lead.py")
    form_input(at, "Transmettre à un·e responsable : pourquoi ?").input("inquiète")
    button(at, "Transmettre").click().run()
    assert not at.exception
    assert mdb.get_lead(db, leads["crisis"])["status"] == "escalated"


def test_my_leads_lists_mine_by_state_and_records_an_outcome(app, leads, db):
    desk.claim(db, ALICE, leads["rights"], 45)
    desk.claim(db, ALICE, leads["hostile"], 45)
    desk.reply(db, ALICE, leads["hostile"], "Bonjour.")
    escalate(db, leads["crisis"])
    desk.claim(db, BOB, leads["minor"], 45)
    at = page(app("alice"), "pages/mine.py")
    text = shown(at)
    for section in ("Pris en charge (1)", "Répondus (1)", "Transmis (1)"):
        assert section in text
    assert "bob" not in text
    button(at, desk.OUTCOME_NAMES["oriented"]).click().run()
    assert not at.exception
    assert mdb.get_lead(db, leads["hostile"])["outcome"] == "oriented"
    assert "Suite enregistrée." in shown(at)
    assert mdb.outcome_summary(db, 30)["outcomes"] == {"oriented": 1}


def test_my_leads_is_empty_for_a_new_worker(app, leads):
    at = page(app("bob"), "pages/mine.py")
    text = shown(at)
    assert "Aucun signalement pris en charge." in text
    assert "Aucune réponse enregistrée." in text


def test_outcomes_feed_the_activity_page(app, leads, db):
    for lead_id, outcome in ((leads["rights"], "answered"), (leads["hostile"], None)):
        desk.claim(db, ALICE, lead_id, 45)
        desk.reply(db, ALICE, lead_id, "Bonjour.")
        if outcome:
            desk.record_outcome(db, ALICE, lead_id, outcome)
    at = page(app("alice"), "pages/activity.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["La personne a eu sa réponse"] == "1"
    assert metrics["Orientée vers un service"] == "0"
    assert metrics["Sans suite notée"] == "1"


def test_follow_up_pages_render_no_outside_markup(app, hostile, db_path):
    """Hostile platform, source, site and titles (test_inert_pages) stay inert
    on "Transmis" and "Mes signalements"."""
    database = mdb.open_db(db_path)
    free = [x["id"] for x in mdb.list_leads(database, statuses=["new"], limit=3)]
    escalate(database, free[0])
    desk.claim(database, ALICE, free[1], 45)
    desk.reply(database, ALICE, free[1], "Bonjour.")
    desk.claim(database, ALICE, free[2], 45)
    database.close()
    for username, path in (("sam", "pages/escalated.py"), ("alice", "pages/mine.py")):
        at = page(app(username), path)
        assert "platform.png" in shown(at)  # the hostile fields are shown…
        assert _check(at) > 0  # …and nothing renders them as markup


def test_the_queue_tells_seniors_that_escalated_leads_wait(app, leads, db):
    escalate(db, leads["minor"])
    senior = app("sam")
    assert any("1 signalement(s) transmis" in w.value for w in senior.warning)
    worker = app("bob")
    assert not any("transmis à prendre" in w.value for w in worker.warning)


@pytest.mark.parametrize(("username", "linked"), [("sam", True), ("alice", False)])
def test_the_activity_page_links_the_report_for_the_roles_allowed_it(
    app, leads, username, linked
):
    at = page(app(username), "pages/activity.py")
    labels = [link.proto.label for link in at.get("page_link")]
    assert ("Rapport mensuel (CSV, version imprimable)" in labels) is linked
