"""Administration from the dashboard (admin role only), checked and audited.

Plain functions, no Streamlit. Every function checks the role first; every
change is written to the audit log under the same action names as the CLI
(``user_added``, ``user_disabled``, ``optout_added`` …). Handles and URLs given
to the opt-out register are hashed at once and never logged.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlite_utils import Database

from dashboard.actions import User, require
from maraude import db as mdb
from maraude.auth import hash_password
from maraude.config import Config
from maraude.db import users as users_db
from maraude.errors import InputError, SecretMissingError
from maraude.privacy import get_secret, optout_entry
from maraude.sources import load_sources

logger = logging.getLogger(__name__)

ADMIN_ROLES = frozenset({"admin"})
#: The site of a handle when none is given: must match ``maraude.cli`` (tested).
_USERNAME = re.compile(r"^[\w.-]{2,40}$")


def _audit(
    db: Database,
    user: User,
    action: str,
    kind: str | None,
    key: Any,
    detail: dict[str, Any] | None = None,
) -> None:
    mdb.audit(db, user["username"], action, kind, key, detail)
    logger.info("%s: %s %s %s", user["username"], action, kind, key)


def view(db: Database, user: User) -> None:
    """Open the admin page (audited)."""
    require(db, user, ADMIN_ROLES, "admin_view", None, "admin")
    _audit(db, user, "admin_view", "admin", None)


# -- users ------------------------------------------------------------------------


def users(db: Database, user: User) -> list[dict[str, Any]]:
    require(db, user, ADMIN_ROLES, "user_list", None, "user")
    return mdb.list_users(db)


def add_user(db: Database, user: User, username: str, role: str, password: str) -> None:
    """Add an account with a password of at least 10 characters."""
    require(db, user, ADMIN_ROLES, "user_added", username, "user")
    username = username.strip()
    if not _USERNAME.match(username):
        raise InputError(
            "A username has 2 to 40 letters, digits, dots, dashes or underscores."
        )
    mdb.add_user(db, username, role, hash_password(password))
    _audit(db, user, "user_added", "user", username, {"role": role})


def set_role(db: Database, user: User, username: str, role: str) -> None:
    require(db, user, ADMIN_ROLES, "user_role_set", username, "user")
    mdb.set_user_role(db, username, role)
    _audit(db, user, "user_role_set", "user", username, {"role": role})


def set_enabled(db: Database, user: User, username: str, enabled: bool) -> None:
    """Enable or disable an account (not your own, not the last administrator)."""
    action = "user_enabled" if enabled else "user_disabled"
    require(db, user, ADMIN_ROLES, action, username, "user")
    if not enabled and username == user["username"]:
        raise InputError("You cannot disable your own account.")
    mdb.set_user_enabled(db, username, enabled)
    _audit(db, user, action, "user", username)


def set_territories(
    db: Database, user: User, username: str, codes: list[str], team: str
) -> None:
    """Set an account's territories (département codes) and team (#16)."""
    require(db, user, ADMIN_ROLES, "user_territories_set", username, "user")
    clean = users_db.set_territories(db, username, codes)
    users_db.set_team(db, username, team)
    _audit(db, user, "user_territories_set", "user", username, {"n": len(clean)})


# -- sources ----------------------------------------------------------------------


def sources(db: Database, user: User, config: Config) -> list[dict[str, Any]]:
    """Sources of the TOML file joined with their state in the database."""
    require(db, user, ADMIN_ROLES, "source_list", None, "source")
    configured = load_sources(config.path(config.crawl.sources_file))
    return mdb.sources_overview(db, configured)


def set_source(
    db: Database, user: User, name: str, platform: str, enabled: bool | None
) -> None:
    """Switch a source on or off from the dashboard (None: follow the TOML)."""
    require(db, user, ADMIN_ROLES, "source_override", name, "source")
    mdb.set_source_enabled(db, name, platform, enabled)
    _audit(db, user, "source_override", "source", name, {"enabled": enabled})


# -- opt-out ------------------------------------------------------------------------


def secret_problem() -> str | None:
    """Why opt-out entries cannot be added now (MARAUDE_SECRET), or None."""
    try:
        get_secret()
    except SecretMissingError as e:
        return str(e)
    return None


def optout_counts(db: Database, user: User) -> dict[str, int]:
    require(db, user, ADMIN_ROLES, "optout_view", None, "optout")
    return mdb.optout_counts(db)


def add_optout(
    db: Database,
    user: User,
    value: str,
    platform: str,
    site: str = "",
    request_id: int | None = None,
) -> bool:
    """Add a handle or a URL to the register, hashed; True if it was new.

    Refused (:class:`SecretMissingError`) without ``MARAUDE_SECRET``: the hash
    must use the crawls' key or it would never match.
    """
    require(db, user, ADMIN_ROLES, "optout_added", None, "optout")
    value = value.strip()
    if not value:
        raise InputError("Give the handle or the URL to register.")
    kind, hashed = optout_entry(get_secret(), value, platform, site)
    with db.atomic():
        added = mdb.add_optout(db, kind, hashed)
        if request_id is not None:
            mdb.mark_optout_acted(db, request_id, kind, user["username"])
    _audit(
        db, user, "optout_added", "optout", None, {"kind": kind, "request": request_id}
    )
    return added


def requests(db: Database, user: User) -> list[dict[str, Any]]:
    require(db, user, ADMIN_ROLES, "optout_requests", None, "optout_request")
    return mdb.optout_requests(db)


def log_request(
    db: Database, user: User, received_on: str, channel: str, reference: str
) -> int:
    """Log a received opt-out request (a reference only, never the handle)."""
    require(db, user, ADMIN_ROLES, "optout_request_logged", None, "optout_request")
    request_id = mdb.log_optout_request(
        db, received_on, channel, reference, user["username"]
    )
    _audit(
        db,
        user,
        "optout_request_logged",
        "optout_request",
        request_id,
        {"channel": channel},
    )
    return request_id


def confirm_request(
    db: Database, user: User, request_id: int, confirmed_on: str
) -> None:
    """Record that the person was told their request was carried out."""
    require(
        db, user, ADMIN_ROLES, "optout_request_confirmed", request_id, "optout_request"
    )
    mdb.confirm_optout_request(db, request_id, confirmed_on)
    _audit(db, user, "optout_request_confirmed", "optout_request", request_id)
