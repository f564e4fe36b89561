"""What every Maraude spider shares: its source, its database and its state."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlparse

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from crawlers.items import MALFORMED
from crawlers.logformatter import redact
from crawlers.storage import release_db, shared_db
from crawlers.walk import FeedWalk
from maraude import db as mdb
from maraude.errors import ConfigError
from maraude.sources import Source, SourceSchema

T = TypeVar("T")
# A run with items that could not be parsed or stored keeps its high-water
# marks, so the next run reads those items again; after this many runs in a row
# they are given up (an error in the run report) and the marks move on.
MAX_HELD_RUNS = 3


class _ErrorCounter(logging.Handler):
    """Counts this spider's ERROR records in ``maraude/errors``.

    Scrapy's ``log_count/ERROR`` counts every error of the process, so in a
    multi-source crawl each source got the others' errors too. A record that
    names another spider is not counted; one that names none is (an unknown
    error is never hidden).
    """

    def __init__(self, spider: SourceSpider) -> None:
        super().__init__(level=logging.ERROR)
        self.spider = spider

    def emit(self, record: logging.LogRecord) -> None:
        owner = getattr(record, "spider", None)
        if owner is None or owner is self.spider:
            self.spider.crawler.stats.inc_value("maraude/errors")


class SourceSpider(scrapy.Spider):
    """A spider bound to one configured :class:`~maraude.sources.Source`.

    Each platform's spider sets ``name = platform = "<platform>"``: Scrapy's
    registry (``scrapy list``) names the platforms, and
    ``scrapy crawl <platform> -a source=NAME`` crawls one source of the sources
    file with the settings ``maraude crawl`` uses (see :mod:`crawlers.env`).
    An instance is named ``<platform>:<source>`` in the log.
    """

    platform = ""
    #: The keys of this platform's sources; None: those of maraude.sources.SCHEMAS.
    source_schema: ClassVar[SourceSchema | None] = None

    def __init__(self, source: Source, *args: Any, **kwargs: Any) -> None:
        kwargs["name"] = f"{self.platform}:{source.name}"
        super().__init__(*args, **kwargs)
        self.source = source
        self.settings_ = source.settings
        self.pages = 0
        self._db: Any = None
        self._walks: dict[str, FeedWalk] = {}
        self.failures = 0  # items that could not be parsed or stored
        self._hold: bool | None = None
        self._counter: _ErrorCounter | None = None
        self._standalone = False  # made by scrapy crawl, not maraude crawl
        self._lock = ExitStack()

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> Any:
        if args and "source" not in kwargs:
            kwargs["source"], args = args[0], args[1:]
        standalone = not isinstance(kwargs.get("source"), Source)
        lock = ExitStack()
        if standalone:  # scrapy crawl PLATFORM -a source=NAME (Scrapy, scrapyd)
            kwargs["source"] = cls._compose(crawler, kwargs.get("source"), lock)
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._standalone = standalone
        spider._lock = lock
        crawler.signals.connect(spider._count_errors, signal=signals.spider_opened)
        crawler.signals.connect(spider._item_failed, signal=signals.item_error)
        crawler.signals.connect(spider._callback_failed, signal=signals.spider_error)
        return spider

    @classmethod
    def _compose(cls, crawler: Any, name: Any, lock: ExitStack) -> Source:
        """The source named by ``-a source=NAME``, its settings from the environment.

        Settings given with ``-s`` on Scrapy's command line still win; the
        source is locked like ``maraude crawl`` locks it.
        """
        from crawlers.compose import standalone_settings
        from crawlers.run import stop_from_thread
        from maraude.locks import source_lock

        if not isinstance(name, str) or not name:
            raise ConfigError(
                f"scrapy crawl {cls.platform} needs -a source=NAME, a "
                f"{cls.platform} source of the sources file (MARAUDE_SOURCES, "
                "else config/sources.toml)."
            )
        source, values = standalone_settings(cls.platform, name)
        for key, value in values.items():
            crawler.settings.set(key, value, priority="project")
        if source.delay is not None:
            crawler.settings.set("DOWNLOAD_DELAY", source.delay, priority="spider")
        if source.is_local:
            crawler.settings.set("AUTOTHROTTLE_ENABLED", False, priority="spider")
        # A path or a postgresql:// URL (Path() would fold its "//").
        lease = lock.enter_context(source_lock(values["MARAUDE_DB"], source.name))
        if not lease:
            lock.close()
            raise ConfigError(
                f"Another crawl of source {source.name!r} is running: wait for it "
                "to end, then run this one again."
            )
        lease.on_lost(lambda: stop_from_thread(crawler))
        return source

    def _count_errors(self, spider: Any) -> None:
        if spider is self and self._counter is None:
            self._counter = _ErrorCounter(self)
            logging.getLogger().addHandler(self._counter)

    def _item_failed(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        if spider is self:  # a pipeline raised (Scrapy logged it as an error)
            self.failures += 1

    def _callback_failed(self, failure: Any, response: Any, spider: Any) -> None:
        if spider is self:  # a callback raised: the rest of its page was lost
            self.failures += 1

    def reject(self, what: str, url: str | None, reason: str) -> None:
        """Record an item that cannot be parsed or stored (an error, counted).

        The run keeps its high-water marks (see :meth:`hold_marks`), so the item
        is read again next run. Never give post text as ``reason``, nor a
        post's own URL (it may hold a handle): the page's URL, or None.
        """
        self.failures += 1
        self.crawler.stats.inc_value("maraude/rejected")
        self.logger.error(
            "rejected %s of source %s%s: %s",
            redact(what),
            self.source.name,
            f" at {redact(url)}" if url else "",
            redact(reason),
        )

    def parse_item(
        self,
        parse: Callable[..., T | None],
        *args: Any,
        url: str | None = None,
        what: str = "",
    ) -> T | None:
        """``parse(*args)``, or None (rejected) when the raw item is malformed.

        One malformed item never stops the page: the others are still parsed.
        ``what`` names the item in the log (a position or an id, never text).
        """
        try:
            return parse(*args)
        except MALFORMED as e:
            name = f"{self.platform} item {what}".strip()
            self.reject(name, url, f"malformed ({e.__class__.__name__})")
            return None

    def hold_marks(self) -> bool:
        """Whether this run must keep the marks it started with (decided once).

        True when items failed in this run, for up to ``MAX_HELD_RUNS`` runs in
        a row; after that they are given up, with an error.
        """
        if self._hold is not None:
            return self._hold
        state = self.state()
        runs = int(state.get("held_runs") or 0) + 1 if self.failures else 0
        self._hold = 0 < runs < MAX_HELD_RUNS
        if self._hold:
            self.logger.warning(
                "source %s: %d item(s) failed; its marks stay where they were, so "
                "they are read again next run (%d of %d)",
                self.source.name,
                self.failures,
                runs,
                MAX_HELD_RUNS,
            )
            state["held_runs"] = runs
        elif runs or "held_runs" in state:
            if runs:
                self.logger.error(
                    "source %s: %d item(s) failed again after %d runs: given up "
                    "(see the errors above for their ids)",
                    self.source.name,
                    self.failures,
                    MAX_HELD_RUNS,
                )
            state.pop("held_runs", None)
        else:
            return self._hold
        self.save_state(state)
        return self._hold

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
        # After a failed item, no mark may claim the pages read so far.
        if saved is not None and not self.failures:
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
        # A body over DOWNLOAD_MAXSIZE (a gzip bomb, say) is ignored by Scrapy,
        # yet the page was not read: an error, not a request skipped on purpose.
        too_big = "DOWNLOAD_MAXSIZE" in str(failure.value)
        quiet = quiet or bool(
            failure.check(IgnoreRequest) and status is None and not too_big
        )
        (self.logger.warning if quiet else self.logger.error)(
            "request failed for source %s at %s: %s",
            self.source.name,
            failure.request.url,
            f"HTTP {status}"
            if status
            else "body over DOWNLOAD_MAXSIZE"
            if too_big
            else failure.value.__class__.__name__,
        )

    def on_error(self, failure: Any) -> Iterator[Any] | None:
        """The errback of every request: log it (spiders may do more, and yield
        requests to try instead)."""
        self.log_failure(failure)
        return None

    def closed(self, reason: str) -> None:
        """Every item went through the pipelines: save each walk's final mark.

        When items failed, the marks stay (:meth:`hold_marks`).
        """
        if not self.hold_marks() and self._walks:
            state = self.state()
            feeds = state.setdefault("feeds", {})
            for key, walk in self._walks.items():
                feeds[key] = walk.final()
            self.save_state(state)
        if self._counter is not None:
            logging.getLogger().removeHandler(self._counter)
            self._counter = None
        if self._db is not None:
            release_db(self.crawler.settings.get("MARAUDE_DB"))
        if self._standalone:
            self._finish_standalone()

    def _finish_standalone(self) -> None:
        """After ``scrapy crawl``: link copies (as ``maraude crawl`` does), unlock."""
        try:
            if self.crawler.settings.getdict("ITEM_PIPELINES"):
                from crawlers.dedupe import link_copies_at

                link_copies_at(self.crawler.settings.get("MARAUDE_DB"))
        finally:
            self._lock.close()


def load_json(response: Any) -> Any:
    """A JSON body, decoded as UTF-8 (RFC 8259) whatever the headers say.

    Invalid bytes become U+FFFD instead of turning the whole body into mojibake
    through a guessed encoding. Raises ``ValueError`` on malformed JSON.
    """
    return json.loads(response.body.decode("utf-8", errors="replace"))


def host_of(url: str) -> str:
    return (urlparse(url).hostname or "").lower()
