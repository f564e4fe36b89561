"""The one place the crawlers read the environment.

Spiders and pipelines read their credentials and their database from Scrapy
settings only. Those settings are filled by the composition root
(``maraude crawl`` → :func:`crawlers.compose.build_settings`, with
:func:`credential_settings`), or, for ``scrapy crawl PLATFORM -a source=NAME``
(Scrapy's own command line, scrapyd), by
:func:`crawlers.compose.standalone_settings` from the environment:
``MARAUDE_DB``, ``MARAUDE_CONFIG``, ``MARAUDE_SECRET``, ``MARAUDE_SOURCES`` and
the ``MARAUDE_<PLATFORM>_…`` credentials. Never from
spider arguments: they would show in the process list and scrapyd's job list.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from maraude.errors import ConfigError
from maraude.sources import Source

logger = logging.getLogger(__name__)

SOURCES_ENV = "MARAUDE_SOURCES"
# Every credential a spider or the recheck may need (setting name = variable name).
REDDIT_CLIENT_ID = "MARAUDE_REDDIT_CLIENT_ID"
REDDIT_CLIENT_SECRET = "MARAUDE_REDDIT_CLIENT_SECRET"  # noqa: S105 (a name)
BLUESKY_HANDLE = "MARAUDE_BLUESKY_HANDLE"
BLUESKY_APP_PASSWORD = "MARAUDE_BLUESKY_APP_PASSWORD"  # noqa: S105 (a name)
YOUTUBE_API_KEY = "MARAUDE_YOUTUBE_API_KEY"
CREDENTIALS = (
    REDDIT_CLIENT_ID,
    REDDIT_CLIENT_SECRET,
    BLUESKY_HANDLE,
    BLUESKY_APP_PASSWORD,
    YOUTUBE_API_KEY,
)


def credential_settings(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The platform credentials set in ``environ`` (default: the process's)."""
    env = os.environ if environ is None else environ
    return {name: env[name] for name in CREDENTIALS if env.get(name)}


def credential(settings: Any, name: str) -> str:
    """A credential from a crawler's settings ("" when unset).

    Settings built without the composition root (a spider made in a test with
    ``get_crawler``) fall back on the environment, read here only.
    """
    value = settings.get(name) if settings is not None else None
    if value:
        return str(value)
    return credential_settings().get(name, "")


def sources_path(default: Path) -> Path:
    """The sources file: ``MARAUDE_SOURCES``, else ``default`` (the config's)."""
    return Path(os.environ.get(SOURCES_ENV) or default)


def find_source(name: str, platform: str, sources_file: Path) -> Source:
    """The source ``name`` of ``sources_file``; it must be a ``platform`` source."""
    from crawlers.spiders import source_schemas
    from maraude.sources import load_sources

    sources = {s.name: s for s in load_sources(sources_file, source_schemas())}
    source = sources.get(name)
    if source is None:
        raise ConfigError(
            f"Unknown source {name!r} in {sources_file}. Configured: "
            f"{', '.join(sorted(sources)) or 'none'} (set {SOURCES_ENV} to "
            "another sources file)."
        )
    if source.platform != platform:
        raise ConfigError(
            f"Source {name!r} is a {source.platform} source: run "
            f"`scrapy crawl {source.platform} -a source={name}`."
        )
    return source
