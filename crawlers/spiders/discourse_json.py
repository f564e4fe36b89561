"""Reading Discourse's JSON: valid rows, ids, timestamps and paging helpers.

What :class:`crawlers.spiders.discourse.DiscourseSpider` uses to read the
forum's answers; every function takes the decoded JSON as it came and never
trusts its types (a wrong type reads as missing).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

CHUNK = 20  # post ids per /t/{id}/posts.json request (Discourse's chunk size)


def valid_posts(posts: Iterable[Any]) -> list[dict]:
    """The rows that are posts: dicts with an integer ``id`` and ``topic_id``."""
    return [
        p
        for p in posts
        if isinstance(p, dict) and as_int(p.get("id")) and as_int(p.get("topic_id"))
    ]


def kept_rows(rows: list[dict], keep: list[bool]) -> list[dict]:
    """The rows whose ``keep`` flag (a feed walk's verdict) is true."""
    return [row for row, kept in zip(rows, keep, strict=True) if kept]


def chunks(ids: list[int]) -> list[list[int]]:
    """``ids`` in runs of :data:`CHUNK`, one ``/t/{id}/posts.json`` request each."""
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def get_id(row: Any) -> Any:
    """A row's ``id``, or None when the row is not a dict."""
    return row.get("id") if isinstance(row, dict) else None


def as_int(value: Any) -> int | None:
    """``value`` if it is an int (not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def utc_time(value: Any, fmt: str = "%Y-%m-%dT%H:%M:%SZ") -> str | None:
    """An ISO timestamp with any offset, as UTC in ``fmt``; None if unreadable."""
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime(fmt)


def bump_key(topic: dict) -> str:
    """A topic's order key: its last bump as a sortable UTC timestamp."""
    for key in ("bumped_at", "last_posted_at", "created_at"):
        when = utc_time(topic.get(key), "%Y-%m-%dT%H:%M:%S.%fZ")
        if when:
            return when
    return ""
