"""The embeddings cache: vectors by (embedding model, text hash).

Retraining or re-classifying the same texts does not embed them again. The key
of a post is the hash of the text the classifier reads (:func:`post_text`), so
``maraude purge`` can clear a deleted post's vector without the classifier.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from sqlite_utils import Database


def text_hash(text: str) -> str:
    """The key of a text in the embeddings cache."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def post_text(title: str | None, text: str | None) -> str:
    """The text the classifier reads for a post: its title, then its body."""
    parts = [p.strip() for p in (title, text) if p and p.strip()]
    return "\n".join(parts)


def get_embeddings(db: Database, model: str, keys: Iterable[str]) -> dict[str, bytes]:
    """Cached vectors (float32 bytes) of ``keys`` for ``model``; missing ones
    are left out."""
    keys = list(dict.fromkeys(keys))
    found: dict[str, bytes] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for key, vector in db.execute(
            f"SELECT text_hash, vector FROM embeddings WHERE model = ? "
            f"AND text_hash IN ({marks})",
            [model, *chunk],
        ):
            found[key] = vector
    return found


def put_embeddings(db: Database, model: str, vectors: Mapping[str, bytes]) -> None:
    """Cache vectors of the embedding ``model`` by text hash (replacing any)."""
    with db.atomic():
        db.conn.executemany(
            "INSERT OR REPLACE INTO embeddings(model, text_hash, vector) "
            "VALUES (?, ?, ?)",
            [(model, key, vector) for key, vector in vectors.items()],
        )


__all__ = ["get_embeddings", "post_text", "put_embeddings", "text_hash"]
