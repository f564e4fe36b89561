"""The Maraude classifier: per-label calibrated heads over shared features.

Features are the sentence embedding of a post joined with TF-IDF of character
2–5-grams (``char_wb``, robust to typos and to missing accents) and of word 1–2-grams
(``word_ngrams``), both sublinear, on folded text. Heads:

- ``distress``, ``crisis``, ``rights``, ``minor``: logistic regressions
  (``class_weight="balanced"``) calibrated by ``CalibratedClassifierCV`` (sigmoid);
  with ``C="auto"`` each head's ``C`` is the one of
  :data:`classifier.heads.C_GRID` that ranks its label best out of fold on the
  training data (average precision);
- ``non_recours_form``: a multinomial logistic regression fitted on the
  rights-positive examples;
- ``rights_topics``: one logistic regression per right id over the same features
  (:class:`~classifier.rights_head.RightsHead`, inside the rights tagger), trained
  on the examples' ``rights_topics`` and the catalogue entries; alias matches add
  evidence (:mod:`classifier.rights_tagger`).

Rules composed on top (:mod:`classifier.thresholds`):

- crisis: a crisis-lexicon hit (:mod:`classifier.lexicon`, which can only raise a
  score), or the crisis head AND the distress head both passing their threshold
  (the distress gate keeps hyperbole, gaming and jokes out of the crisis queue);
  ``crisis_level`` is ``sure`` for a lexicon hit or the sure pair (precision
  ≥ 0.8 out of fold), ``possible`` for a crisis that only passes the lower
  pair of the review band, else None; ``labels`` holds ``crisis`` for both;
- an age phrase raises ``minor`` to at least its threshold;
- ``distress`` is at least ``crisis``, and a passing crisis adds ``distress`` to
  the labels (a crisis is always a distress too).

Thresholds are chosen in :meth:`MaraudeClassifier.fit` on out-of-fold predictions
of the training examples (cross-validation): the sure crisis pair for
precision ≥ ``crisis_sure_precision``, the possible pair for
``crisis_possible_recall`` under ``crisis_possible_max``, distress at the best
precision keeping ``distress_min_recall``, the others at the best F1 with
precision ≥ ``precision_target``. A held-out split only measures.
Thresholds are part of ``fit`` (its parameters above); nothing rewrites them
afterwards. The estimator keeps scikit-learn's conventions (keyword-only
parameters, fitted state ending in ``_``, ``NotFittedError`` before ``fit``).
Persistence lives in :mod:`classifier.store` (``save_model``, ``load_model``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from classifier import lexicon, neighbors
from classifier.dataset import LABELS, Example
from classifier.embed import Embedder, load_embedder
from classifier.features import FastTfidf, char_vectorizer, word_vectorizer
from classifier.heads import StackedHeads, fit_form, fit_heads
from classifier.records import prediction_records, sure_crises
from classifier.rights_tagger import RightsTagger
from classifier.text import normalize
from classifier.thresholds import choose_thresholds, compose_scores
from maraude import vocab

logger = logging.getLogger(__name__)

OUTPUT_LABELS = vocab.OUTPUT_LABELS
#: The fitted attributes every prediction needs (``check_is_fitted``).
FITTED_ATTRIBUTES = ("embedder_", "heads_", "thresholds_", "floors_", "tagger_")
_NOT_FITTED = (
    "This %(name)s is not fitted yet: call fit(texts, examples) first, or load a "
    "model folder with classifier.store.load_model."
)
__all__ = ["OUTPUT_LABELS", "MaraudeClassifier"]


class MaraudeClassifier(BaseEstimator):
    """Scores texts for distress, crisis, rights and minor; tags rights.

    ``fit(texts, examples)`` takes the texts and their :class:`Example` labels (a
    label may be None: that head skips the example).

    Crisis parameters (out of fold, lexicon hits included):
    ``crisis_sure_precision`` is the precision of the sure level;
    ``crisis_possible_recall`` the recall (either level) the possible band aims
    for (None: no band), under ``crisis_possible_max``, the share of the posts
    without distress that either level may label crisis; with
    ``crisis_possible_same_gate`` the band lowers only the crisis threshold and
    keeps the sure distress gate (jokes and hyperbole that the crisis head likes
    stay out unless the distress head agrees).
    ``distress_min_recall`` is the recall floor of the distress threshold.

    Every parameter is keyword-only and stored unchanged (``embedder`` is a spec
    dict, an embedder instance, or None for the default spec), so
    ``get_params``, ``set_params`` and ``sklearn.base.clone`` work; validation
    and loading happen in :meth:`fit`. The prediction methods raise
    :class:`~sklearn.exceptions.NotFittedError` before ``fit`` (or
    ``classifier.store.load_model``).

    Not persisted: ``embedder_`` (the embedder instance, rebuilt from
    ``embedder_spec_`` by ``load_model`` and on unpickling: an embedder is never
    pickled) and ``_predict_cache`` (see :meth:`_derived`); both are left out of
    pickles (:meth:`__getstate__`).
    """

    def __init__(
        self,
        *,
        embedder: dict[str, Any] | Embedder | None = None,
        C: float | str = "auto",
        max_features: int = 30000,
        word_ngrams: bool = True,
        word_max_features: int = 20000,
        embedding_weight: float = 1.0,
        cv: int = 5,
        precision_target: float = 0.85,
        distress_min_recall: float = 0.9,
        crisis_sure_precision: float = 0.8,
        crisis_possible_recall: float | None = 0.95,
        crisis_possible_max: float = 0.05,
        crisis_possible_same_gate: bool = True,
        lexicon_floor: float = 0.8,
        n_neighbors: int = 3,
        max_neighbors: int = 3000,
        catalogue_dir: str | None = None,
        random_state: int = 0,
    ) -> None:
        self.embedder = embedder
        self.C = C
        self.max_features = max_features
        self.word_ngrams = word_ngrams
        self.word_max_features = word_max_features
        self.embedding_weight = embedding_weight
        self.cv = cv
        self.precision_target = precision_target
        self.distress_min_recall = distress_min_recall
        self.crisis_sure_precision = crisis_sure_precision
        self.crisis_possible_recall = crisis_possible_recall
        self.crisis_possible_max = crisis_possible_max
        self.crisis_possible_same_gate = crisis_possible_same_gate
        self.lexicon_floor = lexicon_floor
        self.n_neighbors = n_neighbors
        self.max_neighbors = max_neighbors
        self.catalogue_dir = catalogue_dir
        self.random_state = random_state

    # ----------------------------------------------------------------- fitting
    def fit(
        self,
        X: Sequence[str],
        y: Sequence[Example],
        embeddings: np.ndarray | None = None,
    ) -> MaraudeClassifier:
        """Fit every head, the tagger and the thresholds; returns ``self``.

        ``embeddings`` (rows of ``X`` already embedded) saves re-embedding.
        """
        texts, examples = list(X), list(y)
        if len(texts) != len(examples) or not texts:
            raise ValueError("X and y must be non-empty and of the same length")
        self._predict_cache: dict[str, tuple[Any, Any]] = {}
        emb_obj = self.embedder
        self.embedder_: Embedder = (
            cast(Embedder, emb_obj)
            if hasattr(emb_obj, "encode")
            else load_embedder(emb_obj)
        )
        self.embedder_spec_ = dict(self.embedder_.spec)
        emb = self.embedder_.encode(texts) if embeddings is None else embeddings
        folded = [normalize(t) for t in texts]
        self.vectorizer_ = char_vectorizer(min_df=2, max_features=self.max_features)
        self.vectorizer_.fit(folded)
        self.word_vectorizer_: TfidfVectorizer | None = None
        if self.word_ngrams:
            self.word_vectorizer_ = word_vectorizer(
                min_df=2, max_features=self.word_max_features
            ).fit(folded)
        features = self._features(texts, emb)
        self.heads_, self.C_, oof = fit_heads(
            features, examples, self.C, self.cv, self.random_state
        )
        self.form_head_, self.form_classes_ = fit_form(
            features, examples, self.C_.get("rights", 4.0)
        )
        self.tagger_ = RightsTagger(catalogue_dir=self.catalogue_dir).fit(
            emb,
            [ex.rights_topics for ex in examples],
            embedder=self.embedder_,
            features=features,
            featurize=self._features,
        )
        self._fit_thresholds(texts, examples, oof)
        self.neighbor_emb_, self.neighbor_text_, self.neighbor_labels_ = neighbors.pick(
            texts, emb, examples, self.max_neighbors
        )
        return self

    def _features(self, texts: Sequence[str], emb: np.ndarray) -> sp.csr_matrix:
        """The heads' features: char and word TF-IDF of the folded texts, then
        the embeddings (times ``embedding_weight``)."""
        folded = [normalize(t) for t in texts]
        parts = [self._derived("vectorizer_", FastTfidf).transform(folded)]
        if self.word_vectorizer_ is not None:
            parts.append(self._derived("word_vectorizer_", FastTfidf).transform(folded))
        parts.append(
            sp.csr_matrix(np.asarray(emb, dtype=np.float32) * self.embedding_weight)
        )
        return sp.hstack(parts, format="csr")

    # --------------------------------------------------------- transient state
    def _derived(self, name: str, build: Callable[[Any], Any]) -> Any:
        """``build(self.<name>)``, kept in ``_predict_cache`` until ``<name>`` is
        replaced (by ``fit``, ``load_model`` or an assignment).

        ``_predict_cache`` holds what prediction derives from fitted attributes:
        the fast TF-IDF transforms of the vectorizers, the stacked heads and the
        float32 neighbour embeddings. It is neither a parameter nor fitted state:
        never saved (``classifier.store``), left out of pickles, rebuilt on use.
        """
        source = getattr(self, name)
        if getattr(self, "_predict_cache", None) is None:
            self._predict_cache = {}
        entry = self._predict_cache.get(name)
        if entry is None or entry[0] is not source:
            entry = self._predict_cache[name] = (source, build(source))
        return entry[1]

    def __getstate__(self) -> dict[str, Any]:
        """The pickled state: without ``_predict_cache`` nor the embedder instance
        (``embedder_``), which :meth:`__setstate__` rebuilds from its spec."""
        state = dict(super().__getstate__())
        state.pop("_predict_cache", None)
        state.pop("embedder_", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled model; a fitted one gets its embedder back from
        ``embedder_spec_``."""
        super().__setstate__(state)
        if "embedder_spec_" in state:
            self.embedder_ = load_embedder(state["embedder_spec_"])

    def _fit_thresholds(
        self,
        texts: Sequence[str],
        examples: Sequence[Example],
        oof: dict[str, np.ndarray],
    ) -> None:
        """Thresholds and lexicon floors from the out-of-fold scores."""
        minor_hit = np.array([bool(lexicon.minor_hits(t)) for t in texts])
        scores = dict(oof)
        if self.heads_.get("distress") is None:  # no distress head: no gate
            scores["distress"] = np.full(len(texts), np.nan)
        scores["minor"] = np.where(
            minor_hit,
            np.fmax(np.nan_to_num(oof["minor"]), self.lexicon_floor),
            oof["minor"],
        )
        self.thresholds_, self.oof_report_ = choose_thresholds(
            examples,
            scores,
            self.precision_target,
            crisis_hit=np.array([bool(lexicon.crisis_hits(t)) for t in texts]),
            crisis_floor=self.lexicon_floor,
            crisis_sure_precision=self.crisis_sure_precision,
            crisis_possible_recall=self.crisis_possible_recall,
            crisis_possible_max=self.crisis_possible_max,
            crisis_possible_same_gate=self.crisis_possible_same_gate,
            distress_min_recall=self.distress_min_recall,
        )
        self.floors_ = {
            name: min(max(self.lexicon_floor, self.thresholds_[name]), 1.0)
            for name in ("crisis", "minor")
        }

    # -------------------------------------------------------------- predicting
    def _scores(self, texts: Sequence[str], emb: np.ndarray) -> dict[str, np.ndarray]:
        """Raw head scores per label, plus ``form`` and ``topics`` when fitted."""
        features = self._features(texts, emb)
        stacked = self._derived(
            "heads_", lambda heads: StackedHeads([heads.get(n) for n in LABELS])
        )
        out = dict(zip(LABELS, stacked.predict(features), strict=True))
        if self.form_head_ is not None:
            out["form"] = self.form_head_.predict_proba(features)
        topic_scores = self.tagger_.head_scores(features)
        if topic_scores is not None:
            out["topics"] = topic_scores
        return out

    def predict_detailed(
        self, texts: Sequence[str]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Contract predictions, plus scores, pass flags and forced topic rankings.

        Details: ``scores``, ``passed`` (per label), ``level`` (each text's
        ``crisis_level``), ``sure`` and ``review`` (boolean arrays: sure and
        possible crises; ``review`` keeps its older name for callers that read
        it), ``ranked_topics``. Raises ``NotFittedError`` before ``fit``.
        """
        check_is_fitted(self, FITTED_ATTRIBUTES, msg=_NOT_FITTED)
        texts = list(texts)
        if not texts:
            return [], {
                "scores": {},
                "passed": {},
                "level": [],
                "sure": [],
                "review": [],
                "ranked_topics": [],
            }
        emb = self.embedder_.encode(texts)
        raw = self._scores(texts, emb)
        c_hits = [lexicon.crisis_hits(t) for t in texts]
        m_hits = [lexicon.minor_hits(t) for t in texts]
        c_hit = np.array([bool(h) for h in c_hits], dtype=bool)
        scores = compose_scores(
            raw, c_hit, [bool(h) for h in m_hits], self.floors_, self.thresholds_
        )
        passed = {k: scores[k] >= self.thresholds_[k] for k in LABELS}
        passed["crisis"] = passed["crisis"] | c_hit
        passed["distress"] = passed["distress"] | passed["crisis"]
        sure = passed["crisis"] & sure_crises(
            self.thresholds_, raw["crisis"], self._gate_scores(raw), c_hit
        )
        review = passed["crisis"] & ~sure
        level = [
            "sure" if s else "possible" if r else None
            for s, r in zip(sure, review, strict=True)
        ]
        nearest = neighbors.nearest_examples(
            emb,
            self._derived("neighbor_emb_", lambda e: e.astype(np.float32)),
            self.neighbor_text_,
            self.neighbor_labels_,
            self.n_neighbors,
        )
        preds, ranked = prediction_records(
            texts,
            emb,
            raw,
            scores,
            passed,
            level=level,
            hits=(c_hits, m_hits),
            nearest=nearest,
            tagger=self.tagger_,
            form_classes=self.form_classes_,
        )
        details = {
            "scores": scores,
            "passed": passed,
            "level": level,
            "sure": sure,
            "review": review,
            "ranked_topics": ranked,
        }
        return preds, details

    def _gate_scores(self, raw: dict[str, np.ndarray]) -> np.ndarray:
        """What the crisis gate reads: p_distress (all ones without that head)."""
        if self.heads_.get("distress") is None:
            return np.ones(len(raw["crisis"]))
        return raw["distress"]

    def predict_texts(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        """One dict per text with exactly the contract's prediction fields."""
        check_is_fitted(self, FITTED_ATTRIBUTES, msg=_NOT_FITTED)
        return self.predict_detailed(texts)[0]

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Final scores, columns ``distress, crisis, rights, minor`` (rank leads)."""
        check_is_fitted(self, FITTED_ATTRIBUTES, msg=_NOT_FITTED)
        _, details = self.predict_detailed(X)
        if not details["scores"]:
            return np.zeros((0, len(LABELS)))
        return np.column_stack([details["scores"][k] for k in LABELS])

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """0/1 matrix of passing labels, columns ``distress, crisis, rights, minor``."""
        check_is_fitted(self, FITTED_ATTRIBUTES, msg=_NOT_FITTED)
        _, details = self.predict_detailed(X)
        if not details["passed"]:
            return np.zeros((0, len(LABELS)), dtype=int)
        return np.column_stack([details["passed"][k] for k in LABELS]).astype(int)

    @property
    def version_(self) -> str:
        """The model version stored with predictions (``unsaved`` before saving)."""
        return getattr(self, "metadata_", {}).get("model_version", "unsaved")
