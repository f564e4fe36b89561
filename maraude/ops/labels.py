"""Labelling and adjudication, checked and audited.

Each operation takes ``(db, actor, ...)`` and checks the role against
:data:`maraude.vocab.PERMISSIONS`: moderators and administrators label;
seniors, moderators and administrators adjudicate a disagreement between two
moderators, provided they did not label the item themselves. Audit lines hold
post ids or item keys, never text. The dashboard's Label and Adjudication
pages and ``maraude export labels`` call these functions.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from maraude import db as mdb
from maraude.db.labelling import FORMS
from maraude.errors import InputError
from maraude.ops import guard
from maraude.ops.guard import ActorLike, record, require

logger = logging.getLogger(__name__)

_RIGHT_ID = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def normalise(choice: dict[str, Any]) -> dict[str, Any]:
    """A label as stored: a crisis is a distress too (contracts.md), and a right
    or a form of non-take-up means the post is about rights."""
    form = choice.get("non_recours_form") or None
    if form is not None and form not in FORMS:
        raise InputError(f"Unknown non_recours_form {form!r}: use one of {FORMS}.")
    topics = list(dict.fromkeys(choice.get("rights_topics") or []))
    bad = [t for t in topics if not _RIGHT_ID.match(str(t))]
    if bad:
        raise InputError(f"Unknown right id(s): {', '.join(map(str, bad))}.")
    crisis = bool(choice.get("crisis"))
    return {
        "distress": bool(choice.get("distress")) or crisis,
        "crisis": crisis,
        "rights": bool(choice.get("rights")) or bool(topics) or form is not None,
        "minor": bool(choice.get("minor")),
        "rights_topics": topics,
        "non_recours_form": form,
    }


# -- labelling ----------------------------------------------------------------------


def next_batch(
    db: Database, who: ActorLike, size: int = 10, exclude: Iterable[int] = ()
) -> list[int]:
    """Post ids to label next (uncertain, no near-duplicates), held for the user."""
    actor = require(db, who, "label", None, "post")
    batch = mdb.next_batch(db, actor.username, size, exclude=list(exclude))
    return [item["post_id"] for item in batch]


def still_to_label(db: Database, who: ActorLike, post_id: int) -> bool:
    """False once the user labelled the post (it is never shown to them again)."""
    actor = require(db, who, "label", post_id, "post")
    return not mdb.has_labelled(db, post_id, actor.username)


def view_item(
    db: Database, who: ActorLike, post_id: int, *, record: bool = True
) -> dict[str, Any] | None:
    """The post to label (masked text), or None if it was deleted."""
    actor = require(db, who, "label_view", post_id, "post")
    item = mdb.label_item(db, post_id)
    if item is not None and record:
        guard.record(db, actor, "label_view", "post", post_id)
    return item


def save_label(
    db: Database, who: ActorLike, post_id: int, choice: dict[str, Any]
) -> int:
    """Store the user's label of a post (origin ``moderator``); its id."""
    actor = require(db, who, "label", post_id, "post")
    if mdb.has_labelled(db, post_id, actor.username):
        raise InputError(f"You already labelled post {post_id}.")
    item = mdb.label_item(db, post_id)
    if item is None:
        raise InputError(f"Post {post_id} no longer exists (purged or opted out).")
    label_id = mdb.add_item_label(
        db, item, normalise(choice), actor.username, "moderator"
    )
    record(db, actor, "label", "post", post_id, {"double": item["double"]})
    return label_id


def skip(db: Database, who: ActorLike, post_id: int) -> None:
    """Give a post back without labelling it (someone else may take it)."""
    actor = require(db, who, "label_skip", post_id, "post")
    mdb.release_hold(db, post_id, actor.username)
    record(db, actor, "label_skip", "post", post_id)


# -- agreement and adjudication ------------------------------------------------------


def agreement(db: Database, who: ActorLike) -> dict[str, dict[str, Any]]:
    """Cohen's kappa per label over double-labelled items (counts only)."""
    require(db, who, "agreement", None, "labels")
    return mdb.agreement(db)


def disagreements(db: Database, who: ActorLike) -> list[dict[str, Any]]:
    """Items two moderators labelled differently, waiting for a third decision."""
    require(db, who, "adjudication_list", None, "labels")
    return mdb.disagreements(db)


def view_disagreement(
    db: Database, who: ActorLike, item_key: str, *, record: bool = True
) -> dict[str, Any] | None:
    """One disagreement (masked text and both labels), or None if settled."""
    actor = require(db, who, "adjudication_view", item_key, "label_item")
    found = next((d for d in mdb.disagreements(db) if d["item_key"] == item_key), None)
    if found is not None and record:
        guard.record(db, actor, "adjudication_view", "label_item", item_key)
    return found


def adjudicate(
    db: Database, who: ActorLike, item_key: str, choice: dict[str, Any]
) -> int:
    """Record the third decision on a disagreement (origin ``adjudication``)."""
    actor = require(db, who, "adjudicate", item_key, "label_item")
    if actor.username in mdb.item_labellers(db, item_key):
        raise InputError(
            "You labelled this post yourself: someone else must settle it."
        )
    if not any(d["item_key"] == item_key for d in mdb.disagreements(db)):
        raise InputError("This disagreement is already settled (or does not exist).")
    item = mdb.item_by_key(db, item_key)
    if item is None:  # pragma: no cover (a disagreement always has labels)
        raise InputError("This item has no labels.")
    label_id = mdb.add_item_label(
        db, item, normalise(choice), actor.username, "adjudication"
    )
    record(db, actor, "adjudicate", "label_item", item_key)
    return label_id


# -- export ----------------------------------------------------------------------------


def export_labels(db: Database, who: ActorLike) -> list[dict[str, Any]]:
    """Moderators' labels as training data (masked text and labels only); the
    export is audited with its size (``maraude export labels``)."""
    actor = require(db, who, "labels_exported", None, "labels")
    rows = mdb.export_labels(db)
    record(db, actor, "labels_exported", "labels", None, {"n": len(rows)})
    return rows
