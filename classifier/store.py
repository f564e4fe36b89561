"""Model folders: save and load a fitted :class:`~classifier.model.MaraudeClassifier`.

:func:`save_model` writes the fitted parts with skops (only plain types and
scikit-learn estimators; the types to trust are listed in ``TRUSTED_TYPES``), the
vectorizers as vocabulary arrays, ``metadata.json`` (thresholds and their rule,
metrics, embedder spec) and ``MODEL_CARD.md``; the embedder is saved as a spec,
never pickled. :func:`load_model` rebuilds the embedder from that spec and refuses
a model saved by another scikit-learn version.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import sklearn
import skops.io as sio

from classifier.dataset import LABELS
from classifier.embed import load_embedder, package_version
from classifier.features import char_vectorizer, word_vectorizer
from classifier.heads import NO_FORM
from classifier.rights_tagger import RightsTagger
from maraude.errors import ModelNotFoundError
from maraude.rights import CATALOGUE_DIR, load_catalogue

if TYPE_CHECKING:
    from classifier.model import MaraudeClassifier

logger = logging.getLogger(__name__)

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


def threshold_rule(model: MaraudeClassifier) -> str:
    """The thresholds' rule in one sentence (``metadata.json``, model card)."""
    band = (
        "; possible = a crisis that only passes the lower pair crisis / "
        "crisis_gate"
        + (" (the same distress gate)" if model.crisis_possible_same_gate else "")
        + ", chosen for the fewest false crises at recall (either "
        f"level) {model.crisis_possible_recall}, unless that labels more than "
        f"{model.crisis_possible_max:.0%} of the posts without distress; then "
        "the highest recall that stays under it"
        if model.crisis_possible_recall is not None
        else "; no possible band"
    )
    return (
        "out-of-fold scores of the training split (the held-out split only "
        "measures): crisis = lexicon hit OR (p_crisis >= t AND p_distress >= "
        "gate), at two levels: sure = lexicon hit or the pair crisis_sure / "
        "crisis_sure_gate with the highest recall at precision >= "
        f"{model.crisis_sure_precision}{band}; distress at the best F1 with "
        f"precision >= {model.precision_target} keeping recall >= "
        f"{model.distress_min_recall} (else the best precision at that recall), "
        "counting every crisis as a distress; rights and minor at the best F1 with "
        f"precision >= {model.precision_target}"
    )


def _vocabulary(vectorizer: Any) -> tuple[np.ndarray, np.ndarray]:
    """A fitted TF-IDF vectorizer as (terms, idf) arrays (a dict is 1 file/term)."""
    vocabulary = vectorizer.vocabulary_
    terms = np.array(sorted(vocabulary, key=vocabulary.__getitem__))
    return terms, vectorizer.idf_


def save_model(
    model: MaraudeClassifier,
    out_dir: str | Path,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write ``model.skops``, ``metadata.json`` and ``MODEL_CARD.md`` to ``out_dir``.

    ``metadata`` (training counts, held-out metrics…) is merged into the file.
    """
    from classifier.card import model_card
    from classifier.model import OUTPUT_LABELS

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = {name: getattr(model, name) for name in _STATE}
    state["params"] = {k: v for k, v in model.get_params().items() if k != "embedder"}
    state["tagger"] = model.tagger_.to_state()
    state["tfidf_terms"], state["tfidf_idf"] = _vocabulary(model.vectorizer_)
    if model.word_vectorizer_ is not None:
        state["word_terms"], state["word_idf"] = _vocabulary(model.word_vectorizer_)
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
        "threshold_rule": threshold_rule(model),
        "crisis_levels": {
            "sure_precision": model.crisis_sure_precision,
            "possible_recall": model.crisis_possible_recall,
            "possible_max": model.crisis_possible_max,
            "possible_same_gate": model.crisis_possible_same_gate,
        },
        "oof": model.oof_report_,
        "heads": {name: head is not None for name, head in model.heads_.items()},
        "C_chosen": getattr(model, "C_", {}),
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
    from classifier.model import MaraudeClassifier

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
    known = MaraudeClassifier().get_params()
    dropped = sorted(set(state["params"]) - set(known))
    if dropped:  # e.g. the crisis parameters of models saved before the levels
        logger.info("model %s: ignoring old parameters %s", folder, dropped)
    params = {k: v for k, v in state["params"].items() if k in known}
    model = MaraudeClassifier(embedder=meta["embedder"], **params)
    for name in _STATE:
        setattr(model, name, state[name])
    model.tagger_ = RightsTagger.from_state(state["tagger"])
    model.vectorizer_ = char_vectorizer(
        vocabulary=[str(t) for t in state["tfidf_terms"]]
    )
    model.vectorizer_.idf_ = state["tfidf_idf"]
    model.word_vectorizer_ = None
    if "word_terms" in state:
        model.word_vectorizer_ = word_vectorizer(
            vocabulary=[str(t) for t in state["word_terms"]]
        )
        model.word_vectorizer_.idf_ = state["word_idf"]
    model.embedder_ = load_embedder(meta["embedder"])
    # The catalogue as it is now: a right added since training is recognised.
    folder_dir = getattr(model.tagger_, "catalogue_dir", None)
    model.tagger_.refresh(
        load_catalogue(Path(folder_dir) if folder_dir else CATALOGUE_DIR),
        model.embedder_,
    )
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
