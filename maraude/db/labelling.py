"""The moderators' labelling queue: uncertain posts first, no near-duplicates.

* **Uncertainty**: a post's latest prediction is ranked by its *margin*, the
  distance to 0.5 of the label score closest to 0.5 (0 = the model hesitates
  most). Smallest margins come first.
* **Diversity**: a batch never holds two near-duplicates (same content hash,
  same normalised opening, or word sets with a Jaccard index ≥ 0.8), since
  uncertainty alone picks many copies of one hesitation.
* **Double labelling**: about one post in ten (:func:`is_double`, deterministic
  by post id) goes to two moderators; their agreement is measured with Cohen's
  kappa and their disagreements go to a third person (origin ``adjudication``).
* A moderator never gets a post they already labelled (by post id, or by the
  same text under another id), and a post handed to one moderator is held for
  :data:`HOLD_MINUTES` so another is not given it at the same time.

Labels carry ``item_key`` (the post's ``content_hash``), so agreement survives
the retention purge of the post itself. Label text is always masked.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from maraude import vocab
from maraude.db.core import dumps, now_iso
from maraude.privacy import mask_text

#: Binary labels a moderator sets, then the categorical one.
BINARY = vocab.LABELS
FORMS = vocab.FORMS
#: Fields compared between two moderators (kappa, disagreements).
COMPARED = (*BINARY, "non_recours_form")
ORIGINS = ("moderator", "adjudication")

HOLD_MINUTES = 30
BATCH_SIZE = 10
NEAR_DUPLICATE = 0.8
PREFIX_CHARS = 60

# A multiplicative (Knuth) hash of the post id, so double items are spread
# evenly rather than every tenth insert. Same formula in SQL and Python.
_KNUTH = 2654435761
DOUBLE_SQL = f"(((p.id * {_KNUTH}) % 4294967296) % 10 = 0)"


def is_double(post_id: int) -> bool:
    """True for the ~10 % of posts that two moderators label."""
    return (post_id * _KNUTH) % 4294967296 % 10 == 0


# -- choosing what to label ---------------------------------------------------


def _later(minutes: int) -> str:
    then = datetime.now(UTC) + timedelta(minutes=minutes)
    return then.strftime("%Y-%m-%dT%H:%M:%SZ")


_CANDIDATES = f"""
SELECT p.id AS post_id, p.title, p.text, p.content_hash, p.platform,
       r.distress, r.crisis, r.rights,
       min(abs(r.distress - 0.5), abs(r.crisis - 0.5), abs(r.rights - 0.5))
           AS margin,
       {DOUBLE_SQL} AS double
FROM posts p
JOIN predictions r ON r.rowid = (
    SELECT r2.rowid FROM predictions r2 WHERE r2.post_id = p.id
    ORDER BY r2.created_at DESC, r2.rowid DESC LIMIT 1)
WHERE NOT EXISTS (
    SELECT 1 FROM labels l WHERE (l.post_id = p.id OR l.item_key = p.content_hash)
    AND l.username = :user AND l.origin IN ('moderator', 'adjudication'))
AND NOT EXISTS (
    SELECT 1 FROM labels l WHERE l.item_key = p.content_hash
    AND l.origin = 'adjudication')
AND (CASE WHEN {DOUBLE_SQL} THEN 2 ELSE 1 END) > (
    SELECT count(DISTINCT l.username) FROM labels l
    WHERE l.item_key = p.content_hash AND l.origin = 'moderator') + (
    SELECT count(*) FROM label_holds h WHERE h.post_id = p.id
    AND h.username != :user AND h.expires_at > :now)
