"""Where a post says the person lives, and the local doors there.

``resolve_place(text)`` finds, in informal French, a postcode ("93200", "20090"),
a commune ("jsuis sur marseille", "a st denis"), a département name ("Seine St
Denis", "dans le Nord") or number ("dans le 93", "le 9-3") and returns its
département; ``local_doors(code)`` gives that département's CAF, council, and
pointers to the Mission locale, France Services and the CCAS. The directory is
data in ``config/places/`` (README there). Text is folded first (lower case, no
accents, "st" → "saint"); names that are also words ("la Somme", "Nice") count
only after a place word ("dans la Somme", "à Nice").
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from maraude.catalogue_common import PLACES_DIR
from maraude.errors import ConfigError
from maraude.place_directory import (
    Commune,
    Departement,
    Directory,
    check_directory,
    fold,
    load_directory,
    postcode_departement,
)

# The directory's names are re-exported: callers need only this module.
__all__ = [
    "ANNUAIRE_URL",
    "CAF_URL",
    "FRANCE_SERVICES_URL",
    "PLACES_DIR",
    "Commune",
    "Departement",
    "Directory",
    "Place",
    "check_directory",
    "departement_names",
    "departement_of",
    "fold",
    "load_directory",
    "local_doors",
    "postcode_departement",
    "resolve_place",
]

CAF_URL = "https://www.caf.fr/"
FRANCE_SERVICES_URL = "https://www.france-services.gouv.fr/"
ANNUAIRE_URL = "https://lannuaire.service-public.fr/"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Place:
    """A place found in a text. ``kind`` says what was found."""

    departement: str
    departement_name: str
    commune: str | None = None
    postcode: str | None = None
    kind: str = "commune"  # "postcode", "commune" or "departement"
    ambiguous: bool = False  # e.g. Saint-Denis (93 or 974) with no other clue

    @property
    def label(self) -> str:
        """What to call the place in a reply: the commune, else the département."""
        return self.commune or self.departement_name

    def as_dict(self) -> dict[str, Any]:
        """The place as a plain dict, with its ``label``."""
        return {**asdict(self), "label": self.label}


# --- postcodes ---------------------------------------------------------------

_POSTCODE = re.compile(r"(?<![\d.,€$])(\d{5})(?![\d]|[.,]\d)")
# A 5-digit number followed by one of these is an amount, a count or a duration.
_NOT_AFTER = re.compile(
    r"\s*(?:€|\$|e\b|eur\b|euros?\b|k\b|balles\b|boules\b|dollars?\b|brut|net\b"
    r"|par an|par mois|/|habitants?\b|personnes?\b|km\b|m2\b|ans?\b|mois\b|jours?\b"
    r"|h\b|heures?\b|points?\b|abonnes\b|vues\b|fois\b|%)"
)
# ... and one of these before it is a currency or a file/phone/case number.
_NOT_BEFORE = re.compile(
    r"(?:€|\$|eur|euros?|n°|no|num|numero|ref|reference|dossier|allocataire|tel"
    r"|telephone|matricule|siret|siren|iban|compte)\s*[:#]?\s*$"
)


def _find_postcode(folded: str, d: Directory) -> Place | None:
    for m in _POSTCODE.finditer(folded):
        if _NOT_AFTER.match(folded, m.end()) or _NOT_BEFORE.search(folded[: m.start()]):
            continue
        pc = m.group(1)
        code = postcode_departement(pc)
        if code is None or code not in d.departements:
            continue
        town = d.by_postcode.get(pc)
        name = d.departements[code].name
        return Place(code, name, town.name if town else None, pc, kind="postcode")
    return None


# --- département numbers -----------------------------------------------------

_NUM = r"(0[1-9]|[1-8]\d|9[0-5]|2a|2b|97[1-46])(?!\d)"
_UNIT = (
    r"(?!\s*(?:e\b|eme|ieme|er\b|ans?\b|h\b|h\d|heures?|min|mn\b|€|euros?|eur\b|%"
    r"|kg|km|m2|jours?|mois|semaines?|fois|x\b|ou \d|a \d|au \d|et \d|/|:|[.,]\d"
    r"|janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre"
    r"|novembre|decembre))"
)
_STRONG = (
    r"(?:dans le|sur le|vers le|departement(?: du| de l| de la| de)?|dept|dpt|dep"
    r"|(?:suis|viens|originaire|habite|vis|vit) (?:du|dans le|en)|secteur(?: du)?)"
)
_DEP_NUMBER = [
    re.compile(rf"\b{_STRONG} {_NUM}{_UNIT}"),
    # "le 93", "du 59": only above 31, so never a date ("le 15", "du 12 au 20").
    re.compile(rf"\b(?:le|du|en) (3[2-9]|[4-8]\d|9[0-5]|97[1-46]){_UNIT}(?!\d)"),
    # "Bondy (93)".
    re.compile(rf"(?<!moi )(?<!age )\({_NUM}\)"),
]
_NEUF = {"un": "91", "deux": "92", "trois": "93", "quatre": "94", "cinq": "95"}
_SLANG = re.compile(
    r"\b(?:le|du|dans le|sur le|en) "
    r"(?:9 ?[. ] ?([1-5])|neuf (un|deux|trois|quatre|cinq))\b"
    r"(?! ?(?:e\b|eme|ans?\b|h\b|heures?|€|euros?))"
)
_ARRONDISSEMENT = re.compile(r"\b(?:dans|sur) le ([1-9]|1\d|20) ?(?:e|eme|ieme|er)\b")
_CORSICA = re.compile(r"\b(2a|2b)\b")


def _find_dep_numbers(folded: str) -> list[tuple[int, str]]:
    hits: list[tuple[int, str]] = []
    for pattern in _DEP_NUMBER:
        hits += [(m.start(), m.group(1).upper()) for m in pattern.finditer(folded)]
    for m in _SLANG.finditer(folded):
        hits.append((m.start(), "9" + m.group(1) if m.group(1) else _NEUF[m.group(2)]))
    if "corse" in folded:
        hits += [(m.start(), m.group(1).upper()) for m in _CORSICA.finditer(folded)]
    return sorted(hits)


# --- names -------------------------------------------------------------------

# A commune whose name is also a word ("Nice", "Tours") counts only after these.
_PLACE_WORD = re.compile(
    r"(?:\b(?:a|au|sur|vers|pres de|habite|ville de|mairie de|ccas de|commune de"
    r"|caf de|region de|secteur de|cote de|coin de|originaire de|viens de|suis de"
    r"|agglo de|agglomeration de) )$"
)


_OF = re.compile(r" (?:de|du|des|d)\b")


def _find_dep_names(folded: str, d: Directory) -> list[tuple[int, int, str]]:
    out = []
    for m in d.dep_re.finditer(folded):
        if m.group(0) in d.strict_keys and _OF.match(folded, m.end()):
            continue  # "dans la somme de 300 €", "dans le nord de l'Italie"
        out.append((m.start(), m.end(), d.dep_keys[m.group(0)]))
    return out


def _find_commune(
    folded: str, d: Directory, skip: list[tuple[int, int, str]], hints: set[str]
) -> Place | None:
    for m in d.commune_re.finditer(folded):
        if any(s <= m.start() < e for s, e, _ in skip):
            continue  # inside a département name: "Seine-Saint-Denis", "Pas-de-Calais"
        candidates = [
            c
            for c in d.by_key[m.group(0)]
            if not c.context or _PLACE_WORD.search(folded[: m.start()])
        ]
        if not candidates:
            continue
        deps = {c.dep for c in candidates}
        if len(deps) > 1:  # a loose mention is enough to choose: "… à la Réunion"
            hints = hints | {
                c.dep
                for c in candidates
                if re.search(rf"\b{fold(d.departements[c.dep].name)}\b", folded)
            }
        hinted = [c for c in candidates if c.dep in hints]
        c = (hinted or candidates)[0]
        name = d.departements[c.dep].name
        return Place(c.dep, name, c.name, ambiguous=len(deps) > 1 and not hinted)
    return None


def resolve_place(text: str, directory: Directory | None = None) -> Place | None:
    """The place a text names, or None.

    Trust: a postcode, then a commune, a département name, a département number.
    A commune name found in two départements (Saint-Denis: 93, 974) is decided by a
    département named in the text, else the first listed is kept, ``ambiguous``.
    """
    d = directory or load_directory()
    folded = fold(text)
    names = _find_dep_names(folded, d)
    numbers = [(i, c) for i, c in _find_dep_numbers(folded) if c in d.departements]
    hints = {c for _, _, c in names} | {c for _, c in numbers}
    by_postcode = _find_postcode(folded, d)
    if by_postcode:
        hints = {by_postcode.departement}
    place = _find_commune(folded, d, names, hints)
    if by_postcode:
        if by_postcode.commune is None and place and place.departement in hints:
            return replace(by_postcode, commune=place.commune)
        return by_postcode
    if place:
        return place
    found = [(s, c) for s, _, c in names] or numbers
    if found:
        code = found[0][1]
        return Place(code, d.departements[code].name, kind="departement")
    arr = _ARRONDISSEMENT.search(folded)
    if arr:  # "dans le 18e", with no city named: Paris is the likeliest
        return Place("75", d.departements["75"].name, "Paris", ambiguous=True)
    return None


_UNUSABLE: list[str] = []


def departement_of(text: str) -> str | None:
    """The département code a post names, for the queue's territories (#16).

    None when it names no place, or only an ambiguous one (Saint-Denis with no
    other clue): such a lead is shown to every worker alike. A missing or broken
    directory places nothing (``maraude rights check`` reports it).
    """
    try:
        place = resolve_place(text)
    except ConfigError as e:
        if not _UNUSABLE:  # once per process, not once per lead
            logger.warning("places directory unusable, leads left unplaced: %s", e)
        _UNUSABLE.append(str(e))
        return None
    return place.departement if place and not place.ambiguous else None


def departement_names(directory: Directory | None = None) -> dict[str, str]:
    """Every département code of the directory with its name, in code order."""
    d = directory or load_directory()
    return {code: d.departements[code].name for code in sorted(d.departements)}


def local_doors(
    departement: str | Place, directory: Directory | None = None
) -> dict[str, Any]:
    """The local doors of a département (code such as "93", "2A", "974", or a Place).

    Raises ValueError for an unknown code. Keys: ``departement`` (``code``,
    ``name``, ``region``, ``dans``), and ``caf``, ``council``, ``mission_locale``
    (for 16-25-year-olds), ``france_services``, ``ccas``, each with ``name`` and
    ``url``. The CAF's url is its local page when verified, else caf.fr.
    """
    d = directory or load_directory()
    commune = departement.commune if isinstance(departement, Place) else None
    code = departement.departement if isinstance(departement, Place) else departement
    dep = d.departements.get(str(code).upper())
    if dep is None:
        raise ValueError(f"unknown département code {code!r}")
    ccas = dep.ccas or (f"CCAS de {commune}" if commune else "CCAS de votre mairie")
    where = {"code": dep.code, "name": dep.name, "region": dep.region}
    return {
        "departement": {**where, "dans": dep.dans},
        "caf": {"name": dep.caf, "url": dep.caf_url or CAF_URL},
        "council": {"name": dep.council, "url": ANNUAIRE_URL},
        "mission_locale": {"name": "Mission locale", "url": ANNUAIRE_URL},
        "france_services": {"name": "France Services", "url": FRANCE_SERVICES_URL},
        "ccas": {"name": ccas, "url": ANNUAIRE_URL},
    }
