"""What the crawling commands do, and the CLI's plain-text tables.

With :mod:`maraude.cli` this is the composition root: the only place that
imports ``crawlers``, ``classifier`` and ``dashboard``, always inside functions so
``maraude --help`` stays instant. The classifier's helpers are in
:mod:`maraude.cli.classifying`, the dashboard's and the demo's in
:mod:`maraude.cli.serving`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from maraude import db as mdb
from maraude.config import Config, resolve_db_path
from maraude.errors import ConfigError, InputError
from maraude.locks import source_lock
from maraude.privacy import get_secret
from maraude.sources import Source, load_sources

if TYPE_CHECKING:
    from sqlite_utils import Database

    from crawlers.imports import ImportResult
    from crawlers.recheck import RecheckResult
    from crawlers.run import SourceResult
    from maraude.scrapyd import Pool

logger = logging.getLogger(__name__)


def configured_sources(path: str | Path) -> list[Source]:
    """The sources of ``path``, checked against the keys each spider declares.

    The platforms are those of Scrapy's registry (:mod:`crawlers.spiders`), so
    a new platform's spider file is enough for its sources to load here.
    """
    from crawlers.spiders import source_schemas

    return load_sources(path, source_schemas())


def _select_sources(
    sources: list[Source], only: Sequence[str], database: Database
) -> list[Source]:
    if only:
        names = {s.name for s in sources}
        unknown = [n for n in only if n not in names]
        if unknown:
            raise ConfigError(
                f"Unknown source(s): {', '.join(unknown)}. "
                f"Configured: {', '.join(sorted(names)) or 'none'}."
            )
        return [s for s in sources if s.name in only]
    chosen = []
    for s in sources:
        override = mdb.source_enabled_override(database, s.name)
        if s.enabled if override is None else override:
            chosen.append(s)
    return chosen


def crawl(
    config: Config,
    db_path: str | Path | None,
    sources_file: str | Path | None,
    only: Sequence[str] = (),
    *,
    secret: str | None = None,
    sources: list[Source] | None = None,
) -> list[SourceResult]:
    """Crawl the configured (or given) sources into the database."""
    from crawlers.env import credential_settings
    from crawlers.run import run_crawl

    path = resolve_db_path(db_path)
    secret = secret or get_secret()  # before touching the database file
    if sources is None:
        sources = configured_sources(
            sources_file or config.path(config.crawl.sources_file)
        )
        # Dashboard overrides live in the database: none if there is none yet.
        database = mdb.open_db(path) if path.is_file() else mdb.open_db(":memory:")
        sources = _select_sources(sources, only, database)
        database.close()
    if not sources:
        raise InputError(
            "No source to crawl: enable one in the sources file, or name it."
        )
    with ExitStack() as stack:
        locked, leases = [], {}
        for source in sources:
            lease = stack.enter_context(source_lock(path, source.name))
            if lease:
                locked.append(source)
                leases[source.name] = lease
            else:
                click.echo(
                    f"Skipping {source.name}: another crawl of it is running.", err=True
                )
        if not locked:
            return []
        click.echo(f"Crawling {len(locked)} source(s) into {path}…", err=True)
        return run_crawl(
            locked,
            config.crawl,
            path,
            secret,
            languages=config.classifier.languages,
            credentials=credential_settings(),
            leases=leases,
        )


def scrapyd_pool(urls: Sequence[str]) -> Pool:
    """The scrapyd servers of ``--scrapyd``, with the project deployed on them.

    The egg (:mod:`crawlers.egg`) goes to every reachable server unless that
    version is there already; each job then names it. Raises
    :class:`~maraude.errors.ScrapydError` when no server can be reached.
    """
    from crawlers.egg import build_egg
    from maraude.scrapyd import Pool, parse_urls

    pool = Pool.of(parse_urls(urls))
    version, egg = build_egg()
    reached = pool.deploy(version, egg)
    click.echo(
        f"Projet déployé (version {version}) sur {len(reached)} serveur(s) scrapyd.",
        err=True,
    )
    for url, why in pool.down.items():
        click.echo(f"Serveur ignoré pour ce tour : {url} ({why})", err=True)
    return pool


def import_posts(
    config: Config, path: Path, source: str, db_path: str | Path | None
) -> ImportResult:
    """Import an export file (see :mod:`crawlers.imports`), keeping the posts
    in ``[classifier] languages`` as a crawl does."""
    from crawlers.imports import import_file

    return import_file(
        path,
        source,
        resolve_db_path(db_path),
        get_secret(),
        languages=config.classifier.languages,
    )


def recheck_leads(
    config: Config, db_path: str | Path | None, sources_file: str | Path | None
) -> RecheckResult:
    """Deletion sync (see :mod:`crawlers.recheck`)."""
    from crawlers.env import credential_settings
    from crawlers.recheck import recheck

    path = resolve_db_path(db_path)
    sources = configured_sources(sources_file or config.path(config.crawl.sources_file))
    result = recheck(
        path,
        sources,
        user_agent=config.crawl.user_agent,
        delay=config.crawl.delay,
        credentials=credential_settings(),
    )
    from maraude.ops import admin, command_line

    database = mdb.open_db(path)
    admin.record_recheck(database, command_line(), result.checked, result.deleted)
    database.close()
    return result


def format_crawl_table(results: Sequence[Any]) -> str:
    """The crawl report as a plain-text table, one row per source."""
    head = (
        "source",
        "platform",
        "requests",
        "new",
        "updated",
        "dropped",
        "other language",
        "errors",
    )
    rows = [head] + [
        (
            r.source,
            r.platform,
            r.requests,
            r.new,
            r.updated,
            r.dropped,
            getattr(r, "other_language", 0),
            r.errors,
        )
        for r in results
    ]
    return _table(rows)


def _table(rows: Sequence[Sequence[Any]]) -> str:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def format_leads_table(rows: Sequence[dict[str, Any]]) -> str:
    """``maraude leads``'s table: one line per lead, its text cut short."""
    out: list[Sequence[Any]] = [
        (
            "id",
            "priority",
            "status",
            "crisis",
            "labels",
            "rights",
            "platform",
            "created_at",
            "excerpt",
        )
    ]
    for r in rows:
        excerpt = " ".join(f"{r.get('title') or ''} {r['text']}".split())[:50]
        out.append(
            (
                r["id"],
                f"{r['priority']:.3f}",
                r["status"],
                r.get("crisis_level") or "",
                ",".join(r["labels"]),
                ",".join(r["rights_topics"][:2]),
                r["platform"],
                (r["created_at"] or "")[:16],
                excerpt,
            )
        )
    return _table(out) if rows else "No open leads."
