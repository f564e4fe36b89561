"""The decision rules of the final scores, and single-threshold searches.

The crisis rule (see :func:`crisis_scores`): a post is a crisis when the crisis
lexicon matches it, or when BOTH the crisis head and the distress head pass their
own threshold (``p_crisis >= t_c`` and ``p_distress >= t_d``). Ordinary posts that
merely use crisis words (hyperbole, gaming, jokes, news) usually fail the distress
gate. The crisis score is the crisis probability where the distress gate passes,
and below it is capped under ``t_c`` (``min(p_crisis, p_distress * t_c / t_d)``),
so that ``score >= t_c`` is exactly that rule; a lexicon hit raises it to a floor.

How the thresholds are chosen: :mod:`classifier.thresholds` (all labels) and
:mod:`classifier.crisis_pairs` (the crisis pairs).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: The crisis threshold when the statistical path is off (only certainty passes).
OFF = 1.0
#: At most this many candidate values per threshold in the joint search.
MAX_CANDIDATES = 200


def prf(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Precision, recall and F1 of boolean predictions (0 when undefined)."""
    y, pred = np.asarray(y, dtype=bool), np.asarray(pred, dtype=bool)
    tp = int((y & pred).sum())
    p = tp / max(int(pred.sum()), 1)
    r = tp / max(int(y.sum()), 1)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4)}


def _cut(scores: np.ndarray, chosen: float) -> float:
    """A threshold halfway between ``chosen`` and the next lower score."""
    if chosen >= OFF:
        return OFF
    lower = scores[scores < chosen]
    return float((chosen + lower.max()) / 2) if lower.size else float(chosen) * 0.999


def crisis_scores(
    p_crisis: np.ndarray,
    p_distress: np.ndarray,
    hit: np.ndarray,
    t_crisis: float,
    t_gate: float,
    floor: float,
) -> np.ndarray:
    """Final crisis scores: ``p_crisis`` where ``p_distress >= t_gate``, else
    ``min(p_crisis, p_distress * t_crisis / t_gate)`` (under ``t_crisis``); then
    raised to ``floor`` where the lexicon matched (never lowered by it)."""
    p_crisis = np.asarray(p_crisis, dtype=float)
    if t_gate > 0:
        p_distress = np.asarray(p_distress, dtype=float)
        cap = p_distress * (min(t_crisis, 1.0) / t_gate)
        p_crisis = np.where(p_distress >= t_gate, p_crisis, np.fmin(p_crisis, cap))
    return np.where(np.asarray(hit, bool), np.fmax(p_crisis, floor), p_crisis)


def compose_scores(
    raw: dict[str, np.ndarray],
    crisis_hit: Sequence[bool] | np.ndarray,
    minor_hit: Sequence[bool] | np.ndarray,
    floors: dict[str, float],
    thresholds: dict[str, float],
) -> dict[str, np.ndarray]:
    """Final scores: crisis held under its threshold when the distress gate fails
    and raised by a lexicon hit (:func:`crisis_scores`),
    minor raised by an age phrase, and distress at least crisis."""
    m_hit = np.asarray(minor_hit, bool)
    out = {
        "crisis": crisis_scores(
            raw["crisis"],
            raw["distress"],
            np.asarray(crisis_hit, bool),
            thresholds["crisis"],
            thresholds.get("crisis_gate", 0.0),
            floors["crisis"],
        ),
        "minor": np.where(m_hit, np.fmax(raw["minor"], floors["minor"]), raw["minor"]),
        "rights": raw["rights"],
    }
    out["distress"] = np.fmax(raw["distress"], out["crisis"])
    return out


def threshold_for_recall(y: np.ndarray, scores: np.ndarray) -> float:
    """The highest threshold that keeps every positive (recall 1.0)."""
    y, scores = np.asarray(y, dtype=bool), np.asarray(scores, dtype=float)
    if not y.any():
        return 0.5
    return _cut(scores, float(scores[y].min()))


def threshold_for_precision(
    y: np.ndarray,
    scores: np.ndarray,
    target: float = 0.85,
    forced: np.ndarray | None = None,
    min_recall: float = 0.0,
) -> tuple[float, bool]:
    """Threshold with the best F1 among those reaching ``target`` precision.

    ``forced`` marks examples predicted positive whatever their score (a crisis
    is a distress). Only thresholds keeping ``min_recall`` are considered; if none
    of them reaches the target, the one with the highest precision (so the
    recall floor wins over the precision target). Returns (threshold, whether
    the target was reached).
    """
    y = np.asarray(y, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    forced = np.zeros_like(y) if forced is None else np.asarray(forced, dtype=bool)
    if not y.any() or y.all():
        return 0.5, False
    base_tp, base_fp = int((y & forced).sum()), int((~y & forced).sum())
    rest = ~forced
    order = np.argsort(-scores[rest], kind="stable")
    s, yy = scores[rest][order], y[rest][order]
    tp = base_tp + np.cumsum(yy)
    fp = base_fp + np.cumsum(~yy)
    last = np.r_[s[1:] != s[:-1], True]  # only cut between distinct scores
    tp, fp, s = tp[last], fp[last], s[last]
    precision = tp / np.maximum(tp + fp, 1)
    recall = tp / int(y.sum())
    f1 = np.where(tp > 0, 2 * precision * recall / (precision + recall + 1e-12), 0.0)
    enough = recall >= min_recall - 1e-12
    ok = (precision >= target) & enough
    met = bool(ok.any())
    if met:
        candidates = np.where(ok, f1, -1.0)
    elif enough.any():
        candidates = np.where(enough, precision, -1.0)
    else:
        candidates = f1
    best = int(np.argmax(candidates))  # first = highest threshold among ties
    return _cut(scores, float(s[best])), met


def _candidates(values: np.ndarray) -> np.ndarray:
    values = np.unique(values)
    if len(values) > MAX_CANDIDATES:
        values = np.unique(np.quantile(values, np.linspace(0, 1, MAX_CANDIDATES)))
    return values


def _share(passed: np.ndarray, mask: np.ndarray) -> float:
    return round(float((passed & mask).sum()) / max(int(mask.sum()), 1), 4)
