"""The TF-IDF parts of the shared features (the sentence embedding is the other).

Both work on :func:`classifier.text.normalize`-d text (folded: lower case, no
accents, apostrophes as spaces). A fitted model stores their vocabularies and idf
weights as arrays (:mod:`classifier.store`) and rebuilds them with these factories.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer


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
