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


@pytest.mark.parametrize(
    ("text", "phrase", "folded_phrase"),
    [
        ("Un œuf, une ﬁn, un été", "été", "ete"),  # "œ" and "ﬁ" grow when folded
        ("e\u0301te\u0301 fini, Ça va", "Ça", "ca"),  # combining accents vanish
        ("tout va bien", "bien", "bien"),  # one character each: a plain range
    ],
)
def test_fold_with_map_stays_aligned_when_lengths_change(text, phrase, folded_phrase):
    folded, index = fold_with_map(text)
    assert folded == fold(text)
    assert len(index) == len(folded)
    start = folded.rindex(folded_phrase)
    assert original_span(text, index, start, start + len(folded_phrase)) == phrase


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


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("je pense au suicide depuis des semaines", "suicide_thoughts"),
        ("j'ai plus envie d'être là", "no_longer_alive"),
        ("je veux plus vivre", "no_longer_alive"),
        ("demain je ne serai plus là", "not_here"),
        ("je voudrais m’endormir pour de bon", "sleep_forever"),
        ("adieu tout le monde", "goodbye"),
        ("ne cherchez pas à me retrouver", "goodbye"),
        ("dites à mes parents que je les aimais", "goodbye"),
        ("j'ai mis de côté les cachets", "preparation"),
        ("j'ai pris tous mes cachets", "took_pills"),
        ("il a menacé de me tuer", "threat"),
        ("il hurle qu'il va nous tuer", "threat"),
        ("je me coupe depuis des mois", "cutting"),
        ("à quoi bon continuer", "what_for"),
        ("ma famille serait plus heureuse sans moi", "burden_more"),
        ("j'ai envie de me laisser mourir", "method_more"),
        ("je me brûle les poignets le soir", "self_harm_body"),
        ("mes bras ressemblent à un code barre", "self_harm_body"),
        ("fatigué d'exister, vraiment", "no_will_to_live"),
        ("je vois plus l'intérêt de vivre", "no_point"),
        ("jsuis sur les rails derrière le dépôt", "on_the_edge"),
        ("ma coloc a pris tous ses cachets", "overdose_other"),
        ("j'ai pensé à sauter sous un train", "under_train"),
        ("il a menacé mes enfants avec la ceinture", "threat"),
        ("il essaie de défoncer la porte", "threat"),
    ],
)
def test_indirect_crisis_wordings(text, rule):
    assert rule in [h.rule for h in crisis_hits(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Le PSG va me tuer, j'en peux plus de ces fins de match",
        "Ce boss m'a tué 12 fois, je vais craquer",
        "JE SUIS MORT DE RIRE 😂😂",
        "ma mère va me tuer si elle voit mes notes",
        "adieu tout le monde, on se revoit mercredi",
        "le serveur ferme ce soir, adieu les amis",
        "quand je ne serai plus là, qui s'occupera de mon fils ?",
        "après 18h je serai plus là, passe avant",
        "je veux plus vivre chez mes parents",
        "je me coupe les cheveux moi-même",
        "je me brûle souvent en cuisinant",
        "j'ai envie de me jeter par la fenêtre tellement ce cours est nul",
        "j'ai préparé les médocs de ma mère pour la semaine",
        "Je donne : canapé, table et 4 chaises, j’en aurai plus besoin",
        "des idées de suicide chez les ados : conférence jeudi",
        "je me coupe les cheveux moi-même depuis le confinement",
        "je me suis brûlé le bras en sortant le gratin du four",
        "le TER est resté bloqué sur les rails une heure",
        "pique-nique au bord du lac dimanche",
        "ce projet de loi n'a aucun sens",
        "le livreur tente de forcer le passage au portail",
    ],
)
def test_hard_negatives_are_not_crisis_phrases(text):
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


# The lexicon is a floor for EXPLICIT PRESENT-TENSE wording only (issue #12).
@pytest.mark.parametrize(
    "text",
    [
        "jveux mourir",
        "je vais me foutre en l'air ce soir",
        "Je suis enfermée avec ma fille, il tape dans la porte en disant qu'il va me "
        "tuer",
        "ce soir j'ai envie d'en finir, j'ai mis de côté les cachets",
        "il y a dix ans j'allais mieux, mais ce soir je veux mourir",
        "ma fille m'a écrit « je veux en finir » il y a une heure, elle répond plus",
        "si je n'étais plus là ils auraient la paix",
        "hier j'allais me foutre en l'air, j'y pense encore",
        "je me scarifie depuis des semaines",
        "mon cousin a fait une TS cette nuit, il rentre demain de l'hôpital",
        "je sais que je dois appeler le 3114 mais j'ai des idées suicidaires ce soir",
    ],
)
def test_present_wording_still_fires(text):
    assert crisis_hits(text)


