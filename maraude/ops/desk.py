"""The desk: what a worker or a senior does to a lead, checked and audited.

Each operation takes ``(db, actor, ...)``, checks the actor's role against
:data:`maraude.vocab.PERMISSIONS` (a refusal is audited and raises
:class:`PermissionDenied`), calls :mod:`maraude.db`, and writes one audit line
(action name and lead id, never post text). The dashboard's pages and
``maraude leads`` call these functions.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from maraude import db as mdb
from maraude.errors import InputError
from maraude.ops import guard
from maraude.ops.guard import ActorLike, can, record, require
from maraude.privacy import mask_text

logger = logging.getLogger(__name__)

#: French names of the outcomes of a reply (maraude.db.OUTCOMES).
OUTCOME_NAMES = {
    "answered": "la personne a eu sa réponse",
    "oriented": "orientée vers un service",
    "no_news": "sans nouvelles",
}


def view_lead(
    db: Database, who: ActorLike, lead_id: int, *, record: bool = True
) -> dict[str, Any] | None:
    """The lead with its post, scores and explanation; None if it does not exist.

    ``record=False`` skips the audit line (a page re-rendering a lead it
    already recorded).
    """
    actor = require(db, who, "view", lead_id)
    lead = mdb.get_lead(db, lead_id)
    if lead is not None and record:
        guard.record(db, actor, "view", "lead", lead_id)
    return lead


def list_leads(
    db: Database,
    who: ActorLike,
    statuses: Sequence[str] = mdb.OPEN_STATUSES,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Leads in the queue's order (``maraude leads``); the listing is audited
    with its length."""
    actor = require(db, who, "leads_listed", None, "leads")
    rows = mdb.list_leads(db, statuses=statuses, limit=limit)
    record(db, actor, "leads_listed", "leads", None, {"n": len(rows)})
    return rows


def claim(db: Database, who: ActorLike, lead_id: int, minutes: int) -> None:
    """Claim a lead for ``minutes``; :class:`ClaimError` if someone else holds it."""
    actor = require(db, who, "claim", lead_id)
    mdb.claim_lead(db, lead_id, actor.username, minutes)
    record(db, actor, "claim", "lead", lead_id)


def next_lead(db: Database, who: ActorLike, minutes: int) -> int | None:
    """Claim the top claimable lead in one step; its id, or None if none is left
    (then nothing is audited: nothing changed)."""
    actor = require(db, who, "claim", None)
    lead_id = mdb.claim_next(db, actor.username, minutes)
    if lead_id is not None:
        record(db, actor, "claim", "lead", lead_id, {"next": True})
    return lead_id


def release(db: Database, who: ActorLike, lead_id: int) -> None:
    """Let go of a lead the actor holds: back in the queue."""
    actor = require(db, who, "release", lead_id)
    mdb.release_lead(db, lead_id, actor.username)
    record(db, actor, "release", "lead", lead_id)


def reply(db: Database, who: ActorLike, lead_id: int, text: str) -> None:
    """Record that the actor answered on the platform, with the text they sent."""
    actor = require(db, who, "reply", lead_id)
    if not text.strip():
        raise InputError("Paste the reply you sent before marking the lead replied.")
    mdb.mark_replied(db, lead_id, actor.username, text.strip())
    record(db, actor, "reply", "lead", lead_id, {"chars": len(text.strip())})


def not_relevant(db: Database, who: ActorLike, lead_id: int) -> None:
    """Close a lead as not relevant and keep it, masked, as a negative example."""
    actor = require(db, who, "not_relevant", lead_id)
    lead = mdb.get_lead(db, lead_id)
    mdb.mark_not_relevant(db, lead_id, actor.username)
    if lead is not None:
        text = "\n".join(t for t in (lead.get("title"), lead.get("text")) if t)
        label = {
            "post_id": lead["post_id"],
            "text": mask_text(text),
            "distress": 0,
            "crisis": 0,
            "rights": 0,
            "rights_topics": [],
        }
        mdb.add_label(db, label, actor.username, "not_relevant")
    record(db, actor, "not_relevant", "lead", lead_id)


