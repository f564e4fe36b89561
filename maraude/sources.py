"""Source definitions: the ``[[sources]]`` tables of ``config/sources.toml``.

The TOML file defines the sources; the ``sources`` table in the database holds
their runtime state (high-water marks, an on/off override, the last run).
Credentials never go in TOML: they come from ``MARAUDE_<PLATFORM>_…`` variables.

The keys of each platform are a :class:`SourceSchema`. This module holds those
of the platforms of :data:`maraude.vocab.PLATFORMS`; a spider may declare its
own (``source_schema``, see :mod:`crawlers.spiders`), and the composition root
passes the spiders' schemas to :func:`load_sources`. Without them (the
dashboard), a platform named in the vocabulary but unknown here keeps its keys
unchecked: its spider checks them when it crawls; the admin page's list of
sources (``any_platform``) takes any other platform as named too.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from maraude import vocab
from maraude.errors import ConfigError

COMMON_KEYS = {"name", "platform", "enabled", "schedule", "max_pages", "delay"}

#: The type (or types) a key's value must have.
KeyType = type | tuple[type, ...]

# Platform-specific keys and their expected types (contracts.md).
PLATFORM_KEYS: dict[str, dict[str, KeyType]] = {
    "reddit": {"base_url": str, "subreddits": list, "query": str, "comments": bool},
    "discourse": {"base_url": str, "query": str, "categories": list},
    "mastodon": {"base_url": str, "hashtags": list, "query": str},
    "bluesky": {"base_url": str, "query": str, "lang": str},
    "rss": {"url": str},
    "telegram": {"base_url": str, "channels": list},
    "forum": {"start_urls": list, "engine": str, "selectors": dict},
    "twitch": {"base_url": str, "channels": list, "listen_minutes": (int, float)},
    "youtube": {
        "base_url": str,
        "videos": list,
        "channels": list,
        "query": str,
        "daily_quota": int,
    },
}

FORUM_ENGINES = vocab.FORUM_ENGINES
FORUM_SELECTORS = vocab.FORUM_SELECTORS

REQUIRED_KEYS: dict[str, set[str]] = {
    "reddit": set(),  # subreddits or query: ANY_OF_KEYS
    "discourse": {"base_url"},
    "mastodon": {"base_url"},
    "bluesky": {"query"},
    "rss": {"url"},
    "telegram": {"channels"},
    "forum": {"start_urls"},
    "twitch": {"channels"},
    "youtube": set(),  # videos, channels or query: ANY_OF_KEYS
}
#: Keys of which a source needs at least one.
ANY_OF_KEYS: dict[str, tuple[str, ...]] = {
    "reddit": ("subreddits", "query"),
    "youtube": ("videos", "channels", "query"),
}


@dataclass(frozen=True)
class SourceSchema:
    """The keys of one platform's sources, beside :data:`COMMON_KEYS`.

    ``keys``: each key with the type of its value; ``required``: the keys a
    source must give; ``any_of``: keys of which it must give at least one. A
    spider declares one as its ``source_schema`` (:mod:`crawlers.spiders`).
    """

    keys: Mapping[str, KeyType]
    required: frozenset[str] = frozenset()
    any_of: tuple[str, ...] = ()


#: The schema of each platform whose keys the core knows (the callers that
#: cannot ask the spiders: the dashboard, tests). A platform added since may
#: keep its keys in its spider only (``source_schema``).
SCHEMAS: dict[str, SourceSchema] = {
    platform: SourceSchema(
        keys=keys,
        required=frozenset(REQUIRED_KEYS.get(platform, ())),
        any_of=ANY_OF_KEYS.get(platform, ()),
    )
    for platform, keys in PLATFORM_KEYS.items()
}


@dataclass(frozen=True)
class Source:
    """One configured source; ``settings`` holds the platform's own keys."""

    name: str
    platform: str
    enabled: bool = True
    schedule: str | None = None
    max_pages: int | None = None
    delay: float | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        """True when every URL of the source points at this machine (tests, demo)."""
        urls = [
            v
            for k, v in self.settings.items()
            if k in ("base_url", "url") and isinstance(v, str)
        ]
        urls += list(self.settings.get("start_urls", []))
        hosts = {urlparse(u).hostname for u in urls}
        return bool(hosts) and hosts <= {"127.0.0.1", "localhost", "::1"}


def _check_forum(settings: dict[str, Any], where: str) -> None:
    engine, selectors = settings.get("engine"), settings.get("selectors")
    if (engine is None) == (selectors is None):
        raise ConfigError(
            f"{where}: give either 'engine' ({', '.join(FORUM_ENGINES)}) or "
            "'selectors' (CSS for any other board), not both nor neither."
        )
    if engine is not None and engine not in FORUM_ENGINES:
        raise ConfigError(
            f"{where}: unknown engine {engine!r}; known: {', '.join(FORUM_ENGINES)}, "
            "or describe the board with 'selectors'."
        )
    if selectors is not None:
        unknown = set(selectors) - set(FORUM_SELECTORS)
        missing = set(vocab.FORUM_REQUIRED_SELECTORS) - set(selectors)
        if unknown or missing:
            raise ConfigError(
                f"{where}: selectors need at least 'post' and 'text' and may hold "
                f"{', '.join(FORUM_SELECTORS)}"
                + (f"; unknown: {', '.join(sorted(unknown))}" if unknown else "")
                + (f"; missing: {', '.join(sorted(missing))}" if missing else "")
                + "."
            )


