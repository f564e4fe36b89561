"""Fixtures for the classifier tests: a small hand-written French dataset, the
FakeEmbedder, and one model fitted once per session (fast: no real embedder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.dataset import Example
from classifier.embed import FakeEmbedder
from classifier.model import MaraudeClassifier

CRISIS = [
    "j'ai envie d'en finir, je n'en peux plus de cette vie",
    "je pense à me suicider tous les soirs, personne ne le sait",
    "plus envie de vivre depuis que j'ai perdu mon travail et mon appart",
    "tout le monde serait mieux sans moi, je suis un poids",
    "je vais me foutre en l'air ce week-end je crois",
    "jveux mourir sérieux j'en peux plus de tout",
    "je me scarifie encore, ça recommence, j'ai peur de moi",
    "ce soir je vais sauter du pont, j'ai écrit ma lettre",
    # Implicit: no lexicon rule matches these, only the statistical heads can.
    "j'ai donné mes affaires et rangé l'appart, ce soir tout sera réglé",
    "demain tout sera fini pour moi, merci pour tout et pardon",
]
DISTRESS = [
    "je suis épuisée, je pleure tous les jours et je dors plus",
    "je me sens tellement seul depuis le divorce, personne à qui parler",
    "j'ai des crises d'angoisse au travail, je tiens plus",
    "je suis à bout, les dettes s'accumulent et je craque",
    "depuis des mois je déprime, je sors plus de chez moi",
    "j'ai 15 ans et mes parents me frappent, je sais pas quoi faire",
    "je suis en 3e et je me sens nul, tout le monde se moque de moi",
    "ma vie part en vrille, j'ai plus la force de me lever le matin",
]
RIGHTS = [
    (
        "je savais pas que j'avais droit à la prime d'activité",
        "prime_activite",
        "non_connaissance",
    ),
    (
        "les apl ont baissé et je n'ai jamais fait de demande",
        "aides_logement",
        "non_demande",
    ),
    (
        "j'ai fait mon dossier RSA il y a 4 mois et toujours rien",
        "rsa",
        "non_reception",
    ),
    ("c'est quoi le RSA, j'y ai droit sans travail ?", "rsa", "non_connaissance"),
    (
        "la CAF a refusé mes aides au logement sans explication",
        "aides_logement",
        "non_reception",
    ),
    (
        "je touche pas la prime d activiter alors que je suis au smic",
        "prime_activite",
        "non_connaissance",
    ),
    ("j'ose pas demander l'AAH, trop de paperasse à la MDPH", "aah", "non_demande"),
    ("mon dossier AAH est bloqué depuis un an à la MDPH", "aah", "non_reception"),
    (
        "depuis mon divorce la caf n'a jamais recalculé mes apl, personne m'a rien dit",
        "aides_logement",
        "non_proposition",
    ),
    (
        "ma mère a 70 ans et sa caisse de retraite lui a jamais parlé de l'aspa",
        "aspa",
        "non_proposition",
    ),
]
NEUTRAL = [
    "super match hier soir, quelle ambiance au stade",
    "quelqu'un connaît une bonne recette de tarte aux pommes ?",
    "mort de rire cette vidéo de chat, je m'en remets pas",
    "je vais mourir de rire avec vos commentaires",
    "on part en vacances en Bretagne la semaine prochaine",
    "le nouveau film est pas mal, un peu long quand même",
    "vous conseillez quel téléphone pour moins de 300 euros ?",
    "ma plante verte a enfin fait une fleur, trop contente",
    "je me tue à la tâche pour ce projet mais ça avance",
    "les travaux de la rue sont finis, enfin du calme",
    "quel temps magnifique aujourd'hui sur Lyon",
    "j'ai fini le livre, la fin est géniale",
]
#: Posts with crisis words and no distress (hyperbole, gaming, jokes).
HARD_NEGATIVES = [
    "le PSG va me tuer, encore un but encaissé à la 93e",
    "ce boss m'a tué 12 fois, je vais jeter la manette",
    "JE SUIS MORT DE RIRE 😂😂 mon chat a raté le frigo",
]


def make_examples() -> list[Example]:
    out = [Example(t, distress=1, crisis=1, rights=0, minor=0) for t in CRISIS]
    out += [
        Example(t, distress=1, crisis=0, rights=0, minor=int(i >= 5))
        for i, t in enumerate(DISTRESS)
    ]
    out += [
        Example(
            t,
            distress=0,
            crisis=0,
            rights=1,
            minor=0,
            rights_topics=(r,),
            non_recours_form=f,
        )
        for t, r, f in RIGHTS
    ]
    out += [
        Example(t, distress=0, crisis=0, rights=0, minor=0)
        for t in NEUTRAL + HARD_NEGATIVES
    ]
    return out


@pytest.fixture(scope="session")
def examples() -> list[Example]:
    return make_examples()


@pytest.fixture(scope="session")
def hard_negatives() -> list[str]:
    return list(HARD_NEGATIVES)


@pytest.fixture(scope="session")
def fitted(examples) -> MaraudeClassifier:
    """A model fitted on the small dataset with the FakeEmbedder."""
    model = MaraudeClassifier(embedder=FakeEmbedder(dim=32), cv=3, n_neighbors=2)
    return model.fit([e.text for e in examples], examples)


@pytest.fixture
def seed_file(tmp_path, examples) -> Path:
    """The small dataset as a seed-format JSON Lines file."""
    import json

    path = tmp_path / "seed.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for e in examples:
            row = {
                "text": e.text,
                "distress": e.distress,
                "crisis": e.crisis,
                "rights": e.rights,
                "minor": e.minor,
                "rights_topics": list(e.rights_topics),
                "non_recours_form": e.non_recours_form,
                "style": "test",
                "group": "t",
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path
