"""The embeddings cache: what was embedded once is read back, and purged with
its post."""

from __future__ import annotations

import numpy as np

from classifier.embed import CachedEmbedder, FakeEmbedder
from classifier.run import classify_db
from maraude import db as mdb


class Counting(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.encoded = 0

    def encode(self, texts):
        self.encoded += len(texts)
        return super().encode(texts)


def test_cached_vectors_equal_fresh_ones_and_skip_the_encoder(db):
    inner = Counting()
    cached = CachedEmbedder(inner, db)
    texts = [
        "je sais pas si j'ai droit au rsa",
        "frigo vide",
        "je sais pas si j'ai droit au rsa",
    ]
    first = cached.encode(texts)
    assert inner.encoded == 3
    again = cached.encode(texts)
    assert inner.encoded == 3  # nothing encoded the second time
    assert cached.hits == 3
    np.testing.assert_allclose(first, again, rtol=1e-6)
    np.testing.assert_allclose(first, FakeEmbedder().encode(texts), rtol=1e-6)


def test_classify_fills_the_cache_and_purge_empties_it(db, fitted):
    for i, text in enumerate(["je veux en finir", "le rsa c'est pour qui ?"]):
        mdb.upsert_post(
            db,
            {
                "platform": "reddit",
                "site": "x",
                "source": "s",
                "native_id": str(i),
                "title": f"titre {i}",
                "text": text,
                "content_hash": str(i),
                "fetched_at": "2020-01-01T00:00:00Z",
            },
        )
    classify_db(db, fitted)
    name = fitted.embedder_.name
    assert (
        db.execute(
            "SELECT count(*) FROM embeddings WHERE model = ?", [name]
        ).fetchone()[0]
        == 2
    )
    assert not isinstance(fitted.embedder_, CachedEmbedder)  # restored
    db.execute("DELETE FROM leads")  # no lead keeps the posts
    mdb.purge(db, mdb.Policy(posts_days=1))
    assert db.execute("SELECT count(*) FROM embeddings").fetchone()[0] == 0
