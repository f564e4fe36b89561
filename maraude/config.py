"""Configuration: ``config/default.toml`` plus a user file, as frozen dataclasses.

The user file (``--config PATH`` or ``MARAUDE_CONFIG``) only needs the keys it
changes. An unknown key or a value of the wrong type raises :class:`ConfigError`
naming the key and the file. Secrets never live here: they come from
``MARAUDE_*`` environment variables, read at the edges (CLI, dashboard).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import sys
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path, PosixPath
from typing import Any

from maraude.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "default.toml"


@dataclass(frozen=True)
class CrawlConfig:
    """``[crawl]``: the sources file and how politely the spiders fetch."""

    sources_file: str = "config/sources.toml"
    user_agent: str = "Maraude/0.1"
    delay: float = 2.0
    max_pages: int = 20
    concurrent_requests_per_domain: int = 1
    autothrottle: bool = True
    obey_robots_txt: bool = True
    close_on_errors: int = 50
    log_level: str = "INFO"


@dataclass(frozen=True)
class ClassifierConfig:
    """``[classifier]``: the current model, batch size and languages kept."""

    model: str = "models/default"
    batch_size: int = 64
    # Posts in other languages are not stored (ISO 639-1 codes).
    languages: tuple[str, ...] = ("fr",)


@dataclass(frozen=True)
class DashboardConfig:
    """``[dashboard]``: where Streamlit listens, claim, page and session sizes."""

    address: str = "127.0.0.1"
    port: int = 8501
    claim_minutes: int = 45
    page_size: int = 50
    session_minutes: int = 30
    # Read the client's address from X-Forwarded-For (only behind a proxy that
    # sets it): otherwise anyone could send the header and pose as another client.
    trust_proxy: bool = False


@dataclass(frozen=True)
class OrganisationConfig:
    """``[organisation]``: who replies, named (with its notice URL) in each draft."""

    name: str = "Votre structure"
    url: str = ""


@dataclass(frozen=True)
class PrivacyConfig:
    """``[privacy]``: how many days each kind of stored data is kept."""

    posts_days: int = 7
    closed_leads_days: int = 30
    labels_days: int = 365
    audit_days: int = 365
    # Days after which any post of these platforms is deleted, lead or not
    # (YouTube's API terms: API data is refreshed or deleted within 30 days).
    platform_days: dict[str, int] = field(default_factory=lambda: {"youtube": 30})


@dataclass(frozen=True)
class AlertsConfig:
    """``[alerts]``: when an unclaimed crisis alerts, and by e-mail or webhook."""

    crisis_unclaimed_minutes: int = 15
    dashboard_url: str = ""
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_user: str = ""
    smtp_from: str = ""
    smtp_to: tuple[str, ...] = ()
    webhook_url: str = ""


@dataclass(frozen=True)
class TargetsConfig:
    """Reply-time targets per level, in hours from a lead entering the queue."""

    possible_crisis_hours: float = 4.0
    distress_hours: float = 24.0
    rights_hours: float = 72.0


@dataclass(frozen=True)
class SimulationConfig:
    """``[simulation]``: the Python of the OpenFisca venv (empty: no estimate)."""

    python: str = ""


@dataclass(frozen=True)
class Config:
    """The whole configuration: one frozen section per TOML table."""

    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    dashboard: DashboardConfig = field(default_factory=DashboardConfig)
    organisation: OrganisationConfig = field(default_factory=OrganisationConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    simulation: SimulationConfig = field(default_factory=SimulationConfig)
    targets: TargetsConfig = field(default_factory=TargetsConfig)

    def path(self, value: str) -> Path:
        """Resolve a path from the config against the project folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else PROJECT_ROOT / p


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(
            f"Config file not found: {path}. Check the path given with --config "
            "or MARAUDE_CONFIG."
        ) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}. Fix the file.") from None
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"{path} is not UTF-8 text (byte {e.start}): TOML files must be UTF-8. "
            "Save it again as UTF-8 (e.g. iconv -f latin1 -t utf-8)."
        ) from None
    except ValueError as e:  # e.g. an integer of thousands of digits
        raise ConfigError(f"{path} holds a value Maraude cannot read ({e}).") from None
    except RecursionError:
        raise ConfigError(
            f"{path} holds arrays or tables nested too deeply to read: "
            "Maraude's settings are at most two levels deep. Fix the file."
        ) from None
    except OSError as e:
        raise ConfigError(
            f"Cannot read the config file {path} ({e.strerror}). Check the path "
            "and its permissions."
        ) from None


def _check_type(value: Any, expected: Any, key: str, path: Path) -> Any:
    """Return ``value`` if it fits ``expected`` (ints are accepted for floats)."""
    origin = typing.get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(expected):
            if option is type(None) and value is None:
                return value
            try:
                return _check_type(value, option, key, path)
            except ConfigError:
                continue
    elif origin is dict:
        if isinstance(value, dict):
            _, value_type = typing.get_args(expected)
            return {
                str(k): _check_type(v, value_type, f"{key}.{k}", path)
                for k, v in value.items()
            }
    elif origin in (list, tuple):
        if isinstance(value, list):
            (item_type, *_) = typing.get_args(expected) or (Any,)
            return tuple(_check_type(v, item_type, key, path) for v in value)
    elif expected is Any:
        return value
    elif expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    elif expected is int and isinstance(value, bool):
        pass
    elif expected is float and isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(
            f"{path}: key '{key}' must be a finite number, got {value!r}. "
            "Write a number such as 2.0, or remove the key to use the default."
        )
    elif isinstance(value, expected):
        return value
    name = getattr(expected, "__name__", str(expected))
    raise ConfigError(
        f"{path}: key '{key}' must be {name}, got {type(value).__name__} "
        f"({value!r}). Fix the value or remove the key to use the default."
    )


