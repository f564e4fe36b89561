"""The item pipeline every source goes through.

Validate → normalise (plain text, NFC, the author's own words apart from
quotes, masking, language) → keep the languages the model reads
(``[classifier] languages``; others counted, not stored) → pseudonymise the
author and honour the opt-out register → store through :mod:`maraude.db`.
Post text and handles are never logged: only ids, URLs and counts.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.asyncio import call_later

from crawlers.items import PostItem
from crawlers.lang import accepted, guess_lang, plausible
from crawlers.logformatter import redact
from crawlers.storage import release_db, shared_db
from crawlers.text import clean_str, normalise, own_words
from maraude import db as mdb
from maraude.errors import InputError
from maraude.privacy import (
    author_hash,
    content_hash,
    mask_text,
    old_secrets,
    url_hash,
)

logger = logging.getLogger(__name__)


class _StatsMixin:
    crawler: Any

    def _inc(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"maraude/{key}", n)


class ValidatePipeline(_StatsMixin):
    """Drop items that cannot be stored (no id, nothing to read)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: PostItem) -> PostItem:
        if not isinstance(item, PostItem) or not item.native_id:
            self._inc("dropped")
            raise DropItem("item without a native id")
        if not (item.text or "").strip() and not (item.title or "").strip():
            self._inc("dropped")
            raise DropItem(f"empty post {item.native_id} at {item.url}")
        return item


# Short fields from outside: scalars become strings, anything else is refused.
_SHORT_FIELDS = (
    "platform",
    "site",
    "source",
    "native_id",
    "url",
    "author",
    "created_at",
    "parent_native_id",
    "lang",
)
MAX_FIELD_CHARS = 2_000


def _short(name: str, value: Any) -> str | None:
    if value is None or value == "":
        return None if name != "native_id" else ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(
            f"{name} is a {type(value).__name__}, not a string: fix the source data"
        )
    text = clean_str(value if isinstance(value, str) else _number(name, value))
    if len(text) > MAX_FIELD_CHARS:
        raise InputError(f"{name} is over {MAX_FIELD_CHARS} characters")
    return text


