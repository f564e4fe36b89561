"""Metrics, threshold choice, evaluation of a model on a labelled file, model card."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.metrics import average_precision_score

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

if TYPE_CHECKING:
    from classifier.model import MaraudeClassifier

logger = logging.getLogger(__name__)


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
    lower = scores[scores < chosen]
    return float((chosen + lower.max()) / 2) if lower.size else float(chosen) * 0.999


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
) -> tuple[float, bool]:
    """Threshold with the best F1 among those reaching ``target`` precision.

    ``forced`` marks examples predicted positive whatever their score (a crisis
    is a distress). Returns (threshold, whether the target was reached); without
    any threshold reaching it, the best F1 overall.
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
    ok = precision >= target
    met = bool(ok.any())
    candidates = np.where(ok, f1, -1.0) if met else f1
    best = int(np.argmax(candidates))  # first = highest threshold among ties
    return _cut(scores, float(s[best])), met


def choose_thresholds(
    examples: Sequence[Example],
    scores: dict[str, np.ndarray],
    precision_target: float = 0.85,
) -> tuple[dict[str, float], dict[str, Any]]:
    """Per-label thresholds from (out-of-fold) final scores, and their report.

    Crisis: recall 1.0. Distress, rights, minor: best F1 at ``precision_target``
    (distress counts every passing crisis as predicted, as the model does).
    """
    thresholds: dict[str, float] = {}
    report: dict[str, Any] = {}
    forced = np.zeros(len(examples), dtype=bool)
    for name in ("crisis", "distress", "rights", "minor"):
        idx, y = _gold(examples, name)
        s = scores[name][idx]
        f = forced[idx] if name == "distress" else np.zeros(len(idx), dtype=bool)
        if name == "crisis":
            t, met = threshold_for_recall(y, s), True
            forced = scores["crisis"] >= t
        else:
            t, met = threshold_for_precision(y, s, precision_target, f)
        thresholds[name] = round(float(t), 6)
        report[name] = {
            **prf(y, (s >= t) | f),
            "threshold": round(float(t), 4),
            "target_met": met,
            "n": len(idx),
            "positives": int(y.sum()),
        }
    return thresholds, report


def _gold(examples: Sequence[Example], name: str) -> tuple[np.ndarray, np.ndarray]:
    idx = [i for i, ex in enumerate(examples) if ex.label(name) is not None]
    y = np.array([examples[i].label(name) == 1 for i in idx], dtype=bool)
    return np.array(idx, dtype=int), y


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
    return "\n".join(lines)


def _metrics_rows(labels: dict[str, Any]) -> list[str]:
    rows = [
        "| label | precision | recall | F1 | PR-AUC | positives / n |",
        "|---|---|---|---|---|---|",
    ]
    for name, m in labels.items():
        auc = "–" if m.get("pr_auc") is None else f"{m['pr_auc']:.3f}"
        rows.append(
            f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} "
            f"| {auc} | {m['positives']} / {m['n']} |"
        )
    return rows


