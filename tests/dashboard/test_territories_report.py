"""Territories, reply-time targets and the monthly report on the dashboard (#16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from maraude import db as mdb
from maraude.db import users
from tests.dashboard.dashboard_seed import POSTS, elements


def shown(at) -> str:
    return "\n".join(text for _, text in elements(at))


def test_a_lead_past_its_target_is_marked_late(app, leads, db):
    queued = datetime.now(UTC) - timedelta(hours=80)  # rights: 72 h
    db.execute(
        "UPDATE leads SET created_at = ? WHERE id = ?",
        [queued.strftime("%Y-%m-%dT%H:%M:%SZ"), leads["rights"]],
    )
    page = shown(app("alice"))
    assert page.count("délai de réponse dépassé") == 1
    assert "délai de réponse dépassé de 8 h" in page


def test_the_queue_puts_the_workers_territory_first(app, leads, db):
    db.execute("UPDATE leads SET departement = '13' WHERE id = ?", [leads["rights"]])
    db.execute(
        "UPDATE leads SET departement = '59' WHERE crisis_level IS NULL AND id != ?",
        [leads["rights"]],
    )
    before = [x["id"] for x in mdb.list_leads(db)]
    users.set_territories(db, "alice", ["13"])
    page = shown(app("alice"))
    assert "dépt 13" in page
    # Within the non-crisis level, the lead placed in 13 now comes first.
    rest = [i for i in before if mdb.get_lead(db, i)["crisis_level"] is None]
    firsts = [x["id"] for x in mdb.list_leads(db, territories=["13"])]
    assert firsts[len(before) - len(rest)] == leads["rights"]
    assert page.index("RSA refusé") < min(
        page.index(POSTS[name][2][:10])
        for name in leads
        if name != "rights"
        and mdb.get_lead(db, leads[name])["crisis_level"] is None
        and POSTS[name][2][:10] in page
    )


def test_seniors_read_the_monthly_report_without_post_text(app, leads, db):
    db.execute(
        "UPDATE leads SET status = 'replied', claimed_by = 'bob', replied_at = ? "
        "WHERE id = ?",
        [datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), leads["rights"]],
    )
    at = app("sam")
    at.switch_page("pages/report.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Leads du mois"] == str(len(leads))
    assert metrics["Réponses du mois"] == "1"
    page = shown(at)
    assert "Leads par catégorie" in page
    assert "Délais de réponse" in page
    for _, _, title, text, _ in POSTS.values():
        assert text[:20] not in page
        assert title not in page


@pytest.mark.parametrize("username", ["alice", "mod"])
def test_workers_and_moderators_have_no_report_page(app, leads, username):
    at = app(username)
    with pytest.raises(ValueError, match="Known pages"):
        at.switch_page("pages/report.py")


def test_an_admin_sets_territories_and_team(app, leads, db):
    at = app("ada")
    at.switch_page("pages/admin.py").run()
    assert not at.exception
    who = next(s for s in at.selectbox if s.label == "Compte : territoires et équipe")
    who.select("alice").run()
    codes = next(m for m in at.multiselect if m.label.startswith("Départements"))
    codes.select("13").select("2A")
    next(t for t in at.text_input if t.label == "Équipe").input("Sud")
    next(b for b in at.button if b.label == "Enregistrer territoires et équipe").click()
    at.run()
    assert not at.exception
    assert users.user_territories(db, "alice") == ["13", "2A"]
    row = next(u for u in users.list_users(db) if u["username"] == "alice")
    assert row["team"] == "Sud"
    actions = [e["action"] for e in mdb.audit_entries(db, 100)]
    assert "user_territories_set" in actions


def test_activity_links_seniors_to_the_report(app, leads):
    for username, linked in (("sam", True), ("alice", False)):
        at = app(username)
        at.switch_page("pages/activity.py").run()
        assert not at.exception
        assert ("Rapport mensuel" in shown(at)) is linked
