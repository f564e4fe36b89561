"""MaraudeClassifier keeps scikit-learn's estimator conventions.

Keyword-only parameters stored unchanged (``get_params``/``set_params``/
``clone``), ``NotFittedError`` before ``fit``, fitted state ending in ``_``, and
transient state (the embedder instance, the prediction cache) never persisted.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
)

from classifier.dataset import LABELS
from classifier.embed import FakeEmbedder
from classifier.model import MaraudeClassifier

TEXTS = ["j'ai envie d'en finir", "quelle belle journée", "la CAF m'a coupé le RSA"]


def _round_trip(model: MaraudeClassifier) -> MaraudeClassifier:
    """The model pickled and unpickled in memory (our own bytes, never a file)."""
    return pickle.loads(pickle.dumps(model))  # noqa: S301


def test_parameters_are_keyword_only():
    with pytest.raises(TypeError):
        MaraudeClassifier({"backend": "fake", "dim": 32})  # type: ignore[misc]


def test_init_only_stores_its_parameters():
    model = MaraudeClassifier()
    check_no_attributes_set_in_init("MaraudeClassifier", model)
    check_parameters_default_constructible("MaraudeClassifier", model)
    spec = {"backend": "fake", "dim": 32}
    model = MaraudeClassifier(embedder=spec, C=2.0, cv=3)
    assert model.get_params()["embedder"] is spec  # stored unchanged
    assert not [k for k in vars(model) if k.endswith("_")]  # nothing fitted


def test_get_params_set_params_and_clone_round_trip():
    model = MaraudeClassifier(
        embedder={"backend": "fake", "dim": 32},
        C=2.0,
        cv=3,
        crisis_possible_recall=None,
    )
    params = model.get_params()
    assert MaraudeClassifier(**params).get_params() == params
    copy = clone(model)
    assert copy is not model
    assert copy.get_params() == params
    assert copy.set_params(cv=4, C="auto") is copy
    assert (copy.cv, copy.C) == (4, "auto")
    assert model.cv == 3  # the original is untouched


def test_clone_of_a_fitted_model_is_unfitted(fitted):
    copy = clone(fitted)
    assert copy.get_params().keys() == fitted.get_params().keys()
    assert not [k for k in vars(copy) if k.endswith("_")]
    with pytest.raises(NotFittedError):
        copy.predict(TEXTS)


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_texts", "predict_detailed"]
)
def test_unfitted_model_raises_not_fitted_error(method):
    model = MaraudeClassifier(embedder={"backend": "fake", "dim": 32})
    with pytest.raises(NotFittedError, match=r"call fit\(texts, examples\)"):
        getattr(model, method)(TEXTS)
    with pytest.raises(NotFittedError):  # even with nothing to predict
        getattr(model, method)([])


def test_fit_does_not_change_the_parameters(examples):
    embedder = FakeEmbedder(dim=32)
    model = MaraudeClassifier(embedder=embedder, cv=3, n_neighbors=0)
    before = model.get_params()
    model.fit([e.text for e in examples], examples)
    after = model.get_params()
    assert after == before
    assert after["embedder"] is embedder
    assert model.embedder_ is embedder  # the fitted embedder is an attribute


def test_pickle_leaves_out_the_embedder_and_the_cache(fitted):
    expected = fitted.predict_proba(TEXTS)  # fills the prediction cache
    assert fitted._predict_cache
    state = fitted.__getstate__()
    assert "embedder_" not in state
    assert "_predict_cache" not in state
    assert hasattr(fitted, "embedder_")  # the model itself is not changed
    assert fitted._predict_cache
    copy = _round_trip(fitted)
    assert copy.embedder_ is not fitted.embedder_
    assert copy.embedder_.spec == fitted.embedder_spec_  # rebuilt from its spec
    assert not getattr(copy, "_predict_cache", None)
    np.testing.assert_array_equal(copy.predict_proba(TEXTS), expected)
    assert copy.predict_texts(TEXTS) == fitted.predict_texts(TEXTS)


def test_unfitted_model_pickles_without_an_embedder():
    model = MaraudeClassifier(embedder={"backend": "fake", "dim": 32}, cv=3)
    copy = _round_trip(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "embedder_")


def test_cache_follows_the_fitted_attributes(fitted, examples):
    """A derived object is built once and rebuilt when its attribute is replaced."""
    model = _round_trip(fitted)  # a copy we may change
    texts = [e.text for e in examples[:20]]
    emb = model.embedder_.encode(texts)
    first = model._scores(texts, emb)
    stacked = model._predict_cache["heads_"][1]
    model._scores(texts, emb)
    assert model._predict_cache["heads_"][1] is stacked  # built once
    model.heads_ = {**model.heads_, "rights": None}  # a skipped head
    second = model._scores(texts, emb)
    assert model._predict_cache["heads_"][1] is not stacked
    assert not second["rights"].any()
    for name in LABELS:
        if name != "rights":
            np.testing.assert_array_equal(second[name], first[name])
