"""The one item every spider yields."""

from __future__ import annotations

from dataclasses import dataclass

# What a malformed item from outside raises while it is parsed: caught per item
# (the item is rejected with its reason, the others go on), never a traceback.
MALFORMED = (
    AttributeError,
    TypeError,
    KeyError,
    ValueError,
    IndexError,
    RecursionError,
    OverflowError,
)


@dataclass
class PostItem:
    """A public post as a spider found it.

    ``author`` holds the raw handle only in memory, between the spider and the
    pseudonymisation pipeline, which replaces it by ``author_hash``; it is never
    stored or logged.
    """

    platform: str
    site: str
    source: str
    native_id: str
    text: str
    url: str | None = None
    title: str | None = None
    author: str | None = None
    author_hash: str | None = None
    created_at: str | None = None
    parent_native_id: str | None = None
    thread_title: str | None = None
    lang: str | None = None
    # Other people's words the post quotes, kept apart for display: never
    # scored or searched (``text`` is the author's own words).
    quoted: str | None = None
    html: bool = False  # True when ``text`` is HTML that must be turned into text
