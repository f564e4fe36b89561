"""Accounts: add, change a role, disable, set a password, territories, team.

Administrators only, from the dashboard's Administration page and from
``maraude user …`` alike, so one set of rules holds for both: a username has 2
to 40 letters, digits, dots, dashes or underscores; a password at least
:data:`maraude.auth.MIN_PASSWORD_LENGTH` characters; nobody disables their own
account; the last enabled administrator is neither demoted nor disabled
(:mod:`maraude.db.admin`). Each change writes one audit line under the action
names of :data:`maraude.vocab.PERMISSIONS`; passwords never reach the log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from maraude import db as mdb
from maraude.auth import hash_password
from maraude.db import users as users_db
from maraude.errors import InputError
from maraude.ops.guard import ActorLike, record, require

logger = logging.getLogger(__name__)

_USERNAME = re.compile(r"^[\w.-]{2,40}$")


def check_username(username: str) -> str:
    """``username`` without surrounding spaces; :class:`InputError` unless it
    has 2 to 40 letters, digits, dots, dashes or underscores."""
    username = username.strip()
    if not _USERNAME.match(username):
        raise InputError(
            "A username has 2 to 40 letters, digits, dots, dashes or underscores."
        )
    return username


def users(db: Database, who: ActorLike) -> list[dict[str, Any]]:
    """Every account with its role, state, territories and team."""
    require(db, who, "user_list", None, "user")
    return mdb.list_users(db)


def add_user(
    db: Database,
    who: ActorLike,
    username: str,
    role: str,
    password: str,
    *,
    territories: Iterable[str] = (),
    team: str = "",
) -> str:
    """Add an account (username and password checked first, nothing stored on
    a bad one), with its territories and team; the username as stored."""
    actor = require(db, who, "user_added", username, "user")
    username = check_username(username)
    codes = users_db.clean_territories(territories)
    password_hash = hash_password(password)
    with db.atomic():
        mdb.add_user(db, username, role, password_hash)
        if codes:
            users_db.set_territories(db, username, codes)
        if team.strip():
            users_db.set_team(db, username, team)
        record(db, actor, "user_added", "user", username, {"role": role})
    return username


def set_role(db: Database, who: ActorLike, username: str, role: str) -> None:
    """Change an account's role (never the last enabled administrator's)."""
    actor = require(db, who, "user_role_set", username, "user")
    mdb.set_user_role(db, username, role)
    record(db, actor, "user_role_set", "user", username, {"role": role})


def set_enabled(db: Database, who: ActorLike, username: str, enabled: bool) -> None:
    """Enable or disable an account (not your own, not the last administrator)."""
    action = "user_enabled" if enabled else "user_disabled"
    actor = require(db, who, action, username, "user")
    if not enabled and username == actor.username:
        raise InputError("You cannot disable your own account.")
    mdb.set_user_enabled(db, username, enabled)
    record(db, actor, action, "user", username)


def set_password(db: Database, who: ActorLike, username: str, password: str) -> None:
    """Set an account's password (at least ten characters)."""
    actor = require(db, who, "user_password_set", username, "user")
    mdb.set_password(db, username, hash_password(password))
    record(db, actor, "user_password_set", "user", username)


def set_territories(
    db: Database,
    who: ActorLike,
    username: str,
    codes: Iterable[str],
    team: str | None = None,
) -> list[str]:
    """Set an account's territories (département codes), and its team unless
    ``team`` is None (#16); the codes as stored."""
    actor = require(db, who, "user_territories_set", username, "user")
    with db.atomic():
        clean = users_db.set_territories(db, username, codes)
        if team is not None:
            users_db.set_team(db, username, team)
        record(db, actor, "user_territories_set", "user", username, {"n": len(clean)})
    return clean


def set_team(db: Database, who: ActorLike, username: str, team: str) -> None:
    """Set an account's team (for the monthly report); ``""`` clears it."""
    actor = require(db, who, "user_team_set", username, "user")
    users_db.set_team(db, username, team)
    record(db, actor, "user_team_set", "user", username)
