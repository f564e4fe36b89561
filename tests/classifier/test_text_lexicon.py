"""Folding, snippets and the crisis lexicon."""

from __future__ import annotations

import pytest

from classifier.lexicon import crisis_hits, minor_hits
from classifier.text import fold, fold_with_map, original_span, snippet


def test_fold_strips_accents_and_apostrophes():
    assert fold("Prime d’Activité-Été") == "prime d activite ete"


def test_fold_with_map_points_back_to_the_original():
    text = "Le cœur à l’ouvrage"
    folded, index = fold_with_map(text)
    start = folded.index("coeur")
    assert original_span(text, index, start, start + 5) == "cœur"


def test_snippet_is_masked_and_short():
    s = snippet("écris-moi à jean.dupont@example.org " + "blabla " * 40)
    assert "[email]" in s
    assert "jean.dupont" not in s
    assert len(s) <= 120


@pytest.mark.parametrize(
    "text",
    [
        "J’ai envie d’en finir",
        "jai envie den finir",
        "je pense à me suicider",
        "je veux mettre fin à mes jours",
        "plu envi de vivre",
        "tout le monde serait mieux sans moi",
        "je vais me foutre en l'air",
        "je me scarifie depuis l'été",
        "ce soir je vais sauter du pont",
        "jveux mourir",
    ],
)
def test_crisis_phrases_are_found(text):
    assert crisis_hits(text)


@pytest.mark.parametrize(
    "text",
    [
        "mort de rire",
        "je vais mourir de rire avec vous",
        "je me tue à la tâche",
        "le suicide d'un personnage dans la série",
        "je vais mourir de chaud dans ce bus",
        "on veut en finir avec ce dossier",
    ],
)
def test_hyperbole_and_topics_are_not_crisis_phrases(text):
    assert crisis_hits(text) == []


def test_hit_shows_the_writers_spelling():
    (hit,) = crisis_hits("Franchement, PLUS ENVIE DE VIVRE.")
    assert hit.phrase == "PLUS ENVIE DE VIVRE"
    assert hit.rule == "no_will_to_live"


@pytest.mark.parametrize("text", ["j'ai 15 ans", "jsuis en 3e", "je suis mineure"])
def test_minor_phrases(text):
    assert minor_hits(text)


@pytest.mark.parametrize("text", ["j'ai 15 ans de dettes", "mon fils a 15 ans"])
def test_not_minor_phrases(text):
    assert minor_hits(text) == []