ORDER BY margin, p.id
LIMIT :limit
"""


def label_candidates(
    db: Database, username: str, *, limit: int = 200
) -> list[dict[str, Any]]:
    """Posts ``username`` may label, most uncertain first (no diversity yet)."""
    params = {"user": username, "now": now_iso(), "limit": limit}
    rows = list(db.query(_CANDIDATES, params))
    for row in rows:
        row["double"] = bool(row["double"])
        row["margin"] = round(row["margin"], 4)
    return rows


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.findall(r"\w+", plain)


def fingerprint(title: str | None, text: str) -> tuple[str, frozenset[str]]:
    """The normalised opening and the word set of a post (for near-duplicates)."""
    words = _words(f"{title or ''} {text}")
    return " ".join(words)[:PREFIX_CHARS], frozenset(words)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two sets (1.0 for two empty sets)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def pick_batch(
    candidates: Iterable[dict[str, Any]],
    size: int = BATCH_SIZE,
    *,
    threshold: float = NEAR_DUPLICATE,
) -> list[dict[str, Any]]:
    """The first ``size`` candidates, skipping near-duplicates of those kept."""
    kept: list[dict[str, Any]] = []
    seen: list[tuple[str, str, frozenset[str]]] = []
    for item in candidates:
        prefix, words = fingerprint(item.get("title"), item["text"])
        if any(
            item["content_hash"] == h or prefix == p or jaccard(words, w) >= threshold
            for h, p, w in seen
        ):
            continue
        kept.append(item)
        seen.append((item["content_hash"], prefix, words))
        if len(kept) >= size:
            break
    return kept


def next_batch(
    db: Database,
    username: str,
    size: int = BATCH_SIZE,
    *,
    exclude: Sequence[int] = (),
    hold_minutes: int = HOLD_MINUTES,
) -> list[dict[str, Any]]:
    """Choose and hold the next batch for ``username`` (uncertain, diverse)."""
    skip = set(exclude)
    with db.atomic():
        db.execute("DELETE FROM label_holds WHERE expires_at <= ?", [now_iso()])
        candidates = label_candidates(db, username, limit=size * 20 + len(skip))
        batch = pick_batch((c for c in candidates if c["post_id"] not in skip), size)
        expires = _later(hold_minutes)
        for item in batch:
            db.execute(
                "INSERT INTO label_holds(post_id, username, expires_at) "
                "VALUES (?, ?, ?) ON CONFLICT(post_id, username) "
                "DO UPDATE SET expires_at = excluded.expires_at",
                [item["post_id"], username, expires],
            )
    return batch


def release_hold(db: Database, post_id: int, username: str) -> None:
    """Let go of ``username``'s hold on a post of the labelling queue."""
    db.execute(
        "DELETE FROM label_holds WHERE post_id = ? AND username = ?",
        [post_id, username],
    )


def has_labelled(db: Database, post_id: int, username: str) -> bool:
    """True when ``username`` labelled this post (or the same text) already."""
    row = db.execute(
        "SELECT 1 FROM labels l WHERE l.username = ? AND l.origin IN "
        "('moderator', 'adjudication') AND (l.post_id = ? OR l.item_key = "
        "(SELECT content_hash FROM posts WHERE id = ?)) LIMIT 1",
        [username, post_id, post_id],
    ).fetchone()
    return row is not None


def label_item(db: Database, post_id: int) -> dict[str, Any] | None:
    """A post to label: its masked text, platform and latest model margin."""
    row = db.execute(
        "SELECT p.id, p.platform, p.title, p.text, p.content_hash, min("
        "abs(r.distress - 0.5), abs(r.crisis - 0.5), abs(r.rights - 0.5)) "
        "FROM posts p LEFT JOIN predictions r ON r.post_id = p.id WHERE p.id = ? "
        "ORDER BY r.created_at DESC LIMIT 1",
        [post_id],
    ).fetchone()
    if row is None:
        return None
    text = "\n".join(t for t in (row[2], row[3]) if t)
    return {
        "post_id": row[0],
        "platform": row[1],
        "item_key": row[4],
        "text": mask_text(text),
        "margin": None if row[5] is None else round(row[5], 4),
        "double": is_double(row[0]),
    }


# -- storing labels -------------------------------------------------------------


def add_item_label(
    db: Database,
    item: dict[str, Any],
    label: dict[str, Any],
    username: str,
    origin: str,
) -> int:
    """Store one moderator or adjudication label for ``item`` (text masked here).

    ``item`` has ``post_id`` (None once purged), ``item_key`` and ``text``;
    ``label`` has the binary labels, ``rights_topics`` and ``non_recours_form``.
    """
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, not {origin!r}")
    cur = db.execute(
        "INSERT INTO labels(post_id, item_key, text, distress, crisis, rights, "
        "rights_topics, non_recours_form, minor, origin, username, created_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            item.get("post_id"),
            item["item_key"],
            mask_text(item["text"]),
            *(int(bool(label[k])) for k in ("distress", "crisis", "rights")),
            dumps(list(label.get("rights_topics") or [])),
            label.get("non_recours_form"),
            int(bool(label["minor"])),
            origin,
            username,
            now_iso(),
        ],
    )
    if item.get("post_id") is not None:
        release_hold(db, item["post_id"], username)
    return int(cur.lastrowid or 0)