def _settings(
    entry: dict[str, Any], schema: SourceSchema | None, platform: str, where: str
) -> dict[str, Any]:
    """The platform's own keys of ``entry``, checked against ``schema`` if any."""
    settings = {k: v for k, v in entry.items() if k not in COMMON_KEYS}
    if schema is None:  # a platform of the vocabulary that its spider checks
        return settings
    allowed = schema.keys
    for key, value in settings.items():
        if key not in allowed:
            raise ConfigError(
                f"{where}: unknown key '{key}' for platform '{platform}'. "
                f"Known keys: {', '.join(sorted(COMMON_KEYS | set(allowed)))}."
            )
        if not isinstance(value, allowed[key]):
            raise ConfigError(
                f"{where}: key '{key}' has the wrong type ({type(value).__name__})."
            )
    missing = schema.required - settings.keys()
    if schema.any_of and not any(settings.get(k) for k in schema.any_of):
        first, *others = schema.any_of
        missing = missing | {
            f"{first} (or {', or '.join(others)})" if others else first
        }
    if missing:
        raise ConfigError(f"{where}: missing key(s) {', '.join(sorted(missing))}.")
    return settings


def _check(
    entry: dict[str, Any],
    index: int,
    path: Path,
    schemas: Mapping[str, SourceSchema],
    any_platform: bool = False,
) -> Source:
    where = f"{path}: source #{index + 1}"
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where} has no 'name'. Give every [[sources]] a name.")
    where = f"{path}: source '{name}'"
    platform = entry.get("platform")
    known = set(schemas) | set(vocab.PLATFORMS)
    if not isinstance(platform, str) or not (
        platform in known or (any_platform and platform)
    ):
        raise ConfigError(
            f"{where}: unknown platform {platform!r}. "
            f"Use one of: {', '.join(sorted(known))}."
        )
    settings = _settings(entry, schemas.get(platform), platform, where)
    minutes = settings.get("listen_minutes")
    if minutes is not None and (isinstance(minutes, bool) or not 0 < minutes <= 1440):
        raise ConfigError(
            f"{where}: 'listen_minutes' must be a number of minutes above 0 and at "
            "most 1440 (a day), e.g. 10."
        )
    if platform == "forum":
        _check_forum(settings, where)
    for key, kind in (("enabled", bool), ("schedule", str)):
        if key in entry and not isinstance(entry[key], kind):
            raise ConfigError(f"{where}: key '{key}' must be {kind.__name__}.")
    for key in ("max_pages", "delay"):
        value = entry.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or value < 0
        ):
            raise ConfigError(f"{where}: key '{key}' must be a number ≥ 0.")
    return Source(
        name=name,
        platform=platform,
        enabled=entry.get("enabled", True),
        schedule=entry.get("schedule"),
        max_pages=entry.get("max_pages"),
        delay=entry.get("delay"),
        settings=settings,
    )


def load_sources(
    path: str | Path,
    schemas: Mapping[str, SourceSchema] | None = None,
    *,
    any_platform: bool = False,
) -> list[Source]:
    """Read and validate a sources file; names must be unique.

    ``schemas``: the platforms a source may name, with their keys; the
    composition root passes the spiders' (:func:`crawlers.spiders.source_schemas`),
    others get :data:`SCHEMAS`. ``any_platform``: for a reader without the
    spiders (the admin page's list of sources), a platform it does not know is
    taken as named, its keys unchecked; the crawl, which has the spiders'
    schemas, refuses it when no spider has that name.
    """
    path = Path(path)
    schemas = SCHEMAS if schemas is None else schemas
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(
            f"Sources file not found: {path}. Pass --sources FILE (or set "
            "MARAUDE_SOURCES) or create it (see config/sources.toml for examples)."
        ) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}.") from None
    except (ValueError, RecursionError, OSError) as e:  # not UTF-8, too deep…
        raise ConfigError(
            f"Cannot read the sources file {path} ({type(e).__name__}): save it "
            "as UTF-8 TOML, sources nested at most two levels deep."
        ) from None
    entries = data.get("sources", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: 'sources' must be a list of [[sources]] tables.")
    sources = [
        _check(entry, i, path, schemas, any_platform) for i, entry in enumerate(entries)
    ]
    seen: set[str] = set()
    for s in sources:
        if s.name in seen:
            raise ConfigError(f"{path}: two sources are named '{s.name}'.")
        seen.add(s.name)
    return sources
