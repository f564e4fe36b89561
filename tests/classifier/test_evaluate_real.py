"""Evaluation on real-text files: negatives made leads, crisis levels, kinds,
first right, agreed items; the ``evaluate`` command on a file in that shape.

Every text here is ours (see conftest.py); the real dev set is only read by the
slow test at the end, which prints no text.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from classifier import metrics
from classifier.dataset import Example, load_jsonl
from classifier.evaluate import (
    evaluate,
    format_table,
    load_evaluation_data,
    summarise,
)
from maraude.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
REAL_DEV = ROOT.parent / "shared" / "data" / "real-fr" / "dev.jsonl"
MODEL_DIR = ROOT / "models" / "default"


def _pred(labels=(), level=None, topics=(), *, old=False, minor=False) -> dict:
    """A contract prediction; ``old`` writes the level as ``crisis_review``."""
    pred = {
        "distress": 0.9 if "distress" in labels else 0.1,
        "crisis": 0.9 if level else 0.1,
        "rights": 0.9 if "rights" in labels else 0.1,
        "labels": list(labels),
        "rights_topics": list(topics),
        "non_recours_form": None,
        "minor": minor,
        "explanation": {},
    }
    if old:
        pred["explanation"]["crisis_review"] = level == "possible"
    else:
        pred["crisis_level"] = level
    return pred


NEG = {"distress": 0, "crisis": 0, "rights": 0}


@pytest.mark.parametrize("old", [False, True])
def test_crisis_level_reads_both_output_shapes(old):
    crisis = ("distress", "crisis")
    assert metrics.crisis_level(_pred(crisis, "sure", old=old)) == "sure"
    assert metrics.crisis_level(_pred(crisis, "possible", old=old)) == "possible"
    assert metrics.crisis_level(_pred(("distress",), None, old=old)) is None
    assert metrics.crisis_level(_pred((), None, old=old)) is None


@pytest.mark.parametrize("old", [False, True])
def test_negatives_made_leads_and_labelled_crisis_per_level(old):
    examples = [
        Example("un", **NEG),
        Example("deux", **NEG),
        Example("trois", **NEG),
        Example("quatre", **NEG),
        Example("cinq", distress=1, crisis=0, rights=0),  # not a negative
        Example("six", distress=0, crisis=0, rights=1),  # not a negative
    ]
    preds = [
        _pred(("distress", "crisis"), "sure", old=old),
        _pred(("distress", "crisis"), "possible", old=old),
        _pred(("rights",), old=old),
        _pred(old=old),
        _pred(("distress", "crisis"), "sure", old=old),
        _pred(("rights",), old=old),
    ]
    got = metrics.negative_figures(examples, preds)
    assert (got["n"], got["leads"], got["lead_share"]) == (4, 3, 0.75)
    assert got["crisis"]["sure"] == {"count": 1, "share": 0.25}
    assert got["crisis"]["possible"] == {"count": 1, "share": 0.25}
    assert got["crisis"]["either"] == {"count": 2, "share": 0.5}


def test_unknown_rights_count_as_none_unknown_distress_never():
    blind_like = Example("sans label de droits", distress=0, crisis=0)
    assert blind_like.rights is None
    assert metrics.is_negative(blind_like)
    assert not metrics.is_negative(Example("seulement crise", crisis=0))
    assert not metrics.is_negative(Example("droit", distress=0, rights=1))


def test_crisis_recall_per_level():
    examples = [Example(f"c{i}", distress=1, crisis=1, rights=0) for i in range(4)]
    examples.append(Example("pas une crise", **NEG))
    preds = [
        _pred(("distress", "crisis"), "sure"),
        _pred(("distress", "crisis"), "sure"),
        _pred(("distress", "crisis"), "possible"),
        _pred(("distress",)),
        _pred(("distress", "crisis"), "sure"),
    ]
    got = metrics.crisis_recall_by_level(examples, preds)
    assert got == {"n": 4, "sure": 0.5, "possible": 0.25, "either": 0.75}


def test_no_crisis_gives_no_recall():
    got = metrics.crisis_recall_by_level([Example("x", **NEG)], [_pred()])
    assert got == {"n": 0, "sure": None, "possible": None, "either": None}


def test_figures_per_kind():
    examples = [
        Example("t1", distress=1, crisis=0, rights=0, kind="testimony"),
        Example("t2", distress=1, crisis=0, rights=0, kind="testimony"),
        Example("t3", **NEG, kind="testimony"),
        Example("n1", **NEG, kind="news"),
        Example("n2", **NEG, kind="news"),
        Example("sans type", **NEG),
    ]
    preds = [
        _pred(("distress",)),
        _pred(),
        _pred(("distress", "crisis"), "possible"),
        _pred(("distress", "crisis"), "sure"),
        _pred(),
        _pred(("distress",)),
    ]
    kinds = metrics.kind_figures(examples, preds)
    assert list(kinds) == ["testimony", "news"]  # largest first, no empty kind
    t = kinds["testimony"]
    assert (t["n"], t["negatives"], t["distress_positives"]) == (3, 1, 2)
    assert t["lead_share"] == pytest.approx(2 / 3, abs=1e-4)
    assert t["crisis_share"] == pytest.approx(1 / 3, abs=1e-4)
    assert t["negative_lead_share"] == 1.0
    assert t["distress_recall"] == 0.5
    n = kinds["news"]
    assert (n["lead_share"], n["crisis_share"], n["distress_recall"]) == (
        0.5,
        0.5,
        None,
    )
    assert metrics.kind_figures([Example("x", **NEG)], [_pred()]) == {}


def test_first_right_uses_right_then_rights_topics():
    examples = [
        Example("a", distress=0, crisis=0, rights=1, right="aah"),
        Example("b", distress=0, crisis=0, rights=1, right="aspa"),
        Example("c", distress=0, crisis=0, rights=1, right="css"),
        Example("d", distress=0, crisis=0, rights=1),  # right unnamed: left out
        Example("e", distress=0, crisis=0, rights=1, rights_topics=("rsa", "css")),
        Example("f", **NEG),
    ]
    ranked = [["aah", "pch"], ["pension_reversion", "aspa"], [], ["rsa"], ["css"], []]
    got = metrics.first_right(examples, ranked)
    assert got == {"n": 4, "correct": 2, "share": 0.5}


def _real_row(i: int, ex: Example, kind: str, agreed: bool) -> dict:
    topics = list(ex.rights_topics)
    return {
        "id": f"t{i:03d}",
        "text": ex.text,
        "distress": ex.distress,
        "crisis": ex.crisis,
        "rights": ex.rights,
        "right": topics[0] if topics else "",
        "minor": ex.minor,
        "kind": kind,
        "url": f"https://example.org/{i}",
        "agreed": agreed,
    }


@pytest.fixture
def real_shaped(tmp_path, examples) -> Path:
    """Our small dataset written in the real-fr shape (every third item
    disagreed on; kinds by label)."""
    path = tmp_path / "real.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for i, ex in enumerate(examples):
            kind = "testimony" if ex.distress or ex.rights else "everyday"
            row = _real_row(i, ex, kind, agreed=i % 3 != 0)
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def test_real_shape_is_read_with_right_kind_and_agreed(real_shaped, examples):
    loaded = load_jsonl(real_shaped)
    assert len(loaded) == len(examples)
    rights = [ex for ex in loaded if ex.rights == 1]
    assert rights
    assert all(ex.right and not ex.rights_topics for ex in rights)
    assert {ex.kind for ex in loaded} == {"testimony", "everyday"}
    assert [ex.agreed for ex in loaded[:3]] == [False, True, True]


def test_agreed_flag_as_text(tmp_path):
    path = tmp_path / "a.jsonl"
    rows = [{"text": "un", "distress": 0, "agreed": "false"}, {"text": "deux"}]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert [ex.agreed for ex in load_jsonl(path)] == [False, None]


def test_agreed_items_get_their_own_figures(fitted, real_shaped):
    result = evaluate(fitted, real_shaped)
    n_agreed = sum(ex.agreed for ex in load_jsonl(real_shaped))
    agreed = result["agreed"]
    assert agreed["n"] == n_agreed < result["n"]
    for section in ("labels", "negatives", "crisis_recall", "kinds", "first_right"):
        assert section in agreed
    assert "agreed" not in agreed
    only = evaluate(fitted, real_shaped, agreed_only=True)
    assert only["n"] == n_agreed
    assert only["labels"] == agreed["labels"]
    assert only["negatives"] == agreed["negatives"]
    assert only["kinds"] == agreed["kinds"]


def test_summary_matches_hand_counts_on_a_subset():
    examples = [
        Example("a", **NEG, agreed=True),
        Example("b", distress=1, crisis=1, rights=0, agreed=True),
        Example("c", **NEG, agreed=False),
    ]
    preds = [_pred(("distress", "crisis"), "possible"), _pred(("distress",)), _pred()]
    scores = {
        name: np.array([0.9, 0.4, 0.1])
        for name in ("distress", "crisis", "rights", "minor")
    }
    result = summarise(examples, preds, scores)
    assert result["negatives"]["lead_share"] == 0.5
    assert result["crisis_recall"]["either"] == 0.0
    assert result["labels"]["distress"]["recall"] == 1.0
    assert result["labels"]["crisis"]["precision"] == 0.0
    idx = metrics.agreed_indices(examples)
    assert idx == [0, 1]
    sub = summarise(
        [examples[i] for i in idx],
        [preds[i] for i in idx],
        {k: v[idx] for k, v in scores.items()},
    )
    assert sub["negatives"] == {
        "n": 1,
        "leads": 1,
        "lead_share": 1.0,
        "crisis": {
            "sure": {"count": 0, "share": 0.0},
            "possible": {"count": 1, "share": 1.0},
            "either": {"count": 1, "share": 1.0},
        },
    }


def test_missing_file_and_agreed_only_without_agreement(tmp_path, seed_file):
    with pytest.raises(InputError, match=r"does not exist.*real-fr"):
        load_evaluation_data(tmp_path / "absent.jsonl")
    with pytest.raises(InputError, match="agreed"):
        load_evaluation_data(seed_file, agreed_only=True)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="no example"):
        load_evaluation_data(empty)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, examples) -> Path:
    """A small model folder (fake embedder) trained on our small dataset."""
    from classifier.train import TrainOptions, train

    tmp = tmp_path_factory.mktemp("evalmodel")
    seed = tmp / "seed.jsonl"
    with seed.open("w", encoding="utf-8") as f:
        for i, ex in enumerate(examples):
            f.write(json.dumps(_real_row(i, ex, "forum", True)) + "\n")
    return train(
        TrainOptions(
            data_files=[seed],
            out_dir=tmp / "model",
            embedder_spec={"backend": "fake", "dim": 32},
            params={"cv": 3},
            held_out_share=0.0,
        )
    )


def _cli(*args: str):
    from maraude.cli import cli

    return CliRunner().invoke(cli, ["evaluate", *args])


def test_cli_evaluate_real_shape_json(model_dir, real_shaped, examples):
    run = _cli(
        "--data", str(real_shaped), "--model", str(model_dir), "--format", "json"
    )
    assert run.exit_code == 0, run.output
    result = json.loads(run.output)
    assert set(result["labels"]) >= {"distress", "crisis", "rights"}
    for m in result["labels"].values():
        assert set(m) >= {"precision", "recall", "f1", "pr_auc"}
    assert set(result["negatives"]["crisis"]) == {"sure", "possible", "either"}
    assert set(result["kinds"]) == {"testimony", "everyday"}
    assert result["first_right"]["n"] == sum(ex.rights == 1 for ex in examples)
    assert result["agreed"]["n"] < result["n"]


def test_cli_evaluate_real_shape_table_and_agreed_only(model_dir, real_shaped):
    run = _cli("--data", str(real_shaped), "--model", str(model_dir))
    assert run.exit_code == 0, run.output
    for phrase in ("negatives (no distress, no right)", "crisis recall: sure",
                   "first right correct", "testimony", "agreed on"):  # fmt: skip
        assert phrase in run.output
    only = _cli("--data", str(real_shaped), "--model", str(model_dir), "--agreed-only")
    assert only.exit_code == 0, only.output
    assert "agreed on" not in only.output


def test_cli_evaluate_missing_file_says_what_to_do(model_dir, tmp_path):
    run = _cli("--data", str(tmp_path / "nope.jsonl"), "--model", str(model_dir))
    assert run.exit_code != 0
    assert "does not exist" in run.output
    assert "held-out split" in run.output


@pytest.mark.slow
def test_real_dev_set_report_has_every_section():
    if not REAL_DEV.is_file():
        pytest.skip(
            "real-fr dev set not available at ../shared/data/real-fr: put the "
            "shared/ folder next to the project to run this test"
        )
    from classifier.store import load_model

    result = evaluate(load_model(MODEL_DIR), REAL_DEV)
    for part in (result, result["agreed"]):
        assert set(part["labels"]) >= {"distress", "crisis", "rights", "minor"}
        assert all(m["pr_auc"] is not None for m in part["labels"].values())
        assert part["negatives"]["n"] > 0
        assert set(part["negatives"]["crisis"]) == {"sure", "possible", "either"}
        assert part["crisis_recall"]["n"] > 0
        assert part["crisis_recall"]["either"] is not None
        assert {"testimony", "news", "fiction"} <= set(part["kinds"])
        assert part["first_right"]["n"] > 0
    assert 0 < result["agreed"]["n"] < result["n"]
    table = format_table(result)
    assert table.count("negatives (no distress, no right)") == 2
    assert "institutional" in table


def test_quality_markdown_tables_from_figures():
    from benchmarks.quality import markdown

    examples = [
        Example("un texte à nous", **NEG, kind="news", agreed=True),
        Example("un autre", distress=1, crisis=1, rights=0, kind="blog", agreed=False),
    ]
    preds = [_pred(("distress", "crisis"), "possible"), _pred(("distress",))]
    scores = {name: np.array([0.8, 0.3]) for name in ("distress", "crisis", "rights")}
    scores["minor"] = np.array([0.1, 0.1])
    real = summarise(examples, preds, scores)
    agreed = summarise(examples[:1], preds[:1], {k: v[:1] for k, v in scores.items()})
    figures = {
        "model": "m",
        "version": "v1",
        "date": "today",
        "sets": {"real dev (all)": real, "real dev (agreed)": agreed},
        "false_alarms": {
            "emodift-fr (tweets)": {
                "n": 4,
                "lead_share": 0.25,
                "crisis": {"sure": 0.0, "possible": 0.25, "either": 0.25},
            }
        },
        "dreaddit": {
            "n": 2,
            "precision": 0.5,
            "recall": 1.0,
            "f1": 0.667,
            "pr_auc": 0.75,
            "seconds": 3.0,
        },
        "skipped": ["xed-fr: absent"],
        "held_out_when_built": None,
    }
    text = markdown(figures)
    assert "| real dev (all) | 1 | 100.0% | 0.0% / 100.0% / 100.0% | 1 |" in text
    assert (
        "| news | 1 (1) | 1 (1) | 100.0% (100.0%) | 100.0% (100.0%) | – (–) |" in text
    )
    assert "| blog | 1 | 0 | 100.0% | 0.0% | 1.000 |" in text
    assert "| emodift-fr (tweets) | 4 | 25.0% | 0.0% / 25.0% / 25.0% |" in text
    assert "| 2 | 0.500 | 1.000 | 0.667 | 0.750 | 3 s |" in text
    assert "Skipped: xed-fr: absent." in text
    assert "un texte à nous" not in text