def escalate(db: Database, who: ActorLike, lead_id: int, note: str = "") -> None:
    """Hand a lead the actor holds (or replied to) to the seniors; the reason
    is required (:class:`InputError` when empty)."""
    actor = require(db, who, "escalate", lead_id)
    if not note.strip():
        raise InputError(
            "Dites pourquoi vous transmettez ce signalement (par exemple « crise, "
            "besoin d'un avis »), puis cliquez de nouveau sur « Transmettre »."
        )
    mdb.escalate_lead(db, lead_id, actor.username, note.strip())
    record(db, actor, "escalate", "lead", lead_id)


def note(db: Database, who: ActorLike, lead_id: int, text: str) -> None:
    """Append a note to a lead (kept with the lead, not in the audit log); an
    empty note changes nothing and is not audited."""
    actor = require(db, who, "note", lead_id)
    if not text.strip():
        return
    mdb.add_note(db, lead_id, actor.username, text.strip())
    record(db, actor, "note", "lead", lead_id)


def page_view(db: Database, who: ActorLike, page: str) -> None:
    """Record that the actor opened a page of figures or settings (audited)."""
    actor = require(db, who, "page_view", page, "page")
    record(db, actor, "page_view", "page", page)


# -- escalation and follow-up (#16) ------------------------------------------------


def take(db: Database, who: ActorLike, lead_id: int) -> None:
    """A senior takes an escalated lead (``claimed``, held by them, no expiry)."""
    actor = require(db, who, "take_escalated", lead_id)
    mdb.take_escalated(db, lead_id, actor.username)
    record(db, actor, "take_escalated", "lead", lead_id)


def send_back(db: Database, who: ActorLike, lead_id: int, text: str) -> None:
    """A senior puts a lead they hold back in the queue (``new``) with a note."""
    actor = require(db, who, "send_back", lead_id)
    if not text.strip():
        raise InputError(
            "Écrivez une note pour la personne qui reprendra ce signalement (ce "
            "qui a été fait, ce qu'il reste à faire), puis renvoyez-le dans la file."
        )
    mdb.send_back(db, lead_id, actor.username, text.strip())
    record(db, actor, "send_back", "lead", lead_id)


def close(db: Database, who: ActorLike, lead_id: int, text: str = "") -> None:
    """A senior closes a lead they hold (``closed``), with an optional note."""
    actor = require(db, who, "close", lead_id)
    mdb.close_lead(db, lead_id, actor.username, text.strip())
    record(db, actor, "close", "lead", lead_id)


def give_back(db: Database, who: ActorLike, lead_id: int) -> None:
    """A senior lets go of an escalated lead they took: ``escalated`` again."""
    actor = require(db, who, "give_back", lead_id)
    mdb.return_to_seniors(db, lead_id, actor.username)
    record(db, actor, "give_back", "lead", lead_id)


def record_outcome(db: Database, who: ActorLike, lead_id: int, outcome: str) -> None:
    """Record what came of a reply. A worker records it for their own replies;
    a senior or an admin for any replied lead."""
    actor = require(db, who, "outcome", lead_id)
    if outcome not in mdb.OUTCOMES:
        raise InputError(
            f"Suite inconnue ({outcome}) : choisissez parmi "
            + ", ".join(OUTCOME_NAMES.values())
            + "."
        )
    lead = mdb.get_lead(db, lead_id)
    if lead is None:
        raise InputError(f"Le signalement {lead_id} n'existe pas (ou plus).")
    if lead["claimed_by"] != actor.username:
        require(db, actor, "outcome_any", lead_id)  # audited when refused
    mdb.set_outcome(db, lead_id, outcome)
    record(db, actor, "outcome", "lead", lead_id, {"outcome": outcome})


def escalated_list(db: Database, who: ActorLike) -> list[dict[str, Any]]:
    """The seniors' view of escalated leads (seniors and admins only)."""
    require(db, who, "view_escalated", "escalated", "page")
    return mdb.escalated_leads(db)


def is_senior(who: ActorLike) -> bool:
    """Whether ``who`` handles escalated leads (takes, sends back, closes)."""
    return can(who, "take_escalated")


def can_act(who: ActorLike) -> bool:
    """Whether ``who`` claims, replies to and changes leads (moderators label;
    they never hold or answer a lead)."""
    return can(who, "claim")
