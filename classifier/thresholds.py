"""How the thresholds of every label are chosen (on out-of-fold scores).

The decision rules and single-threshold searches live in :mod:`classifier.rules`,
the crisis pairs in :mod:`classifier.crisis_pairs`; both are re-exported here,
the module the rest of the code imports them from.

Crisis has two levels, each a pair ``(t_c, t_d)`` (contract:
``../shared/contracts.md``): ``sure`` (:func:`choose_sure_pair`, precision at
least 0.8; lexicon hits are always sure) and ``possible``
(:func:`choose_possible_pair`, a lower crisis threshold for recall, labelling
at most 5 % of the posts without distress). Both are chosen on out-of-fold
scores of the training split; a held-out split only measures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from classifier.crisis_pairs import (
    TRADEOFF_TARGETS,
    choose_crisis_gate,
    choose_possible_pair,
    choose_sure_pair,
    crisis_tradeoff,
)
from classifier.dataset import Example
from classifier.rules import (
    MAX_CANDIDATES,
    OFF,
    compose_scores,
    crisis_scores,
    prf,
    threshold_for_precision,
    threshold_for_recall,
)

__all__ = [
    "MAX_CANDIDATES",
    "OFF",
    "TRADEOFF_TARGETS",
    "choose_crisis_gate",
    "choose_possible_pair",
    "choose_sure_pair",
    "choose_thresholds",
    "compose_scores",
    "crisis_scores",
    "crisis_tradeoff",
    "prf",
    "threshold_for_precision",
    "threshold_for_recall",
]


def _gold(examples: Sequence[Example], name: str) -> tuple[np.ndarray, np.ndarray]:
    idx = [i for i, ex in enumerate(examples) if ex.label(name) is not None]
    y = np.array([examples[i].label(name) == 1 for i in idx], dtype=bool)
    return np.array(idx, dtype=int), y


def choose_thresholds(
    examples: Sequence[Example],
    scores: dict[str, np.ndarray],
    precision_target: float = 0.85,
    *,
    crisis_hit: np.ndarray | None = None,
    crisis_floor: float = 0.8,
    crisis_sure_precision: float = 0.8,
    crisis_possible_recall: float | None = 0.95,
    crisis_possible_max: float = 0.05,
    crisis_possible_same_gate: bool = True,
    distress_min_recall: float = 0.0,
) -> tuple[dict[str, float], dict[str, Any]]:
    """Thresholds from out-of-fold head scores, and their report.

    ``scores``: per-label head probabilities (crisis and distress raw; minor
    already raised by its lexicon). Crisis has two levels: the "sure" pair
    (:func:`choose_sure_pair`, precision ≥ ``crisis_sure_precision``) and the
    lower pair of the "possible" band (:func:`choose_possible_pair`, for
    ``crisis_possible_recall`` under ``crisis_possible_max``; with
    ``crisis_possible_same_gate`` it keeps the sure distress gate, so a possible
    crisis is as much a distress as a sure one). Then distress,
    counting every crisis (either level) as a distress, best F1 at
    ``precision_target`` among thresholds keeping ``distress_min_recall``;
    rights and minor: best F1 at ``precision_target``. Keys: the labels
    (``crisis`` is the either-level threshold of the composed score),
    ``crisis_gate``, ``crisis_sure`` and ``crisis_sure_gate``.
    """
    n = len(examples)
    hit = np.zeros(n, bool) if crisis_hit is None else np.asarray(crisis_hit, bool)
    p_c = np.nan_to_num(np.asarray(scores["crisis"], float), nan=0.0)
    raw_d = np.asarray(scores["distress"], float)
    has_d = bool(np.isfinite(raw_d).any())
    p_d = np.nan_to_num(raw_d, nan=1.0)  # unknown: the gate must not hide it
    idx, y = _gold(examples, "crisis")
    nd_all = np.array([ex.distress == 0 for ex in examples], bool)
    args = (y, p_c[idx], p_d[idx] if has_d else None, hit[idx], nd_all[idx])
    t_s, t_sg, sure = choose_sure_pair(*args, crisis_sure_precision)
    t_c, t_d, either = choose_possible_pair(
        *args,
        (t_s, t_sg),
        crisis_possible_recall,
        crisis_possible_max,
        crisis_possible_same_gate,
    )
    thresholds = {
        "crisis": round(t_c, 6),
        "crisis_gate": round(t_d, 6),
        "crisis_sure": round(t_s, 6),
        "crisis_sure_gate": round(t_sg, 6),
    }
    crisis_score = crisis_scores(p_c, p_d, hit, t_c, t_d, crisis_floor)
    crisis = hit | (crisis_score >= t_c)
    report: dict[str, Any] = {
        "crisis": {
            **either,
            "threshold": round(t_c, 4),
            "distress_gate": round(t_d, 4),
            "lexicon_hits": int((y & hit[idx]).sum()),
            "n": len(idx),
            "positives": int(y.sum()),
            "sure": {
                **sure,
                "threshold": round(t_s, 4),
                "distress_gate": round(t_sg, 4),
            },
            "tradeoff": crisis_tradeoff(*args),
        }
    }
    distress = np.fmax(np.nan_to_num(raw_d, nan=0.0), crisis_score)
    idx_d, y_d = _gold(examples, "distress")
    t, met = threshold_for_precision(
        y_d, distress[idx_d], precision_target, crisis[idx_d], distress_min_recall
    )
    thresholds["distress"] = round(t, 6)
    report["distress"] = _row(y_d, (distress[idx_d] >= t) | crisis[idx_d], t, met)
    report["distress"]["min_recall"] = distress_min_recall
    for name in ("rights", "minor"):
        idx_n, y_n = _gold(examples, name)
        s = np.nan_to_num(np.asarray(scores[name], float), nan=0.0)[idx_n]
        t, met = threshold_for_precision(y_n, s, precision_target)
        thresholds[name] = round(t, 6)
        report[name] = _row(y_n, s >= t, t, met)
    return thresholds, report


def _row(y: np.ndarray, passed: np.ndarray, t: float, met: bool) -> dict[str, Any]:
    return {
        **prf(y, passed),
        "threshold": round(float(t), 4),
        "target_met": met,
        "n": len(y),
        "positives": int(y.sum()),
    }
