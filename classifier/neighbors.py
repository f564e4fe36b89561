"""Nearest labelled examples: the "looks like these" part of an explanation.

A fitted model keeps at most ``max_neighbors`` training examples (the first by
text hash, so the choice is stable): their embeddings in float16, a masked
snippet of each text, and their labels. At prediction time each post is shown
its ``k`` most similar ones (cosine: the embeddings are normalised).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from classifier.dataset import Example
from classifier.text import snippet

__all__ = ["nearest_examples", "pick"]


def pick(
    texts: Sequence[str], emb: np.ndarray, examples: Sequence[Example], limit: int
) -> tuple[np.ndarray, list[str], list[list[str]]]:
    """(float16 embeddings, masked snippets, labels) of the examples kept."""
    order = sorted(range(len(texts)), key=lambda i: examples[i].hash)
    keep = sorted(order[:limit])
    labels = [
        [*examples[i].positive_labels(), *examples[i].rights_topics] for i in keep
    ]
    return (
        np.asarray(emb[keep], dtype=np.float16),
        [snippet(texts[i]) for i in keep],
        labels,
    )


def nearest_examples(
    emb: np.ndarray,
    stored: np.ndarray,
    texts: Sequence[str],
    labels: Sequence[Sequence[str]],
    k: int,
) -> list[list[dict[str, Any]]]:
    """For each row of ``emb``, its ``k`` nearest stored examples, nearest first."""
    k = min(k, len(texts))
    if k <= 0:
        return [[] for _ in range(len(emb))]
    sims = emb @ stored.T
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    return [
        [
            {
                "text": texts[j],
                "labels": list(labels[j]),
                "similarity": round(float(sims[i, j]), 4),
            }
            for j in row
        ]
        for i, row in enumerate(top)
    ]