# -- agreement and adjudication -------------------------------------------------


def _label_row(row: dict[str, Any]) -> dict[str, Any]:
    row["rights_topics"] = json.loads(row["rights_topics"] or "[]")
    return row


def double_labelled(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Items labelled by at least two moderators: their first two labels."""
    rows = db.query(
        "SELECT * FROM labels WHERE origin = 'moderator' AND item_key IN ("
        "SELECT item_key FROM labels WHERE origin = 'moderator' AND item_key IS NOT"
        " NULL GROUP BY item_key HAVING count(DISTINCT username) >= 2) "
        "ORDER BY item_key, id"
    )
    items: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        pair = items.setdefault(row["item_key"], [])
        if len(pair) < 2 and all(r["username"] != row["username"] for r in pair):
            pair.append(_label_row(row))
    return items


def cohen_kappa(pairs: Sequence[tuple[Any, Any]]) -> float | None:
    """Cohen's kappa of two raters; None when undefined (no pairs, one class)."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    categories = {a for a, _ in pairs} | {b for _, b in pairs}
    expected = sum(
        (sum(a == c for a, _ in pairs) / n) * (sum(b == c for _, b in pairs) / n)
        for c in categories
    )
    if expected >= 1.0:
        return None
    return round((observed - expected) / (1.0 - expected), 4)


def agreement(db: Database) -> dict[str, dict[str, Any]]:
    """Per label: items compared, share agreeing, and Cohen's kappa."""
    pairs = list(double_labelled(db).values())
    result = {}
    for field in COMPARED:
        values = [(a[field], b[field]) for a, b in pairs]
        agree = sum(x == y for x, y in values)
        result[field] = {
            "n": len(values),
            "agreement": round(agree / len(values), 4) if values else None,
            "kappa": cohen_kappa(values),
        }
    return result


def _adjudicated(db: Database) -> set[str]:
    return {
        r[0]
        for r in db.execute(
            "SELECT DISTINCT item_key FROM labels WHERE origin = 'adjudication'"
        )
    }


def disagreements(db: Database) -> list[dict[str, Any]]:
    """Double-labelled items whose two labels differ and nobody adjudicated."""
    done = _adjudicated(db)
    out = []
    for key, (a, b) in double_labelled(db).items():
        fields = [f for f in COMPARED if a[f] != b[f]]
        if fields and key not in done:
            post_id = a["post_id"] if a["post_id"] is not None else b["post_id"]
            out.append(
                {
                    "item_key": key,
                    "post_id": post_id,
                    "text": a["text"],
                    "fields": fields,
                    "labels": [a, b],
                }
            )
    return out


def resolved_labels(db: Database) -> list[dict[str, Any]]:
    """One label per item, for training: an adjudication wins; else moderators'
    labels when they agree (the latest); items still in dispute are left out.
    Rows without an item (e.g. "not relevant" marks) pass through."""
    rows = [_label_row(r) for r in db.query("SELECT * FROM labels ORDER BY id")]
    by_item: dict[str, list[dict[str, Any]]] = {}
    out = []
    for row in rows:
        if row["item_key"] is None or row["origin"] not in ORIGINS:
            out.append(row)
        else:
            by_item.setdefault(row["item_key"], []).append(row)
    for labels in by_item.values():
        adjudicated = [r for r in labels if r["origin"] == "adjudication"]
        if adjudicated:
            out.append(adjudicated[-1])
            continue
        firsts = {r["username"]: r for r in reversed(labels)}
        if len({tuple(r[f] for f in COMPARED) for r in firsts.values()}) == 1:
            out.append(labels[-1])
    return sorted(out, key=lambda r: r["id"])


def item_by_key(db: Database, item_key: str) -> dict[str, Any] | None:
    """A labelled item (for adjudication): its post id if still stored, masked text."""
    row = db.execute(
        "SELECT post_id, text FROM labels WHERE item_key = ? "
        "AND origin = 'moderator' ORDER BY post_id IS NULL, post_id DESC LIMIT 1",
        [item_key],
    ).fetchone()
    if row is None:
        return None
    return {"post_id": row[0], "item_key": item_key, "text": row[1]}


def item_labellers(db: Database, item_key: str) -> set[str]:
    """The moderators and adjudicators who labelled ``item_key``."""
    return {
        r[0]
        for r in db.execute(
            "SELECT username FROM labels WHERE item_key = ? AND origin IN "
            "('moderator', 'adjudication')",
            [item_key],
        )
    }
