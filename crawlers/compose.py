"""The Scrapy settings of a crawl, composed from the config and the environment.

:func:`build_settings` is what ``maraude crawl`` runs with (see
:mod:`crawlers.run`); :func:`standalone_settings` is the same for
``scrapy crawl PLATFORM -a source=NAME``, read from the environment
(:mod:`crawlers.env`). Neither imports a spider.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from crawlers.env import credential_settings, find_source, sources_path
from maraude.config import CrawlConfig
from maraude.sources import Source


def build_settings(
    config: CrawlConfig,
    db_path: Path,
    secret: str,
    *,
    local: bool = False,
    languages: Sequence[str] = ("fr",),
    credentials: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Scrapy settings for one crawl; ``local`` drops delays (127.0.0.1 only).

    ``languages`` (``[classifier] languages``): posts in others are not stored.
    ``credentials``: the ``MARAUDE_<PLATFORM>_…`` settings the spiders read
    (:func:`crawlers.env.credential_settings`).
    """
    from crawlers import settings as defaults

    s = {k: getattr(defaults, k) for k in dir(defaults) if k.isupper()}
    s.update(
        USER_AGENT=config.user_agent,
        ROBOTSTXT_OBEY=config.obey_robots_txt,
        CONCURRENT_REQUESTS_PER_DOMAIN=config.concurrent_requests_per_domain,
        DOWNLOAD_DELAY=0.0 if local else config.delay,
        AUTOTHROTTLE_ENABLED=config.autothrottle and not local,
        CLOSESPIDER_ERRORCOUNT=config.close_on_errors,
        LOG_LEVEL=config.log_level,
        MARAUDE_DB=str(db_path),
        MARAUDE_SECRET=secret,
        MARAUDE_MAX_PAGES=config.max_pages,
        MARAUDE_LANGUAGES=list(languages),
    )
    s.update(credentials or {})
    return s


def standalone_settings(platform: str, name: str) -> tuple[Source, dict[str, Any]]:
    """The source and the Scrapy settings of ``scrapy crawl PLATFORM -a source=NAME``.

    The same settings as ``maraude crawl`` builds (pipelines, crawl-run
    record, languages, politeness), read from the environment: the config
    from ``MARAUDE_CONFIG``, the sources from ``MARAUDE_SOURCES`` (else the
    config's ``[crawl] sources_file``), the database from ``MARAUDE_DB``, the
    key from ``MARAUDE_SECRET`` and the credentials.
    """
    from maraude.config import load_config, resolve_db_path
    from maraude.privacy import get_secret

    config = load_config()
    sources_file = sources_path(config.path(config.crawl.sources_file))
    source = find_source(name, platform, sources_file)
    secret = get_secret()
    db_path = resolve_db_path(None)
    settings = build_settings(
        config.crawl,
        db_path,
        secret,
        local=source.is_local,
        languages=config.classifier.languages,
        credentials=credential_settings(),
    )
    settings.pop("LOG_LEVEL", None)  # Scrapy's --loglevel decides
    return source, settings
