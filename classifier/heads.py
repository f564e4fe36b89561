"""The binary heads applied as one matrix product at prediction time.

Each head of :class:`~classifier.model.MaraudeClassifier` is a logistic
regression, calibrated by a sigmoid (``CalibratedClassifierCV(ensemble=False)``)
or not. Its ``predict_proba(x)[:, 1]`` is ``expit(-(a * (x @ w + c) + b))``
(``a = -1, b = 0`` when uncalibrated). :class:`StackedHeads` stacks the ``w`` of
every head into one matrix, so a batch is scored with one sparse product instead
of scikit-learn's per-head validation and dispatch (equal to scikit-learn's own
result within float rounding; tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

__all__ = ["StackedHeads"]


def _unwrap(head: Any) -> tuple[LogisticRegression, float, float]:
    """A fitted head's logistic regression and its sigmoid ``(a, b)``."""
    if isinstance(head, LogisticRegression):
        return head, -1.0, 0.0
    (calibrated,) = head.calibrated_classifiers_  # ensemble=False: exactly one
    (sigmoid,) = calibrated.calibrators
    return calibrated.estimator, float(sigmoid.a_), float(sigmoid.b_)


class StackedHeads:
    """Binary heads (``None``: a skipped head, always 0) scored together."""

    def __init__(self, heads: Sequence[Any]) -> None:
        parts = [None if h is None else _unwrap(h) for h in heads]
        sizes = {p[0].coef_.shape[1] for p in parts if p is not None}
        n_features = sizes.pop() if sizes else 0
        self.present = np.array([p is not None for p in parts])
        self.weights = np.zeros((n_features, len(parts)))
        self.intercepts = np.zeros(len(parts))
        self.a = np.full(len(parts), -1.0)
        self.b = np.zeros(len(parts))
        for j, part in enumerate(parts):
            if part is not None:
                lr, self.a[j], self.b[j] = part
                self.weights[:, j] = lr.coef_[0]
                self.intercepts[j] = lr.intercept_[0]

    def predict(self, features: Any) -> list[np.ndarray]:
        """One array of positive-class probabilities per head, in order."""
        if not self.present.any():
            return [np.zeros(features.shape[0]) for _ in self.present]
        margins = np.asarray(features @ self.weights) + self.intercepts
        proba = expit(-(self.a * margins + self.b))
        proba[:, ~self.present] = 0.0
        return list(proba.T)
