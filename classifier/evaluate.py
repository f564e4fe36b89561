"""Metrics and evaluation of a model on a labelled file.

Besides precision, recall, F1 and PR-AUC per label, an evaluation reports what
a worker would see (:mod:`classifier.metrics`): the share of negatives made
leads, the negatives labelled crisis and the crisis recall per level, figures
per ``kind``, the first right, and all of it again on the items both annotators
agreed on when the file says so (``agreed``, as in
``../shared/data/real-fr/dev.jsonl``).

Threshold choice lives in :mod:`classifier.thresholds` and the model card in
:mod:`classifier.card`; both are re-exported here for older imports.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.metrics import average_precision_score

from classifier import metrics
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
from maraude.errors import InputError

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
    """Precision, recall, F1, PR-AUC (None when undefined), n and positives."""
    out: dict[str, Any] = prf(y, pred)
    ap = average_precision_score(y, scores) if 0 < y.sum() < len(y) else float("nan")
    out["pr_auc"] = None if np.isnan(ap) else round(float(ap), 4)
    out["n"], out["positives"] = len(y), int(y.sum())
    return out


def first_right_accuracy(
    examples: Sequence[Example], ranked: Sequence[Sequence[str]]
) -> tuple[float | None, int]:
    """Share of the examples with a gold right whose first ranked right is correct."""
    got = metrics.first_right(examples, ranked)
    return got["share"], got["n"]


def passed_labels(preds: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Per label, whether each prediction passes it (read from the output)."""
    out = {
        name: np.array([name in p["labels"] for p in preds], dtype=bool)
        for name in ("distress", "crisis", "rights")
    }
    out["minor"] = np.array([bool(p.get("minor")) for p in preds], dtype=bool)
    return out


