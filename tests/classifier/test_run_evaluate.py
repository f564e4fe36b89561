"""``maraude predict`` / ``classify`` / ``evaluate`` / ``train`` library functions."""

from __future__ import annotations

import io
import json

import pytest

from classifier.evaluate import evaluate, format_table
from classifier.run import classify_db, predict_stream
from classifier.store import load_model
from classifier.train import TrainOptions, train
from maraude import db as mdb


def test_predict_stream_keeps_order_ids_and_reports_bad_lines(fitted):
    lines = [
        '{"text": "j\'ai envie d\'en finir"}',
        "not json",
        '{"id": "abc", "text": "les apl"}',
        "",
        '["a list"]',
        '{"id": 7, "text": "belle journée"}',
        '{"id": 8}',
        '{"text": "encore un"}',
    ]
    out, err = io.StringIO(), io.StringIO()
    errors = predict_stream(fitted, lines, out, err, batch_size=2)
    assert errors == 3
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [r["id"] for r in rows] == [1, "abc", 7, 8]
    messages = err.getvalue().splitlines()
    assert [m.split(":")[0] for m in messages] == ["line 2", "line 5", "line 7"]
    assert "crisis" in rows[0]["labels"]
    assert rows[0]["crisis_level"] == "sure"  # a lexicon hit
    assert rows[2]["crisis_level"] is None
    assert set(rows[0]) >= {"id", "distress", "crisis", "rights", "labels"}


def _post(i: int, text: str) -> dict:
    return {
        "platform": "reddit",
        "site": "www.reddit.com",
        "source": "test",
        "native_id": str(i),
        "url": f"https://example.org/{i}",
        "title": None,
        "text": text,
        "content_hash": str(i),
    }


def test_classify_db_is_resumable(fitted, db):
    for i, text in enumerate(["j'ai envie d'en finir", "belle journée", "les apl"]):
        mdb.upsert_post(db, _post(i, text))
    seen = []
    counts = classify_db(db, fitted, batch_size=2, progress=seen.append)
    assert counts["scored"] == 3
    assert counts["crisis"] >= 1
    assert 1 <= counts["crisis_sure"] <= counts["crisis"]  # the lexicon hit is sure
    assert seen == [2, 3]
    assert mdb.count_unscored(db, fitted.version_) == 0
    assert classify_db(db, fitted)["scored"] == 0


def _train(seed_file, tmp_path, **options):
    """Train on the small seed file with the fake embedder; the model folder."""
    return train(
        TrainOptions(
            data_files=[seed_file],
            out_dir=tmp_path / "model",
            embedder_spec={"backend": "fake", "dim": 32},
            params={"cv": 3},
            **options,
        )
    )


def test_train_then_evaluate(seed_file, tmp_path, examples):
    out = _train(seed_file, tmp_path)
    model = load_model(out)
    meta = model.metadata_
    assert meta["training_data"]["n_total"] == len(examples)
    assert set(meta["held_out"]["labels"]) >= {"distress", "crisis", "rights"}
    assert "Held-out results" in (out / "MODEL_CARD.md").read_text()
    result = evaluate(model, seed_file)
    assert result["n"] == len(examples)
    for m in result["labels"].values():
        assert set(m) >= {"precision", "recall", "f1", "pr_auc"}
    assert "distress" in format_table(result)
    assert len(result["worst_errors"]) <= 10
    # The held-out split only measures: no threshold comes from it.
    assert "crisis_held_out_rule" not in meta
    assert not {"crisis_confident", "crisis_review"} & set(meta["thresholds"])
    assert model.thresholds_["crisis"] == pytest.approx(
        meta["oof"]["crisis"]["threshold"], abs=1e-4
    )


def test_training_thresholds_ignore_the_held_out_split(seed_file, tmp_path, examples):
    """The saved thresholds are exactly those of a fit on the training split:
    nothing is lowered or raised afterwards on the held-out crises."""
    from classifier.dataset import TEST_FRACTION, split
    from classifier.embed import FakeEmbedder
    from classifier.model import MaraudeClassifier

    saved = load_model(_train(seed_file, tmp_path)).thresholds_
    train_set, held = split(examples, TEST_FRACTION)
    assert any(ex.crisis for ex in held)
    direct = MaraudeClassifier(embedder=FakeEmbedder(dim=32), cv=3)
    direct.fit([ex.text for ex in train_set], train_set)
    assert saved == direct.thresholds_
    assert saved["crisis"] <= saved["crisis_sure"]


def test_evaluate_one_column_file(fitted, tmp_path):
    path = tmp_path / "ext.csv"
    path.write_text("t,y\nj'ai envie d'en finir,1\nbelle journée,0\n", encoding="utf-8")
    result = evaluate(fitted, path, text_col="t", label_col="y", label_name="crisis")
    assert result["n"] == 2
    assert result["labels"]["crisis"]["recall"] == 1.0
    # One label known: no example is a negative (distress and rights unknown),
    # the crisis is counted at one level, and there is no kind to group by.
    assert result["negatives"]["n"] == 0
    assert result["crisis_recall"]["n"] == 1
    assert result["kinds"] == {}


def test_held_out_share_zero_trains_on_every_example(seed_file, tmp_path, examples):
    out = _train(seed_file, tmp_path, held_out_share=0.0)
    meta = load_model(out).metadata_
    assert meta["training_data"]["n_train"] == len(examples)
    assert meta["training_data"]["n_test"] == 0
    assert not meta["held_out"]
    assert "## Held-out results" not in (out / "MODEL_CARD.md").read_text()
