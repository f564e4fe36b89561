"""Claims: one worker holds a lead, then replies, lets go, or hands it on.

A lead is claimable when it is ``new`` or its claim has expired. Every change
of a held lead goes through :func:`update_held`, one guarded ``UPDATE`` (the
lead must be ``claimed`` by that user), shared with the seniors' transitions
of :mod:`maraude.db.followup`. Roles are checked by the caller
(:mod:`maraude.ops`); these functions check statuses and holders, atomically,
and raise :class:`ClaimError`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from maraude.db.core import now_iso
from maraude.db.dialect import claim_locks
from maraude.db.leads import queue_order, refresh_priorities
from maraude.db.users import user_territories
from maraude.errors import ClaimError

#: Lead statuses in French, as the dashboard and its error messages name them.
STATUS_NAMES = {
    "new": "nouveau",
    "claimed": "pris en charge",
    "replied": "répondu",
    "not_relevant": "non pertinent",
    "escalated": "transmis",
    "closed": "clos",
}


def fail(db: Database, lead_id: int, wanted: str) -> None:
    """Raise :class:`ClaimError` naming the lead's current status and holder,
    and ``wanted`` (what the transition needed)."""
    row = db.execute(
        "SELECT status, claimed_by FROM leads WHERE id = ?", [lead_id]
    ).fetchone()
    if row is None:
        raise ClaimError(f"Le signalement {lead_id} n'existe pas.")
    holder = f" ({row[1]})" if row[1] and row[0] == "claimed" else ""
    raise ClaimError(
        f"Le signalement {lead_id} est {STATUS_NAMES.get(row[0], row[0])}{holder} : "
        f"{wanted}. "
        "Rechargez la page pour voir son état actuel."
    )


def update_held(
    db: Database,
    lead_id: int,
    username: str,
    sets: str,
    params: list[Any],
    *,
    wanted: str | None = None,
) -> None:
    """Apply ``sets`` (SQL assignments, their ``params``) to a lead that
    ``username`` holds; :class:`ClaimError` otherwise.

    The error names the lead's status (:func:`fail`) when ``wanted`` says what
    the transition needed; without it, it asks the user to claim the lead.
    """
    cur = db.execute(
        f"UPDATE leads SET {sets}, touched = 1, updated_at = ? "
        "WHERE id = ? AND status = 'claimed' AND claimed_by = ?",
        [*params, now_iso(), lead_id, username],
    )
    if cur.rowcount == 1:
        return
    if wanted is not None:
        fail(db, lead_id, wanted)
    raise ClaimError(f"Lead {lead_id} is not claimed by {username}: claim it first.")


def _claimable(prefix: str = "") -> str:
    """SQL: the lead is new, or its claim has expired (one ``?``: now)."""
    return (
        f"({prefix}status = 'new' OR ({prefix}status = 'claimed' "
        f"AND {prefix}claim_expires_at < ?))"
    )


def _expiry(minutes: int) -> tuple[str, str]:
    now = datetime.now(UTC)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return now.strftime(fmt), (now + timedelta(minutes=minutes)).strftime(fmt)


def claim_lead(db: Database, lead_id: int, username: str, minutes: int = 45) -> None:
    """Claim one lead atomically; :class:`ClaimError` if someone else holds it."""
    now, expires = _expiry(minutes)
    cur = db.execute(
        "UPDATE leads SET status = 'claimed', claimed_by = ?, claimed_at = ?, "
        "claim_expires_at = ?, touched = 1, updated_at = ? "
        f"WHERE id = ? AND ({_claimable()} OR "
        "(status = 'claimed' AND claimed_by = ?))",
        [username, now, expires, now, lead_id, now, username],
    )
    if cur.rowcount != 1:
        row = db.execute(
            "SELECT status, claimed_by FROM leads WHERE id = ?", [lead_id]
        ).fetchone()
        if row is None:
            raise ClaimError(f"Lead {lead_id} does not exist.")
        raise ClaimError(
            f"Lead {lead_id} is already {row[0]}"
            + (f" by {row[1]}" if row[1] else "")
            + ". Pick another lead."
        )


def _any_free(db: Database, now: str) -> bool:
    """True while some lead is claimable (a plain read: it never waits)."""
    free = f"SELECT 1 FROM leads l WHERE {_claimable('l.')} LIMIT 1"
    return db.execute(free, [now]).fetchone() is not None


def claim_next(db: Database, username: str, minutes: int = 45) -> int | None:
    """Claim the top claimable lead in one statement; its id, or None if none.

    The top is the first of ``username``'s queue (their territories first)."""
    now, expires = _expiry(minutes)
    order, order_params = queue_order(user_territories(db, username))
    # RETURNING keeps the statement open until its rows are read: fetch them
    # inside an explicit transaction so it is committed at once.
    refresh_priorities(db)
    for lock in claim_locks(db):  # PostgreSQL: skip rows being claimed
        with db.atomic():
            rows = db.execute(
                "UPDATE leads SET status = 'claimed', claimed_by = ?, "
                "claimed_at = ?, claim_expires_at = ?, touched = 1, updated_at = ? "
                "WHERE id = (SELECT l.id FROM leads l "
                f"WHERE {_claimable('l.')} ORDER BY {order} LIMIT 1{lock}) "
                f"AND {_claimable()} RETURNING id",
                [username, now, expires, now, now, *order_params, now],
            ).fetchall()
        if rows:
            return int(rows[0][0])
        if not lock or not _any_free(db, now):
            break
    return None


