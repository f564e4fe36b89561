"""The dashboard end to end, headless (AppTest) on a seeded temporary database."""

from __future__ import annotations

import json
import time

import pytest

from dashboard import auth
from maraude import db as mdb
from maraude.errors import ClaimError
from maraude.ops import desk
from tests.dashboard.dashboard_seed import HOSTILE, POSTS, elements, seed, sign_in

POST_TEXTS = [p[3] for p in POSTS.values()] + [p[2] for p in POSTS.values()]


def shown(at, kind: str | None = None) -> list[str]:
    return [text for t, text in elements(at) if kind is None or t == kind]


def audit_rows(db, action: str) -> list[dict]:
    return [r for r in mdb.audit_entries(db, limit=1000) if r["action"] == action]


def open_lead(at, lead_id: int) -> None:
    at.session_state["lead_id"] = lead_id
    at.switch_page("pages/lead.py")
    at.run()


# -- signing in ---------------------------------------------------------------


def test_nothing_is_visible_before_signing_in(app, leads):
    at = app()
    assert not at.exception
    page = " ".join(shown(at))
    assert "Se connecter" in page
    assert not any(text in page for text in POST_TEXTS)
    assert "Signalement suivant" not in page


def test_pages_cannot_be_opened_before_signing_in(app, leads):
    at = app()
    with pytest.raises(ValueError, match=r"Known pages: \['Connexion'\]"):
        at.switch_page("pages/lead.py")  # the only page offered is the sign-in
    at.query_params["lead"] = str(leads["crisis"])
    at.session_state["lead_id"] = leads["crisis"]
    at.run()
    assert not at.exception
    page = " ".join(shown(at))
    assert "Se connecter" in page
    assert not any(text in page for text in POST_TEXTS)


def test_a_missing_database_is_an_error_not_a_new_file(app, db_path):
    at = app()
    assert not at.exception
    assert "n'existe pas" in at.error[0].value
    assert not db_path.exists()


def test_signing_in_opens_the_queue(app, leads, db):
    at = app("alice")
    assert not at.exception
    assert at.title[0].value == "File d'attente"
    assert audit_rows(db, "sign_in")[0]["username"] == "alice"


def test_a_wrong_password_is_refused_audited_and_slowed(app, leads, db, sleeps):
    at = app()
    sign_in(at, "alice", "not the password")
    sign_in(at, "alice", "still not it")
    assert not at.exception
    assert "incorrect" in at.error[0].value
    assert "Signalement suivant" not in " ".join(shown(at))
    failed = audit_rows(db, "sign_in_failed")
    assert [json.loads(r["detail"])["consecutive"] for r in failed] == [2, 1]
    assert sleeps == [0.5]  # the second attempt waited its turn


def test_an_idle_session_is_signed_out(app, leads, db):
    at = app()
    at.session_state[auth.SESSION_KEY] = "alice"
    at.session_state[auth.ACTIVE_KEY] = time.monotonic() - 29 * 60
    at.run()
    assert at.title[0].value == "File d'attente"  # idle 29 minutes: still in
    at = app()
    at.session_state[auth.SESSION_KEY] = "alice"
    at.session_state[auth.ACTIVE_KEY] = time.monotonic() - 31 * 60
    at.run()
    assert "Signalement suivant" not in " ".join(shown(at))  # idle 31 minutes: out
    assert "expiré" in at.warning[0].value
    assert audit_rows(db, "session_expired")[0]["username"] == "alice"


def test_a_disabled_account_is_refused(app, leads, db):
    db.execute("UPDATE users SET disabled = 1 WHERE username = 'alice'")
    at = app("alice")
    assert at.error
    assert "Signalement suivant" not in " ".join(shown(at))
    detail = json.loads(audit_rows(db, "sign_in_failed")[0]["detail"])
    assert detail["reason"] == "disabled"


def test_a_demo_database_opens_signed_in_as_a_worker(app, db_path):
    seed(db_path, demo=True)
    at = app()
    assert not at.exception
    assert at.title[0].value == "File d'attente"
    assert mdb.get_user(mdb.open_db(db_path), "demo")["role"] == "worker"


# -- the queue ----------------------------------------------------------------


