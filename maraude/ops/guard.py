"""Who acts, whether they may, and the one audit line each operation writes.

An :class:`Actor` is a username and a role. The dashboard's signed-in user (a
mapping ``{"username": ..., "role": ...}`` loaded at sign-in) and the command
line's operator (:func:`command_line`) are both actors, so both meet the same
checks. :func:`require` asks :mod:`maraude.vocab` whether the role may do the
action and, when it may not, writes a ``denied`` audit line and raises
:class:`PermissionDenied`. :func:`record` writes the audit line of a done
operation: ids and counts only, never post text, handles or passwords.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlite_utils import Database

from maraude import db as mdb
from maraude import vocab
from maraude.errors import PermissionDenied

logger = logging.getLogger(__name__)

#: The role of the command line: whoever runs ``maraude`` on the server holds
#: the database file, so they act as an administrator.
CLI_ROLE = "admin"


@dataclass(frozen=True)
class Actor:
    """Someone who acts: a dashboard user or the command line's operator."""

    username: str
    role: str


#: What the operations accept as their actor: an :class:`Actor`, or the
#: dashboard's user mapping (``username`` and ``role`` keys).
ActorLike: TypeAlias = Actor | Mapping[str, Any]


def actor_of(who: ActorLike) -> Actor:
    """``who`` as an :class:`Actor` (a mapping lacking a key gets ``"?"``/``""``)."""
    if isinstance(who, Actor):
        return who
    return Actor(str(who.get("username") or "?"), str(who.get("role") or ""))


def command_line() -> Actor:
    """The command line's operator: ``cli:<system user>`` (``cli`` when the
    system user is unknown), with the :data:`CLI_ROLE` role."""
    try:
        name = f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        name = "cli"
    return Actor(name, CLI_ROLE)


def can(who: ActorLike, action: str) -> bool:
    """Whether ``who``'s role allows ``action`` (a page shows a button on it;
    the operation checks again)."""
    return vocab.allowed(actor_of(who).role, action)


def require(
    db: Database,
    who: ActorLike,
    action: str,
    object_id: int | str | None = None,
    object_type: str | None = "lead",
) -> Actor:
    """The actor, if their role allows ``action``; else a ``denied`` audit
    line and :class:`PermissionDenied`."""
    actor = actor_of(who)
    if vocab.allowed(actor.role, action):
        return actor
    mdb.audit(db, actor.username, "denied", object_type, object_id, {"action": action})
    logger.info("%s: %s refused (role %s)", actor.username, action, actor.role)
    raise PermissionDenied(
        f"Your role ({actor.role or 'none'}) does not allow this action ({action}). "
        "Ask an administrator if you need it."
    )


def record(
    db: Database,
    actor: Actor,
    action: str,
    object_type: str | None,
    object_id: int | str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write the one audit line of a done operation (ids and counts only)."""
    mdb.audit(db, actor.username, action, object_type, object_id, detail or None)
    logger.info("%s: %s %s %s", actor.username, action, object_type, object_id)
