"""The composed model: contract fields, rules, thresholds, persistence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import clone

from classifier import store
from classifier.dataset import LABELS
from classifier.embed import FakeEmbedder
from classifier.evaluate import (
    choose_thresholds,
    threshold_for_precision,
    threshold_for_recall,
)
from classifier.model import MaraudeClassifier
from classifier.store import load_model, save_model
from classifier.thresholds import (
    choose_crisis_gate,
    choose_possible_pair,
    choose_sure_pair,
    crisis_scores,
)
from maraude.errors import ModelNotFoundError

FIELDS = {
    "distress",
    "crisis",
    "rights",
    "labels",
    "crisis_level",
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
            "non_proposition",
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
        # A level exactly when crisis is labelled, at either level.
        assert (p["crisis_level"] is not None) == ("crisis" in p["labels"])
        assert p["crisis_level"] in (None, "sure", "possible")
        assert "crisis_review" not in p["explanation"]


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


def test_crisis_levels_are_parameters():
    model = MaraudeClassifier(crisis_sure_precision=0.9, crisis_possible_recall=None)
    params = clone(model).get_params()
    assert params["crisis_sure_precision"] == 0.9
    assert params["crisis_possible_recall"] is None
    default = MaraudeClassifier()
    assert default.crisis_sure_precision == 0.8  # contracts.md
    assert default.crisis_possible_max == 0.05
    assert default.crisis_possible_same_gate
    assert "crisis_recall_target" not in params  # the withdrawn rule's knobs


def _levels_case() -> tuple[np.ndarray, ...]:
    """10 crises: 6 the heads are sure of, 3 that score like the 10 distress
    posts without crisis, 1 that scores like the 76 ordinary posts; 4 posts
    without distress that the crisis head likes but the distress gate stops."""
    y = np.r_[np.ones(10), np.zeros(90)].astype(bool)
    p_c = np.r_[np.full(6, 0.9), np.full(3, 0.35), 0.05, np.full(10, 0.35)]
    p_c = np.r_[p_c, np.full(4, 0.95), np.full(76, 0.05)]
    p_d = np.r_[np.full(6, 0.9), np.full(3, 0.8), 0.05, np.full(10, 0.8)]
    p_d = np.r_[p_d, np.full(4, 0.1), np.full(76, 0.05)]
    non_distress = np.r_[np.zeros(20), np.ones(80)].astype(bool)
    return y, p_c, p_d, np.zeros(100, bool), non_distress


def test_sure_pair_reaches_the_precision_target():
    y, p_c, p_d, hit, nd = _levels_case()
    t_c, t_d, info = choose_sure_pair(y, p_c, p_d, hit, nd, 0.8)
    passed = (p_c >= t_c) & (p_d >= t_d)
    assert passed[:6].all()  # the six clear crises
    assert not passed[6:].any()  # the grey zone would cost precision
    assert info["precision"] == 1.0
    assert info["recall"] == 0.6
    assert info["target_met"]


def test_sure_level_is_the_lexicon_alone_when_no_pair_is_precise_enough():
    y = np.array([1, 1, 0, 0], bool)
    p_c = np.array([0.9, 0.5, 0.9, 0.5])  # the heads cannot tell them apart
    p_d = np.full(4, 0.9)
    hit = np.array([1, 0, 0, 0], bool)
    t_c, _, info = choose_sure_pair(y, p_c, p_d, hit, np.zeros(4, bool), 0.8)
    assert t_c == 1.0  # OFF: only the lexicon hit is sure
    assert info["recall"] == 0.5
    assert info["precision"] == 1.0


def test_possible_band_widens_recall_under_its_ceiling():
    y, p_c, p_d, hit, nd = _levels_case()
    sure = choose_sure_pair(y, p_c, p_d, hit, nd, 0.8)[:2]
    t_c, t_d, info = choose_possible_pair(y, p_c, p_d, hit, nd, sure, 0.9, 0.05)
    assert t_c <= sure[0]
    assert t_d <= sure[1]
    passed = (p_c >= t_c) & (p_d >= t_d)
    assert passed[:9].all()  # recall 0.9: the grey-zone crises are possible
    assert not passed[20:].any()  # the gate keeps hyperbole out
    assert info["recall"] == 0.9
    assert (info["possible_only"], info["possible_only_true"]) == (13, 3)
    assert info["target_met"]
    # Recall 1.0 would need the hopeless crisis: far too many posts without
    # distress, so the ceiling keeps the band where it is.
    _, _, info = choose_possible_pair(y, p_c, p_d, hit, nd, sure, 1.0, 0.05)
    assert info["non_distress_flagged"] <= 0.05
    assert info["recall"] == 0.9
    assert not info["target_met"]
    # No band asked for: the sure pair itself.
    assert choose_possible_pair(y, p_c, p_d, hit, nd, sure, None)[:2] == sure


def test_possible_band_can_keep_the_sure_distress_gate():
    """With ``same_gate`` only the crisis threshold falls: a post the crisis
    head likes (a joke, hyperbole) stays out unless the distress head agrees
    as much as for a sure crisis."""
    y, p_c, p_d, hit, nd = _levels_case()
    p_d = p_d.copy()
    p_c = p_c.copy()
    p_d[6:20] = 0.9  # three crises scored like ten distress posts
    p_c[20:24] = 0.6  # the four jokes: the crisis head half-likes them
    p_d[20:24] = 0.5
    sure = choose_sure_pair(y, p_c, p_d, hit, nd, 0.8)[:2]
    t_c, t_d, _ = choose_possible_pair(
        y, p_c, p_d, hit, nd, sure, 0.9, 0.05, same_gate=True
    )
    assert t_d == sure[1]
    assert t_c < sure[0]
    passed = (p_c >= t_c) & (p_d >= t_d)
    assert passed[:9].all()
    assert not passed[20:24].any()


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
    assert crisis["non_distress_flagged"] <= fitted.crisis_possible_max
    assert crisis["recall"] >= crisis["sure"]["recall"]
    if crisis["sure"]["target_met"]:
        assert crisis["sure"]["precision"] >= fitted.crisis_sure_precision
    assert report["distress"]["recall"] >= fitted.distress_min_recall
    for name in LABELS:
        assert fitted.thresholds_[name] == pytest.approx(
            report[name]["threshold"], abs=1e-4
        )
    assert fitted.thresholds_["crisis_gate"] == pytest.approx(
        crisis["distress_gate"], abs=1e-4
    )
    assert fitted.thresholds_["crisis"] <= fitted.thresholds_["crisis_sure"]
    assert fitted.thresholds_["crisis_gate"] == fitted.thresholds_["crisis_sure_gate"]


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
    levels = loaded.metadata_["crisis_levels"]
    assert levels["sure_precision"] == fitted.crisis_sure_precision
    assert "precision >= 0.8" in loaded.metadata_["threshold_rule"]
    assert set(loaded.metadata_["thresholds"]) >= {"crisis_sure", "crisis_sure_gate"}
    assert "crisis_review" not in loaded.metadata_["thresholds"]
    assert "Crisis levels" in (out / "MODEL_CARD.md").read_text()
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


def test_crisis_level_follows_the_two_pairs(examples):
    model = MaraudeClassifier(embedder=FakeEmbedder(dim=32), cv=3, n_neighbors=0)
    model.fit([e.text for e in examples], examples)
    texts = [e.text for e in examples]
    preds, details = model.predict_detailed(texts)
    raw = model._scores(texts, model.embedder_.encode(texts))
    t = model.thresholds_
    sure_pair = (raw["crisis"] >= t["crisis_sure"]) & (
        raw["distress"] >= t["crisis_sure_gate"]
    )
    for i, p in enumerate(preds):
        rules = p["explanation"]["lexicon_rules"]
        hit = any(r.startswith("crisis:") for r in rules)
        if "crisis" not in p["labels"]:
            assert p["crisis_level"] is None
        elif hit or sure_pair[i]:
            assert p["crisis_level"] == "sure"
        else:
            assert p["crisis_level"] == "possible"
    assert list(details["review"]) == [p["crisis_level"] == "possible" for p in preds]


def test_old_models_count_their_kept_pair_as_sure(fitted):
    """A model saved with the withdrawn rule (crisis_confident, crisis_review)
    still predicts a level: a crisis under the kept pair is possible."""
    old = clone(fitted)
    old.__dict__.update(fitted.__dict__)
    t = dict(fitted.thresholds_)
    old.thresholds_ = {
        **{k: v for k, v in t.items() if not k.startswith("crisis_sure")},
        "crisis_confident": 1.0,
        "crisis_confident_gate": 1.0,
        "crisis_review": t["crisis"],
    }
    preds = old.predict_texts(["j'ai envie d'en finir", "quelle belle journée"])
    assert preds[0]["crisis_level"] == "sure"  # a lexicon hit stays sure
    assert preds[1]["crisis_level"] is None


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
