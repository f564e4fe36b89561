"""Escalation and follow-up (#16): transitions allowed and refused, role checks,
outcomes counted on the Activity figures."""

from __future__ import annotations

import pytest

from maraude import db as mdb
from maraude.errors import ClaimError, InputError, PermissionDenied
from maraude.ops import desk

ALICE = {"username": "alice", "role": "worker"}
BOB = {"username": "bob", "role": "worker"}
SAM = {"username": "sam", "role": "senior"}
ADA = {"username": "ada", "role": "admin"}
MOD = {"username": "mod", "role": "moderator"}


def escalated(db, lead_id: int, by=ALICE, why: str = "crise, besoin d'un avis"):
    desk.claim(db, by, lead_id, 45)
    desk.escalate(db, by, lead_id, why)
    return mdb.get_lead(db, lead_id)


def test_escalating_needs_a_reason(db, leads):
    desk.claim(db, ALICE, leads["crisis"], 45)
    with pytest.raises(InputError, match="pourquoi"):
        desk.escalate(db, ALICE, leads["crisis"], "   ")
    assert mdb.get_lead(db, leads["crisis"])["status"] == "claimed"


def test_escalating_lets_go_of_the_claim_and_keeps_who_and_why(db, leads):
    lead = escalated(db, leads["crisis"])
    assert lead["status"] == "escalated"
    assert lead["claimed_by"] is None
    assert lead["escalated_by"] == "alice"
    assert lead["escalated_at"]
    assert "alice (transmis) : crise, besoin d'un avis" in lead["note"]


def test_a_replied_lead_can_still_be_escalated_by_whoever_replied(db, leads):
    desk.claim(db, ALICE, leads["crisis"], 45)
    desk.reply(db, ALICE, leads["crisis"], "Bonjour, le 3114 répond.")
    with pytest.raises(ClaimError):
        desk.escalate(db, BOB, leads["crisis"], "pas le mien")
    desk.escalate(db, ALICE, leads["crisis"], "je reste inquiète")
    lead = mdb.get_lead(db, leads["crisis"])
    assert (lead["status"], lead["reply_text"]) == (
        "escalated",
        "Bonjour, le 3114 répond.",
    )


def test_a_lead_not_held_cannot_be_escalated(db, leads):
    with pytest.raises(ClaimError, match="prenez-le en charge"):
        desk.escalate(db, ALICE, leads["rights"], "à voir")
    assert mdb.get_lead(db, leads["rights"])["status"] == "new"


def test_a_senior_takes_an_escalated_lead_and_holds_it_with_no_expiry(db, leads):
    escalated(db, leads["crisis"])
    assert [x["id"] for x in desk.escalated_list(db, SAM)] == [leads["crisis"]]
    desk.take(db, SAM, leads["crisis"])
    lead = mdb.get_lead(db, leads["crisis"])
    assert (lead["status"], lead["claimed_by"]) == ("claimed", "sam")
    assert lead["claim_expires_at"] is None
    # Still in the seniors' view (taken), never claimable from the queue.
    assert [x["status"] for x in mdb.escalated_leads(db)] == ["claimed"]
    with pytest.raises(ClaimError):
        desk.claim(db, BOB, leads["crisis"], 45)
    assert mdb.claim_next(db, "bob") != leads["crisis"]


@pytest.mark.parametrize("user", [ALICE, MOD])
def test_only_seniors_and_admins_handle_escalated_leads(db, leads, user):
    escalated(db, leads["crisis"], by=BOB)
    for action, args in (
        (desk.take, ()),
        (desk.close, ()),
        (desk.send_back, ("note",)),
        (desk.give_back, ()),
    ):
        with pytest.raises(PermissionDenied):
            action(db, user, leads["crisis"], *args)
    with pytest.raises(PermissionDenied):
        desk.escalated_list(db, user)
    assert mdb.get_lead(db, leads["crisis"])["status"] == "escalated"
    denied = [r for r in mdb.audit_entries(db) if r["action"] == "denied"]
    assert len(denied) == 5


def test_only_an_escalated_lead_can_be_taken(db, leads):
    with pytest.raises(ClaimError, match="transmis"):
        desk.take(db, SAM, leads["rights"])
    assert mdb.get_lead(db, leads["rights"])["status"] == "new"


def test_a_second_senior_cannot_take_a_taken_lead(db, leads):
    escalated(db, leads["crisis"])
    desk.take(db, SAM, leads["crisis"])
    with pytest.raises(ClaimError, match="sam"):
        desk.take(db, ADA, leads["crisis"])


