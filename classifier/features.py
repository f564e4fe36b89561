"""The TF-IDF parts of the shared features (the sentence embedding is the other).

Both work on :func:`classifier.text.normalize`-d text (folded: lower case, no
accents, apostrophes as spaces). A fitted model stores their vocabularies and idf
weights as arrays (:mod:`classifier.store`) and rebuilds them with these factories.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize


def char_vectorizer(**kwargs: Any) -> TfidfVectorizer:
    """Character 2–5-grams within word boundaries, sublinear tf, on folded text."""
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        sublinear_tf=True,
        lowercase=False,
        dtype=np.float32,
        **kwargs,
    )


#: Words of one letter or more ("j ai", "m a" matter in French posts).
WORD_PATTERN = r"(?u)\b\w+\b"


def word_vectorizer(**kwargs: Any) -> TfidfVectorizer:
    """Word 1–2-grams (one-letter words kept: "j ai", "m a"), on folded text."""
    return TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        token_pattern=WORD_PATTERN,
        sublinear_tf=True,
        lowercase=False,
        dtype=np.float32,
        **kwargs,
    )


class FastTfidf:
    """``vectorizer.transform`` for the two vectorizers above, without sklearn's
    per-n-gram Python loop: each word's n-gram ids are computed once and cached.

    The result equals ``vectorizer.transform(docs)`` (same vocabulary, sublinear tf,
    idf, L2 norm; tested against it). Build it from a fitted vectorizer.
    """

    #: Cached words before the cache is emptied (bounded memory on long runs).
    MAX_CACHED = 200_000

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        self.vocabulary = vectorizer.vocabulary_
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float32)
        self.n_features = len(self.idf)
        self.ngram_range = vectorizer.ngram_range
        self.char = vectorizer.analyzer == "char_wb"
        self.token = re.compile(vectorizer.token_pattern)
        self._cache: dict[str, list[int]] = {}

    def _word_ids(self, word: str) -> list[int]:
        ids = self._cache.get(word)
        if ids is None:
            if len(self._cache) >= self.MAX_CACHED:
                self._cache.clear()
            lo, hi = self.ngram_range
            w = f" {word} "
            size = len(w)
            vocab = self.vocabulary
            grams = (
                w[i : i + n]
                for n in range(lo, min(hi, size) + 1)
                for i in range(size - n + 1)
            )
            ids = self._cache[word] = [vocab[g] for g in grams if g in vocab]
        return ids

    def _doc_ids(self, doc: str) -> list[int]:
        if self.char:
            ids: list[int] = []
            for word in doc.split():
                ids.extend(self._word_ids(word))
            return ids
        tokens = self.token.findall(doc)
        lo, hi = self.ngram_range
        vocab = self.vocabulary
        grams = (
            " ".join(tokens[i : i + n]) if n > 1 else tokens[i]
            for n in range(lo, hi + 1)
            for i in range(len(tokens) - n + 1)
        )
        return [vocab[g] for g in grams if g in vocab]

    def transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows of ``docs`` (already normalised text), as a CSR matrix."""
        cols: list[int] = []
        lengths = np.zeros(len(docs), dtype=np.int64)
        for r, doc in enumerate(docs):
            ids = self._doc_ids(doc)
            cols.extend(ids)
            lengths[r] = len(ids)
        rows = np.repeat(np.arange(len(docs)), lengths)
        x = sp.csr_matrix(
            (np.ones(len(cols), dtype=np.float32), (rows, np.asarray(cols, np.int64))),
            shape=(len(docs), self.n_features),
            dtype=np.float32,
        )
        x.sum_duplicates()  # counts
        x.data = (np.log(x.data) + 1) * self.idf[x.indices]
        return normalize(x, copy=False)
