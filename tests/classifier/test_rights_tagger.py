"""The rights tagger: aliases from the catalogue, robust matching, topic rule."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.embed import FakeEmbedder
from classifier.rights_tagger import RightsTagger


@pytest.fixture(scope="module")
def tagger() -> RightsTagger:
    return RightsTagger().fit(embedder=FakeEmbedder(dim=32))


def _rights(tagger: RightsTagger, text: str) -> list[str]:
    return [m.right for m in tagger.find(text)]


def test_prime_d_activiter(tagger):
    assert _rights(tagger, "je touche pas la prime d activiter") == ["prime_activite"]


def test_les_apl(tagger):
    assert _rights(tagger, "les apl ont encore baissé") == ["aides_logement"]


def test_accents_and_case_do_not_matter(tagger):
    assert _rights(tagger, "PRIME D’ACTIVITÉ refusée") == ["prime_activite"]


def test_accented_short_word_is_not_an_acronym(tagger):
    assert _rights(tagger, "mon âme est fatiguée") == []


def test_word_boundaries(tagger):
    assert "rsa" not in _rights(tagger, "la bourse crsab")


def test_short_lowercase_alias_is_weak_capitals_are_strong(tagger):
    (weak,) = tagger.find("apl")
    (strong,) = tagger.find("APL")
    assert weak.strength < strong.strength == 1.0


def test_topics_rule(tagger):
    weak = tagger.find("j'ai pas les sous, apl ?")
    emb = np.zeros(32, dtype=np.float32)
    assert tagger.topics(weak, emb, rights_pass=False) == []
    assert tagger.topics(weak, emb, rights_pass=True) == ["aides_logement"]


def test_fallback_is_nearest_prototype_when_nothing_matched(tagger):
    vec = tagger.prototypes_[tagger.right_ids_.index("rsa")]
    assert tagger.topics([], vec, rights_pass=True) == ["rsa"]


def test_a_new_right_is_a_new_file(tmp_path):
    (tmp_path / "velo.toml").write_text(
        'id = "velo"\nname = "Aide au vélo"\nshort_name = "Vélo"\n'
        'aliases = ["prime velo", "bonus vélo"]\nsummary = "Une aide pour un vélo."\n',
        encoding="utf-8",
    )
    tagger = RightsTagger(catalogue_dir=str(tmp_path)).fit()
    assert [m.right for m in tagger.find("le bonus velo électrique")] == ["velo"]


def test_state_round_trip(tagger):
    copy = RightsTagger.from_state(tagger.to_state())
    text = "dossier RSA et les apl"
    assert copy.find(text) == tagger.find(text)


def test_a_right_added_to_the_catalogue_is_found_without_retraining(fitted):
    from dataclasses import replace

    from classifier.embed import FakeEmbedder
    from maraude.rights import load_catalogue

    catalogue = dict(load_catalogue())
    base = catalogue["rsa"]
    catalogue["aide_test"] = replace(
        base,
        id="aide_test",
        name="Aide de test",
        short_name="ADT",
        aliases=("aide zorglub", "zorglub"),
        summary="Une aide imaginaire.",
    )
    tagger = fitted.tagger_
    before = list(tagger.right_ids_)
    assert not tagger.find("j'ai droit à l'aide zorglub ?")
    tagger.refresh(catalogue, FakeEmbedder(dim=32))
    try:
        (match,) = tagger.find("j'ai droit à l'aide zorglub ?")
        assert match.right == "aide_test"
        assert "aide_test" in tagger.right_ids_
        assert tagger.prototypes_.shape[0] == len(tagger.right_ids_)
    finally:
        tagger.refresh(load_catalogue(), FakeEmbedder(dim=32))
    assert tagger.right_ids_ == before