def model_card(meta: dict[str, Any]) -> str:
    """MODEL_CARD.md for a saved model, from its ``metadata.json`` content."""
    data = meta.get("training_data", {})
    held = meta.get("held_out") or {}
    lines = [
        f"# Maraude classifier `{meta['model_version']}`",
        "",
        f"Created {meta['created_at']} with scikit-learn {meta['sklearn_version']}; "
        f"embedder `{meta.get('embedder_name', meta['embedder'])}` "
        f"(spec `{json.dumps(meta['embedder'])}`, rebuilt at load, never stored here).",
        "",
        "## What it does",
        "Scores a post for `distress`, `crisis` and `rights` (someone who may not "
        "claim a social right), says whether the writer seems under 18 (`minor`), "
        "which "
        "rights it is about (`rights_topics`) and the form of non-recours. It only "
        "ranks posts for outreach workers, who read every post and decide; it never "
        "replies and must not be used to judge or profile a person.",
        "",
        "Shape: per-label logistic regressions (class-balanced, sigmoid-calibrated) "
        "over the sentence embedding joined with character 2–5-gram TF-IDF; a "
        "transparent crisis lexicon that can only raise the crisis score; a rights "
        "tagger from the catalogue's aliases, with embedding similarity as fallback.",
        "",
        "## Training data",
        f"- examples: {data.get('n_total', '?')} after de-duplication "
        f"(train {data.get('n_train', '?')}, held-out test {data.get('n_test', '?')}); "
        f"sources: {', '.join(data.get('sources', [])) or '?'}",
        "- held-out split: SHA-1 of the normalised text, 20 %, with a few positives "
        "moved in so every label is tested; the test split is never used for "
        "fitting nor for choosing thresholds.",
    ]
    for name, counts in data.get("positives", {}).items():
        lines.append(
            f"- {name}: {counts['train']} positives in train, {counts['test']} in test"
        )
    lines += [
        "",
        "## Thresholds",
        "Chosen on out-of-fold predictions of the training split "
        f"({meta['params'].get('cv')}-fold "
        "cross-validation), not on the held-out split, so the held-out figures "
        "below are honest estimates: crisis at recall 1.0 (no crisis may be "
        "missed, at the cost of false alarms), the other labels at the best F1 with "
        f"precision ≥ {meta['params'].get('precision_target')} where reachable.",
        "",
        "| label | threshold | out-of-fold precision | recall | F1 | target met |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in meta.get("oof", {}).items():
        lines.append(
            f"| {name} | {r['threshold']:.4f} | {r['precision']:.3f} | "
            f"{r['recall']:.3f} | {r['f1']:.3f} | "
            f"{'yes' if r['target_met'] else 'no'} |"
        )
    lines += [
        "",
        f"Lexicon floors (a hit raises the score to at least): "
        f"{json.dumps(meta.get('lexicon_floors', {}))}.",
        "",
    ]
    if held.get("labels"):
        lines += ["## Held-out results", *_metrics_rows(held["labels"]), ""]
        if held.get("first_right_accuracy") is not None:
            lines.append(
                f"First right correct (rights examples with topics): "
                f"{held['first_right_accuracy']:.3f} (n = {held['first_right_n']})."
            )
        if held.get("form_accuracy_on_rights") is not None:
            lines.append(
                f"Non-recours form correct (rights examples with a form): "
                f"{held['form_accuracy_on_rights']:.3f} (n = {held['form_n']})."
            )
        lines.append("")
    if meta.get("training_seconds") is not None:
        lines += [f"Training took {meta['training_seconds']:.0f} s.", ""]
    lines += [
        "## Limits",
        "- The seed set is written by the project team (short French posts in "
        "several registers), not collected from real people: real posts are longer, "
        "noisier and more ambiguous, so expect lower figures in the field. Add "
        "moderators' labels (`maraude train --db`) to adapt the model.",
        "- The held-out set is small: a few examples more or less change a figure "
        "by several points. Crisis recall 1.0 on out-of-fold data does not promise "
        "that no crisis will ever be missed.",
        "- The crisis threshold is set by the hardest crisis example of the training "
        "data (recall 1.0), so it is low: many posts without a crisis pass it (see "
        'the crisis precision above). Read `crisis` as "check this first", not as '
        "an alarm; a distress label also follows from every passing crisis.",
        "- French only. Irony, quotes, song lyrics and talk about someone else's "
        'distress are frequent sources of false alarms; hyperbole ("mort de rire") '
        "is excluded from the lexicon but not from the statistical heads.",
        "- `minor` relies on what the writer says (an age, a school class).",
        "- `rights_topics` come from catalogue aliases first; without an alias, the "
        "nearest right by embedding similarity, which is only a suggestion.",
        "",
    ]
    return "\n".join(lines)
