"""Scoring at run time: the database (``maraude classify``) and a stream
(``maraude predict``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from sqlite_utils import Database

from classifier.embed import CachedEmbedder
from classifier.model import MaraudeClassifier
from classifier.text import post_text
from maraude.db import save_predictions, unscored_posts

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
    ``leads_updated``, ``crisis``.
    """
    version = model.version_
    counts = {"scored": 0, "leads_created": 0, "leads_updated": 0, "crisis": 0}
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
        saved = save_predictions(db, predictions, version)
        counts["scored"] += len(batch)
        counts["leads_created"] += saved.get("leads_created", 0)
        counts["leads_updated"] += saved.get("leads_updated", 0)
        logger.info("scored %d posts with %s", counts["scored"], version)
        if progress is not None:
            progress(counts["scored"])


def _parse(line: str, number: int) -> tuple[dict[str, Any] | None, str | None]:
    """(record, None) for a well-formed line, else (None, error message)."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as e:
        return None, f"line {number}: invalid JSON ({e.msg})"
    if not isinstance(data, dict):
        return None, f'line {number}: expected a JSON object with a "text" string'
    if not isinstance(data.get("text"), str):
        return None, f'line {number}: missing "text" string'
    given = data.get("id")
    return {"id": number if given is None else given, "text": data["text"]}, None


def predict_stream(
    model: MaraudeClassifier,
    lines: Iterable[str],
    out: TextIO,
    err: TextIO,
    batch_size: int = 64,
) -> int:
    """``maraude predict``: JSON Lines in (``text``, optional ``id``), JSON Lines out.

    One output line per well-formed input line, in input order; ``id`` is the
    input's ``id``, else the 1-based line number. A malformed line gets no output
    and an error on ``err`` naming its line number; blank lines are skipped.
    Returns the number of malformed lines (the CLI exits 1 when it is not 0).
    """
    errors = 0
    pending: list[dict[str, Any]] = []

    def flush() -> None:
        preds = model.predict_texts([r["text"] for r in pending])
        for record, pred in zip(pending, preds, strict=True):
            out.write(json.dumps({"id": record["id"], **pred}, ensure_ascii=False))
            out.write("\n")
        out.flush()
        pending.clear()

    for number, line in enumerate(lines, 1):
        if not line.strip():
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
