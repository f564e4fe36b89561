"""The composed model: contract fields, rules, thresholds, persistence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import clone

from classifier import store
from classifier.dataset import LABELS, Example
from classifier.embed import FakeEmbedder
from classifier.evaluate import (
    choose_thresholds,
    threshold_for_precision,
    threshold_for_recall,
)
from classifier.model import MaraudeClassifier, load_model, save_model
from classifier.thresholds import choose_crisis_gate, crisis_scores
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


def test_crisis_implies_distress(fitted, hard_negatives):
    for p in fitted.predict_texts(TEXTS + hard_negatives):
        assert p["distress"] >= p["crisis"]
        if "crisis" in p["labels"]:
            assert "distress" in p["labels"]
        assert isinstance(p["explanation"]["crisis_review"], bool)
        if p["explanation"]["crisis_review"]:
            assert "distress" in p["labels"]


def test_hard_negatives_are_not_crisis(fitted, hard_negatives):
    texts = [*hard_negatives, "le PSG va me tuer ce soir, quel match"]
    for p in fitted.predict_texts(texts):
        assert "crisis" not in p["labels"]
        assert not p["explanation"]["lexicon_rules"]


def test_crisis_needs_the_distress_gate(fitted):
    t_c, t_d = fitted.thresholds_["crisis"], fitted.thresholds_["crisis_gate"]
    assert 0.0 < t_d <= 1.0
    p_c = np.array([0.99, 0.99, 0.0])
    p_d = np.array([0.99, t_d / 2, 0.0])
    hit = np.array([False, False, True])
    s = crisis_scores(p_c, p_d, hit, t_c, t_d, floor=fitted.floors_["crisis"])
    assert s[0] >= t_c  # both heads pass
    assert s[1] < t_c  # a confident crisis head alone is not enough
    assert s[2] >= t_c  # a lexicon hit always is
    assert s[1] <= p_c[1]
    assert s[2] >= p_c[2]


def test_crisis_gate_choice():
    # 10 crises (2 found by the lexicon), 10 hyperbole posts that the crisis
    # head likes but the distress head does not, 80 ordinary posts.
    y = np.r_[np.ones(10), np.zeros(90)].astype(bool)
    p_c = np.r_[np.linspace(0.5, 0.9, 10), np.full(10, 0.8), np.full(80, 0.1)]
    p_d = np.r_[np.full(10, 0.9), np.full(10, 0.2), np.full(80, 0.1)]
    hit = np.zeros(100, bool)
    hit[:2] = True
    non_distress = ~y
    t_c, t_d, info = choose_crisis_gate(y, p_c, p_d, hit, non_distress, 1.0)
    passed = hit | ((p_c >= t_c) & (p_d >= t_d))
    assert passed[:10].all()
    assert not passed[10:].any()
    assert info["recall"] == 1.0
    assert info["non_distress_flagged"] == 0.0
    # Without a distress head the hyperbole posts would pass at recall 1.0 ...
    t_c, _, info = choose_crisis_gate(y, p_c, None, hit, non_distress, 1.0)
    assert info["non_distress_flagged"] > 0.1
    # ... and a false-alarm ceiling lowers the recall instead.
    _, _, info = choose_crisis_gate(y, p_c, None, hit, non_distress, 1.0, 0.05)
    assert info["non_distress_flagged"] <= 0.05
    assert 0.2 <= info["recall"] < 1.0


def test_recall_target_is_a_parameter(examples):
    model = MaraudeClassifier(crisis_recall_target=0.8, crisis_false_alarm_max=None)
    assert clone(model).get_params()["crisis_recall_target"] == 0.8
    assert MaraudeClassifier().crisis_recall_target < 1.0


def test_lexicon_only_raises_the_crisis_score(fitted):
    texts = ["j'ai envie d'en finir", "quelle belle journée", "mort de rire"]
    raw = fitted._scores(texts, fitted.embedder_.encode(texts))
    t = fitted.thresholds_
    no_lexicon = crisis_scores(
        raw["crisis"], raw["distress"], np.zeros(3, bool), t["crisis"],
        t["crisis_gate"], fitted.floors_["crisis"],
    )  # fmt: skip
    final = fitted.predict_proba(texts)[:, LABELS.index("crisis")]
    assert np.all(final >= no_lexicon - 1e-12)
    assert final[0] >= fitted.thresholds_["crisis"]  # the lexicon hit passes
    np.testing.assert_allclose(final[1:], no_lexicon[1:])  # no hit: unchanged
    pred = fitted.predict_texts(texts[:1])[0]
    assert "crisis" in pred["labels"]
    assert "j'ai envie d'en finir" in pred["explanation"]["matched_phrases"]


def test_rights_topics_and_form_only_when_rights_passes(fitted):
    for p in fitted.predict_texts(TEXTS):
        if "rights" not in p["labels"]:
            assert p["non_recours_form"] is None


def test_thresholds_come_from_out_of_fold_scores(fitted):
    report = fitted.oof_report_
    crisis = report["crisis"]
    if crisis["false_alarm_met"]:
        assert crisis["recall"] >= min(fitted.crisis_recall_target, 1.0) or (
            crisis["non_distress_flagged"] <= fitted.crisis_false_alarm_max
        )
    assert crisis["non_distress_flagged"] <= fitted.crisis_false_alarm_max
    assert report["distress"]["recall"] >= fitted.distress_min_recall
    for name in LABELS:
        assert fitted.thresholds_[name] == pytest.approx(
            report[name]["threshold"], abs=1e-4
        )
    assert fitted.thresholds_["crisis_gate"] == pytest.approx(
        crisis["distress_gate"], abs=1e-4
    )
    assert fitted.thresholds_["crisis_review"] <= fitted.thresholds_["crisis"]


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
    assert thresholds["crisis_gate"] == 0.0  # crises score 0 on distress: no gate


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
    assert loaded.metadata_["crisis_recall_target"] == fitted.crisis_recall_target
    assert "crisis_recall_target" in loaded.metadata_["threshold_rule"]
    assert set(loaded.metadata_["thresholds"]) >= {"crisis_gate", "crisis_review"}
    assert "Crisis rule" in (out / "MODEL_CARD.md").read_text()
    assert store.load_model is load_model
    assert store.save_model is save_model
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


def test_fast_tfidf_equals_scikit_learn_transform(fitted, examples):
    from classifier.features import FastTfidf
    from classifier.text import normalize

    docs = [normalize(ex.text) for ex in examples] + ["", "  ", "a", "zzzz qqqq"]
    for vectorizer in (fitted.vectorizer_, fitted.word_vectorizer_):
        fast = FastTfidf(vectorizer)
        for _ in range(2):  # the second pass reads the word cache
            got = fast.transform(docs)
            want = vectorizer.transform(docs)
            assert got.shape == want.shape
            assert abs(got - want).max() < 1e-6


def test_stacked_linear_heads_equal_each_heads_predict_proba(fitted, examples):
    texts = [ex.text for ex in examples[:80]]
    emb = fitted.embedder_.encode(texts)
    features = fitted._features(texts, emb)
    scores = fitted._scores(texts, emb)
    for name in LABELS:
        want = fitted.heads_[name].predict_proba(features)[:, 1]
        np.testing.assert_allclose(scores[name], want, atol=1e-6)


def test_lowering_the_crisis_pair_catches_every_crisis_and_no_more():
    from classifier.thresholds import lower_crisis_for_recall

    y = np.array([1, 1, 1, 0, 0, 0], bool)
    p_c = np.array([0.9, 0.3, 0.2, 0.25, 0.1, 0.95])
    p_d = np.array([0.9, 0.4, 0.9, 0.9, 0.9, 0.1])
    hit = np.zeros(6, bool)
    nd = np.array([0, 0, 0, 1, 1, 1], bool)
    t_c, t_d, info = lower_crisis_for_recall(y, p_c, p_d, hit, nd, 0.5, 0.5)
    passed = (p_c >= t_c) & (p_d >= t_d)
    assert passed[y].all()
    assert info["changed"]
    assert info["missed_before"] == 2
    assert info["recall"] == 1.0
    assert t_c <= 0.5
    assert t_d <= 0.5
    assert passed.tolist() == [True, True, True, True, False, False]
    # Nothing missed: nothing changes.
    assert lower_crisis_for_recall(y, p_c, p_d, y, nd, 0.5, 0.5)[:2] == (0.5, 0.5)


def test_held_out_rule_keeps_the_out_of_fold_pair_as_the_sure_one(examples):
    model = MaraudeClassifier(embedder=FakeEmbedder(dim=32), cv=3, n_neighbors=0)
    model.fit([e.text for e in examples], examples)
    before = dict(model.thresholds_)
    # Held-out crises worded nothing like the training ones score low.
    held = [
        Example(t, distress=1, crisis=1, rights=0, minor=0)
        for t in ("le vélo est au garage, la clé sous le pot", "bon. merci pour tout")
    ] + [Example("une belle journée au parc", distress=0, crisis=0, rights=0, minor=0)]
    report = model.fit_crisis_recall([e.text for e in held], held)
    preds = model.predict_texts([e.text for e in held if e.crisis])
    assert all("crisis" in p["labels"] for p in preds)
    assert report["changed"], "the test needs held-out crises the pair misses"
    assert model.thresholds_["crisis_confident"] == before["crisis"]
    assert model.thresholds_["crisis"] <= before["crisis"]
    flagged = [p["explanation"]["crisis_review"] for p in preds]
    assert any(flagged)
    assert report["missed_before"] == sum(flagged)


def test_fit_uses_the_embeddings_it_is_given(examples):
    texts = [e.text for e in examples]
    embedder = FakeEmbedder(dim=32)
    emb = embedder.encode(texts)

    class Counting(FakeEmbedder):
        calls = 0

        def encode(self, batch):
            Counting.calls += len(batch)
            return super().encode(batch)

    model = MaraudeClassifier(embedder=Counting(dim=32), cv=3, n_neighbors=0)
    model.fit(texts, examples, embeddings=emb)
    assert Counting.calls < len(texts)  # only the tagger's prototypes, not X
    np.testing.assert_array_equal(model.neighbor_emb_, emb.astype(np.float16))
