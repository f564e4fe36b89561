"""What a signed-in user can do to a lead, checked server-side and audited.

Plain functions, no Streamlit: the pages call them, and tests call them directly.
``user`` is ``{"username": ..., "role": ...}`` as loaded from the ``users`` table
at sign-in. Each action checks the role, calls :mod:`maraude.db`, and appends one
line to the audit log (action name and lead id, never post text).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlite_utils import Database

from maraude import db as mdb
from maraude.errors import InputError, PermissionDenied
from maraude.privacy import mask_text

logger = logging.getLogger(__name__)

#: Roles that may view leads (every role).
VIEW_ROLES = frozenset(mdb.ROLES)
#: Roles that may claim, reply to, and change leads. Moderators label; they
#: never hold or answer a lead.
ACT_ROLES = frozenset({"worker", "senior", "admin"})

User = dict[str, Any]


def can_act(user: User) -> bool:
    return user.get("role") in ACT_ROLES


def require(
    db: Database,
    user: User,
    roles: frozenset[str],
    action: str,
    object_id: int | str | None,
    object_type: str = "lead",
) -> None:
    """Raise :class:`PermissionDenied` (audited) unless the role is in ``roles``."""
    if user.get("role") in roles:
        return
    mdb.audit(
        db,
        user.get("username", "?"),
        "denied",
        object_type,
        object_id,
        {"action": action},
    )
    raise PermissionDenied(
        f"Your role ({user.get('role')}) does not allow this action ({action}). "
        "Ask an administrator if you need it."
    )


def _audit(
    db: Database, user: User, action: str, lead_id: int | None, **detail: Any
) -> None:
    mdb.audit(db, user["username"], action, "lead", lead_id, detail or None)
    logger.info("%s: %s lead %s", user["username"], action, lead_id)


def view_lead(
    db: Database, user: User, lead_id: int, *, record: bool = True
) -> dict[str, Any] | None:
    """The lead with its post, scores and explanation; None if it does not exist.

    ``record=False`` skips the audit line (a page re-rendering a lead it already
    recorded).
    """
    require(db, user, VIEW_ROLES, "view", lead_id)
    lead = mdb.get_lead(db, lead_id)
    if lead is not None and record:
        _audit(db, user, "view", lead_id)
    return lead


def claim(db: Database, user: User, lead_id: int, minutes: int) -> None:
    """Claim a lead for ``minutes``; :class:`ClaimError` if someone else holds it."""
    require(db, user, ACT_ROLES, "claim", lead_id)
    mdb.claim_lead(db, lead_id, user["username"], minutes)
    _audit(db, user, "claim", lead_id)


def next_lead(db: Database, user: User, minutes: int) -> int | None:
    """Claim the top claimable lead in one step; its id, or None if none is left."""
    require(db, user, ACT_ROLES, "claim", None)
    lead_id = mdb.claim_next(db, user["username"], minutes)
    if lead_id is not None:
        _audit(db, user, "claim", lead_id, next=True)
    return lead_id


def release(db: Database, user: User, lead_id: int) -> None:
    require(db, user, ACT_ROLES, "release", lead_id)
    mdb.release_lead(db, lead_id, user["username"])
    _audit(db, user, "release", lead_id)


def reply(db: Database, user: User, lead_id: int, text: str) -> None:
    """Record that the user answered on the platform, with the text they sent."""
    require(db, user, ACT_ROLES, "reply", lead_id)
    if not text.strip():
        raise InputError("Paste the reply you sent before marking the lead replied.")
    mdb.mark_replied(db, lead_id, user["username"], text.strip())
    _audit(db, user, "reply", lead_id, chars=len(text.strip()))


def not_relevant(db: Database, user: User, lead_id: int) -> None:
    """Close a lead as not relevant and keep it, masked, as a negative example."""
    require(db, user, ACT_ROLES, "not_relevant", lead_id)
    lead = mdb.get_lead(db, lead_id)
    mdb.mark_not_relevant(db, lead_id, user["username"])
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
        mdb.add_label(db, label, user["username"], "not_relevant")
    _audit(db, user, "not_relevant", lead_id)


def escalate(db: Database, user: User, lead_id: int, note: str = "") -> None:
    """Hand a lead the user holds (or replied to) to the seniors; the reason is
    required (:class:`InputError` when empty)."""
    require(db, user, ACT_ROLES, "escalate", lead_id)
    if not note.strip():
        raise InputError(
            "Dites pourquoi vous transmettez ce signalement (par exemple « crise, "
            "besoin d'un avis »), puis cliquez de nouveau sur « Transmettre »."
        )
    mdb.escalate_lead(db, lead_id, user["username"], note.strip())
    _audit(db, user, "escalate", lead_id)


def note(db: Database, user: User, lead_id: int, text: str) -> None:
    """Append a note to a lead (kept with the lead, not in the audit log)."""
    require(db, user, ACT_ROLES, "note", lead_id)
    if not text.strip():
        return
    mdb.add_note(db, lead_id, user["username"], text.strip())
    _audit(db, user, "note", lead_id)


def view_page(db: Database, user: User, page: str) -> None:
    """Record that the user opened a page of figures or settings (audited)."""
    require(db, user, VIEW_ROLES, "page_view", page, "page")
    mdb.audit(db, user["username"], "page_view", "page", page)


# -- escalation and follow-up (#16) ------------------------------------------------

#: Roles that handle escalated leads: take, send back to the queue, close.
SENIOR_ROLES = frozenset({"senior", "admin"})
#: French names of the outcomes of a reply (maraude.db.OUTCOMES).
OUTCOME_NAMES = {
    "answered": "la personne a eu sa réponse",
    "oriented": "orientée vers un service",
    "no_news": "sans nouvelles",
}


def is_senior(user: User) -> bool:
    return user.get("role") in SENIOR_ROLES


def take(db: Database, user: User, lead_id: int) -> None:
    """A senior takes an escalated lead (``claimed``, held by them, no expiry)."""
    require(db, user, SENIOR_ROLES, "take_escalated", lead_id)
    mdb.take_escalated(db, lead_id, user["username"])
    _audit(db, user, "take_escalated", lead_id)


def send_back(db: Database, user: User, lead_id: int, text: str) -> None:
    """A senior puts a lead they hold back in the queue (``new``) with a note."""
    require(db, user, SENIOR_ROLES, "send_back", lead_id)
    if not text.strip():
        raise InputError(
            "Écrivez une note pour la personne qui reprendra ce signalement (ce "
            "qui a été fait, ce qu'il reste à faire), puis renvoyez-le dans la file."
        )
    mdb.send_back(db, lead_id, user["username"], text.strip())
    _audit(db, user, "send_back", lead_id)


def close(db: Database, user: User, lead_id: int, text: str = "") -> None:
    """A senior closes a lead they hold (``closed``), with an optional note."""
    require(db, user, SENIOR_ROLES, "close", lead_id)
    mdb.close_lead(db, lead_id, user["username"], text.strip())
    _audit(db, user, "close", lead_id)


def give_back(db: Database, user: User, lead_id: int) -> None:
    """A senior lets go of an escalated lead they took: ``escalated`` again."""
    require(db, user, SENIOR_ROLES, "give_back", lead_id)
    mdb.return_to_seniors(db, lead_id, user["username"])
    _audit(db, user, "give_back", lead_id)


def record_outcome(db: Database, user: User, lead_id: int, outcome: str) -> None:
    """Record what came of a reply. A worker records it for their own replies;
    a senior or an admin for any replied lead."""
    require(db, user, ACT_ROLES, "outcome", lead_id)
    if outcome not in mdb.OUTCOMES:
        raise InputError(
            f"Suite inconnue ({outcome}) : choisissez parmi "
            + ", ".join(OUTCOME_NAMES.values())
            + "."
        )
    lead = mdb.get_lead(db, lead_id)
    if lead is None:
        raise InputError(f"Le signalement {lead_id} n'existe pas (ou plus).")
    if not is_senior(user) and lead["claimed_by"] != user["username"]:
        require(db, user, SENIOR_ROLES, "outcome", lead_id)  # audited, refused
    mdb.set_outcome(db, lead_id, outcome)
    _audit(db, user, "outcome", lead_id, outcome=outcome)


def escalated_list(db: Database, user: User) -> list[dict[str, Any]]:
    """The seniors' view of escalated leads (seniors and admins only)."""
    require(db, user, SENIOR_ROLES, "view_escalated", "escalated", "page")
    return mdb.escalated_leads(db)
