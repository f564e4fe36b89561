"""The binary heads: how they are built (``C`` chosen per head) and how they are
applied as one matrix product at prediction time.

Each head of :class:`~classifier.model.MaraudeClassifier` is a logistic
regression, calibrated by a sigmoid (``CalibratedClassifierCV(ensemble=False)``)
or not. Its ``predict_proba(x)[:, 1]`` is ``expit(-(a * (x @ w + c) + b))``
(``a = -1, b = 0`` when uncalibrated). :class:`StackedHeads` stacks the ``w`` of
every head into one matrix, so a batch is scored with one sparse product instead
of scikit-learn's per-head validation and dispatch (equal to scikit-learn's own
result within float rounding; tested).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from math import ceil
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from classifier.dataset import LABELS, Example

logger = logging.getLogger(__name__)

__all__ = [
    "C_GRID",
    "NO_FORM",
    "StackedHeads",
    "choose_c",
    "fit_form",
    "fit_heads",
    "logistic",
    "make_head",
]

#: The values ``C="auto"`` chooses from, per head.
C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0)
#: The form head's class for a rights post that names no non-recours form.
NO_FORM = "none"


def logistic(c: float) -> LogisticRegression:
    """The logistic regression every head (and the form head) is made of."""
    return LogisticRegression(C=c, class_weight="balanced", max_iter=3000)


def choose_c(features: Any, y: np.ndarray, folds: Any, c: float | str) -> float:
    """``c``, or with ``c="auto"`` the value of :data:`C_GRID` whose plain
    logistic regression ranks ``y`` best out of fold (average precision; the
    smaller value on a tie). Only the training data is used."""
    if c != "auto":
        return float(c)
    best, best_ap = C_GRID[0], -1.0
    for value in C_GRID:
        p = cross_val_predict(
            logistic(value), features, y, cv=folds, method="predict_proba"
        )
        ap = float(average_precision_score(y, p[:, 1]))
        if ap > best_ap + 1e-9:
            best, best_ap = value, ap
    return best


def make_head(n_min: int, c: float, cv: int) -> Any:
    """A class-balanced logistic regression, sigmoid-calibrated with
    ``min(cv, n_min)`` folds (``n_min``: examples of the rarer class)."""
    k = min(cv, n_min)
    if k < 2:
        return logistic(c)
    return CalibratedClassifierCV(logistic(c), method="sigmoid", cv=k, ensemble=False)


def fit_heads(
    features: Any,
    examples: Sequence[Example],
    c: float | str,
    cv: int,
    random_state: int,
) -> tuple[dict[str, Any], dict[str, float], dict[str, np.ndarray]]:
    """Fit one binary head per label on the examples that know that label.

    Returns ``(heads, C chosen per head, out-of-fold scores)``: a label with
    fewer than two examples of a class gets no head (None) and NaN scores; the
    out-of-fold scores (NaN where the label is unknown) are those the
    thresholds are chosen on.
    """
    heads: dict[str, Any] = {}
    chosen: dict[str, float] = {}
    oof: dict[str, np.ndarray] = {}
    for name in LABELS:
        idx = np.array(
            [i for i, ex in enumerate(examples) if ex.label(name) is not None]
        )
        scores = np.full(len(examples), np.nan)
        yv = np.array([examples[i].label(name) for i in idx], dtype=int)
        n_min = int(min(np.bincount(yv, minlength=2))) if len(idx) else 0
        if n_min < 2:
            logger.warning("head %s skipped: too few examples of a class", name)
            heads[name] = None
            oof[name] = scores
            continue
        k = min(cv, n_min)  # outer folds; inner ones see (k-1)/k of it
        skf = StratifiedKFold(k, shuffle=True, random_state=random_state)
        value = chosen[name] = choose_c(features[idx], yv, skf, c)
        inner = make_head(n_min - ceil(n_min / k), value, cv)
        scores[idx] = cross_val_predict(
            inner, features[idx], yv, cv=skf, method="predict_proba"
        )[:, 1]
        oof[name] = scores
        heads[name] = make_head(n_min, value, cv).fit(features[idx], yv)
        logger.info(
            "head %s: %d examples, %d positives, C = %g",
            name,
            len(idx),
            yv.sum(),
            value,
        )
    return heads, chosen, oof


def fit_form(
    features: Any, examples: Sequence[Example], c: float
) -> tuple[LogisticRegression | None, list[str]]:
    """The non-recours form head, fitted on the rights-positive examples, and its
    classes (:data:`NO_FORM` for none); no head when they show fewer than two
    forms."""
    idx = [i for i, ex in enumerate(examples) if ex.rights == 1]
    forms = [examples[i].non_recours_form or NO_FORM for i in idx]
    classes = sorted(set(forms))
    if len(classes) < 2:
        return None, classes
    head = logistic(c).fit(features[idx], forms)
    return head, [str(k) for k in head.classes_]


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