def test_the_senior_closes_a_lead_they_hold(db, leads):
    escalated(db, leads["crisis"])
    with pytest.raises(ClaimError):  # take it first
        desk.close(db, SAM, leads["crisis"])
    desk.take(db, SAM, leads["crisis"])
    with pytest.raises(ClaimError):  # held by sam, not ada
        desk.close(db, ADA, leads["crisis"])
    desk.close(db, SAM, leads["crisis"], "appel au 15 fait")
    lead = mdb.get_lead(db, leads["crisis"])
    assert lead["status"] == "closed"
    assert "sam (clos) : appel au 15 fait" in lead["note"]
    assert mdb.escalated_leads(db) == []


def test_the_senior_answers_a_lead_they_took(db, leads):
    escalated(db, leads["crisis"])
    desk.take(db, SAM, leads["crisis"])
    desk.reply(db, SAM, leads["crisis"], "Réponse de la responsable.")
    lead = mdb.get_lead(db, leads["crisis"])
    assert (lead["status"], lead["claimed_by"]) == ("replied", "sam")


def test_send_back_needs_a_note_and_makes_the_lead_new_again(db, leads):
    escalated(db, leads["minor"])
    desk.take(db, SAM, leads["minor"])
    with pytest.raises(InputError, match="note"):
        desk.send_back(db, SAM, leads["minor"], "")
    desk.send_back(db, SAM, leads["minor"], "répondre publiquement, 119 cité")
    lead = mdb.get_lead(db, leads["minor"])
    assert (lead["status"], lead["claimed_by"]) == ("new", None)
    assert "sam (remis dans la file) : répondre publiquement" in lead["note"]
    desk.claim(db, BOB, leads["minor"], 45)  # a worker can take it again


def test_give_back_returns_the_lead_to_the_seniors(db, leads):
    escalated(db, leads["crisis"])
    desk.take(db, SAM, leads["crisis"])
    desk.give_back(db, SAM, leads["crisis"])
    assert mdb.get_lead(db, leads["crisis"])["status"] == "escalated"
    desk.claim(db, ALICE, leads["rights"], 45)
    with pytest.raises(ClaimError):  # an ordinary claim is not an escalation
        desk.give_back(db, SAM, leads["rights"])


def test_outcomes_need_a_reply_and_the_replier_or_a_senior(db, leads):
    lead_id = leads["rights"]
    desk.claim(db, ALICE, lead_id, 45)
    with pytest.raises(ClaimError, match="répondu"):
        desk.record_outcome(db, ALICE, lead_id, "answered")
    desk.reply(db, ALICE, lead_id, "Bonjour, voici le lien.")
    with pytest.raises(InputError, match="inconnue"):
        desk.record_outcome(db, ALICE, lead_id, "great")
    with pytest.raises(PermissionDenied):
        desk.record_outcome(db, BOB, lead_id, "answered")
    with pytest.raises(PermissionDenied):
        desk.record_outcome(db, MOD, lead_id, "answered")
    desk.record_outcome(db, ALICE, lead_id, "no_news")
    desk.record_outcome(db, SAM, lead_id, "oriented")  # a senior corrects it
    lead = mdb.get_lead(db, lead_id)
    assert (lead["outcome"], lead["status"]) == ("oriented", "replied")
    assert mdb.outcome_summary(db, 30)["outcomes"] == {"oriented": 1}


def test_my_leads_lists_held_replied_and_escalated_ones_only(db, leads):
    desk.claim(db, ALICE, leads["rights"], 45)
    desk.claim(db, ALICE, leads["hostile"], 45)
    desk.reply(db, ALICE, leads["hostile"], "Bonjour.")
    escalated(db, leads["crisis"])
    desk.take(db, SAM, leads["crisis"])
    desk.claim(db, BOB, leads["minor"], 45)
    mine = {x["id"]: x["status"] for x in mdb.my_leads(db, "alice")}
    assert mine == {
        leads["rights"]: "claimed",
        leads["hostile"]: "replied",
        leads["crisis"]: "claimed",  # escalated by alice, now held by sam
    }
    assert {x["id"] for x in mdb.my_leads(db, "bob")} == {leads["minor"]}


def test_outcome_counts_only_count_the_period(db, leads):
    desk.claim(db, ALICE, leads["rights"], 45)
    desk.reply(db, ALICE, leads["rights"], "Bonjour.")
    desk.record_outcome(db, ALICE, leads["rights"], "answered")
    assert mdb.outcome_counts(db, "1970-01-01T00:00:00Z") == {"answered": 1}
    assert mdb.outcome_counts(db, "9999-01-01T00:00:00Z") == {}
