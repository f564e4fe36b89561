"""The Label, Adjudication, Activity and Admin pages, and the queue's crisis banner
(AppTest, on seeded temporary databases)."""

from __future__ import annotations

import json
import re

import pytest

from dashboard.widgets import label_parts
from maraude import db as mdb
from tests.dashboard.dashboard_seed import HOSTILE, POSTS, elements

PAGES = {
    "label": "pages/label.py",
    "adjudication": "pages/adjudication.py",
    "activity": "pages/activity.py",
    "admin": "pages/admin.py",
}
OFFERED = {
    "alice": {"activity"},
    "sam": {"adjudication", "activity"},
    "mod": {"label", "adjudication", "activity"},
    "ada": {"label", "adjudication", "activity", "admin"},
}


def shown(at, kind: str | None = None) -> list[str]:
    return [text for t, text in elements(at) if kind is None or t == kind]


def find(widgets, label: str, n: int = 0):
    return [w for w in widgets if w.label == label][n]


def open_page(at, name: str):
    at.switch_page(PAGES[name]).run()
    assert not at.exception
    return at


def post_id(db, name: str) -> int:
    return next(
        r["id"] for r in db.query("SELECT id FROM posts WHERE native_id = ?", [name])
    )


def actions_of(db) -> list[str]:
    return [e["action"] for e in reversed(mdb.audit_entries(db, 1000))]


# -- pages by role --------------------------------------------------------------------


@pytest.mark.parametrize("username", list(OFFERED))
@pytest.mark.parametrize("name", list(PAGES))
def test_pages_are_offered_by_role(app, leads, username, name):
    at = app(username)
    if name in OFFERED[username]:
        open_page(at, name)
    else:  # not registered by st.navigation for this role
        with pytest.raises(ValueError, match="Known pages"):
            at.switch_page(PAGES[name])


# -- label ----------------------------------------------------------------------------


def test_the_label_page_shows_the_most_uncertain_post_masked(app, leads, db):
    at = open_page(app("mod"), "label")
    (code,) = shown(at, "code")
    assert code.startswith("RSA refusé ?")  # margin 0.20: the most uncertain
    assert "[email]" in code
    assert "jean.exemple@example.org" not in " ".join(shown(at))
    assert actions_of(db).count("label_view") == 1
    at.run()
    assert actions_of(db).count("label_view") == 1  # once per post


def test_a_shortcut_toggles_a_label_and_save_stores_it(app, leads, db):
    at = open_page(app("mod"), "label")
    pid = post_id(db, "rights")
    at.button(key=f"toggle_label_{pid}_rights").click().run()
    assert at.checkbox(key=f"label_{pid}_rights").value is True
    at.checkbox(key=f"label_{pid}_crisis").check().run()
    at.multiselect[0].select("rsa").run()
    at.radio[0].set_value("non_demande").run()
    find(at.button, "Enregistrer").click().run()
    assert not at.exception
    assert at.success[0].value == "Étiquette enregistrée."
    (label,) = mdb.labels(db)
    assert (label["post_id"], label["origin"], label["username"]) == (
        pid,
        "moderator",
        "mod",
    )
    assert (label["distress"], label["crisis"], label["rights"]) == (1, 1, 1)
    assert json.loads(label["rights_topics"]) == ["rsa"]
    assert label["non_recours_form"] == "non_demande"
    assert not shown(at, "code")[0].startswith("RSA refusé")  # the next post


def test_the_hostile_post_stays_inert_on_the_label_page(app, leads, db):
    at = open_page(app("mod"), "label")
    find(at.button, "Passer").click().run()  # rights skipped: hostile is next
    assert HOSTILE in shown(at, "code")[0]
    for kind, text in elements(at):
        if kind not in ("text", "code"):
            assert "<script>" not in text
    # the only HTML is our own style rule hiding the shortcut buttons
    assert [h.proto.body for h in at.get("html")] == [label_parts.HIDE_TOGGLES]
    assert "label_skip" in actions_of(db)


def test_a_labelled_post_never_comes_back(app, leads, db):
    for name in POSTS:
        mdb.add_item_label(
            db,
            mdb.label_item(db, post_id(db, name)),
            {"distress": 0, "crisis": 0, "rights": 0, "minor": 0},
            "mod",
            "moderator",
        )
    at = open_page(app("mod"), "label")
    assert "Rien à étiqueter" in at.info[0].value
    assert not shown(at, "code")


def test_the_label_page_shows_agreement(app, rich):
    at = open_page(app("mod"), "label")
    table = next(t for k, t in elements(at) if k == "dataframe")
    assert "kappa de Cohen" in table
    assert "mineur·e,3,67 %,0" in table


# -- adjudication -------------------------------------------------------------------


def test_a_senior_settles_a_disagreement(app, rich, rich_db):
    at = open_page(app("sam"), "adjudication")
    assert "mod : détresse" in shown(at, "text")
    assert "mia : détresse, mineur·e" in shown(at, "text")
    key = at.selectbox[0].value
    at.checkbox(key=f"adj_{key}_distress").check()
    at.checkbox(key=f"adj_{key}_minor").check().run()
    find(at.button, "Enregistrer la décision").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [
        "Décision enregistrée.",
        "Aucun désaccord en attente.",
    ]
    (decided,) = [x for x in mdb.labels(rich_db) if x["origin"] == "adjudication"]
    assert (decided["username"], decided["minor"], decided["distress"]) == ("sam", 1, 1)
    assert "adjudication_view" in actions_of(rich_db)


