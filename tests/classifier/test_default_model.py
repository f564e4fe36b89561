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
#: Crisis on the held-out split (measured 0.808 recall, 0.520 precision, 1.8 % of
#: the posts without distress labelled crisis, crisis-or-review recall 0.894).
CRISIS_RECALL_FLOOR = 0.75
CRISIS_PRECISION_FLOOR = 0.40
CRISIS_OR_REVIEW_FLOOR = 0.85
FALSE_CRISIS_CEILING = 0.03  # the project's target

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


def test_held_out_crisis_recall_and_precision(result):
    crisis = result["labels"]["crisis"]
    assert crisis["positives"] > 0
    assert crisis["recall"] >= CRISIS_RECALL_FLOOR
    assert crisis["precision"] >= CRISIS_PRECISION_FLOOR
    assert result["alarms"]["crisis_or_review_recall"] >= CRISIS_OR_REVIEW_FLOOR


def test_posts_without_distress_are_rarely_crisis(result):
    assert result["alarms"]["crisis_on_non_distress_share"] <= FALSE_CRISIS_CEILING


def test_held_out_distress_precision_at_high_recall(result):
    distress = result["labels"]["distress"]
    assert distress["recall"] >= 0.88
    assert distress["precision"] >= 0.82


def test_demo_hard_negatives_and_crises(shipped):
    posts = {}
    with DEMO_POSTS.open(encoding="utf-8") as f:
        for line in f:
            post = json.loads(line)
            posts[post["title"]] = post_text(post["title"], post["selftext"])

    def labels(start: str) -> list[str]:
        (title,) = [t for t in posts if t.startswith(start)]
        return shipped.predict_texts([posts[title]])[0]["labels"]

    for start in ("Le PSG va me tuer", "JE SUIS MORT DE RIRE", "Ce boss m'a tué",
                  "Dérailleur arrière", "Recette : cake"):  # fmt: skip
        assert labels(start) == [], start  # not even a lead
    for start in ("Je donne : canapé", "Blague du jour"):
        assert "crisis" not in labels(start), start
    for start in ("[URGENT] il tape", "jveux mourir", "j'ai mis de côté les cachets",
                  "Je crois que tout le monde serait mieux sans moi"):  # fmt: skip
        assert "crisis" in labels(start), start


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
