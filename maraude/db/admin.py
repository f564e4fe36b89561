"""Administration: roles, sources switched on or off, the opt-out request log.

Users are added with :func:`maraude.db.add_user` and disabled with
:func:`maraude.db.set_user_disabled`; this module adds what the admin page needs
besides. The last enabled administrator can be neither demoted nor disabled, so
nobody locks the team out of its own dashboard.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from sqlite_utils import Database

from maraude import vocab
from maraude.db.core import now_iso
from maraude.db.schema import ROLES
from maraude.errors import InputError

#: How an opt-out request can reach us.
CHANNELS = vocab.CHANNELS


class SourceLike(Protocol):
    """What :func:`sources_overview` reads of a configured source (read-only,
    so a frozen :class:`maraude.sources.Source` fits)."""

    @property
    def name(self) -> str:
        """The source's unique name."""

    @property
    def platform(self) -> str:
        """The platform the source crawls."""

    @property
    def enabled(self) -> bool:
        """Whether the sources file enables it."""


# -- users ------------------------------------------------------------------------


def _enabled_admins(db: Database) -> set[str]:
    return {
        r[0]
        for r in db.execute(
            "SELECT username FROM users WHERE role = 'admin' AND disabled = 0"
        )
    }


def _check_not_last_admin(db: Database, username: str) -> None:
    if _enabled_admins(db) == {username}:
        raise InputError(
            f"{username} is the last enabled administrator: make someone else "
            "an administrator first."
        )


def set_user_role(db: Database, username: str, role: str) -> None:
    """Change a user's role (never the last enabled administrator's)."""
    if role not in ROLES:
        raise InputError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")
    if role != "admin":
        _check_not_last_admin(db, username)
    cur = db.execute("UPDATE users SET role = ? WHERE username = ?", [role, username])
    if cur.rowcount != 1:
        raise InputError(f"No user {username!r}.")


def set_user_enabled(db: Database, username: str, enabled: bool) -> None:
    """Enable or disable an account (never the last enabled administrator)."""
    if not enabled:
        _check_not_last_admin(db, username)
    cur = db.execute(
        "UPDATE users SET disabled = ? WHERE username = ?", [int(not enabled), username]
    )
    if cur.rowcount != 1:
        raise InputError(f"No user {username!r}.")


# -- sources ----------------------------------------------------------------------


def source_rows(db: Database) -> dict[str, dict[str, Any]]:
    """The runtime state of every source the database knows, by name."""
    return {
        r["name"]: r
        for r in db.query(
            "SELECT name, platform, enabled, last_run_at, last_status FROM sources"
        )
    }


def sources_overview(
    db: Database, sources: Iterable[SourceLike]
) -> list[dict[str, Any]]:
    """The configured sources joined with their state: ``configured`` (the
    TOML's ``enabled``), ``override`` (None, True or False) and ``enabled`` (what
    the crawler will do), then the last run. Sources known to the database but
    gone from the TOML are listed too, with ``configured`` None."""
    state = source_rows(db)
    out = []
    for s in sources:
        row = state.pop(s.name, {})
        override = None if row.get("enabled") is None else bool(row["enabled"])
        out.append(
            {
                "name": s.name,
                "platform": s.platform,
                "configured": s.enabled,
                "override": override,
                "enabled": s.enabled if override is None else override,
                "last_run_at": row.get("last_run_at"),
                "last_status": row.get("last_status"),
            }
        )
    for name, row in sorted(state.items()):
        override = None if row["enabled"] is None else bool(row["enabled"])
        out.append(
            {
                "name": name,
                "platform": row["platform"],
                "configured": None,
                "override": override,
                "enabled": False,
                "last_run_at": row["last_run_at"],
                "last_status": row["last_status"],
            }
        )
    return out


def set_source_enabled(
    db: Database, name: str, platform: str, enabled: bool | None
) -> None:
    """Override a source's ``enabled`` (None: follow the TOML again)."""
    db.execute(
        "INSERT INTO sources(name, platform, enabled) VALUES (?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET enabled = excluded.enabled",
        [name, platform, None if enabled is None else int(enabled)],
    )


# -- the opt-out register and its requests ----------------------------------------


def optout_counts(db: Database) -> dict[str, int]:
    """Entries of the opt-out register by kind (``author``, ``url``)."""
    rows = db.execute("SELECT kind, count(*) FROM optout GROUP BY kind").fetchall()
    return {"author": 0, "url": 0, **dict(rows)}


def _check_reference(reference: str) -> str:
    reference = reference.strip()
    if not reference:
        raise InputError("Give the request a reference (e.g. a ticket number).")
    if "@" in reference or "://" in reference or "/u/" in reference:
        raise InputError(
            "The reference looks like a handle, an e-mail or a URL: never write "
            "them here. Use a ticket number or a date and channel instead."
        )
    if len(reference) > 80:
        raise InputError("Keep the reference short (80 characters at most).")
    return reference


def log_optout_request(
    db: Database, received_on: str, channel: str, reference: str, username: str
) -> int:
    """Log an opt-out request as received; its id."""
    if channel not in CHANNELS:
        raise InputError(f"Unknown channel {channel!r}: use one of {CHANNELS}.")
    cur = db.execute(
        "INSERT INTO optout_requests(received_on, channel, reference, logged_by, "
        "logged_at) VALUES (?, ?, ?, ?, ?)",
        [received_on, channel, _check_reference(reference), username, now_iso()],
    )
    return int(cur.lastrowid or 0)


def mark_optout_acted(db: Database, request_id: int, kind: str, username: str) -> None:
    """The register entry for this request was added (``kind``: author or url)."""
    cur = db.execute(
        "UPDATE optout_requests SET status = 'acted', acted_at = ?, acted_by = ?, "
        "entry_kind = ? WHERE id = ? AND status = 'received'",
        [now_iso(), username, kind, request_id],
    )
    if cur.rowcount != 1:
        raise InputError(f"Request {request_id} is not waiting for an entry.")


def confirm_optout_request(db: Database, request_id: int, confirmed_on: str) -> None:
    """The person was told their request is done (on ``confirmed_on``)."""
    cur = db.execute(
        "UPDATE optout_requests SET status = 'confirmed', confirmed_on = ? "
        "WHERE id = ? AND status = 'acted'",
        [confirmed_on, request_id],
    )
    if cur.rowcount != 1:
        raise InputError(
            f"Request {request_id} cannot be confirmed: add its register entry first."
        )


def optout_requests(db: Database, limit: int = 200) -> list[dict[str, Any]]:
    """The opt-out requests received, newest first (at most ``limit``)."""
    return list(
        db.query("SELECT * FROM optout_requests ORDER BY id DESC LIMIT ?", [limit])
    )
