"""The crisis thresholds: joint ``(t_c, t_d)`` pairs from out-of-fold scores.

Crisis has two levels, each such a pair (contract: ``../shared/contracts.md``):

- ``sure`` (:func:`choose_sure_pair`): the highest out-of-fold recall whose
  precision reaches 0.8; lexicon hits are always sure. Sure crises alert seniors
  and come first in the queue.
- ``possible`` (:func:`choose_possible_pair`): a lower crisis threshold (the
  distress gate stays the sure one), for recall, that labels at most 5 % of the
  posts without distress (either level); a crisis that passes it but not the
  sure pair is possible: next in the queue, no alert.

:func:`choose_crisis_gate` (the recall-target search) remains for the trade-off
table of the model card. The rule itself: :mod:`classifier.rules`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from classifier.rules import OFF, _candidates, _cut, _share, prf

#: Recall targets shown in the out-of-fold trade-off table of the model card.
TRADEOFF_TARGETS = (0.8, 0.85, 0.9, 0.95, 1.0)


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
