"""The rights catalogue: ``config/rights/<id>.toml``, one file per right.

Shared by the classifier (names people use → rights tagging) and the dashboard
(a card per right on a lead). Adding a right is adding one file.

:func:`check_right_file` checks one file's schema, links and dated amounts;
:func:`maraude.catalogue.check_catalogue` (what ``maraude rights check`` runs)
checks every file, the ids the classifier may emit, the places directory and
every reply template rendered for every right.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from maraude.catalogue_common import (  # re-exported: callers import them here
    CATALOGUE_DIR,
    TEMPLATES_DIR,
    Issue,
    display_path,
    is_https_url,
)
from maraude.errors import ConfigError

__all__ = [
    "CATALOGUE_DIR",
    "CONTRACT_RIGHT_IDS",
    "TEMPLATES_DIR",
    "Amount",
    "Issue",
    "Right",
    "check_right_file",
    "display_path",
    "format_amount",
    "is_https_url",
    "load_catalogue",
    "read_right",
]

# The right ids of contracts.md ("Labels and ids"): the classifier may emit any.
# fmt: off
CONTRACT_RIGHT_IDS: tuple[str, ...] = (
    "rsa", "prime_activite", "aides_logement", "aah", "aeeh", "pch", "invalidite",
    "css", "ame", "cheque_energie", "aspa", "ass", "are", "cej", "paje",
    "allocations_familiales", "bourse", "fsl", "hebergement_urgence",
    "aide_alimentaire", "surendettement", "pension_reversion", "ajpa", "domiciliation",
)
# The tags of a right's `situations` (config/rights/README.md).
SITUATION_TAGS = frozenset((
    "precarity", "housing", "food", "debt", "health", "disability", "family", "youth",
    "elderly", "unemployment", "work", "energy", "homeless", "carer", "violence",
))
# fmt: on
STALE_MONTHS = 18


@dataclass(frozen=True)
class Amount:
    """A figure of a right (amount, ceiling…) with its unit, date and source."""

    label: str
    value: float
    unit: str
    effective: date
    source: str = ""
    #: When the figure was last confirmed against its source (``scripts/
    #: refresh_amounts.py``): an old ``effective`` confirmed since is not stale.
    checked: date | None = None

    def stale(self, today: date | None = None) -> bool:
        """True when neither ``effective`` nor ``checked`` is within
        :data:`STALE_MONTHS` months of ``today``."""
        last = max(self.effective, self.checked or self.effective)
        return _months_later(last, STALE_MONTHS) < (today or date.today())

    def as_of(self) -> date:
        """The date a reader should see: the last confirmation, else ``effective``."""
        return max(self.effective, self.checked or self.effective)


def format_amount(amount: Amount, today: date | None = None) -> str:
    """``"651,69 €/mois (au 01/04/2026)"``, or ``"montant à vérifier (au
    01/01/2025)"`` for a stale amount (#16): a figure we cannot vouch for is
    never shown as current."""
    when = f"{amount.as_of():%d/%m/%Y}"
    if amount.stale(today):
        return f"montant à vérifier (au {when})"
    value = amount.value
    text = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    text = text.replace(",", "\u202f").replace(".", ",")
    return f"{text} {amount.unit} (au {when})"


@dataclass(frozen=True)
class Link:
    """A labelled link to an official page about a right."""

    label: str
    url: str


@dataclass(frozen=True)
class Right:
    """One right of the catalogue, read from ``config/rights/<id>.toml``."""

    id: str
    name: str
    short_name: str
    aliases: tuple[str, ...]
    summary: str
    for_whom: tuple[str, ...] = ()
    how_to_apply: str = ""
    organisme: str = ""
    tips: tuple[str, ...] = ()
    situations: tuple[str, ...] = ()
    young: bool = False
    amounts: tuple[Amount, ...] = ()
    links: tuple[Link, ...] = ()
    simulators: tuple[Link, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


REQUIRED = ("id", "name", "short_name", "aliases", "summary")


def _right(path: Path, data: dict[str, Any]) -> Right:
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise ConfigError(f"{path}: missing key(s) {', '.join(missing)}.")
    if data["id"] != path.stem:
        raise ConfigError(
            f"{path}: id {data['id']!r} must equal the file name {path.stem!r}."
        )
    try:
        amounts = tuple(Amount(**a) for a in data.get("amounts", []))
        links = tuple(Link(**x) for x in data.get("links", []))
        sims = tuple(Link(**x) for x in data.get("simulators", []))
    except TypeError as e:
        raise ConfigError(f"{path}: bad amount or link table ({e}).") from None
    known = {f for f in Right.__dataclass_fields__} - {"extra"}
    return Right(
        id=data["id"],
        name=data["name"],
        short_name=data["short_name"],
        aliases=tuple(a.lower() for a in data["aliases"]),
        summary=data["summary"],
        for_whom=tuple(data.get("for_whom", ())),
        how_to_apply=data.get("how_to_apply", ""),
        organisme=data.get("organisme", ""),
        tips=tuple(data.get("tips", ())),
        situations=tuple(data.get("situations", ())),
        young=bool(data.get("young", False)),
        amounts=amounts,
        links=links,
        simulators=sims,
        extra={k: v for k, v in data.items() if k not in known},
    )


@lru_cache(maxsize=4)
def read_right(path: Path) -> Right:
    """The right of one catalogue file (checked first with :func:`check_right_file`)."""
    with Path(path).open("rb") as f:
        return _right(Path(path), tomllib.load(f))


def load_catalogue(folder: Path = CATALOGUE_DIR) -> dict[str, Right]:
    """All rights of the catalogue, by id (sorted)."""
    rights: dict[str, Right] = {}
    for path in sorted(Path(folder).glob("*.toml")):
        try:
            with path.open("rb") as f:
                data = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path} is not valid TOML: {e}.") from None
        right = _right(path, data)
        rights[right.id] = right
    return rights


# --- checks ------------------------------------------------------------------


_ID = re.compile(r"[a-z][a-z0-9_]*")
_STR_KEYS = ("id", "name", "short_name", "summary", "how_to_apply", "organisme")
_LIST_KEYS = {"aliases": (6, 20), "for_whom": (2, 6), "tips": (2, 5)}
_TABLE_KEYS = ("amounts", "links", "simulators")
_KNOWN_KEYS = {*_STR_KEYS, *_LIST_KEYS, *_TABLE_KEYS, "situations", "young"}


def _months_later(d: date, months: int) -> date:
    year, month = divmod(d.month - 1 + months, 12)
    year += d.year
    month += 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


class _Checker:
    def __init__(self, path: Path, today: date) -> None:
        self.file = display_path(path)
        self.stem = Path(path).stem
        self.today = today
        self.issues: list[Issue] = []

    def error(self, key: str, message: str) -> None:
        self.issues.append(Issue("error", self.file, key, message))

    def warn(self, key: str, message: str) -> None:
        self.issues.append(Issue("warning", self.file, key, message))

    def strings(self, data: dict[str, Any], stem: str) -> None:
        for key in _STR_KEYS:
            value = data.get(key)
            if key not in data:
                self.error(key, "missing (required, see config/rights/README.md)")
            elif not isinstance(value, str) or not value.strip():
                self.error(key, "must be a non-empty string")
        rid = data.get("id")
        if isinstance(rid, str):
            if rid != stem:
                self.error("id", f"{rid!r} must equal the file name {stem!r}")
            if not _ID.fullmatch(rid):
                self.error("id", f"{rid!r} must be lower case: letters, digits, _")
        if "young" not in data:
            self.error("young", "missing (required, true or false)")
        elif not isinstance(data["young"], bool):
            self.error("young", "must be true or false")

    def lists(self, data: dict[str, Any]) -> None:
        for key, (low, high) in _LIST_KEYS.items():
            value = data.get(key)
            if key not in data:
                self.error(key, "missing (required list of strings)")
                continue
            if not isinstance(value, list) or not all(
                isinstance(x, str) and x.strip() for x in value
            ):
                self.error(key, "must be a list of non-empty strings")
                continue
            if not low <= len(value) <= high:
                self.warn(key, f"has {len(value)} entries; {low} to {high} expected")
        aliases = data.get("aliases")
        if isinstance(aliases, list) and all(isinstance(a, str) for a in aliases):
            upper = [a for a in aliases if a != a.lower()]
            if upper:
                self.warn("aliases", f"not lower case: {', '.join(upper)}")
            dupes = sorted({a for a in aliases if aliases.count(a) > 1})
            if dupes:
                self.warn("aliases", f"duplicated: {', '.join(dupes)}")
        tags = data.get("situations", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            self.error("situations", "must be a list of strings")
        elif unknown := sorted(set(tags) - SITUATION_TAGS):
            self.error("situations", f"unknown tag(s): {', '.join(unknown)}")
        for key in sorted(set(data) - _KNOWN_KEYS):
            self.warn(key, "unknown key (a typo?); it is ignored")

    def tables(self, data: dict[str, Any]) -> None:
        for key in _TABLE_KEYS:
            value = data.get(key, [])
            if key != "amounts" and not value:
                self.error(key, "at least one is required (label and https url)")
            if not isinstance(value, list) or not all(
                isinstance(x, dict) for x in value
            ):
                self.error(key, f"must be an array of tables ([[{key}]])")
                continue
            for i, item in enumerate(value):
                if key == "amounts":
                    self.amount(f"amounts[{i}]", item)
                else:
                    self.link(f"{key}[{i}]", item)

    def link(self, key: str, item: dict[str, Any]) -> None:
        if not isinstance(item.get("label"), str) or not item["label"].strip():
            self.error(f"{key}.label", "missing or empty")
        if "url" not in item:
            self.error(f"{key}.url", "missing")
        elif not is_https_url(item["url"]):
            self.error(f"{key}.url", f"{item['url']!r} is not a well-formed https URL")
        for extra in sorted(set(item) - {"label", "url"}):
            self.warn(f"{key}.{extra}", "unknown key (a typo?)")

    def amount(self, key: str, item: dict[str, Any]) -> None:
        from maraude.catalogue_refresh import how_to_date

        for sub in ("label", "unit", "source"):
            if not isinstance(item.get(sub), str) or not item[sub].strip():
                self.error(f"{key}.{sub}", "missing or empty")
        value = item.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(f"{key}.value", "missing or not a number")
        effective = item.get("effective")
        if effective is None:
            self.error(f"{key}.effective", "missing: every amount must be dated")
        elif isinstance(effective, datetime) or not isinstance(effective, date):
            self.error(
                f"{key}.effective", "must be a TOML date such as 2026-04-01 (no quotes)"
            )
        elif (
            _months_later(
                max(effective, _date_or(item.get("checked"), effective)), STALE_MONTHS
            )
            < self.today
        ):
            self.warn(
                f"{key}.effective",
                f"dated {effective.isoformat()}, more than {STALE_MONTHS} months ago: "
                + how_to_date(self.stem, item.get("label")),
            )
        for extra in sorted(
            set(item) - {"label", "value", "unit", "effective", "source", "checked"}
        ):
            self.warn(f"{key}.{extra}", "unknown key (a typo?)")


def _date_or(value: Any, default: date) -> date:
    ok = isinstance(value, date) and not isinstance(value, datetime)
    return value if ok else default


def check_right_file(path: Path, today: date | None = None) -> list[Issue]:
    """Schema issues of one catalogue file."""
    checker = _Checker(path, today or date.today())
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        checker.error("", f"cannot be read as TOML: {e}")
        return checker.issues
    checker.strings(data, path.stem)
    checker.lists(data)
    checker.tables(data)
    return checker.issues
