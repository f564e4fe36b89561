"""Users, the audit log, and moderators' labels."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from maraude.db.core import dumps, now_iso
from maraude.db.schema import ROLES
from maraude.errors import InputError
from maraude.places import departement_names


def add_user(
    db: Database, username: str, role: str, password_hash: str | None = None
) -> int:
    """Create an account; return its id (InputError: unknown role, name taken)."""
    if role not in ROLES:
        raise InputError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")
    exists = db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone()
    if exists:
        raise InputError(f"User {username!r} already exists.")
    cur = db.execute(
        "INSERT INTO users(username, password_hash, role, created_at) VALUES (?,?,?,?)",
        [username, password_hash, role, now_iso()],
    )
    return int(cur.lastrowid or 0)


def get_user(db: Database, username: str) -> dict[str, Any] | None:
    """The account named ``username``, or None."""
    rows = list(db.query("SELECT * FROM users WHERE username = ?", [username]))
    return rows[0] if rows else None


def set_password(db: Database, username: str, password_hash: str) -> None:
    """Set an account's password hash (InputError when there is no such user)."""
    cur = db.execute(
        "UPDATE users SET password_hash = ? WHERE username = ?",
        [password_hash, username],
    )
    if cur.rowcount != 1:
        raise InputError(f"No user {username!r}.")


def set_user_disabled(db: Database, username: str, disabled: bool) -> None:
    """Disable or re-enable an account (InputError when there is no such user)."""
    cur = db.execute(
        "UPDATE users SET disabled = ? WHERE username = ?", [int(disabled), username]
    )
    if cur.rowcount != 1:
        raise InputError(f"No user {username!r}.")


def list_users(db: Database) -> list[dict[str, Any]]:
    """Every user with role, state, territories (a list of codes) and team."""
    rows = db.query(
        "SELECT username, role, disabled, created_at, territories, team "
        "FROM users ORDER BY 1"
    )
    return [{**r, "territories": json.loads(r["territories"] or "[]")} for r in rows]


def clean_territories(codes: Iterable[str]) -> list[str]:
    """Département codes checked against the places directory, sorted, unique.

    Accepts ``"13"``, ``" 2a "``, ``"1"`` (→ ``"01"``); raises
    :class:`InputError` naming an unknown code.
    """
    known = departement_names()
    clean: set[str] = set()
    for raw in codes:
        code = raw.strip().upper()
        if not code:
            continue
        if code.isdigit() and len(code) == 1:
            code = "0" + code
        if code not in known:
            raise InputError(
                f"Unknown département {raw.strip()!r}: use codes such as 13, 2A "
                "or 974 (config/places/ lists them)."
            )
        clean.add(code)
    return sorted(clean)


def set_territories(db: Database, username: str, codes: Iterable[str]) -> list[str]:
    """Set a user's territories (département codes); returns them cleaned."""
    clean = clean_territories(codes)
    cur = db.execute(
        "UPDATE users SET territories = ? WHERE username = ?",
        [json.dumps(clean), username],
    )
    if cur.rowcount != 1:
        raise InputError(f"No user {username!r}.")
    return clean


def set_team(db: Database, username: str, team: str | None) -> None:
    """Set a user's team (empty or None: no team)."""
    cur = db.execute(
        "UPDATE users SET team = ? WHERE username = ?",
        [(team or "").strip() or None, username],
    )
    if cur.rowcount != 1:
        raise InputError(f"No user {username!r}.")


def user_territories(db: Database, username: str) -> list[str]:
    """The département codes whose leads come first in this user's queue."""
    row = db.execute(
        "SELECT territories FROM users WHERE username = ?", [username]
    ).fetchone()
    return json.loads(row[0] or "[]") if row else []


def audit(
    db: Database,
    username: str,
    action: str,
    object_type: str | None = None,
    object_id: str | int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one line to the audit log (ids and counts only, never post text)."""
    db.execute(
        "INSERT INTO audit_log(at, username, action, object_type, object_id, detail) "
        "VALUES (?,?,?,?,?,?)",
        [
            now_iso(),
            username,
            action,
            object_type,
            None if object_id is None else str(object_id),
            dumps(detail) if detail else None,
        ],
    )


def audit_entries(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    """The latest audit log lines, newest first (at most ``limit``)."""
    return list(db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", [limit]))


def add_label(db: Database, label: dict[str, Any], username: str, origin: str) -> int:
    """Store a label (``text`` must already be masked)."""
    cur = db.execute(
        "INSERT INTO labels(post_id, text, distress, crisis, rights, rights_topics, "
        "non_recours_form, minor, origin, username, created_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            label.get("post_id"),
            label["text"],
            label.get("distress"),
            label.get("crisis"),
            label.get("rights"),
            dumps(label.get("rights_topics") or []),
            label.get("non_recours_form"),
            label.get("minor"),
            origin,
            username,
            now_iso(),
        ],
    )
    return int(cur.lastrowid or 0)


def labels(db: Database) -> list[dict[str, Any]]:
    """Every stored label, oldest first."""
    return list(db.query("SELECT * FROM labels ORDER BY id"))
