"""Imports for platforms with no public API (TikTok, Instagram, X, Facebook…).

``maraude import FILE --source NAME`` reads

* the **NDJSON** that the Zeeschuimer browser extension exports (as used with
  4CAT): one object per line with ``source_platform`` and the platform's own
  item in ``data``; TikTok, Instagram, X/Twitter, Threads and LinkedIn items are
  understood in the shapes the extension exports (:mod:`crawlers.zeeschuimer`),
  other platforms through common field names. Promoted posts (ads) are not
  stored, only counted (``ads``); a retweet stores its original (once) and is
  linked to it (``retweets``), not stored as a post of its own;
* our **JSON Lines** format: one object per line with ``platform``,
  ``native_id``, ``text`` and optionally ``site``, ``url``, ``title``,
  ``author``, ``created_at`` (ISO-8601), ``parent_native_id``,
  ``thread_title``;
* the same columns as **CSV** (a header line, UTF-8).

Every post goes through the crawlers' pipeline (normalise, mask, pseudonymise,
opt-out) and is stored through :mod:`maraude.db`. A bad line is reported with
its number and skipped; the import goes on: one bad record never costs a good
one. Lines over 1 MB are skipped unread (:mod:`maraude.lines`), numbers become
strings, a list or an object where a string belongs is an error, lone
surrogates are repaired. The run is always finished in ``crawl_runs``
(``errors`` when a record could not be read). Copies of posts already stored
(a cross-post) are then linked to them (:mod:`crawlers.dedupe`): one lead.
"""

from __future__ import annotations

import csv
import io
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawlers.dedupe import link_copies
from crawlers.items import MALFORMED, PostItem
from crawlers.lang import accepted, plausible
from crawlers.pipelines import normalise_item, post_row, pseudonymise_item
from crawlers.zeeschuimer import Retweet, read_item
from crawlers.zeeschuimer import iso_time as _iso
from crawlers.zeeschuimer import scalar as _scalar
from maraude import db as mdb
from maraude.errors import InputError
from maraude.lines import MAX_LINE_BYTES, LineError, bounded_lines, parse_json_line
from maraude.privacy import old_secrets

logger = logging.getLogger(__name__)

MAX_ERRORS_SHOWN = 20


@dataclass
class ImportResult:
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    dropped: int = 0
    ads: int = 0  # promoted posts: dropped, counted apart
    retweets: int = 0  # linked to their original, not stored as posts
    other_language: int = 0  # outside [classifier] languages: counted, not stored
    errors: list[str] = field(default_factory=list)


