"""The desk (maraude.ops.desk): roles checked server-side, claims exclusive, every
operation audited. Moved from the dashboard's action tests, assertions kept."""

from __future__ import annotations

import json

import pytest

from maraude import db as mdb
from maraude.errors import ClaimError, InputError, PermissionDenied
from maraude.ops import desk
from tests.maraude.ops_fixtures import db as db  # the fixtures
from tests.maraude.ops_fixtures import db_path as db_path
from tests.maraude.ops_fixtures import leads as leads

ALICE = {"username": "alice", "role": "worker"}
BOB = {"username": "bob", "role": "worker"}
MOD = {"username": "mod", "role": "moderator"}


def audit_actions(db) -> list[tuple[str, str, str | None]]:
    rows = reversed(mdb.audit_entries(db, limit=1000))
    return [(r["username"], r["action"], r["object_id"]) for r in rows]


@pytest.mark.parametrize(
    ("action", "args"),
    [
        (desk.claim, (1, 45)),
        (desk.reply, (1, "bonjour")),
        (desk.release, (1,)),
        (desk.not_relevant, (1,)),
        (desk.escalate, (1,)),
        (desk.note, (1, "vu")),
    ],
)
def test_a_moderator_cannot_act_on_a_lead(db, leads, action, args):
    with pytest.raises(PermissionDenied, match="moderator"):
        action(db, MOD, *args)
    assert mdb.get_lead(db, 1)["status"] == "new"
    assert audit_actions(db) == [("mod", "denied", "1")]


def test_a_moderator_cannot_take_the_next_lead(db, leads):
    with pytest.raises(PermissionDenied):
        desk.next_lead(db, MOD, 45)
    assert mdb.status_counts(db) == {"new": len(leads)}


def test_a_moderator_can_view_a_lead(db, leads):
    assert desk.view_lead(db, MOD, leads["rights"])["id"] == leads["rights"]
    assert audit_actions(db) == [("mod", "view", str(leads["rights"]))]


def test_viewing_a_missing_lead_gives_none_and_no_audit(db, leads):
    assert desk.view_lead(db, ALICE, 999) is None
    assert audit_actions(db) == []


def test_the_second_user_to_claim_a_lead_gets_a_claim_error(db, leads):
    desk.claim(db, ALICE, leads["rights"], 45)
    with pytest.raises(ClaimError, match="alice"):
        desk.claim(db, BOB, leads["rights"], 45)
    assert mdb.get_lead(db, leads["rights"])["claimed_by"] == "alice"
    assert audit_actions(db) == [("alice", "claim", str(leads["rights"]))]


def test_next_lead_takes_crisis_first_then_the_next_one(db, leads):
    assert desk.next_lead(db, ALICE, 45) == leads["crisis"]
    assert desk.next_lead(db, BOB, 45) not in (None, leads["crisis"])


def test_reply_needs_the_claim_and_stores_the_text(db, leads):
    with pytest.raises(ClaimError, match="claim it first"):
        desk.reply(db, ALICE, leads["rights"], "Bonjour")
    desk.claim(db, ALICE, leads["rights"], 45)
    desk.reply(db, ALICE, leads["rights"], "  Bonjour, voici le lien.  ")
    lead = mdb.get_lead(db, leads["rights"])
    assert (lead["status"], lead["reply_text"]) == (
        "replied",
        "Bonjour, voici le lien.",
    )
    reply = mdb.audit_entries(db)[0]
    assert (reply["action"], json.loads(reply["detail"])) == ("reply", {"chars": 23})


def test_an_empty_reply_is_refused(db, leads):
    desk.claim(db, ALICE, leads["rights"], 45)
    with pytest.raises(InputError, match="reply you sent"):
        desk.reply(db, ALICE, leads["rights"], "  \n ")
    assert mdb.get_lead(db, leads["rights"])["status"] == "claimed"


def test_not_relevant_closes_and_keeps_a_masked_negative_example(db, leads):
    desk.claim(db, ALICE, leads["rights"], 45)
    desk.not_relevant(db, ALICE, leads["rights"])
    assert mdb.get_lead(db, leads["rights"])["status"] == "not_relevant"
    (label,) = mdb.labels(db)
    assert label["origin"] == "not_relevant"
    assert label["username"] == "alice"
    assert (label["distress"], label["crisis"], label["rights"]) == (0, 0, 0)
    assert "[email]" in label["text"]
    assert "jean.exemple@example.org" not in label["text"]


def test_release_escalate_and_note(db, leads):
    lead_id = leads["minor"]
    desk.claim(db, ALICE, lead_id, 45)
    desk.release(db, ALICE, lead_id)
    assert mdb.get_lead(db, lead_id)["status"] == "new"
    desk.claim(db, BOB, lead_id, 45)
    desk.escalate(db, BOB, lead_id, "mineur, à voir")
    desk.note(db, ALICE, lead_id, "appelé le 119")
    lead = mdb.get_lead(db, lead_id)
    assert lead["status"] == "escalated"
    assert "appelé le 119" in lead["note"]
    assert [a for _, a, _ in audit_actions(db)] == [
        "claim",
        "release",
        "claim",
        "escalate",
        "note",
    ]


def test_the_audit_log_never_holds_post_text(db, leads):
    desk.view_lead(db, ALICE, leads["rights"])
    desk.claim(db, ALICE, leads["rights"], 45)
    desk.note(db, ALICE, leads["rights"], "note privée")
    desk.reply(db, ALICE, leads["rights"], "Bonjour, voici le lien.")
    dumped = json.dumps(mdb.audit_entries(db), ensure_ascii=False)
    assert "RSA" not in dumped
    assert "Bonjour" not in dumped
    assert "note privée" not in dumped
