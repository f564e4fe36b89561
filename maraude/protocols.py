"""The protocols a lead calls for: which numbers to give, for which situation (#16).

A lead's situation is read from what the classifier stored (its ``labels``, the
``minor`` flag, the lexicon's rule families in ``explanation.lexicon_rules`` and
the rights it named) and from a few plain words of the post itself, read here and
never logged or stored:

=================  ===============================  ========================
protocol           when                             numbers
=================  ===============================  ========================
``suicide``        suicidal words, or a crisis       3114 (15/112 if danger)
                   with no other danger named
``violence``       violence or threats               17 / 112, 3919, SMS 114
``minor_danger``   a minor, in crisis or violence    119
``danger``         other immediate danger            15 / 112
``shelter``        nowhere to sleep tonight          115 (any lead)
=================  ===============================  ========================

A violence post gets 17 and 3919, and 3114 only when suicidal words are present.
Each protocol has a box for the worker (``box``, our own fixed markdown) and one
sentence woven into the reply draft (``draft``), which still answers the person.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Protocol:
    """One protocol: its id, the box beside the draft, the sentence in the draft."""

    id: str
    title: str
    box: str
    draft: str
    numbers: tuple[str, ...]


PROTOCOLS: dict[str, Protocol] = {
    p.id: p
    for p in (
        Protocol(
            "suicide",
            "Idées suicidaires : 3114",
            "- **3114** : prévention du suicide, gratuit, 24 h/24, pour la personne, "
            "ses proches, et vous.\n"
            "- Passage à l'acte annoncé (moyen, lieu, moment) : **15** ou **112**, et "
            "signalez le message avec l'outil de la plateforme.\n"
            "- Ne restez pas seul·e avec ce message : transmettez à un·e responsable.",
            "Si vous pensez au suicide : le 3114, gratuit, jour et nuit ; en danger "
            "immédiat, le 15 ou le 112.",
            ("3114", "15", "112"),
        ),
        Protocol(
            "violence",
            "Violences : 17 / 112, 3919, SMS 114",
            "- Danger immédiat : **17** (police) ou **112** ; **114** par SMS pour "
            "qui ne peut pas parler.\n"
            "- **3919** : violences faites aux femmes et conjugales, gratuit, anonyme, "
            "24 h/24.\n"
            "- L'agresseur peut lire le fil : rien qui le mette en danger, pas de "
            "détail de lieu dans la réponse.",
            "En danger : le 17 ou le 112, ou un SMS au 114. Le 3919 écoute les "
            "victimes de violences, gratuit et anonyme, jour et nuit.",
            ("17", "112", "114", "3919"),
        ),
        Protocol(
            "minor_danger",
            "Mineur·e en danger : 119",
            "- **119** : enfance en danger, gratuit, 24 h/24 ; la personne peut "
            "appeler elle-même, vous pouvez aussi le faire.\n"
            "- Fil Santé Jeunes **0 800 235 236** (gratuit, anonyme).\n"
            "- Pas de conversation privée : répondez publiquement.",
            "Le 119 aide les jeunes en danger, jour et nuit ; Fil Santé Jeunes : "
            "0 800 235 236.",
            ("119",),
        ),
        Protocol(
            "danger",
            "Danger immédiat : 15 / 112",
            "- **15** (SAMU) ou **112** avec ce que vous savez : plateforme, lien du "
            "message, ce qui est écrit, lieu cité.\n"
            "- **114** par SMS pour qui ne peut pas parler.",
            "En danger immédiat, appelez le 15 ou le 112 (SMS au 114).",
            ("15", "112"),
        ),
        Protocol(
            "shelter",
            "Sans solution pour dormir : 115",
            "- **115** : hébergement d'urgence, gratuit, 24 h/24 ; rappeler chaque "
            "jour si aucune place ce soir.\n"
            "- Accueils de jour et maraudes : le CCAS ou le 115 les indiquent.",
            "Sans endroit où dormir ce soir : le 115, gratuit, jour et nuit.",
            ("115",),
        ),
    )
}

# Lexicon rules (classifier.lexicon) that name immediate danger to the body
# rather than only ideas: a medical emergency too.
_DANGER_RULES = {"overdose", "overdose_other", "took_pills", "preparation", "jump"}
_VIOLENCE_RULES = {"threat"}

# Plain words, matched on folded text (lower case, no accents, apostrophes as
# spaces): enough to tell violence from suicide and to hear "nowhere to sleep".
# "mourir de rire", "crever de faim": hyperbole, never a protocol.
_NOT_HYPERBOLE = (
    r"(?!\s+(?:de|d)\s+(?:rire|honte|chaud|froid|faim|soif|fatigue|ennui|peur"
    r"|stress|impatience))"
)
_DEATH_WISH = (
    r"\b(?:envie|j?veux|j?veu|voudrais)\s+(?:de?\s+)?(?:mourir|crever|disparaitre)\b"
    + _NOT_HYPERBOLE
)
_STRICT_SUICIDE = re.compile(
    r"\bsuicid\w*|\ben\s+finir\b|\bmettre\s+fin\s+a\s+mes\s+jours\b|"
    + _DEATH_WISH
    + r"|\bje\s+vais\s+me\s+tuer\b|\bplus\s+envie\s+de\s+vivre\b"
)
_SUICIDE = re.compile(
    _STRICT_SUICIDE.pattern
    + r"|\b(?:vais|veux|envie\s+de)\s+me\s+tuer\b"
    + r"|\bme\s+(?:foutre|jeter)\s+en\s+l\s+air\b"
)
_VIOLENCE = re.compile(
    r"\bviolen(?:t|te|ts|tes|ce|ces)\b|\bme\s+(?:frappe|bat|tape|cogne|menace)\w*"
    r"|\bm\s+a\s+(?:frappee?|battue?|tapee?|etranglee?|menacee?|violee?)\b"
    r"|\b(?:frappe|battu|tabasse|viole|agresse)e?s?\s+par\b|\bm\s+a\s+agressee?\b"
    r"|\b(?:des|les|de)\s+coups\b(?!\s+de\s+(?:fil|main|pouce|coeur|soleil|boost))"
    r"|\b(?:il|elle)\s+(?:va|veut)\s+(?:me|nous)\s+tuer\b"
    r"|\b(?:m|nous)\s+(?:a\s+)?enferme\w*"
    r"|\bemprise\b|\bharcel\w*"
)
_SHELTER = re.compile(
    r"\b(?:(?:suis|sommes|dors|dort|dormons)\s+a\s+la\s+rue|a\s+la\s+rue\s+depuis"
    r"|sans\s+abri|sdf|dors?\s+(?:dehors|dans\s+(?:la\s+rue|ma"
    r"\s+voiture|la\s+voiture|un\s+parking|une\s+gare))|nulle\s+part\s+ou\s+dormir"
    r"|pas\s+d\s+endroit\s+ou\s+dormir|ou\s+dormir\s+ce\s+soir"
    r"|(?:mis|mise|jete|jetee|vire|viree)\s+dehors|expulse\w*\s+ce\s+soir)\b"
)
_DANGER = re.compile(
    r"\b(?:j\s+ai\s+avale|je\s+saigne|malaise|je\s+n\s+arrive\s+plus\s+a\s+respirer"
    r"|overdose)\b"
)


def fold(text: str) -> str:
    """Lower case, no accents, apostrophes and hyphens as spaces."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"['’`\-]", " ", text)


def _rules(lead: Mapping[str, Any]) -> set[str]:
    explanation = lead.get("explanation")
    found = explanation.get("lexicon_rules") if isinstance(explanation, dict) else []
    return {str(r) for r in found or ()}


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value or ()]


