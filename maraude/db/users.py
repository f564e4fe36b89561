"""Users, the audit log, and moderators' labels."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from maraude.db.core import dumps, now_iso
from maraude.db.schema import ROLES
from maraude.errors import InputError


def add_user(
    db: Database, username: str, role: str, password_hash: str | None = None
) -> int:
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
    rows = list(db.query("SELECT * FROM users WHERE username = ?", [username]))
    return rows[0] if rows else None


def set_password(db: Database, username: str, password_hash: str) -> None:
    cur = db.execute(
        "UPDATE users SET password_hash = ? WHERE username = ?",
        [password_hash, username],
    )
    if cur.rowcount != 1:
        raise InputError(f"No user {username!r}.")


def set_user_disabled(db: Database, username: str, disabled: bool) -> None:
    cur = db.execute(
        "UPDATE users SET disabled = ? WHERE username = ?", [int(disabled), username]
    )
    if cur.rowcount != 1:
        raise InputError(f"No user {username!r}.")


def list_users(db: Database) -> list[dict[str, Any]]:
    return list(
        db.query("SELECT username, role, disabled, created_at FROM users ORDER BY 1")
    )


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
    return list(db.query("SELECT * FROM labels ORDER BY id"))
