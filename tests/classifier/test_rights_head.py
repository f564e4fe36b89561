"""The rights head: rights learned from examples, aliases as evidence (#12)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from classifier.embed import FakeEmbedder
from classifier.features import word_vectorizer
from classifier.rights_head import RightsHead
from classifier.rights_tagger import RightsTagger
from classifier.text import normalize

# Our own short situations, none naming its right.
ENERGY = [
    "plus d'électricité depuis lundi, le compteur a été coupé pour impayé",
    "EDF m'a coupé le courant, facture de 900 euros impossible à payer",
    "on se chauffe plus, la facture de gaz est trop lourde, ils menacent de couper",
    "coupure d'électricité chez moi, je vis à la bougie avec les enfants",
    "impayé de facture d'énergie, le fournisseur va suspendre le compteur",
    "plus de chauffage ni de lumière, le courant est coupé depuis une semaine",
    "facture d'électricité énorme cet hiver, je peux pas la régler",
    "le fournisseur d'énergie réclame 600 euros, ils vont couper le courant",
]
OLD_AGE = [
    "j'ai 78 ans et je vis avec 450 euros par mois de retraite",
    "ma grand-mère touche une toute petite pension, 500 euros par mois à 81 ans",
    "retraitée de 74 ans, ma retraite ne suffit plus pour manger",
    "à 80 ans avec une pension minuscule, mon père n'arrive plus à payer",
    "petite retraite d'agricultrice, 390 euros, je n'ai rien d'autre à 76 ans",
    "mon voisin de 85 ans vit avec presque rien, une retraite de misère",
    "personne âgée seule, retraite très faible, je compte chaque euro",
    "j'ai travaillé toute ma vie et à 79 ans ma retraite est de 480 euros",
]
OTHER = [
    "le loyer augmente encore, je paie 700 euros pour un studio",
    "j'ai perdu mon emploi le mois dernier, comment m'inscrire ?",
    "mon fils handicapé a besoin d'une aide pour l'école",
    "mes enfants ont besoin de fournitures et j'ai plus rien",
]
TOPICS = [("cheque_energie", "fsl")] * len(ENERGY) + [("aspa",)] * len(OLD_AGE)
TOPICS += [("aides_logement",), ("are",), ("aeeh",), ("allocations_familiales",)]


@pytest.fixture(scope="module")
def trained() -> tuple[RightsTagger, object]:
    texts = ENERGY + OLD_AGE + OTHER
    embedder = FakeEmbedder(dim=32)
    words = word_vectorizer(min_df=1).fit([normalize(t) for t in texts])

    def featurize(batch: list[str], emb: np.ndarray | None = None) -> sp.csr_matrix:
        emb = embedder.encode(batch) if emb is None else emb
        words_x = words.transform([normalize(t) for t in batch])
        return sp.hstack([words_x, sp.csr_matrix(emb)]).tocsr()

    tagger = RightsTagger().fit(
        embedder.encode(texts),
        TOPICS,
        embedder=embedder,
        features=featurize(texts),
        featurize=featurize,
    )
    return tagger, featurize


def _topics(trained, text: str, rights_pass: bool = True) -> list[str]:
    tagger, featurize = trained
    scores = tagger.head_scores(featurize([text]))[0]
    emb = FakeEmbedder(dim=32).encode([text])[0]
    return tagger.topics(tagger.find(text), emb, rights_pass, scores)


def test_head_learns_only_rights_with_enough_examples():
    x = sp.csr_matrix(np.eye(12, dtype=np.float32))
    topics = [("rsa",)] * 9 + [("aah",)] * 3
    head = RightsHead(min_examples=8).fit(x, topics, ["aah", "rsa", "css"])
    assert head.right_ids_ == ["rsa"]
    assert head.scores(x).shape == (12, 1)
    assert head.scores(x)[0, 0] > head.scores(x)[11, 0]


def test_head_state_is_plain_and_round_trips():
    x = sp.csr_matrix(np.random.default_rng(0).random((20, 5), dtype=np.float32))
    head = RightsHead(min_examples=3).fit(x, [("rsa",)] * 10 + [()] * 10, ["rsa"])
    state = head.to_state()
    assert isinstance(state["coef"], np.ndarray)
    again = RightsHead.from_state(state)
    np.testing.assert_allclose(again.scores(x), head.scores(x), atol=1e-3)


def test_no_electricity_finds_cheque_energie_and_fsl(trained):
    topics = _topics(
        trained, "ils ont coupé l'électricité, je peux plus payer la facture"
    )
    assert set(topics[:2]) == {"cheque_energie", "fsl"}


def test_elderly_on_a_tiny_income_finds_aspa(trained):
    topics = _topics(trained, "ma mère a 82 ans et vit avec 430 euros de retraite")
    assert topics[0] == "aspa"


def test_a_named_right_counts_as_evidence(trained):
    assert _topics(trained, "j'ai droit à la prime d'activité ?")[0] == "prime_activite"


def test_without_the_rights_label_only_strong_matches(trained):
    assert _topics(trained, "plus d'électricité chez moi", rights_pass=False) == []
    assert _topics(trained, "le RSA c'est pour qui", rights_pass=False) == ["rsa"]


def test_saved_state_keeps_the_head_and_old_states_still_load(trained):
    tagger, featurize = trained
    again = RightsTagger.from_state(tagger.to_state())
    x = featurize(["plus de courant"])
    np.testing.assert_allclose(again.head_scores(x), tagger.head_scores(x), atol=1e-3)
    old = tagger.to_state()
    del old["head"]
    legacy = RightsTagger.from_state(old)
    assert legacy.head_scores(x) is None
    assert legacy.topics(legacy.find("le RSA"), np.zeros(32), True) == ["rsa"]


@pytest.mark.slow
def test_shipped_model_finds_rights_from_situations():
    from classifier.store import load_model

    folder = Path(__file__).resolve().parents[2] / "models" / "default"
    model = load_model(folder)
    if getattr(model.tagger_, "head_", None) is None:
        pytest.skip(
            "models/default predates the rights head: retrain it with "
            "`maraude train --out models/default`"
        )
    _, details = model.predict_detailed(
        [
            "On n'a plus d'électricité depuis hier, ils ont coupé le compteur pour "
            "une facture impayée, je sais pas comment payer",
            "J'ai 79 ans, je vis seule avec 520 euros de retraite par mois, je "
            "n'arrive plus à payer mes courses",
        ]
    )
    energy, old_age = details["ranked_topics"]
    assert {"cheque_energie", "fsl"} & set(energy[:2])
    assert old_age[0] == "aspa"