def test_the_queue_lists_crisis_first_with_a_red_marker(app, leads):
    at = app("alice")
    order = [b.key for b in at.button if (b.key or "").startswith("open_")]
    assert order[0] == f"open_{leads['crisis']}"  # 30 h old, still first
    assert len(order) == len(POSTS)
    page = [text for _, text in elements(at)]
    marker = next(i for i, t in enumerate(page) if "CRISE" in t)
    assert "crise" in page[marker + 1].split(" | ")[0]  # its row: labels first
    assert not any(t.startswith("priorité") for t in page)  # no bare 10,99
    assert sum("CRISE" in t for t in page) == 1


def test_next_lead_claims_the_top_lead_and_opens_it(app, leads, db):
    at = app("alice")
    next(b for b in at.button if b.label == "Signalement suivant").click().run()
    assert not at.exception
    assert at.title[0].value == f"Signalement {leads['crisis']}"
    lead = mdb.get_lead(db, leads["crisis"])
    assert (lead["status"], lead["claimed_by"]) == ("claimed", "alice")
    assert audit_rows(db, "claim")[0]["object_id"] == str(leads["crisis"])


def test_next_lead_on_an_empty_queue_says_so(app, leads, db):
    for lead_id in leads.values():
        mdb.claim_lead(db, lead_id, "bob")
    at = app("alice")
    next(b for b in at.button if b.label == "Signalement suivant").click().run()
    assert not at.exception
    assert at.info[0].value == "Aucun signalement à prendre pour l'instant."
    assert at.title[0].value == "File d'attente"
    at.run()
    assert not at.success


def test_open_button_switches_to_the_lead(app, leads):
    at = app("alice")
    at.button(key=f"open_{leads['rights']}").click().run()
    assert at.title[0].value == f"Signalement {leads['rights']}"


def test_search_and_filters_narrow_the_queue(app, leads):
    at = app("alice")
    at.text_input[0].input("cachets").run()
    assert [t for t in shown(at, "text") if "cachets" in t]
    keys = {b.key for b in at.button}
    assert keys >= {f"open_{leads['crisis']}"}
    assert f"open_{leads['rights']}" not in keys
    at.text_input[0].input('"RSA AND (').run()  # FTS syntax stays inert
    assert not at.exception
    at.text_input[0].input("").run()
    at.selectbox[2].select("discourse").run()
    assert {b.key for b in at.button if b.key} == {f"open_{leads['rights']}"}


# -- a lead -------------------------------------------------------------------


def test_hostile_post_text_is_shown_verbatim_as_inert_text(app, leads):
    at = app("alice")
    open_lead(at, leads["hostile"])
    assert not at.exception
    assert HOSTILE in shown(at, "code")
    assert POSTS["hostile"][2] in shown(at, "text")
    for kind, text in elements(at):
        if kind not in ("text", "code"):
            assert "<script>" not in text
            assert "127.0.0.1:1" not in text
    assert not at.get("html")


def test_crisis_protocol_comes_before_the_post(app, leads):
    at = app("alice")
    open_lead(at, leads["crisis"])
    order = [text for _, text in elements(at)]
    protocol = next(i for i, t in enumerate(order) if "3114" in t)
    post = order.index(POSTS["crisis"][3])
    assert protocol < post
    assert protocol == 0 or "3114" not in " ".join(order[:protocol])
    assert all(n in order[protocol] for n in ("15", "112", "114", "119", "3919", "115"))


def test_a_sure_crisis_gets_the_protocol_and_the_crisis_badge(app, leads, db):
    level = db.execute(
        "SELECT crisis_level FROM leads WHERE id = ?", [leads["crisis"]]
    ).fetchone()[0]
    assert level == "sure"
    at = app("alice")
    open_lead(at, leads["crisis"])
    assert "3114" in at.error[0].value
    assert "Crise possible" not in at.error[0].value
    at.switch_page("pages/queue.py").run()
    page = [text for _, text in elements(at)]
    assert sum("CRISE" in t for t in page) == 1
    assert not any("CRISE possible" in t for t in page)


def test_a_possible_crisis_gets_the_protocol_to_check_and_its_own_badge(app, leads, db):
    db.execute(
        "UPDATE leads SET crisis_level = 'possible' WHERE id = ?", [leads["crisis"]]
    )
    at = app("alice")
    open_lead(at, leads["crisis"])
    shown_box = at.warning[0].value
    assert "Crise possible, à vérifier" in shown_box
    assert "3114" in shown_box
    assert not at.error  # the red box is for sure crises
    at.switch_page("pages/queue.py").run()
    page = [text for _, text in elements(at)]
    assert sum("CRISE possible" in t for t in page) == 1
    assert sum("CRISE" in t for t in page) == 1  # no sure badge left


