"""The Maraude classifier: per-label calibrated heads over shared features.

Features are the sentence embedding of a post joined with character n-gram TF-IDF
(``char_wb`` 2–5, sublinear tf, on folded text: robust to typos and to missing
accents). Heads:

- ``distress``, ``crisis``, ``rights``, ``minor``: logistic regressions
  (``class_weight="balanced"``) calibrated by ``CalibratedClassifierCV`` (sigmoid);
- ``non_recours_form``: a multinomial logistic regression fitted on the
  rights-positive examples.

Rules composed on top (they can only raise a score, never lower one):

- a crisis-lexicon hit (:mod:`classifier.lexicon`) raises ``crisis`` to at least
  its floor (≥ the crisis threshold); an age phrase raises ``minor`` likewise;
- ``distress`` is at least ``crisis``, and a passing crisis adds ``distress`` to
  the labels (a crisis is always a distress too).

Thresholds are chosen in :meth:`MaraudeClassifier.fit` on out-of-fold predictions
of the training examples (cross-validation), never on held-out data: crisis at
recall 1.0, the others at the best F1 with precision ≥ ``precision_target``.
:func:`save_model` writes the fitted parts with skops (only plain types and
scikit-learn estimators; the types to trust are listed in ``TRUSTED_TYPES``) and
the embedder as a spec; :func:`load_model` rebuilds the embedder from that spec.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from math import ceil
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import sklearn
import skops.io as sio
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from classifier import lexicon
from classifier.dataset import LABELS, Example
from classifier.embed import Embedder, load_embedder, package_version
from classifier.evaluate import choose_thresholds
from classifier.rights_tagger import RightsTagger
from classifier.text import normalize, snippet
from maraude.errors import ModelNotFoundError

logger = logging.getLogger(__name__)

OUTPUT_LABELS = ("distress", "crisis", "rights")
NO_FORM = "none"


def _vectorizer(**kwargs: Any) -> TfidfVectorizer:
    """Character 2–5-grams within word boundaries, sublinear tf, on folded text."""
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        sublinear_tf=True,
        lowercase=False,
        dtype=np.float32,
        **kwargs,
    )


def _compose(
    raw: dict[str, np.ndarray],
    crisis_hit: Sequence[bool],
    minor_hit: Sequence[bool],
    floors: dict[str, float],
) -> dict[str, np.ndarray]:
    """Final scores: lexicon hits raise crisis/minor to their floor (nothing is
    ever lowered), and distress is at least crisis."""
    c_hit, m_hit = np.asarray(crisis_hit, bool), np.asarray(minor_hit, bool)
    out = {
        "crisis": np.where(
            c_hit, np.fmax(raw["crisis"], floors["crisis"]), raw["crisis"]
        ),
        "minor": np.where(m_hit, np.fmax(raw["minor"], floors["minor"]), raw["minor"]),
        "rights": raw["rights"],
    }
    out["distress"] = np.fmax(raw["distress"], out["crisis"])
    return out


class MaraudeClassifier(BaseEstimator):
    """Scores texts for distress, crisis, rights and minor; tags rights.

    ``fit(texts, examples)`` takes the texts and their :class:`Example` labels (a
    label may be None: that head skips the example).
    """

    def __init__(
        self,
        embedder: dict[str, Any] | Embedder | None = None,
        C: float = 4.0,
        max_features: int = 30000,
        embedding_weight: float = 1.0,
        cv: int = 5,
        precision_target: float = 0.85,
        lexicon_floor: float = 0.8,
        n_neighbors: int = 3,
        max_neighbors: int = 3000,
        catalogue_dir: str | None = None,
        random_state: int = 0,
    ) -> None:
        self.embedder = embedder
        self.C = C
        self.max_features = max_features
        self.embedding_weight = embedding_weight
        self.cv = cv
        self.precision_target = precision_target
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
        emb_obj = self.embedder
        self.embedder_ = (
            emb_obj if hasattr(emb_obj, "encode") else load_embedder(emb_obj)
        )  # type: ignore[arg-type]
        self.embedder_spec_ = dict(self.embedder_.spec)
        emb = self.embedder_.encode(texts) if embeddings is None else embeddings
        self.vectorizer_ = _vectorizer(min_df=2, max_features=self.max_features)
        self.vectorizer_.fit([normalize(t) for t in texts])
        features = self._features(texts, emb)
        oof = self._fit_heads(features, examples)
        self._fit_form(features, examples)
        self.tagger_ = RightsTagger(catalogue_dir=self.catalogue_dir).fit(
            emb, [ex.rights_topics for ex in examples], embedder=self.embedder_
        )
        self._fit_thresholds(texts, examples, oof)
        self._fit_neighbors(texts, emb, examples)
        return self

    def _features(self, texts: Sequence[str], emb: np.ndarray) -> sp.csr_matrix:
        tfidf = self.vectorizer_.transform([normalize(t) for t in texts])
        dense = sp.csr_matrix(np.asarray(emb, dtype=np.float32) * self.embedding_weight)
        return sp.hstack([tfidf, dense], format="csr")

    def _make_head(self, n_min: int) -> Any:
        lr = LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000)
        k = min(self.cv, n_min)
        if k < 2:
            return lr
        return CalibratedClassifierCV(lr, method="sigmoid", cv=k, ensemble=False)

    def _fit_heads(
        self, features: sp.csr_matrix, examples: Sequence[Example]
    ) -> dict[str, np.ndarray]:
        """Fit the four binary heads; return their out-of-fold scores (NaN: unknown)."""
        self.heads_: dict[str, Any] = {}
        oof: dict[str, np.ndarray] = {}
        for name in LABELS:
            idx = np.array(
                [i for i, ex in enumerate(examples) if ex.label(name) is not None]
            )
            scores = np.full(len(examples), np.nan)
            yv = np.array([examples[i].label(name) for i in idx], dtype=int)
            n_min = int(min(np.bincount(yv, minlength=2))) if len(idx) else 0
            if n_min < 2:
                logger.warning("head %s skipped: too few examples of a class", name)
                self.heads_[name] = None
                oof[name] = scores
                continue
            k = min(self.cv, n_min)  # outer folds; inner ones see (k-1)/k of it
            skf = StratifiedKFold(k, shuffle=True, random_state=self.random_state)
            inner = self._make_head(n_min - ceil(n_min / k))
            scores[idx] = cross_val_predict(
                inner, features[idx], yv, cv=skf, method="predict_proba"
            )[:, 1]
            oof[name] = scores
            self.heads_[name] = self._make_head(n_min).fit(features[idx], yv)
            logger.info("head %s: %d examples, %d positives", name, len(idx), yv.sum())
        return oof

    def _fit_form(self, features: sp.csr_matrix, examples: Sequence[Example]) -> None:
        idx = [i for i, ex in enumerate(examples) if ex.rights == 1]
        forms = [examples[i].non_recours_form or NO_FORM for i in idx]
        self.form_head_: LogisticRegression | None = None
        self.form_classes_: list[str] = sorted(set(forms))
        if len(self.form_classes_) >= 2:
            self.form_head_ = LogisticRegression(
                C=self.C, class_weight="balanced", max_iter=3000
            ).fit(features[idx], forms)
            self.form_classes_ = [str(c) for c in self.form_head_.classes_]

    def _fit_thresholds(
        self,
        texts: Sequence[str],
        examples: Sequence[Example],
        oof: dict[str, np.ndarray],
    ) -> None:
        """Thresholds and lexicon floors from the out-of-fold scores."""
        final = _compose(
            {k: np.nan_to_num(v, nan=0.0) for k, v in oof.items()},
            [bool(lexicon.crisis_hits(t)) for t in texts],
            [bool(lexicon.minor_hits(t)) for t in texts],
            {"crisis": self.lexicon_floor, "minor": self.lexicon_floor},
        )
        self.thresholds_, self.oof_report_ = choose_thresholds(
            examples, final, self.precision_target
        )
        self.floors_ = {
            name: max(self.lexicon_floor, self.thresholds_[name])
            for name in ("crisis", "minor")
        }

    def _fit_neighbors(
        self, texts: Sequence[str], emb: np.ndarray, examples: Sequence[Example]
    ) -> None:
        order = sorted(range(len(texts)), key=lambda i: examples[i].hash)
        keep = sorted(order[: self.max_neighbors])
        self.neighbor_emb_ = np.asarray(emb[keep], dtype=np.float16)
        self.neighbor_text_ = [snippet(texts[i]) for i in keep]
        self.neighbor_labels_ = [
            [*examples[i].positive_labels(), *examples[i].rights_topics] for i in keep
        ]
        self._neighbors32 = self.neighbor_emb_.astype(np.float32)

    # -------------------------------------------------------------- predicting
    def _scores(self, texts: Sequence[str], emb: np.ndarray) -> dict[str, np.ndarray]:
        features = self._features(texts, emb)
        out = {}
        for name in LABELS:
            head = self.heads_.get(name)
            if head is None:
                out[name] = np.zeros(len(texts))
            else:
                out[name] = head.predict_proba(features)[:, 1]
        if self.form_head_ is not None:
            out["form"] = self.form_head_.predict_proba(features)
        return out

    def predict_detailed(
        self, texts: Sequence[str]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Contract predictions, plus scores, pass flags and forced topic rankings."""
        texts = list(texts)
        if not texts:
            return [], {"scores": {}, "passed": {}, "ranked_topics": []}
        emb = self.embedder_.encode(texts)
        raw = self._scores(texts, emb)
        c_hits = [lexicon.crisis_hits(t) for t in texts]
        m_hits = [lexicon.minor_hits(t) for t in texts]
        scores = _compose(
            raw, [bool(h) for h in c_hits], [bool(h) for h in m_hits], self.floors_
        )
        passed = {k: scores[k] >= self.thresholds_[k] for k in LABELS}
        passed["distress"] = passed["distress"] | passed["crisis"]
        sims = emb @ self._neighbors32.T if len(self.neighbor_text_) else None
        preds, ranked = [], []
        for i, text in enumerate(texts):
            matches = self.tagger_.find(text)
            ranked.append(self.tagger_.topics(matches, emb[i], True))
            rights_pass = bool(passed["rights"][i])
            form = None
            if rights_pass and "form" in raw:
                form = self.form_classes_[int(np.argmax(raw["form"][i]))]
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
                    "rights_topics": ranked[-1]
                    if rights_pass
                    else self.tagger_.topics(matches, emb[i], False),
                    "non_recours_form": form,
                    "minor": bool(passed["minor"][i]),
                    "explanation": {
                        "matched_phrases": list(dict.fromkeys(phrases)),
                        "lexicon_rules": [f"crisis:{h.rule}" for h in c_hits[i]]
                        + [f"minor:{h.rule}" for h in m_hits[i]]
                        + [f"right:{m.right}" for m in matches],
                        "nearest_examples": self._nearest(sims, i),
                    },
                }
            )
        details = {"scores": scores, "passed": passed, "ranked_topics": ranked}
        return preds, details

    def _nearest(self, sims: np.ndarray | None, i: int) -> list[dict[str, Any]]:
        if sims is None or self.n_neighbors <= 0:
            return []
        top = np.argsort(-sims[i])[: self.n_neighbors]
        return [
            {
                "text": self.neighbor_text_[j],
                "labels": list(self.neighbor_labels_[j]),
                "similarity": round(float(sims[i, j]), 4),
            }
            for j in top
        ]

    def predict_texts(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        """One dict per text with exactly the contract's prediction fields."""
        return self.predict_detailed(texts)[0]

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Final scores, columns ``distress, crisis, rights, minor`` (rank leads)."""
        _, details = self.predict_detailed(X)
        if not details["scores"]:
            return np.zeros((0, len(LABELS)))
        return np.column_stack([details["scores"][k] for k in LABELS])

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """0/1 matrix of passing labels, columns ``distress, crisis, rights, minor``."""
        _, details = self.predict_detailed(X)
        if not details["passed"]:
            return np.zeros((0, len(LABELS)), dtype=int)
        return np.column_stack([details["passed"][k] for k in LABELS]).astype(int)

    @property
    def version_(self) -> str:
        """The model version stored with predictions (``unsaved`` before saving)."""
        return getattr(self, "metadata_", {}).get("model_version", "unsaved")


# ------------------------------------------------------------------ persistence
MODEL_FILE = "model.skops"
META_FILE = "metadata.json"
CARD_FILE = "MODEL_CARD.md"
#: The only non-default types a model file may hold (checked before loading).
TRUSTED_TYPES = frozenset(
    {
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
    }
)
_STATE = (
    "embedder_spec_", "heads_", "form_head_", "form_classes_",
    "thresholds_", "floors_", "oof_report_", "neighbor_emb_", "neighbor_text_",
    "neighbor_labels_",
)  # fmt: skip


def save_model(
    model: MaraudeClassifier,
    out_dir: str | Path,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write ``model.skops``, ``metadata.json`` and ``MODEL_CARD.md`` to ``out_dir``.

    ``metadata`` (training counts, held-out metrics…) is merged into the file.
    """
    from classifier.evaluate import model_card  # here: evaluate imports this module

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = {name: getattr(model, name) for name in _STATE}
    state["params"] = {k: v for k, v in model.get_params().items() if k != "embedder"}
    state["tagger"] = model.tagger_.to_state()
    vocabulary = model.vectorizer_.vocabulary_  # as arrays: a dict is 1 file/term
    state["tfidf_terms"] = np.array(sorted(vocabulary, key=vocabulary.__getitem__))
    state["tfidf_idf"] = model.vectorizer_.idf_
    sio.dump(state, out / MODEL_FILE)
    digest = hashlib.sha256((out / MODEL_FILE).read_bytes()).hexdigest()
    now = datetime.now(UTC)
    meta = {
        "model_version": f"{out.name}-{now:%Y.%m.%d}-{digest[:8]}",
        "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sklearn_version": sklearn.__version__,
        "skops_version": package_version("skops"),
        "maraude_version": package_version("maraude"),
        "embedder": model.embedder_spec_,
        "embedder_name": model.embedder_.name,
        "labels": list(LABELS),
        "output_labels": list(OUTPUT_LABELS),
        "non_recours_forms": [c for c in model.form_classes_ if c != NO_FORM],
        "thresholds": model.thresholds_,
        "lexicon_floors": model.floors_,
        "threshold_rule": "out-of-fold scores of the training split: crisis at "
        f"recall 1.0, others best F1 at precision >= {model.precision_target}",
        "oof": model.oof_report_,
        "heads": {name: head is not None for name, head in model.heads_.items()},
        "params": state["params"],
        "sha256": digest,
        **(metadata or {}),
    }
    (out / META_FILE).write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (out / CARD_FILE).write_text(model_card(meta), encoding="utf-8")
    model.metadata_ = meta
    logger.info("model %s saved to %s", meta["model_version"], out)
    return out


def load_model(model_dir: str | Path) -> MaraudeClassifier:
    """Load a model folder written by :func:`save_model`; rebuild its embedder.

    Raises :class:`ModelNotFoundError` for a missing or incomplete folder, or a
    model saved by another scikit-learn version.
    """
    folder = Path(model_dir)
    retrain = f"Retrain it with `maraude train --out {folder}`."
    if not (folder / MODEL_FILE).is_file() or not (folder / META_FILE).is_file():
        raise ModelNotFoundError(
            f"No model in {folder} (it needs {MODEL_FILE} and {META_FILE}). "
            "Check --model or classifier.model in the config, or build one with "
            "`maraude train`."
        )
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    if meta.get("sklearn_version") != sklearn.__version__:
        raise ModelNotFoundError(
            f"The model in {folder} was saved with scikit-learn "
            f"{meta.get('sklearn_version')}, and this install has "
            f"{sklearn.__version__}. " + retrain
        )
    state = _read_state(folder / MODEL_FILE, retrain)
    model = MaraudeClassifier(embedder=meta["embedder"], **state["params"])
    for name in _STATE:
        setattr(model, name, state[name])
    model.tagger_ = RightsTagger.from_state(state["tagger"])
    model.vectorizer_ = _vectorizer(vocabulary=[str(t) for t in state["tfidf_terms"]])
    model.vectorizer_.idf_ = state["tfidf_idf"]
    model.embedder_ = load_embedder(meta["embedder"])
    model._neighbors32 = model.neighbor_emb_.astype(np.float32)
    model.metadata_ = meta
    return model


def _read_state(path: Path, retrain: str) -> dict[str, Any]:
    """The skops state, after checking it holds only the types we trust."""
    try:
        untrusted = set(sio.get_untrusted_types(file=path))
        if not untrusted - TRUSTED_TYPES:
            return sio.load(path, trusted=sorted(untrusted))
    except Exception as e:  # a truncated or foreign file: tell the user what to do
        raise ModelNotFoundError(f"Cannot read {path} ({e}). {retrain}") from None
    unknown = ", ".join(sorted(untrusted - TRUSTED_TYPES))
    raise ModelNotFoundError(
        f"{path} holds unexpected types ({unknown}); refusing to load it. {retrain}"
    )
