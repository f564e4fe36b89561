"""Who speaks, and when, around a crisis-lexicon hit.

The crisis lexicon (:mod:`classifier.lexicon`) is a floor for EXPLICIT
PRESENT-TENSE wording. A phrase such as "je veux mourir" is not a crisis when it
is

- told in the past: "il y a dix ans je voulais mourir", "j'avais 15 ans quand
  l'idée de me suicider…", "à l'époque", or a story whose writer says they are
  better now ("aujourd'hui je vais mieux");
- someone else's words in quotation marks (« … », “ … ”, "…"), unless a close one
  is quoted ("ma fille m'a écrit « je veux mourir »": a close one's current danger
  is still a crisis);
- prevention material or generic wording: "si vous avez des idées suicidaires",
  "les personnes qui pensent au suicide disent souvent…", "appelez le 3114".

:func:`reportable` tells which hits stay. It works on the folded text
(:func:`classifier.text.fold`) and only runs where a rule matched, so it costs
nothing on the posts without a hit (the hot path).
"""

from __future__ import annotations

import re

__all__ = ["reportable"]

_SENTENCE_END = re.compile(r"[.!?;\n…]+")

_NUMBER = (
    r"(?:\d+|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze"
    r"|vingt|trente|plusieurs|quelques|des|bien\s+des|de\s+nombreuses)"
)
# Distant past in the hit's sentence: "il y a dix ans", "à l'époque", "quand
# j'avais 15 ans", "à 16 ans", "pendant mon adolescence", "en 2009".
_PAST = re.compile(
    r"\bil\s+y\s+a\s+" + _NUMBER + r"\s+(?:ans|annees|decennies|mois)\b"
    r"|\ba\s+(?:l|cette)\s+epoque\b|\bautrefois\b|\bjadis\b|\bdans\s+le\s+passe\b"
    r"|\b(?:quand|lorsque|lorsqu)\s+(?:j|je)\s+(?:n\s+|ne\s+)?(?:etais|avais)\b"
    r"|\bj\s+avais\s+\d+\s*ans\b|\b(?:a|vers)\s+\d+\s*ans\s*,?\s+(?:je|j|on)\b"
    r"|\bcette\s+annee\s+la\b"
    r"|\b(?:pendant|durant)\s+(?:mon|ma|mes)\s+(?:adolescence|jeunesse|enfance"
    r"|annees)\b|\bplus\s+jeune\b|\ben\s+(?:19|20)\d\d\b|\bans\s+plus\s+tard\b"
    r"|\b(?:ado|adolescente?|etudiante?|gamine?)\s*,\s*(?:je|j)\b"
    # Words reported in the pluperfect: "elle m'avait confié ses idées…".
    r"|\b(?:m|l|il|elle|ils|elles)\s+(?:avait|avaient)\s+(?:\w+\s+)?(?:demande|dit"
    r"|ecrit|confie|avoue|parle|raconte|explique)\b"
)
# The hit's own verb in a past tense: "je voulais mourir", "j'avais envie d'en
# finir", "je pensais au suicide", "j'ai voulu mourir".
_PAST_VERB = re.compile(
    r"(?<!si\s)\b(?:je|j)\s+(?:ne\s+|n\s+)?(?:\w+\s+)?(?:voulais|pensais|avais"
    r"|etais|revais|souhaitais|songeais|disais|me\s+disais)\b"
    r"(?!\s+(?:juste|simplement|vous|te|seulement)\b)"
    r"|\bj\s+(?:ai|avais)\s+(?:\w+\s+)?(?:voulu|souhaite|songe|failli|eu\s+envie"
    r"|eu\s+des|eu\s+l\s+idee|ete\s+suicidaire)\b"
)
# The hit itself in the imperfect: "je me scarifiais", "je me coupais" (not the
# conditional "je voudrais", not "jamais").
_IMPERFECT = re.compile(
    r"(?<!si\s)\b(?:je|j)\s+(?:me\s+|m\s+)?(?!jamais\b|mais\b|allais\b)\w+[^r\W]ais\b"
)
# Negated: "je n'ai pas envie de mourir", "plus d'idées noires", "l'envie de
# mourir n'est plus là".
_NEGATED_BEFORE = re.compile(
    r"(?:\b(?:n|ne)\s+(?:\w+\s+){0,2}(?:pas|jamais|plus)\s+(?:\w+\s+){0,2}?"
    r"(?:d\s+|de\s+)?"
    r"|\b(?:pas|jamais|sans|plus|aucune?)\s+d\s+"
    r"|\bjamais\s+(?:je|j)\s+(?:ne\s+|n\s+)(?:\w+\s+){0,4})$"
)
# Someone else as the subject: "tu veux en finir" (a song, a reply), "on".
_OTHER_SUBJECT = re.compile(
    r"\b(?:tu|t|vous|on|qu\s+on|l\s+on)\s+(?:ne\s+|n\s+)?"
    r"(?:(?:a|as|avez|avait|aviez|veut|veux|voulez|pense|penses|pensez|ressent"
    r"|ressens|ressentez|eprouve|eprouves|eprouvez)\s+)?$"
)
# A phrase mentioned rather than used: "« j'ai envie de mourir » : cette phrase,
# on l'entend souvent", "ces mots-là reviennent".
_MENTION = re.compile(
    r"\W{0,6}(?:\w+\W+){0,3}?(?:cette|ces)\s+(?:phrases?|mots|paroles|expressions?)\b"
)
# A definition: "disparaître pour toujours, c'est entrer dans…" (an infinitive
# as the subject of "c'est", nobody speaking of themselves).
_DEFINITION = re.compile(r"\W{0,4}(?:\w+\W+){0,3}?c\s+est\s+(?:d\s+|de\s+)\w+")
# A noun hit ("les idées noires", "la scarification", "ses idées suicidaires")
# after a determiner: a topic, unless the writer is in the sentence.
_NOUN_HIT = re.compile(
    r"(?:idees|pensees|envies|tendances|scarification|automutil|auto\s+mutil)"
)
_DETERMINER = re.compile(r"\b(?:les|la|l|le|des|aux|du|de|d|contre)\s+$")
TOPIC_WINDOW = 160  # characters around a noun hit where the writer must appear
# The writer quoting their own past words: "j'ai dit « … »", "je lui ai crié : « … »".
_OWN_PAST_SPEECH = re.compile(
    r"\b(?:j\s+ai|je\s+(?:lui|leur|t|vous)\s+ai|j\s+avais)\s+(?:\w+\s+){0,2}?(?:dit"
    r"|crie|hurle|ecrit|repondu|lance|repete)\s*:?\s*$"
)
_NEGATED_AFTER = re.compile(r"^\s*(?:n|ne)\s+(?:\w+\s+)?(?:plus|pas|jamais)\b")
# Now: overrides a past marker in the same sentence ("à l'époque j'allais bien,
# mais ce soir je veux mourir").
_NOW = re.compile(
    r"\b(?:ce\s+soir|cette\s+nuit|ce\s+matin|maintenant|en\s+ce\s+moment"
    r"|aujourd\s+hui|actuellement|depuis\s+(?:hier|quelques|des|deux|trois|ce)"
    r"|hier|tout\s+a\s+l\s+heure|cette\s+semaine|encore\s+(?:aujourd|maintenant)|de\s+nouveau|a\s+nouveau|je\s+recommence)\b"
)
# The writer says the dark time is over: the whole text is a past story.
_RECOVERED = re.compile(
    r"\b(?:aujourd\s+hui|desormais|maintenant),?\s+(?:je\s+vais|ca\s+va|tout\s+va"
    r"|je\s+suis)\s+(?:\w+\s+)?(?:mieux|bien|en\s+bonne\s+sante|en\s+forme)\b|\bje\s+m\s+en\s+suis\s+(?:sorti|sortie)\b"
    r"|\bc\s+est\s+(?:derriere\s+moi|du\s+passe)\b|\bj\s+ai\s+survecu\b"
    r"|\bje\s+suis\s+(?:guerie?|sortie?\s+d\s+affaire)\b"
)
# Prevention material, generic subjects, advice to the reader.
_GENERIC = re.compile(
    r"\bsi\s+(?:vous|tu|t|quelqu\s+un|une\s+personne|un\s+proche|votre|ton|ta)\b"
    r"|\b(?:les|des|certaines|ces|de\s+nombreuses)\s+personnes\s+(?:qui|en)\b"
    r"|\b(?:une|la|toute)\s+personne\s+qui\b(?!\s+me\b)|\bquelqu\s+un\s+qui\b"
    r"|\b(?:lorsqu|quand|si)\s+on\b|\bqui\s+(?:evoquent|evoque|parlent|expriment|decrivent)\b|\ben\s+cas\s+d\b"
    r"|\bdisent\s+souvent\b|\bpeuvent\s+(?:dire|exprimer|penser)\b"
)
# Advice and prevention words: they mark prevention material unless the writer
# speaks of themselves in the same sentence ("je sais que je dois appeler le 3114
# mais…" is a crisis).
_ADVICE = re.compile(
    r"\b(?:appelez|composez|contactez|appeler\s+le|appelle\s+le)\b|\b3114\b"
    r"|\bsignes?\s+(?:d\s+alerte|avant\s+coureurs?)\b|\bfacteurs?\s+de\s+risque\b"
    r"|\bprevention\s+du\s+suicide\b"
)
_PREVENTION_DOC = re.compile(
    r"\b3114\b|\bprevention\s+du\s+suicide\b|\bsignes?\s+d\s+alerte\b"
    r"|\bfacteurs?\s+de\s+risque\b|\bnumero\s+(?:national|vert)\b|\bsos\s+amitie\b"
    r"|\bsuicide\s+ecoute\b|\bligne\s+d\s+ecoute\b|\bsi\s+vous\s+(?:avez|etes"
    r"|pensez|ressentez)\b|\bparlez\s+en\b"
)
# Fiction announced at the top: "Fanfic —", "[Scène de théâtre]", "ma nouvelle
# pour l'atelier d'écriture", "extrait de mon roman", "poème :".
_FICTION = re.compile(
    r"\b(?:fanfic|fanfiction|scene\s+de\s+theatre|acte\s+[ivx\d]+|chapitre\s+\d+"
    r"|(?:ma|une|cette)\s+nouvelle\b|atelier\s+d\s+ecriture|(?:mon|un|du)\s+roman"
    r"|poeme|slam|paroles\s+de|couplet|refrain|extrait\s+de|il\s+etait\s+une\s+fois)"
)
FICTION_HEAD = 160  # characters at the top of a text where fiction is announced
_FIRST_PERSON = re.compile(r"\b(?:je|j|moi|me|m|mon|ma|mes|jveux|jsuis|chui)\b")
_CLOSE_ONE = re.compile(
    r"\b(?:mon|ma|mes|notre|nos)\s+(?:petite?\s+)?(?:fils|fille|filles|enfants?"
    r"|ami|amie|amis|meilleure?\s+amie?|copain|copine|pote|frere|soeur|mere|pere"
    r"|maman|papa|mari|femme|compagne|compagnon|conjointe?|coloc|cousine?|neveu"
    r"|niece|eleve|ado|gamine?|grand\s+mere|grand\s+pere)\b"
    r"|\b(?:il|elle)\s+(?:m|me)\s+(?:a\s+)?(?:dit|ecrit|envoye|crie|repete)\b"
)
_SELF = re.compile(r"\b(?:je|j|jveux|jsuis|jpense|jvais|jpeux|chui|chuis)\b")
_OPEN = {"«": "»", "“": "”", "‹": "›"}