def test_a_minor_gets_the_minor_protocol(app, leads):
    at = app("alice")
    open_lead(at, leads["minor"])
    warning = at.warning[0].value
    assert "0 800 235 236" in warning
    assert "119" in warning


def test_a_right_card_is_shown_and_unknown_rights_skipped(app, leads):
    at = app("alice")
    open_lead(at, leads["rights"])
    assert not at.exception
    assert "**Revenu de solidarité active (RSA)**" in shown(at, "markdown")
    assert "not_in_catalogue" not in " ".join(shown(at))


def test_viewing_a_lead_is_audited_once_per_visit(app, leads, db):
    at = app("alice")
    open_lead(at, leads["rights"])
    at.run()
    views = audit_rows(db, "view")
    assert [r["object_id"] for r in views] == [str(leads["rights"])]
    assert views[0]["detail"] is None


def test_a_missing_lead_is_an_error_not_a_traceback(app, leads):
    at = app("alice")
    open_lead(at, 999)
    assert not at.exception
    assert "999" in at.error[0].value


def test_a_lead_opens_from_the_query_parameter(app, leads):
    at = app("alice")
    at.query_params["lead"] = str(leads["minor"])
    at.switch_page("pages/lead.py").run()
    assert at.title[0].value == f"Signalement {leads['minor']}"


def test_a_lead_someone_else_holds_says_who(app, leads, db):
    at = app("alice")
    open_lead(at, leads["rights"])
    mdb.claim_lead(db, leads["rights"], "bob")
    at.run()
    assert any("pris en charge par bob" in t for t in shown(at, "text"))
    assert not [b for b in at.button if b.label == "Prendre en charge"]


def test_a_claim_lost_to_a_race_is_an_error_not_a_traceback(app, leads, monkeypatch):
    def taken(*args):
        raise ClaimError("Lead 1 is already claimed by bob. Pick another lead.")

    at = app("alice")
    open_lead(at, leads["rights"])
    monkeypatch.setattr(desk, "claim", taken)
    next(b for b in at.button if b.label == "Prendre en charge").click().run()
    assert not at.exception
    assert "bob" in at.error[0].value


def test_claim_then_reply_stores_the_reply(app, leads, db):
    at = app("alice")
    open_lead(at, leads["rights"])
    next(b for b in at.button if b.label == "Prendre en charge").click().run()
    draft = at.text_area[0].value
    assert "vous" in draft
    assert "RSA" in draft
    assert "alice" in draft  # the worker says who writes…
    assert "Votre structure" in draft  # …and for which organisation
    assert "STOP" not in draft  # no marketing formula (#16)
    at.text_area[0].input("Bonjour, voici le lien.").run()
    next(b for b in at.button if b.label == "J'ai répondu").click().run()
    assert not at.exception
    lead = mdb.get_lead(db, leads["rights"])
    assert (lead["status"], lead["reply_text"]) == (
        "replied",
        "Bonjour, voici le lien.",
    )
    assert at.success[0].value == "Réponse enregistrée."


def test_a_moderator_reads_but_cannot_act(app, leads):
    at = app("mod")
    assert "Signalement suivant" not in " ".join(shown(at))
    open_lead(at, leads["rights"])
    assert not at.exception
    assert not [b for b in at.button if b.label == "Prendre en charge"]
    assert "pas d'y répondre" in at.info[0].value


@pytest.mark.parametrize("name", list(POSTS))
def test_every_seeded_lead_renders(app, leads, name):
    at = app("alice")
    open_lead(at, leads[name])
    assert not at.exception


def test_the_lead_page_takes_the_next_lead_in_one_click(app, leads, db):
    """After a reply, "Signalement suivant" claims and opens the next one (#16)."""
    at = app("alice")
    at.session_state["lead_id"] = leads["hostile"]
    at.switch_page("pages/lead.py")
    at.run()
    next(b for b in at.button if b.label == "Signalement suivant").click().run()
    assert not at.exception
    assert at.title[0].value == f"Signalement {leads['crisis']}"  # the top one
    assert mdb.get_lead(db, leads["crisis"])["claimed_by"] == "alice"
    assert not [b for b in at.button if b.label == "Signalement suivant"]  # held
