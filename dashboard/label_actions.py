"""Labelling and adjudication, checked server-side and audited.

Plain functions, no Streamlit (tests call them directly). Moderators and
administrators label; seniors, moderators and administrators adjudicate a
disagreement between two moderators, provided they did not label the item
themselves. Audit lines hold post ids or item keys, never text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from dashboard.actions import User, require
from maraude import db as mdb
from maraude.db.labelling import FORMS
from maraude.errors import InputError

logger = logging.getLogger(__name__)

#: Roles that label posts.
LABEL_ROLES = frozenset({"moderator", "admin"})
#: Roles that settle a disagreement between two moderators.
ADJUDICATE_ROLES = frozenset({"senior", "moderator", "admin"})

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


def _audit(
    db: Database, user: User, action: str, kind: str, key: Any, **detail: Any
) -> None:
    mdb.audit(db, user["username"], action, kind, key, detail or None)
    logger.info("%s: %s %s %s", user["username"], action, kind, key)


# -- labelling ----------------------------------------------------------------------


def next_batch(
    db: Database, user: User, size: int = 10, exclude: Iterable[int] = ()
) -> list[int]:
    """Post ids to label next (uncertain, no near-duplicates), held for the user."""
    require(db, user, LABEL_ROLES, "label", None, "post")
    batch = mdb.next_batch(db, user["username"], size, exclude=list(exclude))
    return [item["post_id"] for item in batch]


def still_to_label(db: Database, user: User, post_id: int) -> bool:
    """False once the user labelled the post (it is never shown to them again)."""
    require(db, user, LABEL_ROLES, "label", post_id, "post")
    return not mdb.has_labelled(db, post_id, user["username"])


def view_item(
    db: Database, user: User, post_id: int, *, record: bool = True
) -> dict[str, Any] | None:
    """The post to label (masked text), or None if it was deleted."""
    require(db, user, LABEL_ROLES, "label_view", post_id, "post")
    item = mdb.label_item(db, post_id)
    if item is not None and record:
        _audit(db, user, "label_view", "post", post_id)
    return item


def save_label(db: Database, user: User, post_id: int, choice: dict[str, Any]) -> int:
    """Store the user's label of a post (origin ``moderator``); its id."""
    require(db, user, LABEL_ROLES, "label", post_id, "post")
    if mdb.has_labelled(db, post_id, user["username"]):
        raise InputError(f"You already labelled post {post_id}.")
    item = mdb.label_item(db, post_id)
    if item is None:
        raise InputError(f"Post {post_id} no longer exists (purged or opted out).")
    label_id = mdb.add_item_label(
        db, item, normalise(choice), user["username"], "moderator"
    )
    _audit(db, user, "label", "post", post_id, double=item["double"])
    return label_id


def skip(db: Database, user: User, post_id: int) -> None:
    """Give a post back without labelling it (someone else may take it)."""
    require(db, user, LABEL_ROLES, "label_skip", post_id, "post")
    mdb.release_hold(db, post_id, user["username"])
    _audit(db, user, "label_skip", "post", post_id)


# -- agreement and adjudication ------------------------------------------------------


def agreement(db: Database, user: User) -> dict[str, dict[str, Any]]:
    """Cohen's kappa per label over double-labelled items (counts only)."""
    require(db, user, LABEL_ROLES | ADJUDICATE_ROLES, "agreement", None, "labels")
    return mdb.agreement(db)


def disagreements(db: Database, user: User) -> list[dict[str, Any]]:
    """Items two moderators labelled differently, waiting for a third decision."""
    require(db, user, ADJUDICATE_ROLES, "adjudication_list", None, "labels")
    return mdb.disagreements(db)


def view_disagreement(
    db: Database, user: User, item_key: str, *, record: bool = True
) -> dict[str, Any] | None:
    """One disagreement (masked text and both labels), or None if settled."""
    require(db, user, ADJUDICATE_ROLES, "adjudication_view", item_key, "label_item")
    found = next((d for d in mdb.disagreements(db) if d["item_key"] == item_key), None)
    if found is not None and record:
        _audit(db, user, "adjudication_view", "label_item", item_key)
    return found


def adjudicate(db: Database, user: User, item_key: str, choice: dict[str, Any]) -> int:
    """Record the third decision on a disagreement (origin ``adjudication``)."""
    require(db, user, ADJUDICATE_ROLES, "adjudicate", item_key, "label_item")
    if user["username"] in mdb.item_labellers(db, item_key):
        raise InputError(
            "You labelled this post yourself: someone else must settle it."
        )
    if not any(d["item_key"] == item_key for d in mdb.disagreements(db)):
        raise InputError("This disagreement is already settled (or does not exist).")
    item = mdb.item_by_key(db, item_key)
    if item is None:  # pragma: no cover (a disagreement always has labels)
        raise InputError("This item has no labels.")
    label_id = mdb.add_item_label(
        db, item, normalise(choice), user["username"], "adjudication"
    )
    _audit(db, user, "adjudicate", "label_item", item_key)
    return label_id
