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
import tomllib
import unicodedata
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from maraude.catalogue_common import PLACES_DIR, Issue, display_path, is_https_url
from maraude.errors import ConfigError

CAF_URL = "https://www.caf.fr/"
FRANCE_SERVICES_URL = "https://www.france-services.gouv.fr/"
ANNUAIRE_URL = "https://lannuaire.service-public.fr/"
logger = logging.getLogger(__name__)

_SEPARATORS = re.compile(r"['’‘`´ʼ\-‐‑‒–—_]")
_SPACES = re.compile(r"\s+")
_SAINT = re.compile(r"\b(st|ste)\b\.?")


def fold(text: str) -> str:
    """Lower case, no accents, apostrophes/hyphens as spaces, "st" → "saint"."""
    low = text.lower().replace("œ", "oe").replace("æ", "ae")
    low = unicodedata.normalize("NFKD", low)
    low = "".join(c for c in low if not unicodedata.combining(c))
    low = _SAINT.sub(lambda m: "saint" if m.group(1) == "st" else "sainte", low)
    return _SPACES.sub(" ", _SEPARATORS.sub(" ", low)).strip()


@dataclass(frozen=True)
class Departement:
    code: str
    name: str
    region: str
    dans: str
    caf: str
    council: str
    caf_url: str = ""
    ccas: str = ""
    strict: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Commune:
    name: str
    dep: str
    postcodes: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    context: bool = False


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
        return {**asdict(self), "label": self.label}


@dataclass(frozen=True)
class Directory:
    departements: dict[str, Departement]
    communes: tuple[Commune, ...]
    by_postcode: dict[str, Commune]
    by_key: dict[str, tuple[Commune, ...]]  # folded name or alias → communes
    commune_re: re.Pattern[str]
    dep_keys: dict[str, str]  # folded name/alias/phrase → code
    strict_keys: frozenset[str]  # phrases never followed by "de", "du", "des"
    dep_re: re.Pattern[str]


def _alternation(keys: list[str]) -> re.Pattern[str]:
    ordered = sorted(set(keys), key=lambda k: (-len(k), k))
    body = "|".join(re.escape(k) for k in ordered)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


_ARTICLE = {"dans le": "du", "dans la": "de la", "dans l": "de l", "dans les": "des"}


def _dep_keys(dep: Departement) -> tuple[dict[str, str], set[str]]:
    """Folded keys that name a département, and those that are strict phrases.

    A name that is also a word ("la Somme", "le Lot") is only a key inside its
    locative phrase ("dans la somme") or after "département" ("departement du lot").
    """
    keys = {fold(a): dep.code for a in dep.aliases}
    if not dep.strict:
        keys[fold(dep.name)] = dep.code
        return keys, set()
    dans = fold(dep.dans)
    phrases = set(keys) | ({dans} if dans.startswith("dans") else set())
    for prefix, article in _ARTICLE.items():
        if dans.startswith(prefix + " "):
            phrases.add(f"departement {article} {dans[len(prefix) + 1 :]}")
    keys.update({p: dep.code for p in phrases})
    return keys, phrases


def _tuples(row: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in row.items()}


@lru_cache(maxsize=4)
def load_directory(folder: Path = PLACES_DIR) -> Directory:
    """The directory of ``config/places/`` (départements and communes)."""
    folder = Path(folder)
    try:
        with (folder / "departements.toml").open("rb") as f:
            deps_data = tomllib.load(f)["departements"]
        with (folder / "communes.toml").open("rb") as f:
            communes_data = tomllib.load(f)["communes"]
        deps = {d["code"]: Departement(**_tuples(d)) for d in deps_data}
        communes = tuple(Commune(**_tuples(c)) for c in communes_data)
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(
            f"The places directory {folder} cannot be read ({e}); check "
            "departements.toml and communes.toml against config/places/README.md."
        ) from None
    by_key: dict[str, tuple[Commune, ...]] = {}
    by_postcode: dict[str, Commune] = {}
    for c in communes:
        for key in {fold(c.name), *(fold(a) for a in c.aliases)}:
            by_key[key] = (*by_key.get(key, ()), c)
        for pc in c.postcodes:
            by_postcode.setdefault(pc, c)
    dep_keys: dict[str, str] = {}
    strict: set[str] = set()
    for dep in deps.values():
        keys, phrases = _dep_keys(dep)
        dep_keys.update(keys)
        strict |= phrases
    return Directory(
        departements=deps,
        communes=communes,
        by_postcode=by_postcode,
        by_key=by_key,
        commune_re=_alternation(list(by_key)),
        dep_keys=dep_keys,
        strict_keys=frozenset(strict),
        dep_re=_alternation(list(dep_keys)),
    )


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


_DOM = frozenset({"971", "972", "973", "974", "976"})
_NOT_DOM = frozenset({"97133", "97150"})


def postcode_departement(postcode: str) -> str | None:
    """The département of a French postcode, or None if it is not one."""
    if not re.fullmatch(r"\d{5}", postcode):
        return None
    if postcode.startswith("97"):
        code = postcode[:3]
        # 97133 and 97150 are Saint-Barthélemy and Saint-Martin (not départements).
        ok = code in _DOM and postcode not in _NOT_DOM
        return code if ok else None
    if postcode.startswith("20"):
        return "2A" if postcode[2] in "01" else "2B" if postcode[2] in "23456" else None
    code = postcode[:2]
    return code if "01" <= code <= "95" else None


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


def check_directory(folder: Path = PLACES_DIR) -> list[Any]:
    """Issues (:class:`maraude.catalogue_common.Issue`) of the places directory."""

    try:
        d = load_directory(Path(folder))
    except ConfigError as e:
        return [Issue("error", display_path(folder), "", str(e))]
    deps_file = display_path(Path(folder) / "departements.toml")
    found: list[tuple[str, str, str]] = []
    if len(d.departements) != 101:
        found.append((deps_file, "", "101 départements expected"))
    for dep in d.departements.values():
        if dep.caf_url and not is_https_url(dep.caf_url):
            found.append((deps_file, f"{dep.code}.caf_url", "not an https URL"))
        if not re.match(r"(?:dans|en|à) ", dep.dans):
            found.append((deps_file, f"{dep.code}.dans", "must start with dans/en/à"))
    communes_file = display_path(Path(folder) / "communes.toml")
    for c in d.communes:
        if c.dep not in d.departements:
            found.append((communes_file, f"{c.name}.dep", f"unknown {c.dep!r}"))
        found += [
            (communes_file, f"{c.name}.postcodes", f"{pc} is not in {c.dep}")
            for pc in c.postcodes
            if postcode_departement(pc) != c.dep
        ]
    return [Issue("error", *x) for x in found]
