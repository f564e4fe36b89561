"""Running a crawl: build Scrapy's settings from the config and run each source."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from crawlers.compose import build_settings
from maraude.config import CrawlConfig
from maraude.sources import Source

logger = logging.getLogger(__name__)
__all__ = ["SourceResult", "build_settings", "run_crawl", "stop_from_thread"]


@dataclass
class SourceResult:
    """What one source's run did (the row of ``maraude crawl``'s table)."""

    source: str
    platform: str
    requests: int = 0
    new: int = 0
    updated: int = 0
    dropped: int = 0
    other_language: int = 0  # posts in a language the model does not read
    errors: int = 0
    finish_reason: str = ""


def stop_from_thread(crawler: Any, reason: str = "lease_lost") -> None:
    """Close ``crawler``'s spider from another thread (a lease's refresher).

    The source's lease was lost: another machine may now crawl it.
    """
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import reactor

    reactor.callFromThread(
        lambda: deferred_from_coro(crawler.engine.close_spider_async(reason=reason))
    )


def run_crawl(
    sources: list[Source],
    config: CrawlConfig,
    db_path: Path,
    secret: str,
    *,
    pipelines: bool = True,
    languages: Sequence[str] = ("fr",),
    credentials: Mapping[str, str] | None = None,
    leases: Mapping[str, Any] | None = None,
) -> list[SourceResult]:
    """Crawl ``sources`` (one spider each, concurrently) and return their results.

    Scrapy's reactor can start only once per process: call this once.
    ``pipelines=False`` parses without storing anything (benchmarks only).
    ``credentials``: see :func:`build_settings`. ``leases``: the
    :class:`maraude.locks.Lease` of each source, by name: a source whose
    lease is lost stops (reason ``lease_lost``).
    """
    from scrapy.crawler import CrawlerProcess

    from crawlers.spiders import SPIDERS

    local = all(s.is_local for s in sources)
    settings = build_settings(
        config,
        db_path,
        secret,
        local=local,
        languages=languages,
        credentials=credentials,
    )
    # Scrapy logs through the handlers the CLI configured (--log-level).
    settings["LOG_INSTALL_ROOT_HANDLER"] = False
    if not pipelines:
        settings["ITEM_PIPELINES"] = {}
    process = CrawlerProcess(settings)
    crawlers = []
    for source in sources:
        spider_cls = SPIDERS[source.platform]
        crawler = process.create_crawler(spider_cls)
        delay = (
            source.delay
            if source.delay is not None
            else (0.0 if source.is_local else config.delay)
        )
        crawler.settings.set("DOWNLOAD_DELAY", delay, priority="spider")
        if source.is_local:
            crawler.settings.set("AUTOTHROTTLE_ENABLED", False, priority="spider")
        process.crawl(crawler, source=source)
        if leases and source.name in leases:
            leases[source.name].on_lost(partial(stop_from_thread, crawler))
        crawlers.append((source, crawler))
    process.start()
    if pipelines:  # copies of one post, through two feeds, make one lead (#15)
        from crawlers.dedupe import link_copies_at

        link_copies_at(db_path)
    results = []
    for source, crawler in crawlers:
        stats = crawler.stats
        results.append(
            SourceResult(
                source=source.name,
                platform=source.platform,
                requests=stats.get_value("downloader/request_count", 0),
                new=stats.get_value("maraude/new", 0),
                updated=stats.get_value("maraude/updated", 0),
                dropped=stats.get_value("maraude/dropped", 0),
                other_language=stats.get_value("maraude/other_language", 0),
                errors=stats.get_value("maraude/errors", 0),
                finish_reason=stats.get_value("finish_reason", ""),
            )
        )
    return results