def situation_types(lead: Mapping[str, Any]) -> list[str]:
    """The protocol ids a lead calls for, in :data:`PROTOCOLS` order.

    ``lead``: a lead as ``maraude.db`` returns it (``labels``, ``crisis``,
    ``minor``, ``rights_topics``, ``explanation``, ``title``, ``text``).
    """
    rules = _rules(lead)
    crisis_rules = {r.split(":", 1)[1] for r in rules if r.startswith("crisis:")}
    text = fold(f"{lead.get('title') or ''}\n{lead.get('text') or ''}")
    labels = _list(lead.get("labels"))
    crisis = "crisis" in labels or lead.get("crisis") == 1
    violence = bool(crisis_rules & _VIOLENCE_RULES) or bool(_VIOLENCE.search(text))
    # "il va me tuer" is a threat, not the writer's wish to die: next to violence,
    # only unambiguous suicidal words (or a suicide rule of the lexicon) count.
    # Words alone count only in a lead the model found in distress: "le PSG va
    # me tuer" in a football thread is no crisis.
    troubled = crisis or "distress" in labels
    suicide = bool(crisis_rules - _VIOLENCE_RULES) or (
        troubled and bool((_STRICT_SUICIDE if violence else _SUICIDE).search(text))
    )
    danger = bool(crisis_rules & _DANGER_RULES) or bool(_DANGER.search(text))
    if crisis and not (suicide or violence or danger):
        suicide = True  # the crisis label without a named danger: ideation first
    topics = _list(lead.get("rights_topics"))
    shelter = (
        "hebergement_urgence" in topics
        or "right:hebergement_urgence" in rules
        or bool(_SHELTER.search(text))
    )
    minor_danger = bool(lead.get("minor")) and (crisis or violence or danger)
    found = {
        "suicide": suicide,
        "violence": violence,
        "minor_danger": minor_danger,
        "danger": danger and not suicide,
        "shelter": shelter,
    }
    return [name for name in PROTOCOLS if found[name]]


def protocols_for(lead: Mapping[str, Any]) -> list[Protocol]:
    """The :class:`Protocol` boxes for a lead (see :func:`situation_types`)."""
    return [PROTOCOLS[name] for name in situation_types(lead)]