def _build(cls: type, data: dict[str, Any], prefix: str, path: Path) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in known:
            raise ConfigError(
                f"{path}: unknown key '{prefix}{key}'. Known keys here: "
                f"{', '.join(sorted(known))}."
            )
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        expected = hints[name]
        if dataclasses.is_dataclass(expected):
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: '{prefix}{name}' must be a [{name}] table.")
            kwargs[name] = _build(expected, value, f"{prefix}{name}.", path)  # type: ignore[arg-type]
        else:
            kwargs[name] = _check_type(value, expected, f"{prefix}{name}", path)
    return cls(**kwargs)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(path: str | Path | None = None) -> Config:
    """Load the defaults, then the user file (``path``, else ``MARAUDE_CONFIG``).

    >>> load_config().dashboard.address
    '127.0.0.1'
    """
    defaults = _read_toml(DEFAULT_CONFIG)
    config = _build(Config, defaults, "", DEFAULT_CONFIG)
    user = path or os.environ.get("MARAUDE_CONFIG")
    if not user:
        return config
    user_path = Path(user).expanduser()
    user_data = _read_toml(user_path)
    _build(Config, user_data, "", user_path)  # errors name the user's file
    config = _build(Config, _merge(defaults, user_data), "", user_path)
    _check_ranges(config, user_path)
    _check_languages(config, user_path)
    return config


#: Values below these make no sense (a post deleted before it is scored, a
#: claim that expires at once…).
MINIMUMS = {
    ("privacy", "posts_days"): 1,
    ("privacy", "closed_leads_days"): 1,
    ("privacy", "labels_days"): 1,
    ("privacy", "audit_days"): 1,
    ("dashboard", "claim_minutes"): 1,
    ("dashboard", "session_minutes"): 1,
    ("dashboard", "page_size"): 1,
    ("classifier", "batch_size"): 1,
    ("crawl", "max_pages"): 1,
    ("crawl", "delay"): 0,
    ("targets", "possible_crisis_hours"): 0.1,
    ("targets", "distress_hours"): 0.1,
    ("targets", "rights_hours"): 0.1,
}


def _check_ranges(config: Config, path: Path) -> None:
    for platform, days in config.privacy.platform_days.items():
        if days < 1:
            raise ConfigError(
                f"{path}: key 'privacy.platform_days.{platform}' must be at least 1, "
                f"got {days}."
            )
    for (section, key), minimum in MINIMUMS.items():
        value = getattr(getattr(config, section), key)
        if value < minimum:
            raise ConfigError(
                f"{path}: key '{section}.{key}' must be at least {minimum}, "
                f"got {value}."
            )


_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


def _check_languages(config: Config, path: Path) -> None:
    """``[classifier] languages``: at least one ISO 639 code, in lower case."""
    languages = config.classifier.languages
    bad = [code for code in languages if not _LANGUAGE_CODE.fullmatch(code)]
    if not languages or bad:
        raise ConfigError(
            f"{path}: key 'classifier.languages' must list ISO 639-1 codes in "
            f'lower case, such as ["fr"] or ["fr", "en"]; got {list(languages)}.'
        )


class DatabaseUrl(PosixPath):
    """A ``postgresql://…`` URL where a database path is expected.

    ``str()`` gives the URL back (``open_db`` reads it), ``is_file()`` and
    ``exists()`` are true (the server holds the database), ``repr()`` hides the
    password. Only what callers of :func:`resolve_db_path` use is supported.
    """

    _url: str

    def __new__(cls, url: str) -> DatabaseUrl:
        self = super().__new__(cls, "postgresql-database")
        self._url = url
        return self

    def __init__(self, url: str) -> None:
        if sys.version_info >= (3, 12):  # Path takes its parts in __init__ there
            super().__init__("postgresql-database")

    def __str__(self) -> str:
        return self._url

    def __fspath__(self) -> str:
        return self._url

    def __repr__(self) -> str:
        return f"DatabaseUrl({format(self)!r})"

    def __format__(self, spec: str) -> str:
        """In f-strings (messages, logs) the password is hidden; ``str()`` keeps it."""
        return format(re.sub(r"(//[^:/@]*):[^@/]*@", r"\1:***@", self._url), spec)

    def __reduce__(self) -> tuple[Any, ...]:
        return (DatabaseUrl, (self._url,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DatabaseUrl) and other._url == self._url

    def __hash__(self) -> int:
        return hash(self._url)

    def is_file(self, *args: Any, **kwargs: Any) -> bool:
        """True: a database server holds it."""
        return True

    def exists(self, *args: Any, **kwargs: Any) -> bool:
        """True: a database server holds it."""
        return True

    def expanduser(self) -> DatabaseUrl:
        """The URL itself."""
        return self


def resolve_db_path(db: str | Path | None) -> Path:
    """``--db``, else ``MARAUDE_DB``, else ``./maraude.db`` (contracts.md).

    A ``postgresql://…`` URL selects PostgreSQL: it comes back as a
    :class:`DatabaseUrl`, whose ``str()`` is the URL.
    """
    value = str(db or os.environ.get("MARAUDE_DB") or "maraude.db")
    if value.startswith(("postgresql://", "postgres://")):
        return DatabaseUrl(value)
    return Path(value).expanduser()
