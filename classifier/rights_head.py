"""Which rights a post is about, learned from the examples (issue #12).

A multi-label head over the right ids: one logistic regression per right
(one-vs-rest), over the same features as the other heads (sentence embedding
joined with character and word TF-IDF), trained on the ``rights_topics`` of the
seed examples that name at least one right. Each right's catalogue entry (name,
short name, aliases and summary) is added as one more example of that right, so
the aliases are features the head learns from, not a first rule. A right with
fewer than ``min_examples`` examples gets no regression; the tagger falls back to
its aliases and prototype for it (:mod:`classifier.rights_tagger`).

The fitted state is two plain arrays (``coef_``, ``intercept_``) and the ids, so a
model file keeps only types skops trusts by default, and scoring a batch is one
sparse product. The coefficients are saved as float16 (about 2.4 MB for 24 rights
over 50,000 features instead of 4.8 MB).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import expit

from classifier.heads import logistic

logger = logging.getLogger(__name__)

__all__ = ["RightsHead"]


class RightsHead:
    """One-vs-rest logistic regressions over the shared features, one per right."""

    def __init__(self, C: float = 4.0, min_examples: int = 8) -> None:
        self.C = C
        self.min_examples = min_examples

    def fit(
        self, features: Any, topics: Sequence[Sequence[str]], right_ids: Sequence[str]
    ) -> RightsHead:
        """Fit one regression per right of ``right_ids`` with enough examples.

        ``features`` rows match ``topics`` (the rights each row is about); every
        row is a negative for the rights it does not name. Returns ``self``.
        """
        n = features.shape[0]
        if n != len(topics):
            raise ValueError("features and topics must have the same length")
        ids, coefs, intercepts = [], [], []
        for right in right_ids:
            y = np.array([right in t for t in topics], dtype=int)
            if y.sum() < self.min_examples or y.sum() == n:
                continue
            lr = logistic(self.C).fit(features, y)
            ids.append(right)
            coefs.append(np.asarray(lr.coef_[0], dtype=np.float32))
            intercepts.append(float(lr.intercept_[0]))
        self.right_ids_ = ids
        width = features.shape[1]
        self.coef_ = np.vstack(coefs) if coefs else np.zeros((0, width), np.float32)
        self.intercept_ = np.asarray(intercepts, dtype=np.float32)
        logger.info("rights head: %d of %d rights learned", len(ids), len(right_ids))
        return self

    def scores(self, features: Any) -> np.ndarray:
        """Probabilities, one column per right of ``right_ids_``."""
        if not self.right_ids_:
            return np.zeros((features.shape[0], 0))
        margins = np.asarray(features @ self.coef_.T) + self.intercept_
        return expit(margins)

    def to_state(self) -> dict[str, Any]:
        """Plain types and arrays only, for the skops file."""
        return {
            "params": {"C": self.C, "min_examples": self.min_examples},
            "right_ids": list(self.right_ids_),
            "coef": self.coef_.astype(np.float16),  # half the size, same ranking
            "intercept": self.intercept_,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RightsHead:
        """The head saved by :meth:`to_state`."""
        head = cls(**state["params"])
        head.right_ids_ = list(state["right_ids"])
        head.coef_ = np.asarray(state["coef"], dtype=np.float32)
        head.intercept_ = np.asarray(state["intercept"], dtype=np.float32)
        return head
