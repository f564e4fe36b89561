"""Escalation and follow-up (#16): the seniors' side of an escalated lead, the
outcome of a reply, and the lists behind the "Transmis" and "Mes leads" pages.

Transitions (docs/contracts.md):

* ``escalated`` → ``claimed``: a senior takes the lead (:func:`take_escalated`);
  the hold has no expiry (``claim_expires_at`` NULL), so the lead never falls
  back into the workers' queue while a senior has it;
* held by the senior → ``replied`` (:func:`maraude.db.claims.mark_replied`),
  ``new`` with a note (:func:`send_back`), ``closed`` (:func:`close_lead`), or
  back to ``escalated`` (:func:`return_to_seniors`);
* a replied lead records an outcome (:func:`set_outcome`).

Roles are checked by the caller (:mod:`maraude.ops.desk`); these functions
check statuses and holders, atomically, and raise :class:`ClaimError` (a held
lead changes through :func:`maraude.db.claims.update_held`, as a worker's does).
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from maraude.db.claims import STATUS_NAMES as STATUS_NAMES  # wording reads it here
from maraude.db.claims import fail, update_held
from maraude.db.core import now_iso
from maraude.db.schema import OUTCOMES

#: Columns the follow-up lists return (no post text beyond the excerpt fields).
_COLUMNS = (
    "l.id, l.post_id, l.status, l.priority, l.labels, l.rights_topics, l.minor, "
    "l.crisis, l.crisis_level, l.claimed_by, l.claim_expires_at, l.replied_at, "
    "l.escalated_by, l.escalated_at, l.outcome, l.outcome_at, l.note, "
    "l.updated_at, l.created_at, p.platform, p.source, p.title, p.text"
)


def _rows(
    db: Database, where: str, params: list[Any] | dict[str, Any], order: str
) -> list[dict[str, Any]]:
    rows = []
    for row in db.query(
        f"SELECT {_COLUMNS} FROM leads l JOIN posts p ON p.id = l.post_id "
        f"WHERE {where} ORDER BY {order}",
        params,
    ):
        row["labels"] = json.loads(row["labels"])
        row["rights_topics"] = json.loads(row["rights_topics"])
        rows.append(row)
    return rows


def take_escalated(db: Database, lead_id: int, username: str) -> None:
    """A senior takes an escalated lead: ``claimed``, held by them, no expiry."""
    now = now_iso()
    cur = db.execute(
        "UPDATE leads SET status = 'claimed', claimed_by = ?, claimed_at = ?, "
        "claim_expires_at = NULL, touched = 1, updated_at = ? "
        "WHERE id = ? AND status = 'escalated'",
        [username, now, now, lead_id],
    )
    if cur.rowcount != 1:
        fail(
            db,
            lead_id,
            "seul un signalement transmis peut être pris par un·e responsable",
        )


def _held_by(username: str) -> str:
    return f"il faut qu'il soit pris en charge par {username}"


def _note(username: str, what: str, text: str) -> tuple[str, str]:
    return (
        "note = trim(coalesce(note, '') || char(10) || ?)",
        f"{username} ({what}) : {text}",
    )


def send_back(db: Database, lead_id: int, username: str, note: str) -> None:
    """Put a held lead back in the queue (``new``) with a note for the next worker."""
    sets, line = _note(username, "remis dans la file", note)
    update_held(
        db,
        lead_id,
        username,
        "status = 'new', claimed_by = NULL, claimed_at = NULL, "
        f"claim_expires_at = NULL, {sets}",
        [line],
        wanted=_held_by(username),
    )


def close_lead(db: Database, lead_id: int, username: str, note: str = "") -> None:
    """Close a held lead (``closed``): nothing more to do; an optional note."""
    sets, line = _note(username, "clos", note)
    update_held(
        db,
        lead_id,
        username,
        f"status = 'closed', claim_expires_at = NULL, {sets}"
        if note
        else "status = 'closed', claim_expires_at = NULL",
        [line] if note else [],
        wanted=_held_by(username),
    )


def return_to_seniors(db: Database, lead_id: int, username: str) -> None:
    """A senior lets go of an escalated lead they took: ``escalated`` again."""
    cur = db.execute(
        "UPDATE leads SET status = 'escalated', claimed_by = NULL, "
        "claimed_at = NULL, claim_expires_at = NULL, touched = 1, updated_at = ? "
        "WHERE id = ? AND status = 'claimed' AND claimed_by = ? "
        "AND escalated_at IS NOT NULL",
        [now_iso(), lead_id, username],
    )
    if cur.rowcount != 1:
        fail(
            db,
            lead_id,
            f"seul un signalement transmis pris par {username} peut être rendu",
        )


def set_outcome(db: Database, lead_id: int, outcome: str) -> None:
    """Record what came of the reply (``answered``, ``oriented``, ``no_news``);
    the lead must have been replied to. A later call replaces the outcome."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    now = now_iso()
    cur = db.execute(
        "UPDATE leads SET outcome = ?, outcome_at = ?, updated_at = ? "
        "WHERE id = ? AND status = 'replied' AND replied_at IS NOT NULL",
        [outcome, now, now, lead_id],
    )
    if cur.rowcount != 1:
        fail(db, lead_id, "seul un signalement répondu reçoit une suite")


def escalated_leads(db: Database, limit: int = 200) -> list[dict[str, Any]]:
    """The seniors' view: escalated leads, then those a senior has taken
    (held with no expiry), each by priority."""
    return _rows(
        db,
        "l.status = 'escalated' OR (l.status = 'claimed' "
        "AND l.escalated_at IS NOT NULL AND l.claim_expires_at IS NULL)",
        [],
        f"l.status = 'claimed', l.priority DESC, l.id LIMIT {int(limit)}",
    )


def my_leads(db: Database, username: str, limit: int = 200) -> list[dict[str, Any]]:
    """The worker's own view: leads they hold or replied to, and leads they
    escalated (whatever became of them), most recently changed first."""
    return _rows(
        db,
        "(l.status IN ('claimed', 'replied') AND l.claimed_by = :u) "
        "OR l.escalated_by = :u",
        {"u": username},
        f"l.updated_at DESC, l.id DESC LIMIT {int(limit)}",
    )


def outcome_counts(db: Database, since: str) -> dict[str, int]:
    """Outcomes recorded for replies of leads created since ``since``."""
    rows = db.execute(
        "SELECT outcome, count(*) FROM leads WHERE outcome IS NOT NULL "
        "AND created_at >= ? GROUP BY outcome",
        [since],
    ).fetchall()
    return {outcome: n for outcome, n in rows}
