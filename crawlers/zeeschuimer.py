"""Zeeschuimer items in the shapes the extension really exports (issue #15).

One NDJSON line is ``{"item_id", "source_platform", "source_platform_url",
"source_url", "data"}``, where ``data`` is the platform's own item as
Zeeschuimer's modules capture it (github.com/digitalmethodsinitiative/zeeschuimer,
``modules/*.js``):

* **X/Twitter** (GraphQL ``Tweet``; a ``TweetWithVisibilityResults`` wrapper is
  opened): the handle at ``core.user_results.result.core.screen_name`` (current
  shape) or ``….legacy.screen_name`` (older), or ``user.screen_name`` (the
  "adaptive" shape); the full text of a long post in
  ``note_tweet.note_tweet_results.result.text``, else ``legacy.full_text``.
  ``promoted: true`` (Zeeschuimer's mark of an ad) gives :data:`AD`; a retweet
  (``legacy.retweeted_status_result.result``) gives a :class:`Retweet` holding
  its original. Links are handle-free: ``https://x.com/i/status/<id>``.
* **Instagram**: the API shape (``caption.text``, ``user.username``,
  ``taken_at``, ``code``) and the GraphQL shape
  (``edge_media_to_caption.edges[0].node.text``, ``owner.username``,
  ``taken_at_timestamp``, ``shortcode``).
* **Threads** (``pk``, ``code``, ``caption.text``, ``user.username``,
  ``taken_at``): the link points to the post, handle-free:
  ``https://www.threads.com/t/<code>``, never to the capture page.
* **TikTok** (``desc``, ``author.uniqueId``, ``createTime``), and other
  platforms through common field names.

Handles are read only to be hashed by the pipeline; none is put in a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from crawlers.items import PostItem
from maraude.errors import InputError

#: What :func:`read_item` returns for a promoted tweet (an ad): not stored.
AD: Final = "ad"


@dataclass
class Retweet:
    """A retweet: its original is stored, the retweet only linked to it."""

    original: PostItem
    native_id: str
    site: str
    url: str


def iso_time(value: Any) -> str | None:
    """ISO-8601 UTC from epoch seconds or milliseconds, or an ISO/Twitter date."""
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    try:
        if number is not None:
            stamp = datetime.fromtimestamp(
                number / 1000 if number > 1e11 else number, UTC
            )
        else:
            text = str(value)
            try:
                stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                stamp = datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError, OSError):
        return None


def get_path(data: Any, *path: str | int) -> Any:
    """``data[path[0]][path[1]]…``, or None where a step is missing."""
    for key in path:
        if isinstance(key, int):
            if not isinstance(data, list) or len(data) <= key:
                return None
        elif not isinstance(data, dict):
            return None
        data = data[key] if isinstance(key, int) else data.get(key)
    return data


def scalar(obj: dict[str, Any], key: str) -> str:
    """``obj[key]`` as a string ("" when absent); a list or object is refused."""
    value = obj.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f'"{key}" is a {type(value).__name__}, not a string')
    return value if isinstance(value, str) else str(value)


def read_item(obj: dict[str, Any], source: str) -> PostItem | Retweet | str:
    """A Zeeschuimer line: a post, a :class:`Retweet` or :data:`AD`."""
    platform_host = scalar(obj, "source_platform").lower()
    data = obj.get("data") or {}
    if not isinstance(data, dict):
        raise InputError(f'"data" is a {type(data).__name__}, not an object')
    platform = platform_host.split(".")[0] or "import"
    if platform in ("twitter", "x"):
        return _tweet(data, obj, source)
    native = str(obj.get("item_id") or data.get("id") or "")
    fields: dict[str, Any]
    if platform == "tiktok":
        fields = _tiktok(data, native)
    elif platform == "instagram":
        fields = _instagram(data)
    elif platform == "threads":
        fields = _threads(data)
        native = str(data.get("pk") or data.get("id") or native)
    else:
        text = data.get("text") or data.get("caption") or data.get("body")
        fields = {
            "text": text.get("text") if isinstance(text, dict) else text,
            "author": get_path(data, "user", "username") or data.get("author"),
            "created": data.get("created_at") or data.get("taken_at"),
            "url": data.get("url"),
        }
    if not native:
        raise InputError("no item id")
    return _item(
        platform,
        platform_host or platform,
        source,
        native,
        fields,
        fallback_url=obj.get("source_url"),
    )


def _item(
    platform: str,
    site: str,
    source: str,
    native: str,
    fields: dict[str, Any],
    fallback_url: Any = None,
) -> PostItem:
    author = fields.get("author")
    return PostItem(
        platform=platform,
        site=site,
        source=source,
        native_id=native,
        text=str(fields.get("text") or ""),
        url=fields.get("url") or fallback_url,
        author=str(author) if author else None,
        created_at=iso_time(fields.get("created")),
    )


def _tiktok(data: dict[str, Any], native: str) -> dict[str, Any]:
    return {
        "text": data.get("desc"),
        "author": get_path(data, "author", "uniqueId"),
        "created": data.get("createTime"),
        # the handle-free form: TikTok redirects it to the video (docs/privacy.md)
        "url": f"https://www.tiktok.com/@/video/{native}" if native else None,
    }


def _instagram(data: dict[str, Any]) -> dict[str, Any]:
    code = data.get("code") or data.get("shortcode")
    text = get_path(data, "caption", "text")
    if text is None:  # the GraphQL shape
        text = get_path(data, "edge_media_to_caption", "edges", 0, "node", "text")
    return {
        "text": text,
        "author": get_path(data, "user", "username")
        or get_path(data, "owner", "username"),
        "created": data.get("taken_at") or data.get("taken_at_timestamp"),
        "url": f"https://www.instagram.com/p/{code}/" if code else None,
    }


def _threads(data: dict[str, Any]) -> dict[str, Any]:
    code = data.get("code")
    return {
        "text": get_path(data, "caption", "text") or data.get("text"),
        "author": get_path(data, "user", "username"),
        "created": data.get("taken_at"),
        "url": f"https://www.threads.com/t/{code}" if code else None,
    }


def _unwrap(tweet: Any) -> dict[str, Any]:
    """The tweet inside a ``TweetWithVisibilityResults`` wrapper (or itself)."""
    if isinstance(tweet, dict) and isinstance(tweet.get("tweet"), dict):
        return tweet["tweet"]
    return tweet if isinstance(tweet, dict) else {}


def _tweet(
    data: dict[str, Any], obj: dict[str, Any], source: str
) -> PostItem | Retweet | str:
    data = _unwrap(data)
    if data.get("promoted") is True or "promotedMetadata" in data:
        return AD
    legacy = data["legacy"] if isinstance(data.get("legacy"), dict) else data
    native = str(
        data.get("rest_id") or legacy.get("id_str") or obj.get("item_id") or ""
    )
    if not native:
        raise InputError("no item id")
    url = f"https://x.com/i/status/{native}"
    original = _unwrap(get_path(legacy, "retweeted_status_result", "result"))
    if original:
        item = _tweet(original, {}, source)
        if not isinstance(item, PostItem):
            raise InputError("a retweet whose original is unreadable")
        return Retweet(item, native, "x.com", url)
    user = get_path(data, "core", "user_results", "result") or {}
    author = (
        get_path(user, "core", "screen_name")
        or get_path(user, "legacy", "screen_name")
        or get_path(data, "user", "screen_name")
    )
    text = get_path(data, "note_tweet", "note_tweet_results", "result", "text")
    fields = {
        "text": text or legacy.get("full_text") or legacy.get("text"),
        "author": author,
        "created": legacy.get("created_at"),
        "url": url,
    }
    return _item("x", "x.com", source, native, fields)
