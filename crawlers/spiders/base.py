"""What every Maraude spider shares: its source, its database and its state."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from crawlers.storage import release_db, shared_db
from crawlers.walk import FeedWalk
from maraude import db as mdb
from maraude.sources import Source


class SourceSpider(scrapy.Spider):
    """A spider bound to one configured :class:`~maraude.sources.Source`."""

    platform = ""

    def __init__(self, source: Source, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, name=f"{self.platform}:{source.name}", **kwargs)
        self.source = source
        self.settings_ = source.settings
        self.pages = 0
        self._db: Any = None
        self._walks: dict[str, FeedWalk] = {}

    @property
    def max_pages(self) -> int:
        if self.source.max_pages is not None:
            return int(self.source.max_pages)
        return int(self.crawler.settings.getint("MARAUDE_MAX_PAGES", 20))

    @property
    def db(self) -> Any:
        """The crawl's connection, shared by every spider and pipeline in the process.

        One connection means one transaction at a time: posts and the walk
        checkpoints that vouch for them commit together, and two sources crawled
        at once never wait on each other's write lock (which, on the one reactor
        thread, would be a deadlock).
        """
        if self._db is None:
            self._db = shared_db(self.crawler.settings.get("MARAUDE_DB"))
        return self._db

    def state(self) -> dict[str, Any]:
        return mdb.get_source_state(self.db, self.source.name)

    def save_state(self, state: dict[str, Any]) -> None:
        mdb.set_source_state(self.db, self.source.name, self.platform, state)

    def walk(self, key: str) -> FeedWalk:
        """The incremental walk of one feed of this source (see crawlers.walk)."""
        if key not in self._walks:
            feeds = self.state().get("feeds", {})
            self._walks[key] = FeedWalk(state=feeds.get(key, {}))
        return self._walks[key]

    def checkpoint(self, key: str, cursor: Any) -> None:
        """The page at ``cursor`` of feed ``key`` arrived: save the resume point."""
        walk = self.walk(key)
        walk.requested(cursor)
        saved = walk.checkpoint()
        if saved is not None:
            self._save_feed(key, saved)

    def _save_feed(self, key: str, feed_state: dict[str, Any]) -> None:
        state = self.state()
        state.setdefault("feeds", {})[key] = feed_state
        self.save_state(state)

    def seen(self, site: str, native_id: str) -> bool:
        return mdb.has_post(self.db, self.platform, site, native_id)

    def log_failure(self, failure: Any, *, quiet: bool = False) -> None:
        """Log a failed request with its source and URL, never a post's text.

        An ERROR is counted in the run's errors; a request ignored on purpose
        (robots.txt, a duplicate) or marked ``quiet`` is only a WARNING.
        """
        status = failure.value.response.status if failure.check(HttpError) else None
        quiet = quiet or bool(failure.check(IgnoreRequest) and status is None)
        (self.logger.warning if quiet else self.logger.error)(
            "request failed for source %s at %s: %s",
            self.source.name,
            failure.request.url,
            f"HTTP {status}" if status else failure.value.__class__.__name__,
        )

    def on_error(self, failure: Any) -> None:
        """The errback of every request: log it (spiders may do more)."""
        self.log_failure(failure)

    def closed(self, reason: str) -> None:
        """Every item went through the pipelines: save each walk's final mark."""
        for key, walk in self._walks.items():
            self._save_feed(key, walk.final())
        if self._db is not None:
            release_db(self.crawler.settings.get("MARAUDE_DB"))


def load_json(response: Any) -> Any:
    """A JSON body, decoded as UTF-8 (RFC 8259) whatever the headers say.

    Invalid bytes become U+FFFD instead of turning the whole body into mojibake
    through a guessed encoding. Raises ``ValueError`` on malformed JSON.
    """
    return json.loads(response.body.decode("utf-8", errors="replace"))


def host_of(url: str) -> str:
    return (urlparse(url).hostname or "").lower()
