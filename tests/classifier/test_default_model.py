"""The shipped model (``models/default``) with the real embedder, on the held-out
split of the seed set that it never saw.

Floors are the figures measured when the model was built, minus a margin (see
MODEL_CARD.md); they catch a broken model or a bad retraining, not noise.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.dataset import load_examples, split
from classifier.evaluate import evaluate_examples
from classifier.model import load_model
from classifier.text import post_text, snippet

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "models" / "default"
DEMO_POSTS = ROOT / "maraude" / "demo" / "reddit_posts.jsonl"
F1_FLOORS = {"distress": 0.85, "rights": 0.85, "minor": 0.80}
FIRST_RIGHT_FLOOR = 0.80
#: Crisis on the held-out split: recall 1.0 there by the contract's rule
#: (measured precision 0.383; the out-of-fold "sure" pair alone: recall 0.73,
#: 2.8 % of the posts without distress).
CRISIS_PRECISION_FLOOR = 0.30
SURE_CRISIS_RECALL_FLOOR = 0.65
FALSE_SURE_CRISIS_CEILING = 0.03  # the project's target, for sure crises
#: The blind set (classifier/data/blind/, written without seeing the data or the
#: model): measured crisis recall 0.963, precision 0.450.
BLIND = ROOT / "classifier" / "data" / "blind" / "crisis_blind.jsonl"
BLIND_CRISIS_RECALL_FLOOR = 0.95

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shipped():
    if not (MODEL_DIR / "model.skops").is_file():
        pytest.fail(
            "models/default is missing: build it with "
            "`python -m classifier.train --out models/default`"
        )
    return load_model(MODEL_DIR)


@pytest.fixture(scope="module")
def held_out(shipped):
    examples = load_examples()
    train, test = split(examples)
    counts = shipped.metadata_["training_data"]
    assert (counts["n_train"], counts["n_test"]) == (len(train), len(test)), (
        "the seed set changed since models/default was built: rebuild it with "
        "`python -m classifier.train --out models/default`"
    )
    return test


@pytest.fixture(scope="module")
def result(shipped, held_out):
    return evaluate_examples(shipped, held_out)


def test_shipped_model_is_small_and_uses_the_offline_embedder(shipped):
    assert shipped.metadata_["embedder"] == {"backend": "use"}
    size = sum(p.stat().st_size for p in MODEL_DIR.iterdir())
    assert size < 20_000_000


def test_held_out_examples_were_not_trained_on(shipped, held_out):
    assert not {snippet(e.text) for e in held_out} & set(shipped.neighbor_text_)


def test_every_held_out_crisis_is_a_crisis(result):
    crisis = result["labels"]["crisis"]
    assert crisis["positives"] > 0
    assert crisis["recall"] == 1.0
    assert crisis["precision"] >= CRISIS_PRECISION_FLOOR
    assert result["alarms"]["sure_crisis_recall"] >= SURE_CRISIS_RECALL_FLOOR


def test_posts_without_distress_are_rarely_sure_crises(result):
    share = result["alarms"]["sure_crisis_on_non_distress_share"]
    assert share <= FALSE_SURE_CRISIS_CEILING


def test_blind_set_crisis_recall(shipped):
    from classifier.dataset import load_jsonl

    blind = evaluate_examples(shipped, load_jsonl(BLIND))
    assert blind["labels"]["crisis"]["positives"] == 80
    assert blind["labels"]["crisis"]["recall"] >= BLIND_CRISIS_RECALL_FLOOR


def test_held_out_distress_precision_at_high_recall(result):
    # Every crisis counts as a distress, so the wide crisis net costs distress
    # precision (measured 0.809 at recall 0.970; the target 0.85 is not met).
    distress = result["labels"]["distress"]
    assert distress["recall"] >= 0.9
    assert distress["precision"] >= 0.75


def test_demo_hard_negatives_and_crises(shipped):
    posts = {}
    with DEMO_POSTS.open(encoding="utf-8") as f:
        for line in f:
            post = json.loads(line)
            posts[post["title"]] = post_text(post["title"], post["selftext"])

    def predict(start: str) -> dict:
        (title,) = [t for t in posts if t.startswith(start)]
        return shipped.predict_texts([posts[title]])[0]

    def sure_crisis(pred: dict) -> bool:
        return "crisis" in pred["labels"] and not pred["explanation"]["crisis_review"]

    for start in ("Ce boss m'a tué", "Recette : cake", "Je donne : canapé"):
        assert predict(start)["labels"] == [], start  # not even a lead
    # The wide crisis net (the held-out rule) makes these possible crises, to
    # check, but never sure ones.
    for start in ("Le PSG va me tuer", "JE SUIS MORT DE RIRE", "Dérailleur arrière",
                  "Blague du jour"):  # fmt: skip
        assert not sure_crisis(predict(start)), start
    for start in ("[URGENT] il tape", "jveux mourir", "j'ai mis de côté les cachets",
                  "Je crois que tout le monde serait mieux sans moi",
                  "Merci pour tout les gens"):  # fmt: skip
        assert sure_crisis(predict(start)), start


@pytest.mark.parametrize("label", sorted(F1_FLOORS))
def test_held_out_f1_above_floor(result, label):
    assert result["labels"][label]["f1"] >= F1_FLOORS[label]


def test_first_right_accuracy_above_floor(result):
    assert result["first_right_accuracy"] >= FIRST_RIGHT_FLOOR


def test_explicit_crisis_and_rights_phrases(shipped):
    crisis, rights, calm = shipped.predict_texts(
        [
            "j'ai plus envie de vivre, ce soir j'en finis",
            "je savais pas que j'avais droit à la prime d'activité, comment on fait ?",
            "super recette de crêpes, merci à tous",
        ]
    )
    assert {"crisis", "distress"} <= set(crisis["labels"])
    assert "rights" in rights["labels"]
    assert rights["rights_topics"][0] == "prime_activite"
    assert calm["crisis"] < crisis["crisis"]
    assert "rights" not in calm["labels"]
    assert calm["rights_topics"] == []
