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
from classifier.store import load_model
from classifier.text import post_text, snippet

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "models" / "default"
DEMO_POSTS = ROOT / "maraude" / "demo" / "reddit_posts.jsonl"
F1_FLOORS = {"distress": 0.85, "rights": 0.85, "minor": 0.80}
FIRST_RIGHT_FLOOR = 0.80
#: Crisis levels on the held-out split (chosen out of fold on the training
#: split, never on this one; measured when the model was built, see
#: MODEL_CARD.md): either level, then the sure level alone.
CRISIS_RECALL_FLOOR = 0.78  # measured 0.848
SURE_PRECISION_FLOOR = 0.70  # measured 0.808
#: Posts without distress labelled crisis: sure (the project's 3 % target) and
#: either level (the possible band is capped at 5 % out of fold).
FALSE_SURE_CRISIS_CEILING = 0.03
FALSE_CRISIS_CEILING = 0.06  # measured 0.037
#: The blind set (classifier/data/blind/, written without seeing the data or the
#: model): crisis recall at either level.
BLIND = ROOT / "classifier" / "data" / "blind" / "crisis_blind.jsonl"
BLIND_CRISIS_RECALL_FLOOR = 0.72  # measured 0.800 (sure alone 0.663)

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


@pytest.fixture(scope="module")
def levels(shipped, held_out):
    """Held-out crisis gold, and each post's level, for the crisis figures."""
    preds = shipped.predict_texts([ex.text for ex in held_out])
    return [(ex, p["crisis_level"]) for ex, p in zip(held_out, preds, strict=True)]


def test_held_out_crises_at_either_level(levels):
    crises = [level for ex, level in levels if ex.crisis == 1]
    assert crises
    assert sum(level is not None for level in crises) / len(crises) >= (
        CRISIS_RECALL_FLOOR
    )


def test_sure_crises_are_mostly_crises(levels):
    sure = [ex.crisis == 1 for ex, level in levels if level == "sure"]
    assert sure
    assert sum(sure) / len(sure) >= SURE_PRECISION_FLOOR


def test_posts_without_distress_are_rarely_crises(levels):
    calm = [level for ex, level in levels if ex.distress == 0]
    assert sum(level == "sure" for level in calm) / len(calm) <= (
        FALSE_SURE_CRISIS_CEILING
    )
    assert sum(level is not None for level in calm) / len(calm) <= (
        FALSE_CRISIS_CEILING
    )


def test_blind_set_crisis_recall(shipped):
    from classifier.dataset import load_jsonl

    blind = [ex for ex in load_jsonl(BLIND) if ex.crisis == 1]
    assert len(blind) == 80
    preds = shipped.predict_texts([ex.text for ex in blind])
    found = sum(p["crisis_level"] is not None for p in preds)
    assert found / len(blind) >= BLIND_CRISIS_RECALL_FLOOR


def test_held_out_distress_precision_at_high_recall(result):
    # Every crisis counts as a distress (measured 0.887 at recall 0.912).
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

    for start in ("Ce boss m'a tué", "Recette : cake", "Je donne : canapé"):
        assert predict(start)["labels"] == [], start  # not even a lead
    # Hard negatives of the README: no crisis at either level (issue #12).
    for start in ("Le PSG va me tuer", "JE SUIS MORT DE RIRE", "Dérailleur arrière",
                  "Blague du jour", "C'est quoi ce « chèque énergie »"):  # fmt: skip
        assert predict(start)["crisis_level"] is None, start
    for start in ("[URGENT] il tape", "jveux mourir"):
        assert predict(start)["crisis_level"] == "sure", start
    for start in (
        "j'ai mis de côté les cachets",
        "Je crois que tout le monde serait mieux sans moi",
        "Merci pour tout les gens",
    ):
        assert predict(start)["crisis_level"] is not None, start


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