def test_a_moderator_cannot_settle_their_own_disagreement(app, rich):
    at = open_page(app("mod"), "adjudication")
    assert "une autre personne doit trancher" in at.info[0].value
    assert not [b for b in at.button if b.label == "Enregistrer la décision"]


# -- activity ------------------------------------------------------------------------


def test_the_activity_page_shows_the_figures(app, rich, rich_db):
    at = open_page(app("alice"), "activity")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Signalements"] == "31"
    assert metrics["Réponses"] == "21"
    assert metrics["Délai médian"] == "6 h"
    assert metrics["Non pertinents"] == "22 %"
    assert "78 %" in at.caption[0].value
    health = next(t for k, t in elements(at) if k == "dataframe")
    assert "mastodon-local" in health
    assert "échec" in health
    assert len(at.get("vega_lite_chart")) == 5
    assert actions_of(rich_db).count("page_view") == 1
    at.run()
    assert actions_of(rich_db).count("page_view") == 1


def test_the_activity_page_on_an_empty_history(app, leads):
    at = open_page(app("alice"), "activity")
    assert "Aucune collecte enregistrée." in [i.value for i in at.info]


# -- admin ---------------------------------------------------------------------------


def test_an_admin_adds_a_user_and_changes_roles(app, rich, rich_db):
    at = open_page(app("ada"), "admin")
    find(at.text_input, "Identifiant").input("eve")
    find(at.selectbox, "Rôle").select("moderator")
    find(at.text_input, "Mot de passe (10 caractères au moins)").input(
        "une phrase longue"
    )
    find(at.button, "Ajouter").click().run()
    assert not at.exception
    assert mdb.get_user(rich_db, "eve")["role"] == "moderator"
    find(at.selectbox, "Compte").select("alice")
    find(at.selectbox, "Nouveau rôle").select("senior")
    find(at.button, "Changer le rôle").click().run()
    assert mdb.get_user(rich_db, "alice")["role"] == "senior"
    find(at.selectbox, "Compte à activer ou désactiver").select("bob").run()
    find(at.button, "Désactiver").click().run()
    assert mdb.get_user(rich_db, "bob")["disabled"] == 1
    assert {"admin_view", "user_added", "user_role_set", "user_disabled"} <= set(
        actions_of(rich_db)
    )


def test_a_short_password_is_an_error_not_a_traceback(app, rich, rich_db):
    at = open_page(app("ada"), "admin")
    find(at.text_input, "Identifiant").input("eve")
    find(at.text_input, "Mot de passe (10 caractères au moins)").input("court")
    find(at.button, "Ajouter").click().run()
    assert not at.exception
    assert "too short" in at.error[0].value
    assert mdb.get_user(rich_db, "eve") is None


def test_an_admin_switches_a_source_off(app, rich, rich_db):
    at = open_page(app("ada"), "admin")
    sources = next(t for k, t in elements(at) if k == "dataframe" and "plateforme" in t)
    assert "reddit-local,reddit,activée (forcé ici)" in sources
    find(at.selectbox, "Source").select("reddit-local")
    find(at.selectbox, "Réglage").select(False)
    find(at.button, "Appliquer").click().run()
    assert mdb.source_enabled_override(rich_db, "reddit-local") is False


def test_an_admin_registers_an_optout_for_a_request(app, rich, rich_db):
    at = open_page(app("ada"), "admin")
    find(at.text_input, "Référence (jamais le pseudo)").input("ticket 77")
    find(at.button, "Enregistrer la demande").click().run()
    (request,) = [
        r for r in mdb.optout_requests(rich_db) if r["reference"] == "ticket 77"
    ]
    find(at.text_input, "Pseudo ou URL du message").input("loutre_bleue_75")
    find(at.selectbox, "Demande liée").select(request["id"])
    find(at.button, "Ajouter", 1).click().run()
    assert not at.exception
    assert mdb.optout_counts(rich_db)["author"] == 2
    assert mdb.optout_requests(rich_db)[0]["status"] == "acted"
    assert "loutre" not in json.dumps(mdb.audit_entries(rich_db, 1000))


def test_without_the_secret_the_register_form_is_disabled(app, rich, monkeypatch):
    monkeypatch.delenv("MARAUDE_SECRET")
    at = open_page(app("ada"), "admin")
    warning = next(w.value for w in at.warning if "MARAUDE_SECRET" in w.value)
    assert "Redémarrez le tableau de bord" in warning  # in French, what to do
    assert "export" not in warning
    assert find(at.button, "Ajouter", 1).disabled


def test_the_retention_policy_is_shown_with_the_purge_command(app, leads):
    at = open_page(app("ada"), "admin")
    assert "maraude purge" in " ".join(shown(at, "code"))
    table = next(t for k, t in elements(at) if k == "dataframe" and "données" in t)
    assert "signalements clos,30" in table


# -- the queue ------------------------------------------------------------------------


def test_seniors_see_unclaimed_crises_in_a_red_banner(app, rich):
    at = app("sam")
    assert "sans prise en charge" in at.error[0].value
    assert f"signalement {rich['crisis']}" in at.error[0].value
    assert not app("alice").error


def test_the_queue_says_who_holds_a_lead_and_until_when(app, rich):
    at = app("alice")
    held = [t for t in shown(at, "text") if "pris en charge par bob" in t]
    assert held
    assert "jusqu'à" in held[0]
    assert "UTC" not in held[0]  # Europe/Paris time, HH:MM
    assert re.search(r"jusqu'à \d\d:\d\d", held[0])
