"""The rights catalogue: ``config/rights/<id>.toml``, one file per right.

Shared by the classifier (names people use → rights tagging) and the dashboard
(a card per right on a lead). Adding a right is adding one file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from maraude.config import PROJECT_ROOT
from maraude.errors import ConfigError

CATALOGUE_DIR = PROJECT_ROOT / "config" / "rights"


@dataclass(frozen=True)
class Amount:
    label: str
    value: float
    unit: str
    effective: date
    source: str = ""


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Right:
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
