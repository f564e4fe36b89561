"""Metrics and evaluation of a model on a labelled file.

Threshold choice lives in :mod:`classifier.thresholds` and the model card in
:mod:`classifier.card`; both are re-exported here for older imports.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.metrics import average_precision_score

from classifier.card import model_card
from classifier.dataset import (
    FORMS,
    LABELS,
    Example,
    load_examples,
    load_jsonl,
    load_mapped,
    split,
)
from classifier.text import snippet
from classifier.thresholds import (
    _gold,
    choose_thresholds,
    prf,
    threshold_for_precision,
    threshold_for_recall,
)

if TYPE_CHECKING:
    from classifier.model import MaraudeClassifier

logger = logging.getLogger(__name__)
__all__ = [
    "choose_thresholds",
    "evaluate",
    "evaluate_examples",
    "format_table",
    "model_card",
    "prf",
    "threshold_for_precision",
    "threshold_for_recall",
]


def label_metrics(
    y: np.ndarray, scores: np.ndarray, pred: np.ndarray
) -> dict[str, Any]:
    out: dict[str, Any] = prf(y, pred)
    ap = average_precision_score(y, scores) if 0 < y.sum() < len(y) else float("nan")
    out["pr_auc"] = None if np.isnan(ap) else round(float(ap), 4)
    out["n"], out["positives"] = len(y), int(y.sum())
    return out


def first_right_accuracy(
    examples: Sequence[Example], ranked: Sequence[Sequence[str]]
) -> tuple[float | None, int]:
    """Share of rights examples with topics whose first ranked right is correct."""
    hits = [
        bool(r) and r[0] in ex.rights_topics
        for ex, r in zip(examples, ranked, strict=True)
        if ex.rights == 1 and ex.rights_topics
    ]
    return (round(sum(hits) / len(hits), 4) if hits else None), len(hits)


def alarm_metrics(
    examples: Sequence[Example], details: dict[str, Any]
) -> dict[str, Any]:
    """False alarms and the review band: the share of posts without distress
    labelled crisis (and labelled a sure crisis, without ``crisis_review``), the
    share of ordinary posts (no distress, no right) that become leads, the
    recall of the sure crises alone, and what ``crisis_review`` adds."""
    crisis = np.asarray(details["passed"]["crisis"], bool)
    lead = crisis | np.asarray(details["passed"]["distress"], bool)
    lead |= np.asarray(details["passed"]["rights"], bool)
    review = np.asarray(details["review"], bool)
    no_distress = np.array([ex.distress == 0 for ex in examples], bool)
    ordinary = no_distress & np.array([ex.rights == 0 for ex in examples], bool)
    gold = np.array([ex.crisis == 1 for ex in examples], bool)
    out: dict[str, Any] = {
        "non_distress_n": int(no_distress.sum()),
        "crisis_on_non_distress": int((crisis & no_distress).sum()),
        "sure_crisis_on_non_distress": int((crisis & ~review & no_distress).sum()),
        "sure_crisis_recall": prf(gold, crisis & ~review)["recall"],
        "ordinary_n": int(ordinary.sum()),
        "leads_on_ordinary": int((lead & ordinary).sum()),
        "crisis_review": int(review.sum()),
        "crisis_review_true": int((review & gold).sum()),
        "crisis_or_review_recall": prf(gold, crisis | review)["recall"],
    }
    for key, n in (("crisis_on_non_distress", "non_distress_n"),
                   ("sure_crisis_on_non_distress", "non_distress_n"),
                   ("leads_on_ordinary", "ordinary_n")):  # fmt: skip
        out[f"{key}_share"] = round(out[key] / max(out[n], 1), 4)
    return out


def evaluate_examples(
    model: MaraudeClassifier, examples: Sequence[Example], n_errors: int = 10
) -> dict[str, Any]:
    """Per-label metrics, confusion counts and the worst errors of ``model``."""
    texts = [ex.text for ex in examples]
    preds, details = model.predict_detailed(texts)
    result: dict[str, Any] = {"n": len(examples), "labels": {}, "confusion": {}}
    errors = []
    for name in LABELS:
        idx, y = _gold(examples, name)
        if not len(idx) or not y.any():
            continue
        scores = np.array([details["scores"][name][i] for i in idx])
        passed = np.array([details["passed"][name][i] for i in idx], dtype=bool)
        result["labels"][name] = label_metrics(y, scores, passed)
        result["confusion"][name] = {
            "tp": int((y & passed).sum()),
            "fp": int((~y & passed).sum()),
            "fn": int((y & ~passed).sum()),
            "tn": int((~y & ~passed).sum()),
        }
        threshold = model.thresholds_[name]
        for i, gold, s, p in zip(idx, y, scores, passed, strict=True):
            if gold != p:
                errors.append((abs(s - threshold), i, name, bool(gold), float(s)))
    result["alarms"] = alarm_metrics(examples, details)
    acc, n_topics = first_right_accuracy(examples, details["ranked_topics"])
    result["first_right_accuracy"] = acc
    result["first_right_n"] = n_topics
    forms = [
        (ex.non_recours_form, preds[i]["non_recours_form"])
        for i, ex in enumerate(examples)
        if ex.rights == 1 and ex.non_recours_form in FORMS
    ]
    if forms:
        right = sum(gold == ranked for gold, ranked in forms)
        result["form_accuracy_on_rights"] = round(right / len(forms), 4)
        result["form_n"] = len(forms)
    errors.sort(reverse=True)
    result["worst_errors"] = [
        {
            "label": name,
            "gold": gold,
            "score": round(s, 4),
            "text": snippet(examples[i].text),
        }
        for _, i, name, gold, s in errors[:n_errors]
    ]
    return result


def evaluate(
    model: MaraudeClassifier,
    data_file: str | Path | None = None,
    text_col: str | None = None,
    label_col: str | None = None,
    label_name: str | None = None,
) -> dict[str, Any]:
    """Evaluate on a labelled file (seed format, or one column → one label).

    Without ``data_file``: the held-out split of the seed set (the examples the
    shipped model never saw).
    """
    if data_file is None:
        examples = split(load_examples())[1]
    elif text_col or label_col or label_name:
        examples = load_mapped(
            data_file, str(text_col), str(label_col), str(label_name)
        )
    else:
        examples = load_jsonl(data_file)
    logger.info("evaluating on %d examples", len(examples))
    return evaluate_examples(model, examples)


def format_table(result: dict[str, Any]) -> str:
    """The evaluation as a plain-text table."""
    lines = [
        f"n = {result['n']}",
        f"{'label':<10} {'prec':>6} {'recall':>6} {'f1':>6} {'pr_auc':>6} {'pos':>5}",
    ]
    for name, m in result["labels"].items():
        auc = "-" if m["pr_auc"] is None else f"{m['pr_auc']:.3f}"
        lines.append(
            f"{name:<10} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f} "
            f"{auc:>6} {m['positives']:>5}"
        )
    if result.get("first_right_accuracy") is not None:
        lines.append(
            f"first right correct: {result['first_right_accuracy']:.3f} "
            f"(n = {result['first_right_n']})"
        )
    if result.get("form_accuracy_on_rights") is not None:
        lines.append(
            f"non-recours form correct: {result['form_accuracy_on_rights']:.3f} "
            f"(n = {result['form_n']})"
        )
    alarms = result.get("alarms")
    if alarms:
        lines.append(
            f"crisis on posts without distress: {alarms['crisis_on_non_distress']} / "
            f"{alarms['non_distress_n']} ({alarms['crisis_on_non_distress_share']:.1%})"
            f" (sure crises: {alarms['sure_crisis_on_non_distress_share']:.1%})"
            f"; ordinary posts made leads: {alarms['leads_on_ordinary']} / "
            f"{alarms['ordinary_n']}"
        )
        lines.append(
            f"crisis_review flags: {alarms['crisis_review']} "
            f"({alarms['crisis_review_true']} true crises); sure-crisis recall "
            f"{alarms['sure_crisis_recall']:.3f}; crisis-or-review recall "
            f"{alarms['crisis_or_review_recall']:.3f}"
        )
    return "\n".join(lines)