def release_lead(db: Database, lead_id: int, username: str) -> None:
    """Let go of a held lead: ``new`` again, claimable by anyone."""
    update_held(
        db,
        lead_id,
        username,
        "status = 'new', claimed_by = NULL, claimed_at = NULL, claim_expires_at = NULL",
        [],
    )


def mark_replied(db: Database, lead_id: int, username: str, reply_text: str) -> None:
    """Record the reply the holder sent on the platform (``replied``)."""
    update_held(
        db,
        lead_id,
        username,
        "status = 'replied', replied_at = ?, reply_text = ?",
        [now_iso(), reply_text],
    )


def mark_not_relevant(db: Database, lead_id: int, username: str) -> None:
    """Close a held lead as not relevant (``not_relevant``)."""
    update_held(db, lead_id, username, "status = 'not_relevant'", [])


def escalate_lead(db: Database, lead_id: int, username: str, note: str = "") -> None:
    """Hand a lead to the seniors (``escalated``): one the user holds, or one
    they replied to (the reply stays recorded). The claim is let go; the
    reason is appended to the notes; ``escalated_by``/``escalated_at`` keep
    who and when (docs/contracts.md, transitions)."""
    now = now_iso()
    cur = db.execute(
        "UPDATE leads SET status = 'escalated', escalated_by = ?, escalated_at = ?, "
        "claimed_by = NULL, claimed_at = NULL, claim_expires_at = NULL, "
        "note = trim(coalesce(note, '') || char(10) || ?), touched = 1, "
        "updated_at = ? WHERE id = ? AND status IN ('claimed', 'replied') "
        "AND claimed_by = ?",
        [username, now, f"{username} (transmis) : {note}", now, lead_id, username],
    )
    if cur.rowcount != 1:
        raise ClaimError(
            f"Le signalement {lead_id} n'est ni pris en charge ni répondu par "
            f"{username} : "
            "prenez-le en charge avant de le transmettre."
        )


def add_note(db: Database, lead_id: int, username: str, note: str) -> None:
    """Append ``username: note`` to a lead's notes (any status)."""
    cur = db.execute(
        "UPDATE leads SET note = trim(coalesce(note, '') || char(10) || ?), "
        "touched = 1, updated_at = ? WHERE id = ?",
        [f"{username}: {note}", now_iso(), lead_id],
    )
    if cur.rowcount != 1:
        raise ClaimError(f"Lead {lead_id} does not exist.")
