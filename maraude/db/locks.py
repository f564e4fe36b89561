"""Per-source crawl leases, held in the database (table ``source_locks``).

One row per source being crawled: who holds it (``holder``, unique per
acquisition), on which machine and process (``host``, ``pid``) and until when
(``expires_at``, ISO-8601 UTC text). The holder refreshes its lease while it
crawls; a killed holder stops refreshing, so its lease expires and the next
run takes over. On the holder's own machine a dead process is seen at once
(its pid is gone), so a crawl killed there is taken over without waiting.

Every statement is plain SQL with ``?`` parameters, one statement per step
(``INSERT … ON CONFLICT … DO UPDATE … WHERE`` works on SQLite ≥ 3.24 and
PostgreSQL alike): acquiring is a single atomic compare-and-set, so two
machines never both hold one source.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

logger = logging.getLogger(__name__)

TABLE = "source_locks"  # created by migration m011_source_locks (schema.py)

# Take the row when it is free, or when its lease has expired.
ACQUIRE_SQL = (
    "INSERT INTO source_locks (source, holder, host, pid, acquired_at, expires_at) "
    "VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (source) DO UPDATE SET holder = excluded.holder, "
    "host = excluded.host, pid = excluded.pid, acquired_at = excluded.acquired_at, "
    "expires_at = excluded.expires_at "
    "WHERE source_locks.expires_at < excluded.acquired_at"
)
# Take over from a holder known to be dead (same machine, pid gone): only if
# that very holder still has it.
TAKE_OVER_SQL = (
    "UPDATE source_locks SET holder = ?, host = ?, pid = ?, acquired_at = ?, "
    "expires_at = ? WHERE source = ? AND holder = ?"
)
REFRESH_SQL = "UPDATE source_locks SET expires_at = ? WHERE source = ? AND holder = ?"
RELEASE_SQL = "DELETE FROM source_locks WHERE source = ? AND holder = ?"
HOLDER_SQL = (
    "SELECT holder, host, pid, acquired_at, expires_at FROM source_locks "
    "WHERE source = ?"
)
ALL_SQL = (
    "SELECT source, holder, host, pid, acquired_at, expires_at FROM source_locks "
    "ORDER BY source"
)


@dataclass(frozen=True)
class LockHolder:
    """Who holds a source's lease, and until when."""

    source: str
    holder: str
    host: str
    pid: int
    acquired_at: str
    expires_at: str


def stamp(moment: datetime | None = None, *, plus: float = 0.0) -> str:
    """``moment`` (default: now) plus ``plus`` seconds, as sortable UTC text."""
    when = (moment or datetime.now(UTC)) + timedelta(seconds=plus)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def lock_holder(db: Any, source: str) -> LockHolder | None:
    """The current row of ``source`` (expired or not), or None."""
    row = db.execute(HOLDER_SQL, [source]).fetchone()
    return LockHolder(source, *row) if row else None


def lock_holders(db: Any) -> list[LockHolder]:
    """Every lease row, by source (for ``maraude`` status pages and tests)."""
    return [LockHolder(*row) for row in db.execute(ALL_SQL).fetchall()]


def acquire(
    db: Any, source: str, holder: str, host: str, pid: int, lease: float
) -> bool:
    """Take ``source`` for ``lease`` seconds if it is free or its lease expired."""
    now = stamp()
    with db.conn:
        db.conn.execute(
            ACQUIRE_SQL, [source, holder, host, pid, now, stamp(plus=lease)]
        )
    current = lock_holder(db, source)
    return current is not None and current.holder == holder


def take_over(
    db: Any, source: str, dead: str, holder: str, host: str, pid: int, lease: float
) -> bool:
    """Take ``source`` from the holder ``dead`` (its process is gone)."""
    with db.conn:
        cursor = db.conn.execute(
            TAKE_OVER_SQL,
            [holder, host, pid, stamp(), stamp(plus=lease), source, dead],
        )
    return cursor.rowcount == 1


def refresh(db: Any, source: str, holder: str, lease: float) -> bool:
    """Extend ``holder``'s lease of ``source``; False if it was lost."""
    with db.conn:
        cursor = db.conn.execute(REFRESH_SQL, [stamp(plus=lease), source, holder])
    return cursor.rowcount == 1


def release(db: Any, source: str, holder: str) -> None:
    """Give ``source`` back (nothing happens if ``holder`` no longer has it)."""
    with db.conn:
        db.conn.execute(RELEASE_SQL, [source, holder])