@pytest.mark.parametrize(
    "text",
    [
        # Past experience, told later.
        "j'ai pensé au suicide il y a dix ans, une seule fois",
        "j'avais 15 ans quand l'idée de me suicider m'est venue pour la première fois",
        "à l'époque je voulais mourir, je ne voyais pas d'issue",
        "J'ai voulu mourir, un soir de novembre. Aujourd'hui je vais mieux.",
        "Au lycée je me scarifiais les bras en cachette, c'est derrière moi.",
        "plus jeune, j'avais envie de mourir tous les matins",
        # Quotes of someone else, prevention material, generic wording.
        "les personnes qui pensent au suicide disent souvent « je veux mourir »",
        "si vous avez des idées suicidaires, appelez le 3114",
        "Rappel de la modération : idées suicidaires ? Composez le 3114.",
        "il y a cinq ans j'ai fait une TS, aujourd'hui je vais bien",
        "Le héros du film répète « je vais me foutre en l'air » à chaque scène",
        "Lorsqu'on a envie d'en finir avec la vie, il faut en parler à un médecin",
        "tu veux en finir, mais tu penses à tes enfants (refrain)",
        # Negation.
        "je n'ai pas envie de mourir, j'ai envie que ça s'arrange",
        "ça fait six mois que j'ai plus d'idées noires",
        # Fiction announced at the top.
        "Fanfic — chapitre 3. Elle le trouva assis sur le parapet, il voulait en finir",
        # Not a drug: days off.
        "j'ai pris tous mes congés et mes RTT pour m'occuper d'elle",
    ],
)
def test_past_quoted_and_prevention_wording_does_not_fire(text):
    assert crisis_hits(text) == []


@pytest.mark.parametrize(
    "text",
    [
        # A topic named with an article, nobody speaking of themselves.
        "Les idées noires restent un sujet tabou dans les entreprises.",
        "Dossier : la scarification chez les collégiens, un phénomène sous-estimé.",
        # A phrase mentioned, then commented on.
        "« J'ai envie de mourir. » Cette phrase, les soignants l'entendent souvent.",
        # A generic subject with its verb: "qu'on a envie de…".
        "Quand la fatigue dure, qu'on ne dort plus, qu'on a envie d'en finir avec la"
        " vie, il faut consulter.",
        # Negated from the front.
        "Jamais je n'aurais cru penser à me suicider un jour pour un examen raté.",
        # Past told with "quand je n'avais…", or reported in the pluperfect.
        "La scarification servait de punition quand je n'avais pas de bonnes notes.",
        "Mon colocataire m'avait confié ses idées suicidaires, il va bien depuis.",
        # An infinitive defined with "c'est de…", nobody speaking of themselves.
        "Disparaître pour toujours, c'est d'abord une image qui hante la littérature.",
        # Death imagery, negated or about someone else's death, or hyperbole.
        "Depuis la thérapie je ne pense plus du tout à la mort.",
        "Je pense souvent à la mort de ma grand-mère, elle me manque.",
        "Je me vois mourir de rire devant ce sketch.",
        # Death imagery in a story whose writer is well now.
        "Cet hiver-là je pense à la mort chaque matin. Aujourd'hui je suis en forme.",
        # The writer quoting their own words of long ago.
        "À sept ans, pour un plat de brocolis, j'ai crié « je vais me suicider ».",
    ],
)
def test_topics_mentions_and_old_words_do_not_fire(text):
    assert crisis_hits(text) == []


@pytest.mark.parametrize(
    "text",
    [
        # The same shapes, the writer speaking now.
        "Les idées suicidaires sont revenues cette semaine et j'ai peur de moi.",
        "J'ai des idées noires tous les soirs depuis le licenciement.",
        "La scarification, je n'arrive pas à arrêter, je me suis coupée hier.",
        "J'ai envie de mourir. Personne ne répond à mes messages.",
        "Ma sœur m'a écrit « je veux mourir » il y a une heure, elle ne répond plus.",
        "on a rompu hier et j'ai envie d'en finir",
        "jpense à me pendre, c'est pas une blague cette fois",
        # Thoughts and images of one's own death, passive wishes.
        "Je m'imagine morte dans mon lit et ça me soulage.",
        "je pense tout le temps à la mort ces jours-ci",
        "Le soir je me vois me jeter du balcon.",
        "J'espère qu'un camion pourrait me faucher en rentrant.",
    ],
)
def test_present_wording_with_those_shapes_still_fires(text):
    assert crisis_hits(text) != []