def _sentence(folded: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of the sentence holding ``folded[start:end]``."""
    left = 0
    for m in _SENTENCE_END.finditer(folded, 0, start):
        left = m.end()
    right = _SENTENCE_END.search(folded, end)
    return left, (right.start() if right else len(folded))


def _quote_start(folded: str, start: int) -> int | None:
    """Where the quotation holding position ``start`` opens (None: not quoted)."""
    para = folded.rfind("\n", 0, start) + 1
    depth_at: int | None = None
    for i in range(para, start):
        c = folded[i]
        if c in _OPEN:
            depth_at = i
        elif c in _OPEN.values():
            depth_at = None
    if depth_at is not None:
        return depth_at
    straight = [i for i in range(para, start) if folded[i] == '"']
    return straight[-1] if len(straight) % 2 else None


def _quoted_other(folded: str, start: int, sent_start: int) -> bool:
    """In quotation marks, and not the words of a close one."""
    opened = _quote_start(folded, start)
    if opened is None:
        return False
    lead = folded[max(0, opened - 200) : opened]
    if _OWN_PAST_SPEECH.search(lead):
        return True
    return _CLOSE_ONE.search(lead) is None


def reportable(folded: str, start: int, end: int) -> bool:
    """Whether the hit ``folded[start:end]`` is the writer's present wording."""
    if _FICTION.search(folded, 0, FICTION_HEAD):
        return False
    s0, s1 = _sentence(folded, start, end)
    sentence = folded[s0:s1]
    if _quoted_other(folded, start, s0):
        return False
    if _NEGATED_BEFORE.search(folded, max(s0, start - 40), start) or (
        _NEGATED_AFTER.match(folded[end : end + 30])
    ):
        return False
    if _OTHER_SUBJECT.search(folded, max(s0, start - 12), start):
        return False
    if _GENERIC.search(sentence):
        return False
    if _MENTION.match(folded, end, end + 80):
        return False
    if _DEFINITION.match(folded, end, s1) and not _SELF.search(sentence):
        return False
    if (
        _NOUN_HIT.match(folded, start)
        and _DETERMINER.search(folded, max(s0, start - 12), start)
        and not _FIRST_PERSON.search(
            folded, min(s0, max(0, start - TOPIC_WINDOW)), s1 + TOPIC_WINDOW
        )
    ):
        return False
    if _ADVICE.search(sentence) and not _SELF.search(sentence):
        return False
    if _PREVENTION_DOC.search(folded) and not _FIRST_PERSON.search(sentence):
        return False
    now = _NOW.search(sentence) is not None
    if not now and _PAST.search(sentence):
        return False
    before = folded[max(s0, start - 40) : end]
    if not now and (
        _PAST_VERB.search(before) or _IMPERFECT.search(folded, max(s0, start - 12), end)
    ):
        return False
    return now or _RECOVERED.search(folded) is None