def alarm_metrics(
    examples: Sequence[Example], preds: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """False alarms and the possible level: the share of posts without distress
    labelled crisis (and labelled a sure crisis), the share of ordinary posts (no
    distress, no right) that become leads, the recall of the sure crises alone,
    and what the possible level (``crisis_review`` in older models) adds."""
    levels = [metrics.crisis_level(p) for p in preds]
    crisis = passed_labels(preds)["crisis"]
    review = np.array([lv == "possible" for lv in levels], bool)
    sure = np.array([lv == "sure" for lv in levels], bool)
    lead = np.array([metrics.is_lead(p) for p in preds], bool)
    no_distress = np.array([ex.distress == 0 for ex in examples], bool)
    ordinary = np.array([metrics.is_negative(ex) for ex in examples], bool)
    gold = np.array([ex.crisis == 1 for ex in examples], bool)
    out: dict[str, Any] = {
        "non_distress_n": int(no_distress.sum()),
        "crisis_on_non_distress": int((crisis & no_distress).sum()),
        "sure_crisis_on_non_distress": int((sure & no_distress).sum()),
        "sure_crisis_recall": prf(gold, sure)["recall"],
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


def summarise(
    examples: Sequence[Example],
    preds: Sequence[Mapping[str, Any]],
    scores: Mapping[str, np.ndarray],
    ranked: Sequence[Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Every figure of an evaluation, from the predictions and the label scores.

    ``ranked`` is the forced ranking of rights (the first right even where the
    rights label does not pass), for ``first_right_accuracy``.
    """
    passed = passed_labels(preds)
    result: dict[str, Any] = {"n": len(examples), "labels": {}, "confusion": {}}
    for name in LABELS:
        idx, y = _gold(examples, name)
        if not len(idx) or not y.any():
            continue
        p = passed[name][idx]
        result["labels"][name] = label_metrics(y, np.asarray(scores[name])[idx], p)
        result["confusion"][name] = {
            "tp": int((y & p).sum()),
            "fp": int((~y & p).sum()),
            "fn": int((y & ~p).sum()),
            "tn": int((~y & ~p).sum()),
        }
    result["alarms"] = alarm_metrics(examples, preds)
    forced = ranked if ranked is not None else [p["rights_topics"] for p in preds]
    acc, n_topics = first_right_accuracy(examples, forced)
    result["first_right_accuracy"] = acc
    result["first_right_n"] = n_topics
    result["first_right"] = metrics.first_right(
        examples, [p.get("rights_topics") or [] for p in preds]
    )
    forms = [
        (ex.non_recours_form, p.get("non_recours_form"))
        for ex, p in zip(examples, preds, strict=True)
        if ex.rights == 1 and ex.non_recours_form in FORMS
    ]
    if forms:
        right = sum(gold == got for gold, got in forms)
        result["form_accuracy_on_rights"] = round(right / len(forms), 4)
        result["form_n"] = len(forms)
    result["negatives"] = metrics.negative_figures(examples, preds)
    result["crisis_recall"] = metrics.crisis_recall_by_level(examples, preds)
    result["kinds"] = metrics.kind_figures(examples, preds)
    return result


def _worst_errors(
    model: MaraudeClassifier,
    examples: Sequence[Example],
    preds: Sequence[Mapping[str, Any]],
    scores: Mapping[str, np.ndarray],
    n_errors: int,
) -> list[dict[str, Any]]:
    passed = passed_labels(preds)
    errors = []
    for name in LABELS:
        idx, y = _gold(examples, name)
        threshold = model.thresholds_[name]
        for i, gold in zip(idx, y, strict=True):
            s = float(scores[name][i])
            if gold != passed[name][i]:
                errors.append((abs(s - threshold), int(i), name, bool(gold), s))
    errors.sort(reverse=True)
    return [
        {
            "label": name,
            "gold": gold,
            "score": round(s, 4),
            "text": snippet(examples[i].text),
        }
        for _, i, name, gold, s in errors[:n_errors]
    ]


def evaluate_examples(
    model: MaraudeClassifier, examples: Sequence[Example], n_errors: int = 10
) -> dict[str, Any]:
    """Every figure of ``model`` on ``examples``, and its worst errors.

    When the examples say which items both annotators agreed on (and not all
    are), ``agreed`` holds the same figures on those items.
    """
    texts = [ex.text for ex in examples]
    preds, details = model.predict_detailed(texts)
    scores = {k: np.asarray(v) for k, v in details["scores"].items()}
    ranked = details.get("ranked_topics")
    result = summarise(examples, preds, scores, ranked)
    result["worst_errors"] = _worst_errors(model, examples, preds, scores, n_errors)
    idx = metrics.agreed_indices(examples)
    if metrics.has_agreement(examples) and len(idx) < len(examples):
        result["agreed"] = summarise(
            [examples[i] for i in idx],
            [preds[i] for i in idx],
            {k: v[idx] for k, v in scores.items()},
            None if ranked is None else [ranked[i] for i in idx],
        )
    return result


def load_evaluation_data(
    data_file: str | Path | None = None,
    text_col: str | None = None,
    label_col: str | None = None,
    label_name: str | None = None,
    *,
    agreed_only: bool = False,
) -> list[Example]:
    """The examples to evaluate on (see :func:`evaluate`)."""
    if data_file is None:
        examples = split(load_examples())[1]
    else:
        path = Path(data_file)
        if not path.is_file():
            raise InputError(
                f"Evaluation data {path} does not exist. Give a labelled JSON Lines "
                "file (seed format, or real texts such as "
                "../shared/data/real-fr/dev.jsonl: get the shared/ folder next to "
                "the project), or leave out --data to use the held-out split."
            )
        if text_col or label_col or label_name:
            examples = load_mapped(path, str(text_col), str(label_col), str(label_name))
        else:
            examples = load_jsonl(path)
        if not examples:
            raise InputError(f"{path} holds no example: one JSON object a line.")
    if agreed_only:
        if not metrics.has_agreement(examples):
            raise InputError(
                '--agreed-only needs a file whose lines carry "agreed" (true when '
                "both annotators agree), like ../shared/data/real-fr/dev.jsonl."
            )
        examples = [ex for ex in examples if ex.agreed]
    return examples


def evaluate(
    model: MaraudeClassifier,
    data_file: str | Path | None = None,
    text_col: str | None = None,
    label_col: str | None = None,
    label_name: str | None = None,
    *,
    agreed_only: bool = False,
) -> dict[str, Any]:
    """Evaluate on a labelled file (seed or real-text format, or one column →
    one label).

    Without ``data_file``: the held-out split of the seed set (the examples the
    shipped model never saw). With ``agreed_only``, only the items both
    annotators agreed on.
    """
    examples = load_evaluation_data(
        data_file, text_col, label_col, label_name, agreed_only=agreed_only
    )
    logger.info("evaluating on %d examples", len(examples))
    return evaluate_examples(model, examples)


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share:.1%}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _worker_lines(result: dict[str, Any]) -> list[str]:
    """Negatives, crisis levels, first right: what a worker would see."""
    lines = []
    neg = result.get("negatives")
    if neg and neg["n"]:
        c = neg["crisis"]
        lines.append(
            f"negatives (no distress, no right): {neg['n']}; made leads "
            f"{neg['leads']} ({_pct(neg['lead_share'])}); labelled crisis: "
            f"sure {_pct(c['sure']['share'])}, possible {_pct(c['possible']['share'])}"
            f", either {_pct(c['either']['share'])}"
        )
    rec = result.get("crisis_recall")
    if rec and rec["n"]:
        lines.append(
            f"crisis recall: sure {_num(rec['sure'])}, possible "
            f"{_num(rec['possible'])}, either {_num(rec['either'])} (n = {rec['n']})"
        )
    first = result.get("first_right")
    if first and first["n"]:
        lines.append(
            f"first right correct (rights_topics[0]): {_num(first['share'])} "
            f"(n = {first['n']})"
        )
    if result.get("first_right_accuracy") is not None:
        lines.append(
            f"first right correct (forced ranking): "
            f"{result['first_right_accuracy']:.3f} (n = {result['first_right_n']})"
        )
    if result.get("form_accuracy_on_rights") is not None:
        lines.append(
            f"non-recours form correct: {result['form_accuracy_on_rights']:.3f} "
            f"(n = {result['form_n']})"
        )
    return lines


def _kind_lines(kinds: dict[str, dict[str, Any]]) -> list[str]:
    if not kinds:
        return []
    lines = [
        f"{'kind':<14} {'n':>4} {'neg':>4} {'leads':>6} {'crisis':>6} "
        f"{'neg→lead':>8} {'distress recall':>15}"
    ]
    for kind, k in kinds.items():
        recall = "-"
        if k["distress_recall"] is not None:
            recall = f"{k['distress_recall']:.3f} ({k['distress_positives']})"
        lines.append(
            f"{kind:<14} {k['n']:>4} {k['negatives']:>4} {_pct(k['lead_share']):>6} "
            f"{_pct(k['crisis_share']):>6} {_pct(k['negative_lead_share']):>8} "
            f"{recall:>15}"
        )
    return lines


def format_table(result: dict[str, Any]) -> str:
    """The evaluation as plain-text tables (and again on the agreed items)."""
    lines = [
        f"n = {result['n']}",
        f"{'label':<10} {'prec':>6} {'recall':>6} {'f1':>6} {'pr_auc':>6} {'pos':>5}",
    ]
    for name, m in result["labels"].items():
        lines.append(
            f"{name:<10} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f} "
            f"{_num(m['pr_auc']):>6} {m['positives']:>5}"
        )
    lines += _worker_lines(result)
    lines += _kind_lines(result.get("kinds") or {})
    agreed = result.get("agreed")
    if agreed:
        lines += ["", "-- items both annotators agreed on --", format_table(agreed)]
    return "\n".join(lines)
