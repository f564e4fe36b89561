"""Administration: the admin page, sources on or off, the opt-out register,
and the operators' purge and deletion sync; checked and audited.

Each operation takes ``(db, actor, ...)``, checks the role against
:data:`maraude.vocab.PERMISSIONS` (administrators only; a refusal is audited)
and writes one audit line under the same action names from the dashboard and
the command line (``source_override``, ``optout_added`` …). Handles and URLs
given to the opt-out register are hashed at once and never logged. Accounts
are in :mod:`maraude.ops.users`.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlite_utils import Database

from maraude import db as mdb
from maraude import vocab
from maraude.config import Config
from maraude.db.posts import stored_platforms
from maraude.errors import InputError, PurgeIncompleteError, SecretMissingError
from maraude.ops.guard import ActorLike, record, require
from maraude.privacy import get_secret, optout_entry
from maraude.sources import load_sources

logger = logging.getLogger(__name__)


def view(db: Database, who: ActorLike) -> None:
    """Open the admin page (audited)."""
    actor = require(db, who, "admin_view", None, "admin")
    record(db, actor, "admin_view", "admin", None)


# -- sources ----------------------------------------------------------------------


def sources(db: Database, who: ActorLike, config: Config) -> list[dict[str, Any]]:
    """Sources of the TOML file joined with their state in the database."""
    require(db, who, "source_list", None, "source")
    # Without the spiders (the dashboard cannot import them), a new platform's
    # sources are listed as named: the crawl checks them against its spider.
    path = config.path(config.crawl.sources_file)
    configured = load_sources(path, any_platform=True)
    return mdb.sources_overview(db, configured)


def set_source(
    db: Database, who: ActorLike, name: str, platform: str, enabled: bool | None
) -> None:
    """Switch a source on or off from the dashboard (None: follow the TOML)."""
    actor = require(db, who, "source_override", name, "source")
    mdb.set_source_enabled(db, name, platform, enabled)
    record(db, actor, "source_override", "source", name, {"enabled": enabled})


# -- opt-out ------------------------------------------------------------------------


def secret_problem() -> str | None:
    """Why opt-out entries cannot be added now (MARAUDE_SECRET), or None."""
    try:
        get_secret()
    except SecretMissingError as e:
        return str(e)
    return None


def optout_counts(db: Database, who: ActorLike) -> dict[str, int]:
    """Entries of the opt-out register by kind (``author``, ``url``): counts only."""
    require(db, who, "optout_view", None, "optout")
    return mdb.optout_counts(db)


def known_platforms(db: Database) -> list[str]:
    """The platforms an opt-out entry may name: the project's crawled ones, the
    imported ones (:mod:`maraude.vocab`), then any other already stored (a new
    platform's spider needs no line in the vocabulary)."""
    known = [*vocab.PLATFORMS, *vocab.IMPORT_PLATFORMS]
    return [*known, *sorted(stored_platforms(db) - set(known))]


def known_platform(db: Database, platform: str) -> str:
    """``platform`` in lower case if Maraude knows it (:func:`known_platforms`);
    else :class:`InputError` listing them, since an entry for an unknown
    platform would never match anything."""
    name = platform.strip().lower()
    known = sorted(known_platforms(db))
    if name not in known:
        raise InputError(
            f"Unknown platform {platform!r}: nothing would ever match it. "
            f"Use one of: {', '.join(known)}."
        )
    return name


def add_optout(
    db: Database,
    who: ActorLike,
    value: str,
    platform: str,
    site: str | None = "",
    request_id: int | None = None,
) -> bool:
    """Add a handle or a URL to the register, hashed; True if it was new
    (:func:`register_optout` says which kind of entry it made)."""
    return register_optout(db, who, value, platform, site, request_id)[0]


def register_optout(
    db: Database,
    who: ActorLike,
    value: str,
    platform: str,
    site: str | None = "",
    request_id: int | None = None,
) -> tuple[bool, str]:
    """Add a handle or a URL to the register, hashed: whether it was new, and
    the kind of entry (``author`` or ``url``). ``request_id`` marks a logged
    request as acted on; the platform must be known (:func:`known_platform`).

    Refused (:class:`SecretMissingError`) without ``MARAUDE_SECRET``: the hash
    must use the crawls' key or it would never match.
    """
    actor = require(db, who, "optout_added", None, "optout")
    value = value.strip()
    if not value:
        raise InputError("Give the handle or the URL to register.")
    platform = known_platform(db, platform)
    kind, hashed = optout_entry(get_secret(), value, platform, site or "")
    detail: dict[str, Any] = {"kind": kind}
    with db.atomic():
        added = mdb.add_optout(db, kind, hashed)
        if request_id is not None:
            mdb.mark_optout_acted(db, request_id, kind, actor.username)
            detail["request"] = request_id
        record(db, actor, "optout_added", "optout", None, detail)
    return added, kind


def requests(db: Database, who: ActorLike) -> list[dict[str, Any]]:
    """The opt-out requests logged (references and dates, never a handle)."""
    require(db, who, "optout_requests", None, "optout_request")
    return mdb.optout_requests(db)


def log_request(
    db: Database, who: ActorLike, received_on: str, channel: str, reference: str
) -> int:
    """Log a received opt-out request (a reference only, never the handle)."""
    actor = require(db, who, "optout_request_logged", None, "optout_request")
    request_id = mdb.log_optout_request(
        db, received_on, channel, reference, actor.username
    )
    record(
        db,
        actor,
        "optout_request_logged",
        "optout_request",
        request_id,
        {"channel": channel},
    )
    return request_id


def confirm_request(
    db: Database, who: ActorLike, request_id: int, confirmed_on: str
) -> None:
    """Record that the person was told their request was carried out."""
    actor = require(db, who, "optout_request_confirmed", request_id, "optout_request")
    mdb.confirm_optout_request(db, request_id, confirmed_on)
    record(db, actor, "optout_request_confirmed", "optout_request", request_id)


# -- operators: retention and deletion sync ------------------------------------------


def purge(
    db: Database,
    who: ActorLike,
    policy: mdb.Policy,
    *,
    dry_run: bool = False,
    secret: str | None = None,
) -> dict[str, int]:
    """Delete what the retention policy no longer allows; counts per kind.

    Audited with the number of posts deleted, or ``complete: false`` when the
    bytes may still be on disk (:class:`PurgeIncompleteError`, raised again);
    a dry run deletes nothing and writes nothing.
    """
    actor = require(db, who, "purge", None, None)
    try:
        report = mdb.purge(db, policy, dry_run=dry_run, secret=secret)
    except PurgeIncompleteError:
        record(db, actor, "purge", None, None, {"complete": False})
        raise
    if not dry_run:
        record(db, actor, "purge", None, None, {"posts": report["posts"]})
    return report


def record_recheck(db: Database, who: ActorLike, checked: int, deleted: int) -> None:
    """Record a deletion sync (``maraude recheck``): posts checked at their
    source, and those deleted there (purged here)."""
    actor = require(db, who, "recheck", None, None)
    record(db, actor, "recheck", None, None, {"checked": checked, "deleted": deleted})
