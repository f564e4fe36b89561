"""Decision rules and how their thresholds are chosen (on out-of-fold scores).

The crisis rule (see :func:`crisis_scores`): a post is a crisis when the crisis
lexicon matches it, or when BOTH the crisis head and the distress head pass their
own threshold (``p_crisis >= t_c`` and ``p_distress >= t_d``). Ordinary posts that
merely use crisis words (hyperbole, gaming, jokes, news) usually fail the distress
gate. The crisis score is the crisis probability where the distress gate passes,
and below it is capped under ``t_c`` (``min(p_crisis, p_distress * t_c / t_d)``),
so that ``score >= t_c`` is exactly that rule; a lexicon hit raises it to a floor.

Crisis has two levels, each such a pair (contract: ``../shared/contracts.md``):

- ``sure`` (:func:`choose_sure_pair`): the highest out-of-fold recall whose
  precision reaches 0.8; lexicon hits are always sure. Sure crises alert seniors
  and come first in the queue.
- ``possible`` (:func:`choose_possible_pair`): a lower crisis threshold (the
  distress gate stays the sure one), for recall, that labels at most 5 % of the
  posts without distress (either level); a crisis that passes it but not the
  sure pair is possible: next in the queue, no alert.

Both are chosen on out-of-fold scores of the training split; a held-out split
only measures. :func:`choose_crisis_gate` (the recall-target search) remains for
the trade-off table of the model card.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from classifier.dataset import Example

#: The crisis threshold when the statistical path is off (only certainty passes).
OFF = 1.0
#: At most this many candidate values per threshold in the joint search.
MAX_CANDIDATES = 200
#: Recall targets shown in the out-of-fold trade-off table of the model card.
TRADEOFF_TARGETS = (0.8, 0.85, 0.9, 0.95, 1.0)


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
    and raised by a lexicon hit (:func:`~classifier.thresholds.crisis_scores`),
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


def choose_crisis_gate(
    y: np.ndarray,
    p_crisis: np.ndarray,
    p_distress: np.ndarray | None,
    hit: np.ndarray,
    non_distress: np.ndarray,
    recall_target: float = 1.0,
    false_alarm_max: float | None = None,
) -> tuple[float, float, dict[str, Any]]:
    """Joint crisis thresholds ``(t_c, t_d)`` from out-of-fold scores.

    ``y``: crisis gold; ``hit``: lexicon matches (always crises);
    ``non_distress``: examples whose distress label is 0 (the false alarms that
    matter most). ``p_distress`` None: no gate (``t_d`` = 0).
    """
    y, hit = np.asarray(y, bool), np.asarray(hit, bool)
    nd = np.asarray(non_distress, bool)
    pc = np.asarray(p_crisis, float)
    pd = np.ones_like(pc) if p_distress is None else np.asarray(p_distress, float)
    free = y & ~hit  # positives the statistical path must catch
    n_pos, n_nd = max(int(y.sum()), 1), max(int(nd.sum()), 1)
    gates = [0.0] if p_distress is None else [0.0, *_candidates(pd[free])]
    cuts = np.r_[_candidates(pc[free]), OFF]
    best: tuple[Any, ...] = (False, -1.0, 0, 0, 0.0, OFF)
    for t_d in gates:
        passed = hit[None, :] | ((pd >= t_d)[None, :] & (pc[None, :] >= cuts[:, None]))
        tp = (passed & y).sum(1)
        fp = (passed & ~y).sum(1)
        false_nd = (passed & nd).sum(1)
        ok = np.ones(len(cuts), bool)
        if false_alarm_max is not None:
            ok = false_nd / n_nd <= false_alarm_max + 1e-12
        reached = np.minimum(tp / n_pos, recall_target)
        for k in range(len(cuts)):
            key = (bool(ok[k]), reached[k], -fp[k], -false_nd[k], t_d, cuts[k])
            best = max(best, key)
    t_c = _cut(pc, float(best[5]))
    t_d = _cut(pd, float(best[4])) if best[4] > 0 else 0.0
    passed = hit | ((pc >= t_c) & (pd >= t_d))
    info = {
        **prf(y, passed),
        "non_distress_flagged": round(float((passed & nd).sum()) / n_nd, 4),
        "recall_target_met": bool((y & passed).sum() / n_pos >= recall_target),
        "false_alarm_met": bool(best[0]),
    }
    return t_c, t_d, info


def crisis_tradeoff(
    y: np.ndarray,
    p_crisis: np.ndarray,
    p_distress: np.ndarray | None,
    hit: np.ndarray,
    non_distress: np.ndarray,
) -> list[dict[str, float]]:
    """For each recall target, what the best gate costs (no false-alarm ceiling)."""
    rows = []
    for target in TRADEOFF_TARGETS:
        _, _, info = choose_crisis_gate(
            y, p_crisis, p_distress, hit, non_distress, target
        )
        rows.append(
            {
                "recall_target": target,
                "recall": info["recall"],
                "precision": info["precision"],
                "non_distress_flagged": info["non_distress_flagged"],
            }
        )
    return rows


def _gold(examples: Sequence[Example], name: str) -> tuple[np.ndarray, np.ndarray]:
    idx = [i for i, ex in enumerate(examples) if ex.label(name) is not None]
    y = np.array([examples[i].label(name) == 1 for i in idx], dtype=bool)
    return np.array(idx, dtype=int), y


def _pair_counts(
    y: np.ndarray,
    pc: np.ndarray,
    pd: np.ndarray,
    hit: np.ndarray,
    nd: np.ndarray,
    t_d: float,
    cuts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True crises, false crises and posts without distress flagged, per cut,
    by ``hit OR (pd >= t_d AND pc >= cut)``."""
    passed = hit[None, :] | ((pd >= t_d)[None, :] & (pc[None, :] >= cuts[:, None]))
    return (passed & y).sum(1), (passed & ~y).sum(1), (passed & nd).sum(1)


