"""Figures on what a worker would see: leads, crisis levels, kinds, first right.

Every function here reads gold :class:`~classifier.dataset.Example` objects and
the model's contract predictions (the dicts ``maraude predict`` prints), so the
figures describe the output itself and can be checked on hand-made inputs.

Definitions:

- a **lead** is a prediction with any label (``labels`` not empty);
- a **negative** is an example with ``distress`` 0 and ``rights`` 0 or unknown
  (a crisis is always a distress, so a negative is never a crisis);
- the **crisis level** of a prediction is its ``crisis_level`` (``"sure"``,
  ``"possible"`` or null) when the model gives one; for models older than that
  field, ``explanation.crisis_review`` marks a possible crisis and a crisis
  label without it a sure one (:func:`crisis_level`);
- the **first right** is correct when ``rights_topics[0]`` is the example's
  ``right`` (the real-text files), or one of its ``rights_topics`` (seed files).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from classifier.dataset import Example
from maraude import vocab

LEVELS = vocab.CRISIS_LEVELS


def _share(count: int, n: int) -> float | None:
    return round(count / n, 4) if n else None


def crisis_level(pred: Mapping[str, Any]) -> str | None:
    """``"sure"``, ``"possible"`` or None for one contract prediction."""
    if "crisis_level" in pred:
        level = pred["crisis_level"]
        return level if level in LEVELS else None
    if (pred.get("explanation") or {}).get("crisis_review"):
        return "possible"
    return "sure" if "crisis" in pred.get("labels", ()) else None


def is_lead(pred: Mapping[str, Any]) -> bool:
    """Whether the prediction makes a lead (any label passes)."""
    return bool(pred.get("labels"))


def is_negative(ex: Example) -> bool:
    """Neither distress nor a right: the model should leave it alone. A rights
    label left unknown (files without one, like the blind set) counts as 0."""
    return ex.distress == 0 and ex.rights != 1


def negative_figures(
    examples: Sequence[Example], preds: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Negatives made leads, and negatives labelled crisis per level.

    Keys: ``n``, ``leads``, ``lead_share``, and ``crisis`` mapping ``sure``,
    ``possible`` and ``either`` to ``{"count", "share"}``.
    """
    pairs = [(ex, p) for ex, p in zip(examples, preds, strict=True) if is_negative(ex)]
    n = len(pairs)
    leads = sum(is_lead(p) for _, p in pairs)
    levels = [crisis_level(p) for _, p in pairs]
    crisis = {}
    for name in (*LEVELS, "either"):
        count = sum(lv is not None if name == "either" else lv == name for lv in levels)
        crisis[name] = {"count": count, "share": _share(count, n)}
    return {"n": n, "leads": leads, "lead_share": _share(leads, n), "crisis": crisis}


def crisis_recall_by_level(
    examples: Sequence[Example], preds: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Share of the gold crises flagged sure, possible, and either."""
    levels = [
        crisis_level(p) for ex, p in zip(examples, preds, strict=True) if ex.crisis == 1
    ]
    n = len(levels)
    out: dict[str, Any] = {"n": n}
    for name in LEVELS:
        out[name] = _share(sum(lv == name for lv in levels), n)
    out["either"] = _share(sum(lv is not None for lv in levels), n)
    return out


def kind_figures(
    examples: Sequence[Example], preds: Sequence[Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Figures per ``kind`` (testimony, news, fiction…), largest kind first.

    Per kind: ``n``, ``negatives``, ``lead_share`` and ``crisis_share`` (over
    all its items, crisis at either level), ``negative_lead_share``, and
    ``distress_positives`` with ``distress_recall`` (None without positives).
    Examples without a kind are left out; no kind at all gives ``{}``.
    """
    groups: dict[str, list[tuple[Example, Mapping[str, Any]]]] = defaultdict(list)
    for ex, p in zip(examples, preds, strict=True):
        if ex.kind:
            groups[ex.kind].append((ex, p))
    out = {}
    for kind, pairs in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        negatives = [p for ex, p in pairs if is_negative(ex)]
        distressed = [p for ex, p in pairs if ex.distress == 1]
        found = sum("distress" in p.get("labels", ()) for p in distressed)
        out[kind] = {
            "n": len(pairs),
            "negatives": len(negatives),
            "lead_share": _share(sum(is_lead(p) for _, p in pairs), len(pairs)),
            "crisis_share": _share(
                sum(crisis_level(p) is not None for _, p in pairs), len(pairs)
            ),
            "negative_lead_share": _share(
                sum(is_lead(p) for p in negatives), len(negatives)
            ),
            "distress_positives": len(distressed),
            "distress_recall": _share(found, len(distressed)),
        }
    return out


def gold_rights(ex: Example) -> set[str]:
    """The right ids that count as a correct first right for ``ex`` (may be empty)."""
    if ex.rights == 0:
        return set()
    if ex.right:
        return {ex.right}
    return set(ex.rights_topics)


def first_right(
    examples: Sequence[Example], ranked: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Share of the examples with a gold right whose first ranked right is correct.

    ``ranked`` holds one list of right ids per example, most likely first (the
    predictions' ``rights_topics``, or a forced ranking). An empty list is wrong.
    """
    hits = [
        bool(r) and r[0] in gold
        for ex, r in zip(examples, ranked, strict=True)
        if (gold := gold_rights(ex))
    ]
    return {"n": len(hits), "correct": sum(hits), "share": _share(sum(hits), len(hits))}


def has_agreement(examples: Sequence[Example]) -> bool:
    """Whether the file says which items both annotators agreed on."""
    return any(ex.agreed is not None for ex in examples)


def agreed_indices(examples: Sequence[Example]) -> list[int]:
    """Positions of the items both annotators agreed on."""
    return [i for i, ex in enumerate(examples) if ex.agreed]
