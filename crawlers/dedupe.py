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
#: Posts read (and committed) per batch.
BATCH = 2000
ISO = "%Y-%m-%dT%H:%M:%SZ"

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MASK = re.compile(r"@\[\w+\]|\[(?:email|phone|iban|user)\]", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_COMBINING = re.compile(r"[\u0300-\u036f]")


def normalise(text: str) -> list[str]:
    """The words that decide whether two texts are copies: case, accents,
    punctuation, links and masked handles are ignored."""
    text = _MASK.sub(" ", _URL.sub(" ", text or ""))
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))
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
    at: datetime
    place: tuple[str, str]
    author: str | None
    shingles: set[str] = field(repr=False)


def _hash32(gram: str) -> int:
    """A 32-bit hash of a shingle. Python's own string hash: salted per process,
    which is enough since signatures live only for one run (never stored)."""
    return hash(gram) & 0xFFFFFFFF


def _when(value: str | None) -> datetime:
    try:
        stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


class _Index:
    """Originals seen so far (copies are not indexed: their original is).

    Two posts of one place (platform and site) by two different authors are
    never copies, so the index is split the same way and a lookup never walks
    through posts it may not match: per place, a MinHash LSH of every original
    (for rows from other places or without author) and one of those without
    author; per (place, author), that author's originals, compared directly.
    Exact digests are split likewise.
    """

    def __init__(self) -> None:
        from datasketch import MinHash, MinHashLSH  # loads scipy: only when used

        self._new_lsh = lambda: MinHashLSH(
            threshold=NEAR_THRESHOLD - 0.2, num_perm=NUM_PERM
        )
        self._minhash = MinHash
        first = MinHash(num_perm=NUM_PERM, hashfunc=_hash32)  # shared permutations
        self._permutations, self._scheme = first.permutations, first.scheme
        self.entries: dict[int, _Entry] = {}
        self.places: dict[tuple[str, str], Any] = {}  # place → LSH, every author
        self.anonymous: dict[tuple[str, str], Any] = {}  # place → LSH, no author
        self.authors: dict[tuple[str, str, str], list[_Entry]] = {}
        self.exact: dict[tuple, list[_Entry]] = {}  # (digest, place[, author])

    def prepare(self, row: dict[str, Any]) -> tuple[bytes, set[str], Any] | None:
        """Digest, shingles and MinHash of a row's text; None when too short."""
        words = normalise(row["text"])
        if len(words) < MIN_WORDS:
            return None
        digest = hashlib.blake2b(" ".join(words).encode(), digest_size=16).digest()
        grams = shingles(words)
        minhash = self._minhash(
            num_perm=NUM_PERM,
            permutations=self._permutations,
            scheme=self._scheme,
            hashfunc=_hash32,
        )
        minhash.update_batch(list(grams))
        return digest, grams, minhash

    def add(self, row: dict[str, Any], key: tuple) -> None:
        """Index an original."""
        digest, grams, minhash = key
        place = (row["platform"], row["site"])
        author = row["author_hash"]
        entry = _Entry(row["id"], _when(row["at"]), place, author, grams)
        self.entries[entry.id] = entry
        self.exact.setdefault((digest, place), []).append(entry)
        if place not in self.places:
            self.places[place] = self._new_lsh()
        self.places[place].insert(entry.id, minhash)
        if author:
            self.exact.setdefault((digest, place, author), []).append(entry)
            self.authors.setdefault((*place, author), []).append(entry)
        else:
            self.exact.setdefault((digest, place, None), []).append(entry)
            if place not in self.anonymous:
                self.anonymous[place] = self._new_lsh()
            self.anonymous[place].insert(entry.id, minhash)

    def find(self, row: dict[str, Any], key: tuple) -> tuple[_Entry, str, float] | None:
        """The first stored copy of ``row`` (exact first), or None."""
        digest, grams, minhash = key
        at = _when(row["at"])
        place = (row["platform"], row["site"])
        author = row["author_hash"]
        exact: list[_Entry] = []
        for other in self.places:
            if other != place or not author:
                exact += self.exact.get((digest, other), [])[:1]
        if author:
            exact += self.exact.get((digest, place, author), [])[:1]
            exact += self.exact.get((digest, place, None), [])[:1]
        for entry in sorted(exact, key=lambda e: e.id):
            if abs(entry.at - at) <= WINDOW:
                return entry, "exact", 1.0
        for entry in sorted(self._candidates(place, author, minhash), key=_id):
            if abs(entry.at - at) > WINDOW:
                continue
            similarity = len(grams & entry.shingles) / len(grams | entry.shingles)
            if similarity >= NEAR_THRESHOLD:
                return entry, "near", round(similarity, 3)
        return None

    def _candidates(
        self, place: tuple[str, str], author: str | None, minhash: Any
    ) -> list[_Entry]:
        ids: set[int] = set()
        for other, lsh in self.places.items():
            if other != place or not author:
                ids.update(lsh.query(minhash))
        found = [self.entries[i] for i in ids]
        if author:
            if place in self.anonymous:
                found += [self.entries[i] for i in self.anonymous[place].query(minhash)]
            found += self.authors.get((*place, author), [])
        return found


def _id(entry: _Entry) -> int:
    return entry.id


def link_copies(database: Database) -> CopyResult:
    """Link the posts stored since the last run to their first copies."""
    result = CopyResult()
    last = int(mdb.get_meta(database, dup.CHECKED_KEY) or 0)
    span = dup.time_span_after(database, last)
    if span is None:
        return result
    index = _Index()  # the posts stored before, written within the window
    start = (_when(span[0]) - WINDOW).strftime(ISO)
    end = (_when(span[1]) + WINDOW).strftime(ISO)
    for old in dup.posts_between(database, start, end, last + 1):
        key = index.prepare(old) if old["original"] == old["id"] else None
        if key is not None:
            index.add(old, key)
    while rows := dup.posts_after(database, last, BATCH):
        with database.atomic():  # one transaction per batch, its progress included
            _link_batch(database, rows, index, result)
            last = rows[-1]["id"]
            mdb.set_meta(database, dup.CHECKED_KEY, str(last))
    logger.info(
        "copies: %d posts checked, %d exact and %d near copies linked, %d leads merged",
        result.checked,
        result.exact,
        result.near,
        result.leads_merged,
    )
    return result


def _link_batch(
    database: Database, rows: list[dict], index: _Index, result: CopyResult
) -> None:
    before = _lead_count(database)
    for row in rows:
        result.checked += 1
        if row["original"] != row["id"]:  # linked already (a resumed run)
            continue
        key = index.prepare(row)
        if key is None:
            continue
        found = index.find(row, key)
        if found is not None:
            entry, kind, similarity = found
            if dup.link_copy(database, row["id"], entry.id, kind, similarity):
                setattr(result, kind, getattr(result, kind) + 1)
                continue
        index.add(row, key)
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