def choose_sure_pair(
    y: np.ndarray,
    p_crisis: np.ndarray,
    p_distress: np.ndarray | None,
    hit: np.ndarray,
    non_distress: np.ndarray,
    precision_target: float = 0.8,
) -> tuple[float, float, dict[str, Any]]:
    """The "sure" crisis pair ``(t_c, t_d)``: the highest recall whose precision
    (lexicon hits included) is at least ``precision_target``; ties go to the
    fewest false crises, then the highest thresholds. When no pair reaches the
    target, only lexicon hits are sure (``t_c`` = :data:`OFF`)."""
    y, hit = np.asarray(y, bool), np.asarray(hit, bool)
    nd = np.asarray(non_distress, bool)
    pc = np.asarray(p_crisis, float)
    pd = np.ones_like(pc) if p_distress is None else np.asarray(p_distress, float)
    free = y & ~hit
    gates = [0.0] if p_distress is None else [0.0, *_candidates(pd[free])]
    cuts = np.r_[_candidates(pc[free]), OFF]
    best: tuple[Any, ...] = (-1, 0, 0, 0.0, OFF)
    for t_d in gates:
        tp, fp, false_nd = _pair_counts(y, pc, pd, hit, nd, t_d, cuts)
        precision = tp / np.maximum(tp + fp, 1)
        for k in np.flatnonzero(precision >= precision_target - 1e-12):
            best = max(best, (tp[k], -fp[k], -false_nd[k], t_d, cuts[k]))
    t_c = _cut(pc, float(best[4]))
    t_d = _cut(pd, float(best[3])) if best[3] > 0 else 0.0
    passed = hit | ((pc >= t_c) & (pd >= t_d))
    info = {
        **prf(y, passed),
        "non_distress_flagged": _share(passed, nd),
        "precision_target": precision_target,
        "target_met": prf(y, passed)["precision"] >= precision_target,
    }
    return t_c, t_d, info


def choose_possible_pair(
    y: np.ndarray,
    p_crisis: np.ndarray,
    p_distress: np.ndarray | None,
    hit: np.ndarray,
    non_distress: np.ndarray,
    sure: tuple[float, float],
    recall_target: float | None = 0.95,
    false_alarm_max: float = 0.05,
    same_gate: bool = False,
) -> tuple[float, float, dict[str, Any]]:
    """The lower pair of the "possible" band, no stricter than ``sure``: the
    pair reaching ``recall_target`` (either level) with the fewest false crises,
    among those labelling at most ``false_alarm_max`` of the posts without
    distress (either level); else the highest recall under that cap. With
    ``same_gate`` only the crisis threshold is lowered: the distress gate stays
    the sure pair's. Returns ``sure`` itself (no band) when ``recall_target`` is
    None or the sure pair alone is over the cap."""
    y, hit = np.asarray(y, bool), np.asarray(hit, bool)
    nd = np.asarray(non_distress, bool)
    pc = np.asarray(p_crisis, float)
    pd = np.ones_like(pc) if p_distress is None else np.asarray(p_distress, float)
    n_pos, n_nd = max(int(y.sum()), 1), max(int(nd.sum()), 1)
    t_sc, t_sd = sure
    before = hit | ((pc >= t_sc) & (pd >= t_sd))
    best: tuple[Any, ...] = (0.0, 0, 0, t_sd, t_sc)
    if recall_target is not None and _share(before, nd) <= false_alarm_max + 1e-12:
        free = y & ~hit
        gates = [t_sd]
        if p_distress is not None and not same_gate:
            gates += [g for g in _candidates(pd[free]) if g < t_sd]
        if t_sd > 0 and not same_gate:
            gates.append(0.0)
        cuts = np.r_[[c for c in _candidates(pc[free]) if c < t_sc], t_sc]
        best = (-1.0,)
        for t_d in gates:
            tp, fp, false_nd = _pair_counts(y, pc, pd, hit, nd, t_d, cuts)
            ok = false_nd / n_nd <= false_alarm_max + 1e-12
            reached = np.minimum(tp / n_pos, recall_target)
            for k in np.flatnonzero(ok):
                best = max(best, (reached[k], -fp[k], -false_nd[k], t_d, cuts[k]))
    t_c = t_sc if best[4] >= t_sc else min(_cut(pc, float(best[4])), t_sc)
    t_d = t_sd
    if best[3] < t_sd:
        t_d = min(_cut(pd, float(best[3])), t_sd) if best[3] > 0 else 0.0
    passed = hit | ((pc >= t_c) & (pd >= t_d))
    info = {
        **prf(y, passed),
        "non_distress_flagged": _share(passed, nd),
        "possible_only": int((passed & ~before).sum()),
        "possible_only_true": int((passed & ~before & y).sum()),
        "target_met": recall_target is not None
        and prf(y, passed)["recall"] >= recall_target,
        "recall_target": recall_target,
        "false_alarm_max": false_alarm_max,
    }
    return t_c, t_d, info


def _share(passed: np.ndarray, mask: np.ndarray) -> float:
    return round(float((passed & mask).sum()) / max(int(mask.sum()), 1), 4)


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
