"""The contract's prediction record of each text, from its composed scores.

:meth:`classifier.model.MaraudeClassifier.predict_detailed` scores a batch
(heads, lexicons, thresholds); this module turns each text's scores, pass flags,
lexicon hits, rights matches and nearest examples into the record of
``../shared/contracts.md`` (``distress`` … ``explanation``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from classifier.heads import NO_FORM
from classifier.lexicon import Hit
from classifier.rights_tagger import RightsTagger
from maraude.vocab import OUTPUT_LABELS


def prediction_records(
    texts: Sequence[str],
    emb: np.ndarray,
    raw: dict[str, np.ndarray],
    scores: dict[str, np.ndarray],
    passed: dict[str, np.ndarray],
    *,
    level: Sequence[str | None],
    hits: tuple[list[list[Hit]], list[list[Hit]]],
    nearest: Sequence[Any],
    tagger: RightsTagger,
    form_classes: Sequence[str],
) -> tuple[list[dict[str, Any]], list[Any]]:
    """One contract record per text, and each text's forced topic ranking.

    ``raw``: the heads' scores (``form`` and ``topics`` when fitted);
    ``scores`` and ``passed``: the composed scores and pass flags per label;
    ``level``: each text's ``crisis_level``; ``hits``: the crisis and minor
    lexicon hits per text; ``nearest``: each text's nearest examples.
    """
    c_hits, m_hits = hits
    preds, ranked = [], []
    for i, text in enumerate(texts):
        matches = tagger.find(text)
        head = raw["topics"][i] if "topics" in raw else None
        ranked.append(tagger.topics(matches, emb[i], True, head))
        rights_pass = bool(passed["rights"][i])
        form = None
        if rights_pass and "form" in raw:
            form = form_classes[int(np.argmax(raw["form"][i]))]
            form = None if form == NO_FORM else form
        phrases = [h.phrase for h in c_hits[i] + m_hits[i]] + [
            m.phrase for m in matches
        ]
        preds.append(
            {
                "distress": round(float(scores["distress"][i]), 4),
                "crisis": round(float(scores["crisis"][i]), 4),
                "rights": round(float(scores["rights"][i]), 4),
                "labels": [k for k in OUTPUT_LABELS if passed[k][i]],
                "crisis_level": level[i],
                "rights_topics": ranked[-1]
                if rights_pass
                else tagger.topics(matches, emb[i], False, head),
                "non_recours_form": form,
                "minor": bool(passed["minor"][i]),
                "explanation": {
                    "matched_phrases": list(dict.fromkeys(phrases)),
                    "lexicon_rules": [f"crisis:{h.rule}" for h in c_hits[i]]
                    + [f"minor:{h.rule}" for h in m_hits[i]]
                    + [f"right:{m.right}" for m in matches],
                    "nearest_examples": nearest[i],
                },
            }
        )
    return preds, ranked


def sure_crises(
    thresholds: dict[str, float],
    crisis: np.ndarray,
    gate: np.ndarray,
    hit: np.ndarray,
) -> np.ndarray:
    """Crises at the sure level: a lexicon hit or the sure pair.

    ``crisis``: the crisis head's raw scores; ``gate``: what the distress gate
    reads. A model saved before the two levels counts the pair it kept as
    ``crisis_confident`` as sure, else every crisis.
    """
    keys = ("crisis_sure", "crisis_sure_gate")
    if "crisis_sure" not in thresholds:
        keys = ("crisis_confident", "crisis_confident_gate")
    t_c = thresholds.get(keys[0])
    if t_c is None:
        return np.ones(len(hit), dtype=bool)
    return hit | ((crisis >= t_c) & (gate >= thresholds.get(keys[1], 0.0)))
