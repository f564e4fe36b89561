"""The composed model: contract fields, rules, thresholds, persistence."""

from __future__ import annotations

import json

import numpy as np
import pytest

from classifier.dataset import LABELS
from classifier.evaluate import (
    choose_thresholds,
    threshold_for_precision,
    threshold_for_recall,
)
from classifier.model import load_model, save_model
from maraude.errors import ModelNotFoundError

FIELDS = {
    "distress",
    "crisis",
    "rights",
    "labels",
    "rights_topics",
    "non_recours_form",
    "minor",
    "explanation",
}
TEXTS = [
    "j'ai envie d'en finir",
    "les apl ont baissé, j'ai jamais fait la demande",
    "quelle belle journée",
    "j'ai 14 ans et je suis triste",
    "",
]


def test_predict_texts_returns_the_contract_fields(fitted):
    preds = fitted.predict_texts(TEXTS)
    assert len(preds) == len(TEXTS)
    for p in preds:
        assert set(p) == FIELDS
        for name in ("distress", "crisis", "rights"):
            assert 0.0 <= p[name] <= 1.0
        assert set(p["labels"]) <= {"distress", "crisis", "rights"}
        assert isinstance(p["minor"], bool)
        assert p["non_recours_form"] in (
            None,
            "non_connaissance",
            "non_demande",
            "non_reception",
        )
        assert len(p["explanation"]["nearest_examples"]) == 2
        for near in p["explanation"]["nearest_examples"]:
            assert len(near["text"]) <= 120
    json.dumps(preds)  # plain JSON types only


def test_predict_proba_and_predict_shapes(fitted):
    assert fitted.predict_proba(TEXTS).shape == (len(TEXTS), len(LABELS))
    assert set(np.unique(fitted.predict(TEXTS))) <= {0, 1}
    assert fitted.predict_texts([]) == []


def test_crisis_implies_distress(fitted):
    for p in fitted.predict_texts(TEXTS):
        assert p["distress"] >= p["crisis"]
        if "crisis" in p["labels"]:
            assert "distress" in p["labels"]


def test_lexicon_only_raises_the_crisis_score(fitted):
    texts = ["j'ai envie d'en finir", "quelle belle journée", "mort de rire"]
    raw = fitted._scores(texts, fitted.embedder_.encode(texts))["crisis"]
    final = fitted.predict_proba(texts)[:, LABELS.index("crisis")]
    assert np.all(final >= raw - 1e-12)
    assert final[0] >= fitted.thresholds_["crisis"]  # the lexicon hit passes
    np.testing.assert_allclose(final[1:], raw[1:])  # no hit: unchanged
    pred = fitted.predict_texts(texts[:1])[0]
    assert "crisis" in pred["labels"]
    assert "j'ai envie d'en finir" in pred["explanation"]["matched_phrases"]


def test_rights_topics_and_form_only_when_rights_passes(fitted):
    for p in fitted.predict_texts(TEXTS):
        if "rights" not in p["labels"]:
            assert p["non_recours_form"] is None


def test_thresholds_come_from_out_of_fold_scores(fitted):
    report = fitted.oof_report_
    assert report["crisis"]["recall"] == 1.0
    for name in LABELS:
        assert fitted.thresholds_[name] == pytest.approx(
            report[name]["threshold"], abs=1e-4
        )


def test_threshold_helpers():
    y = np.array([0, 0, 1, 1, 0, 1])
    s = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9])
    t = threshold_for_recall(y, s)
    assert (s[y == 1] >= t).all()
    assert 0.2 < t < 0.35
    t, met = threshold_for_precision(y, s, target=0.85)
    assert met
    assert (s >= t).sum() == 2  # 0.8 and 0.9: precision 1.0, the best F1 at 0.85


def test_choose_thresholds_counts_crises_as_distress(examples):
    n = len(examples)
    scores = {name: np.zeros(n) for name in LABELS}
    for i, ex in enumerate(examples):
        scores["crisis"][i] = 0.9 if ex.crisis else 0.1
        scores["distress"][i] = 0.6 if ex.distress and not ex.crisis else 0.0
    thresholds, report = choose_thresholds(examples, scores)
    assert report["crisis"]["recall"] == 1.0
    assert report["distress"]["recall"] == 1.0
    assert thresholds["distress"] <= 0.6


def test_save_load_round_trip(fitted, tmp_path):
    out = save_model(fitted, tmp_path / "m", {"note": "test"})
    assert {p.name for p in out.iterdir()} == {
        "model.skops",
        "metadata.json",
        "MODEL_CARD.md",
    }
    loaded = load_model(out)
    assert loaded.version_.startswith("m-")
    assert loaded.metadata_["note"] == "test"
    assert loaded.embedder_.spec == {"backend": "fake", "dim": 32}
    assert loaded.predict_texts(TEXTS) == fitted.predict_texts(TEXTS)


def test_missing_model_folder(tmp_path):
    with pytest.raises(ModelNotFoundError, match="No model in"):
        load_model(tmp_path / "nope")


def test_other_sklearn_version_is_refused(fitted, tmp_path):
    out = save_model(fitted, tmp_path / "m")
    meta = json.loads((out / "metadata.json").read_text())
    meta["sklearn_version"] = "0.24.2"
    (out / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ModelNotFoundError, match=r"[Rr]etrain"):
        load_model(out)


def test_corrupt_model_file(fitted, tmp_path):
    out = save_model(fitted, tmp_path / "m")
    (out / "model.skops").write_bytes(b"not a zip")
    with pytest.raises(ModelNotFoundError):
        load_model(out)
