"""Scoring at run time: the database (``maraude classify``) and a stream
(``maraude predict``)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, TextIO, cast

from sqlite_utils import Database

from classifier.embed import CachedEmbedder
from classifier.model import MaraudeClassifier
from classifier.text import post_text
from maraude.db import save_predictions, unscored_posts
from maraude.lines import MAX_LINE_BYTES, LineError, bounded_lines, parse_json_line

logger = logging.getLogger(__name__)


def classify_db(
    db: Database,
    model: MaraudeClassifier,
    batch_size: int = 64,
    progress: Callable[[int], Any] | None = None,
) -> dict[str, int]:
    """Score every post that has no prediction from this model version.

    Streams the posts in batches and saves each batch before reading the next,
    so an interrupted run resumes where it stopped. ``progress(n_done)`` is
    called after each batch. Returns counts: ``scored``, ``leads_created``,
    ``leads_updated``, ``crisis`` (either level) and ``crisis_sure``.
    """
    version = model.version_
    counts = {
        "scored": 0,
        "leads_created": 0,
        "leads_updated": 0,
        "crisis": 0,
        "crisis_sure": 0,
    }
    inner = model.embedder_
    model.embedder_ = CachedEmbedder(inner, db)
    try:
        _classify_batches(db, model, version, batch_size, progress, counts)
    finally:
        model.embedder_ = inner
    return counts


def _classify_batches(
    db: Database,
    model: MaraudeClassifier,
    version: str,
    batch_size: int,
    progress: Callable[[int], Any] | None,
    counts: dict[str, int],
) -> None:
    for batch in unscored_posts(db, version, batch_size):
        texts = [post_text(p.get("title"), p.get("text")) for p in batch]
        predictions = model.predict_texts(texts)
        for post, pred in zip(batch, predictions, strict=True):
            pred["post_id"] = post["id"]
            counts["crisis"] += "crisis" in pred["labels"]
            counts["crisis_sure"] += pred.get("crisis_level") == "sure"
        saved = save_predictions(db, predictions, version)
        counts["scored"] += len(batch)
        counts["leads_created"] += saved.get("leads_created", 0)
        counts["leads_updated"] += saved.get("leads_updated", 0)
        logger.info("scored %d posts with %s", counts["scored"], version)
        if progress is not None:
            progress(counts["scored"])


def _parse(
    line: bytes | str | None, number: int
) -> tuple[dict[str, Any] | None, str | None]:
    """(record, None) for a well-formed line, else (None, error message).

    ``line`` is None for a line over ``MAX_LINE_BYTES`` (never read whole).
    """
    if line is None:
        return None, (
            f"line {number}: longer than {MAX_LINE_BYTES // (1024 * 1024)} MB: "
            "split the text or drop the line"
        )
    try:
        data = parse_json_line(line)
    except LineError as e:
        return None, f"line {number}: {e}"
    if not isinstance(data, dict):
        return None, f'line {number}: expected a JSON object with a "text" string'
    if not isinstance(data.get("text"), str):
        return None, f'line {number}: missing "text" string'
    given = data.get("id")
    if given is not None and (
        isinstance(given, bool) or not isinstance(given, str | int | float)
    ):
        return None, f'line {number}: "id" must be a string or a number'
    record = {"id": number if given is None else given, "text": data["text"]}
    return {**record, "line": number}, None


def _numbered(
    lines: IO[bytes] | Iterable[str | bytes],
) -> Iterator[tuple[int, bytes | str | None]]:
    """(line number, line or None when too long) of a stream or an iterable.

    A stream is read as bytes in bounded chunks (see :mod:`maraude.lines`), so
    a huge line is never held whole in memory.
    """
    stream = getattr(lines, "buffer", lines)  # sys.stdin → its bytes
    if hasattr(stream, "read") and not isinstance(stream, io.TextIOBase):
        yield from bounded_lines(cast(IO[bytes], stream))
        return
    for number, line in enumerate(lines, 1):
        yield number, None if len(line) > MAX_LINE_BYTES else line


def predict_stream(
    model: MaraudeClassifier,
    lines: IO[bytes] | Iterable[str | bytes],
    out: TextIO,
    err: TextIO,
    batch_size: int = 64,
) -> int:
    """``maraude predict``: JSON Lines in (``text``, optional ``id``), JSON Lines out.

    One output line per well-formed input line, in input order; ``id`` is the
    input's ``id``, else the 1-based line number. A malformed line gets no output
    and an error on ``err`` naming its line number; blank lines are skipped.
    ``lines`` is a binary stream (read in bounded chunks) or an iterable of
    lines. Malformed: invalid JSON or UTF-8, lone surrogates, ``NaN`` or
    ``Infinity``, huge numbers, deep nesting, a line over 1 MB. Every output
    line is strict JSON. Returns the number of malformed lines (the CLI exits 1
    when it is not 0).
    """
    errors = 0
    pending: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal errors
        preds = model.predict_texts([r["text"] for r in pending])
        for record, pred in zip(pending, preds, strict=True):
            try:  # strict JSON: never NaN or Infinity
                line = json.dumps(
                    {"id": record["id"], **pred}, ensure_ascii=False, allow_nan=False
                )
            except ValueError:
                errors += 1
                err.write(
                    f"line {record['line']}: the model gave a score that is not a "
                    "number; no output for this line (report it with the model)\n"
                )
                continue
            out.write(line)
            out.write("\n")
        out.flush()
        pending.clear()

    for number, line in _numbered(lines):
        if line is not None and not line.strip():
            continue
        record, error = _parse(line, number)
        if record is None:
            errors += 1
            err.write(f"{error}\n")
            continue
        pending.append(record)
        if len(pending) >= batch_size:
            flush()
    if pending:
        flush()
    return errors
