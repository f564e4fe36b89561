"""The places directory of ``config/places/``: départements, communes, postcodes.

Loaded once (:func:`load_directory`) and checked by ``maraude rights check``
(:func:`check_directory`); :mod:`maraude.places` reads it to resolve a place in
a post and to give the local doors of a département. Names are compared folded
(:func:`fold`: lower case, no accents, "st" → "saint").
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from maraude.catalogue_common import PLACES_DIR, Issue, display_path, is_https_url
from maraude.errors import ConfigError

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
    """A département: its code, names, CAF and council, and how to say "in" it.

    ``strict``: the name is also a word ("la Somme"), so it counts only inside
    its locative phrase (``dans``).
    """

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
    """A commune of the directory, in its département (``dep``).

    ``context``: the name is also a word ("Nice"), so it counts only after a
    place word ("à Nice").
    """

    name: str
    dep: str
    postcodes: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    context: bool = False


@dataclass(frozen=True)
class Directory:
    """The loaded directory, with the lookups and patterns built from it."""

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


def check_directory(folder: Path = PLACES_DIR) -> list[Issue]:
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