def _generic(obj: dict[str, Any], source: str) -> PostItem:
    """Our documented JSON Lines / CSV format."""
    missing = [k for k in ("platform", "native_id", "text") if not obj.get(k)]
    if missing:
        raise InputError(f"missing {', '.join(missing)}")
    platform = _scalar(obj, "platform").lower()
    return PostItem(
        platform=platform,
        site=(_scalar(obj, "site") or platform).lower(),
        source=source,
        native_id=obj["native_id"],
        text=obj["text"],
        url=obj.get("url") or None,
        title=obj.get("title") or None,
        author=obj.get("author") or None,
        created_at=_iso(obj.get("created_at")),
        parent_native_id=obj.get("parent_native_id") or None,
        thread_title=obj.get("thread_title") or None,
    )


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(line number, object or None, error) for each record of the file."""
    try:
        handle = path.open("rb")
    except OSError as e:
        raise InputError(f"Cannot read {path}: {e.strerror}.") from None
    with handle:
        if path.suffix.lower() == ".csv":
            yield from _csv_records(handle)
            return
        for number, line in bounded_lines(handle):
            if line is None:
                yield number, None, f"over {MAX_LINE_BYTES // 1024} KiB: skipped"
                continue
            if not line.strip():
                continue
            try:
                obj = parse_json_line(
                    line.decode("utf-8", errors="replace"), surrogates=True
                )
            except LineError as e:
                yield number, None, f"not JSON ({e})"
                continue
            if not isinstance(obj, dict):
                yield number, None, "not a JSON object"
                continue
            yield number, obj, ""


def _csv_records(
    handle: io.BufferedReader,
) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """CSV rows by line number; a row the csv module refuses is an error."""
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace", newline="")
    reader = csv.DictReader(text)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:  # e.g. a field over the csv module's limit
            yield reader.line_num, None, f"unreadable CSV row ({e})"
            continue
        if None in row:  # more fields than the header names
            row.pop(None)
        yield reader.line_num, dict(row), ""


def import_file(
    path: Path,
    source: str,
    db_path: Path,
    secret: str,
    languages: Iterable[str] = ("fr",),
) -> ImportResult:
    """Import ``path`` into the database as source ``source``.

    Posts outside ``languages`` (``[classifier] languages``) are not stored,
    only counted (``other_language``), as in a crawl."""
    database = mdb.open_db(db_path)
    optout = mdb.optout_hashes(database)
    old_keys = old_secrets()
    run_id = mdb.start_crawl_run(database, source, "import")
    result = ImportResult()
    keep = frozenset(languages)
    status = "failed"  # unless the loop ends: the run is never left 'running'
    try:
        for number, obj, error in _records(path):
            result.read += 1
            try:
                outcome = _import_one(
                    database, obj, error, source, secret, optout, old_keys, keep
                )
            except InputError as e:
                result.errors.append(f"{path.name}, line {number}: {e}")
            except (*MALFORMED, sqlite3.Error) as e:
                result.errors.append(
                    f"{path.name}, line {number}: unreadable record "
                    f"({e.__class__.__name__}): fix or drop the line"
                )
            else:
                setattr(result, outcome, getattr(result, outcome) + 1)
        if result.read == 0 and _has_content(path):
            result.errors.append(
                f"{path.name}: no record found: expected JSON Lines (one object per "
                "line) or CSV with a header line (platform,native_id,text,…)"
            )
        link_copies(database)  # a cross-post already stored makes no new lead
        status = "errors" if result.errors else "ok"
    finally:
        mdb.finish_crawl_run(
            database,
            run_id,
            status,
            {
                "new": result.new,
                "updated": result.updated,
                "dropped": result.dropped,
                "errors": len(result.errors),
            },
        )
        database.close()
    logger.info(
        "imported %d records from %s (%d errors)",
        result.read,
        path.name,
        len(result.errors),
    )
    return result


def _import_one(
    database: Any,
    obj: dict[str, Any] | None,
    error: str,
    source: str,
    secret: str,
    optout: set[str],
    old_keys: list[str],
    languages: frozenset[str],
) -> str:
    """Store one record: ``new``, ``updated``, ``unchanged``, ``dropped``
    (empty or opted out) or ``other_language``: filtered, not an error."""
    if obj is None:
        raise InputError(error)
    parsed = (
        read_item(obj, source) if "source_platform" in obj else _generic(obj, source)
    )
    if isinstance(parsed, Retweet):
        return _import_retweet(database, parsed, secret, optout, old_keys, languages)
    if not isinstance(parsed, PostItem):  # AD: a promoted post
        return "ads"
    return _store(database, parsed, secret, optout, old_keys, languages)


def _store(
    database: Any,
    item: PostItem,
    secret: str,
    optout: set[str],
    old_keys: list[str],
    languages: frozenset[str],
) -> str:
    item = normalise_item(item)
    if not item.text and not item.title:
        return "dropped"
    if not accepted(item.lang, languages):
        # The crawl's rule (LanguagePipeline): kept only when an accepted
        # language is still a plausible reading of a short post.
        rescued = plausible(f"{item.title or ''}\n{item.text}", languages)
        if rescued is None:
            return "other_language"
        item.lang = rescued
    if not pseudonymise_item(item, secret, optout, old_keys):
        return "dropped"
    return str(mdb.upsert_post(database, post_row(item)))


def _import_retweet(
    database: Any,
    retweet: Retweet,
    secret: str,
    optout: set[str],
    old_keys: list[str],
    languages: frozenset[str],
) -> str:
    """Store the retweeted post (once) and link the retweet to it: ``retweets``,
    or what filtered the original out (``dropped``, ``other_language``)."""
    original = retweet.original
    stored = _store(database, original, secret, optout, old_keys, languages)
    if stored in ("dropped", "other_language"):
        return stored
    post_id = mdb.post_id(
        database, original.platform, original.site, original.native_id
    )
    if post_id is not None:
        mdb.link_unstored_copy(
            database,
            post_id,
            platform=original.platform,
            site=retweet.site,
            native_id=retweet.native_id,
            url=retweet.url,
        )
    return "retweets"


def _has_content(path: Path) -> bool:
    with path.open("rb") as handle:
        return bool(handle.read(4096).strip())
