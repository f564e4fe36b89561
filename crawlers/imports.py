"""Imports for platforms with no public API (TikTok, Instagram, X, Facebook…).

``maraude import FILE --source NAME`` reads

* the **NDJSON** that the Zeeschuimer browser extension exports (as used with
  4CAT): one object per line with ``source_platform`` and the platform's own
  item in ``data``; TikTok, Instagram, X/Twitter, Threads and LinkedIn items are
  understood, other platforms through common field names;
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
(``errors`` when a record could not be read).
"""

from __future__ import annotations

import csv
import io
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawlers.items import MALFORMED, PostItem
from crawlers.pipelines import normalise_item, post_row, pseudonymise_item
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
    errors: list[str] = field(default_factory=list)


def _iso(value: Any) -> str | None:
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


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _zeeschuimer(obj: dict[str, Any], source: str) -> PostItem:
    """A Zeeschuimer item (``source_platform`` + the platform's ``data``)."""
    platform_host = _scalar(obj, "source_platform").lower()
    data = obj.get("data") or {}
    if not isinstance(data, dict):
        raise InputError(f'"data" is a {type(data).__name__}, not an object')
    platform = platform_host.split(".")[0] or "import"
    native = str(obj.get("item_id") or data.get("id") or "")
    text = author = created = url = None
    if platform == "tiktok":
        text, author = data.get("desc"), _get(data, "author", "uniqueId")
        created = data.get("createTime")
        if native:  # the handle-free form: TikTok redirects it to the video
            url = f"https://www.tiktok.com/@/video/{native}"  # (docs/privacy.md)
    elif platform == "instagram":
        text = _get(data, "caption", "text")
        author, created = _get(data, "user", "username"), data.get("taken_at")
        if data.get("code"):
            url = f"https://www.instagram.com/p/{data['code']}/"
    elif platform in ("twitter", "x"):
        legacy = data.get("legacy") or data
        text, created = (
            legacy.get("full_text") or legacy.get("text"),
            legacy.get("created_at"),
        )
        author = _get(data, "core", "user_results", "result", "legacy", "screen_name")
        native = str(data.get("rest_id") or native)
        url = f"https://x.com/i/status/{native}" if native else None
        platform = "x"
    else:
        text = data.get("text") or data.get("caption") or data.get("body")
        if isinstance(text, dict):
            text = text.get("text")
        author = _get(data, "user", "username") or data.get("author")
        created = data.get("created_at") or data.get("taken_at")
        url = data.get("url")
    if not native:
        raise InputError("no item id")
    return PostItem(
        platform=platform,
        site=platform_host or platform,
        source=source,
        native_id=native,
        text=str(text or ""),
        url=url or obj.get("source_url"),
        author=str(author) if author else None,
        created_at=_iso(created),
    )


def _scalar(obj: dict[str, Any], key: str) -> str:
    """``obj[key]`` as a string ("" when absent); a list or object is refused."""
    value = obj.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f'"{key}" is a {type(value).__name__}, not a string')
    return value if isinstance(value, str) else str(value)


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


def import_file(path: Path, source: str, db_path: Path, secret: str) -> ImportResult:
    """Import ``path`` into the database as source ``source``."""
    database = mdb.open_db(db_path)
    optout = mdb.optout_hashes(database)
    old_keys = old_secrets()
    run_id = mdb.start_crawl_run(database, source, "import")
    result = ImportResult()
    status = "failed"  # unless the loop ends: the run is never left 'running'
    try:
        for number, obj, error in _records(path):
            result.read += 1
            try:
                outcome = _import_one(
                    database, obj, error, source, secret, optout, old_keys
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
) -> str:
    """Store one record: ``new``, ``updated``, ``unchanged`` or ``dropped``
    (empty or opted out: filtered, not an error)."""
    if obj is None:
        raise InputError(error)
    parse = _zeeschuimer if "source_platform" in obj else _generic
    item = normalise_item(parse(obj, source))
    if not item.text and not item.title:
        return "dropped"
    if not pseudonymise_item(item, secret, optout, old_keys):
        return "dropped"
    return str(mdb.upsert_post(database, post_row(item)))


def _has_content(path: Path) -> bool:
    with path.open("rb") as handle:
        return bool(handle.read(4096).strip())
