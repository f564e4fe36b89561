"""Find copies of one post among the stored posts and link them (issue #15).

The same post read through two feeds (a Discourse forum's ``/posts.json`` and
its RSS feed), a cross-post or a re-post is linked to its first stored copy,
so that it makes one lead (:mod:`maraude.db.duplicates` stores the links and
merges the leads). Two posts are copies when, written within
:data:`WINDOW` of each other,

* their normalised texts are equal (**exact**), or
* the Jaccard similarity of their word 3-gram shingles is at least
  :data:`NEAR_THRESHOLD` (**near**): candidates come from a MinHash LSH index
  (``datasketch``), then the similarity is computed on the shingles.

Texts under :data:`MIN_WORDS` words are never linked: two people's "merci
beaucoup" are two posts. Two posts of one platform and site by two different
authors (different author hashes) are never copies. The step runs after each
crawl and import, over the posts stored since its last run (``meta``
:data:`maraude.db.duplicates.CHECKED_KEY`), in batches.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from datasketch import MinHash, MinHashLSH
from sqlite_utils import Database

from maraude import db as mdb
from maraude.db import duplicates as dup

logger = logging.getLogger(__name__)

#: Copies are looked for among the posts written this close in time.
WINDOW = timedelta(days=7)
#: Shorter normalised texts are never linked (exact or near).
MIN_WORDS = 8
#: Word 3-gram Jaccard similarity at or above which two texts are near copies.
NEAR_THRESHOLD = 0.7
NUM_PERM = 64
#: Posts read per batch (the window's older posts are read once per batch).
BATCH = 2000
ISO = "%Y-%m-%dT%H:%M:%SZ"

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MASK = re.compile(r"@\[\w+\]|\[(?:email|phone|iban|user)\]", re.IGNORECASE)
_WORD = re.compile(r"\w+")


def normalise(text: str) -> list[str]:
    """The words that decide whether two texts are copies: case, accents,
    punctuation, links and masked handles are ignored."""
    text = _MASK.sub(" ", _URL.sub(" ", text or ""))
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _WORD.findall(text)


def shingles(words: list[str], size: int = 3) -> set[str]:
    """Word ``size``-grams (the whole text when it is shorter)."""
    if len(words) <= size:
        return {" ".join(words)}
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


@dataclass
class CopyResult:
    """What one run of :func:`link_copies` did."""

    checked: int = 0
    exact: int = 0
    near: int = 0
    leads_merged: int = 0


@dataclass
class _Entry:
    id: int
    original: int
    at: datetime
    platform: str
    site: str
    author: str | None
    shingles: set[str] = field(repr=False)


def _when(value: str | None) -> datetime:
    try:
        stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


class _Index:
    """Posts seen so far: by normalised-text digest, and in a MinHash LSH."""

    def __init__(self) -> None:
        self.exact: dict[bytes, list[_Entry]] = {}
        self.entries: dict[int, _Entry] = {}
        self.lsh = MinHashLSH(threshold=NEAR_THRESHOLD - 0.2, num_perm=NUM_PERM)

    @staticmethod
    def prepare(row: dict[str, Any]) -> tuple[bytes, set[str]] | None:
        words = normalise(row["text"])
        if len(words) < MIN_WORDS:
            return None
        digest = hashlib.blake2b(" ".join(words).encode(), digest_size=16).digest()
        return digest, shingles(words)

    def add(self, row: dict[str, Any], original: int, key: tuple) -> None:
        digest, grams = key
        entry = _Entry(
            row["id"],
            original,
            _when(row["at"]),
            row["platform"],
            row["site"],
            row["author_hash"],
            grams,
        )
        self.exact.setdefault(digest, []).append(entry)
        self.entries[entry.id] = entry
        minhash = MinHash(num_perm=NUM_PERM)
        minhash.update_batch([g.encode() for g in grams])
        self.lsh.insert(entry.id, minhash)

    def find(self, row: dict[str, Any], key: tuple) -> tuple[_Entry, str, float] | None:
        """The first stored copy of ``row`` (exact first), or None."""
        digest, grams = key
        at = _when(row["at"])
        fits = [e for e in self.exact.get(digest, []) if _compatible(e, row, at)]
        if fits:
            return min(fits, key=lambda e: e.original), "exact", 1.0
        minhash = MinHash(num_perm=NUM_PERM)
        minhash.update_batch([g.encode() for g in grams])
        best: tuple[_Entry, str, float] | None = None
        for candidate in self.lsh.query(minhash):
            entry = self.entries[candidate]
            if not _compatible(entry, row, at):
                continue
            similarity = len(grams & entry.shingles) / len(grams | entry.shingles)
            if similarity >= NEAR_THRESHOLD and (
                best is None or entry.original < best[0].original
            ):
                best = (entry, "near", round(similarity, 3))
        return best


def _compatible(entry: _Entry, row: dict[str, Any], at: datetime) -> bool:
    """Within the window, and not two authors of one platform and site."""
    if abs(entry.at - at) > WINDOW:
        return False
    same_place = (entry.platform, entry.site) == (row["platform"], row["site"])
    return not (
        same_place
        and entry.author
        and row["author_hash"]
        and entry.author != row["author_hash"]
    )


def link_copies(database: Database) -> CopyResult:
    """Link the posts stored since the last run to their first copies."""
    result = CopyResult()
    last = int(mdb.get_meta(database, dup.CHECKED_KEY) or 0)
    while rows := dup.posts_after(database, last, BATCH):
        _link_batch(database, rows, result)
        last = rows[-1]["id"]
        mdb.set_meta(database, dup.CHECKED_KEY, str(last))
        database.conn.commit()
    logger.info(
        "copies: %d posts checked, %d exact and %d near copies linked, %d leads merged",
        result.checked,
        result.exact,
        result.near,
        result.leads_merged,
    )
    return result


def _link_batch(database: Database, rows: list[dict], result: CopyResult) -> None:
    times = [_when(r["at"]) for r in rows]
    start = (min(times) - WINDOW).strftime(ISO)
    end = (max(times) + WINDOW).strftime(ISO)
    index = _Index()
    for old in dup.posts_between(database, start, end, rows[0]["id"]):
        key = index.prepare(old)
        if key is not None:
            index.add(old, old["original"], key)
    before = _lead_count(database)
    for row in rows:
        result.checked += 1
        key = index.prepare(row)
        if key is None:
            continue
        found = index.find(row, key)
        original = dup.original_of(database, row["id"])
        if found is not None and original == row["id"]:
            entry, kind, similarity = found
            if dup.link_copy(database, row["id"], entry.original, kind, similarity):
                setattr(result, kind, getattr(result, kind) + 1)
                original = entry.original
        index.add(row, original, key)
    result.leads_merged += before - _lead_count(database)


def _lead_count(database: Database) -> int:
    return database.execute("SELECT count(*) FROM leads").fetchone()[0]


def link_copies_at(db_path: str | Path) -> CopyResult:
    """:func:`link_copies` on the database at ``db_path`` (after a crawl)."""
    database = mdb.open_db(db_path)
    try:
        return link_copies(database)
    finally:
        database.close()