def _long(name: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number(name, value)
    raise InputError(
        f"{name} is a {type(value).__name__}, not a string: fix the source data"
    )


def _number(name: str, value: float) -> str:
    try:
        return repr(value)
    except ValueError:  # an int of thousands of digits
        raise InputError(f"{name} is a number too long to be an id") from None


def check_fields(item: PostItem) -> PostItem:
    """Every field a string (or None), valid Unicode (in place).

    Numbers from outside (a numeric author, say) become strings; a list or an
    object where a string belongs raises :class:`~maraude.errors.InputError`.
    Lone surrogates are replaced, so hashing and storing cannot fail.
    """
    for name in _SHORT_FIELDS:
        setattr(item, name, _short(name, getattr(item, name)))
    item.text = _long("text", item.text) or ""
    item.title = _long("title", item.title)
    item.thread_title = _long("thread_title", item.thread_title)
    return item


def normalise_item(item: PostItem) -> PostItem:
    """HTML → plain text, NFC, tidy whitespace, masking, language (in place).

    Raises :class:`~maraude.errors.InputError` when a field is not text.
    """
    check_fields(item)
    own, quoted = own_words(normalise(item.text or "", is_html=item.html))
    item.text = mask_text(own)
    item.quoted = mask_text(quoted) or None
    item.html = False
    raw_title = item.title
    if item.title:
        item.title = mask_text(normalise(item.title))
    if item.thread_title:
        # A thread's first post carries the thread's title: do it once.
        same = item.thread_title == raw_title
        item.thread_title = (
            item.title if same else mask_text(normalise(item.thread_title))
        )
    # The identifier reads the author's own words. For a post too short to
    # tell, the platform's tag (often a client's default) stands in, else
    # the thread it answers (its title, the words it quotes); else no
    # language, and the post is kept.
    declared = (item.lang or "").split("-")[0].lower() or None
    item.lang = (
        guess_lang(f"{item.title or ''}\n{item.text}")
        or declared
        or guess_lang(f"{item.thread_title or ''}\n{item.quoted or ''}")
    )
    return item


def pseudonymise_item(
    item: PostItem, secret: str, optout: set[str], old_keys: Sequence[str] = ()
) -> bool:
    """Replace the handle by its keyed hash; False when the post is opted out.

    ``old_keys`` (after a key rotation) are tried too, so opt-out entries
    hashed with them still match.
    """
    handle, item.author = item.author, None
    if handle:
        item.author_hash = author_hash(secret, item.platform, item.site, handle)
    if not optout:
        return True
    for key in (secret, *old_keys):
        if handle and author_hash(key, item.platform, item.site, handle) in optout:
            return False
        if item.url and url_hash(key, item.url) in optout:
            return False
    return True


def post_row(item: PostItem) -> dict[str, Any]:
    """The ``posts`` row of a normalised, pseudonymised item."""
    return {
        "platform": item.platform,
        "site": item.site,
        "source": item.source,
        "native_id": item.native_id,
        "url": item.url,
        "author_hash": item.author_hash,
        "title": item.title,
        "text": item.text,
        "quoted": item.quoted,
        "lang": item.lang,
        "created_at": item.created_at,
        "fetched_at": mdb.now_iso(),
        "content_hash": content_hash(f"{item.title or ''}\n{item.text}"),
        "parent_native_id": item.parent_native_id,
        "thread_title": item.thread_title,
    }


class NormalisePipeline:
    """HTML → plain text, NFC, tidy whitespace, masking, language.

    An item whose fields are not text is rejected (an error, counted; the
    spider keeps its marks so it is read again), never a traceback.
    """

    def __init__(self, crawler: Any = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> NormalisePipeline:
        return cls(crawler)

    def process_item(self, item: PostItem) -> PostItem:
        try:
            return normalise_item(item)
        except InputError as e:
            _reject(getattr(self.crawler, "spider", None), item, str(e))
            raise DropItem(f"rejected: {e}") from None


class LanguagePipeline(_StatsMixin):
    """Keep posts in the languages the model reads (``MARAUDE_LANGUAGES``).

    A post in another language is not stored (data minimisation), only
    counted (``other_language`` in the run's row); a post too short to tell
    has no language and is kept, and so is a post that an accepted language
    reads plausibly (:func:`crawlers.lang.plausible`).
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.languages = frozenset(crawler.settings.getlist("MARAUDE_LANGUAGES"))

    @classmethod
    def from_crawler(cls, crawler: Any) -> LanguagePipeline:
        return cls(crawler)

    def process_item(self, item: PostItem) -> PostItem:
        if accepted(item.lang, self.languages):
            return item
        # A short French post can look like another language: kept when
        # French (an accepted language) is still a plausible reading.
        rescued = plausible(f"{item.title or ''}\n{item.text}", self.languages)
        if rescued is None:
            self._inc("other_language")
            raise DropItem(f"in {item.lang}: {item.platform} post {item.native_id}")
        item.lang = rescued
        return item


def _reject(spider: Any, item: PostItem, reason: str) -> None:
    name = f"{getattr(item, 'platform', '?')} post {getattr(item, 'native_id', '?')}"
    if hasattr(spider, "reject"):  # by id: a post's URL may hold a handle
        spider.reject(name, None, reason)
    else:
        logger.error("rejected %s: %s", redact(name), reason)


class PseudonymisePipeline(_StatsMixin):
    """Replace the author's handle by a keyed hash; drop opted-out authors and URLs."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.secret: str = crawler.settings.get("MARAUDE_SECRET")
        if not self.secret:
            raise ValueError("MARAUDE_SECRET setting is required by the pipelines")
        self.optout: set[str] = set()
        self.old_keys = old_secrets()

    @classmethod
    def from_crawler(cls, crawler: Any) -> PseudonymisePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.optout = mdb.optout_hashes(self.crawler.spider.db)

    def process_item(self, item: PostItem) -> PostItem:
        if not pseudonymise_item(item, self.secret, self.optout, self.old_keys):
            self._inc("dropped")
            raise DropItem(f"opted out: {item.platform} post {item.native_id}")
        return item


class SQLitePipeline(_StatsMixin):
    """Store posts in batches; one ``crawl_runs`` row per spider run.

    The pipeline writes through the spider's own connection, the one its walk
    checkpoints use, so a checkpoint and the posts before it are committed
    together: whatever the moment a crawl is killed, no checkpoint claims posts
    that are not stored. Batches are committed after ``BATCH`` posts, after
    ``COMMIT_AFTER`` seconds (never holding the write lock across network
    waits), and when the spider closes.
    """

    BATCH = 500
    COMMIT_AFTER = 0.2

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.db_path: str = crawler.settings.get("MARAUDE_DB")
        self.db: Any = None
        self.run_id = 0
        self.pending = 0
        self.timer: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> SQLitePipeline:
        pipeline = cls(crawler)
        # The run's outcome is known only once the spider has closed.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.db = spider.db
        self.run_id = mdb.start_crawl_run(self.db, spider.source.name, spider.platform)

    def commit(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.db is not None and self.db.conn.in_transaction:
            with mdb.translate_busy(self.db_path):
                self.db.conn.execute("COMMIT")
        self.pending = 0

    def close_spider(self) -> None:
        self.commit()

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Write the run's row: requests, new, updated, dropped, errors, status."""
        stats = self.crawler.stats
        summary = {
            "requests": stats.get_value("downloader/request_count", 0),
            "new": stats.get_value("maraude/new", 0),
            "updated": stats.get_value("maraude/updated", 0),
            "dropped": stats.get_value("maraude/dropped", 0),
            "other_language": stats.get_value("maraude/other_language", 0),
            # This spider's own errors (log_count/ERROR counts the process's).
            "errors": stats.get_value("maraude/errors", 0),
        }
        if reason != "finished":
            status = "failed"
        else:
            status = "errors" if summary["errors"] else "ok"
        # The spider has let the shared connection go: take it back a moment
        # (opening a second one could wait on another source's transaction).
        database = shared_db(self.db_path)
        try:
            mdb.finish_crawl_run(database, self.run_id, status, summary)
        finally:
            release_db(self.db_path)

    def process_item(self, item: PostItem) -> PostItem:
        try:
            row = post_row(item)
            with mdb.translate_busy(self.db_path):
                if not self.db.conn.in_transaction:
                    mdb.begin_write(self.db)  # the lock now, not at the first write
                    self.timer = call_later(self.COMMIT_AFTER, self.commit)
                outcome = mdb.upsert_post(self.db, row)
        except (sqlite3.Error, ValueError, TypeError, UnicodeError) as e:
            # The post is not stored: the spider keeps its marks, so the next
            # run reads it again. A busy database (MaraudeError) stops the run.
            _reject(self.crawler.spider, item, f"not stored ({e.__class__.__name__})")
            raise DropItem("not stored") from None
        self._inc(outcome)
        self.pending += 1
        if self.pending >= self.BATCH:
            self.commit()
        return item
