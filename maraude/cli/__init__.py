"""``maraude``: the one entry point. Stages are imported inside commands, so
``maraude --help`` loads neither Scrapy nor torch."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from maraude import __version__, vocab
from maraude.cli.common import (
    CONTEXT,
    config_of,
    db_option,
    format_option,
    handle_errors,
    open_db_path,
    sources_option,
)

logger = logging.getLogger(__name__)


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="maraude")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="A TOML file overriding config/default.toml (default: $MARAUDE_CONFIG).",
)
@click.option(
    "--log-level",
    default="WARNING",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, log_level: str) -> None:
    """Maraude: digital outreach against non-recours.

    Crawl public posts, flag distress, crisis and unclaimed rights, and line them
    up for outreach workers, who reply by hand.

    \b
    Quick start:
      maraude demo                      # everything, on French demo posts
      maraude crawl --db maraude.db     # then: classify, dashboard
    """
    logging.basicConfig(
        level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    # Scrapy sets its own loggers to DEBUG: filter at the handler too.
    for handler in logging.root.handlers:
        handler.setLevel(log_level.upper())
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path


@cli.command()
@db_option
@sources_option
@click.option(
    "--source", "only", multiple=True, help="Crawl only this source (repeatable)."
)
@click.pass_context
@handle_errors
def crawl(
    ctx: click.Context,
    db_path: str | None,
    sources_file: str | None,
    only: tuple[str, ...],
) -> None:
    """Gather new public posts from the configured sources.

    Needs MARAUDE_SECRET (authors are stored only as a keyed hash).

    \b
    Example:
      export MARAUDE_SECRET=$(python -c 'import secrets; print(secrets.token_hex(32))')
      maraude crawl --db maraude.db --sources config/sources.toml --source flux-exemple
    """
    from maraude.cli import commands

    config = config_of(ctx)
    results = commands.crawl(config, db_path, sources_file, only)
    click.echo(commands.format_crawl_table(results))
    failed = [r.source for r in results if r.errors]
    if failed:  # what was stored is kept; the exit code says something went wrong
        raise click.ClickException(
            f"Errors in source(s) {', '.join(failed)}: see the log above and "
            "crawl_runs, fix the source (address, network) and crawl again."
        )


@cli.command()
@db_option
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(vocab.LEAD_STATUSES),
    help="Statuses to list (default: the open ones: new, claimed, escalated).",
)
@format_option
@handle_errors
def leads(db_path: str | None, limit: int, statuses: tuple[str, ...], fmt: str) -> None:
    """List leads in exactly the dashboard's order (sure crises, possible ones, rest).

    An operator's view; each listing is written to the audit log.

    \b
    Example:
      maraude leads --db maraude.db --limit 10 --format json
    """
    from maraude import db
    from maraude.cli.commands import format_leads_table
    from maraude.ops import command_line, desk

    database = open_db_path(db_path)
    rows = desk.list_leads(
        database, command_line(), statuses or db.OPEN_STATUSES, limit=limit
    )
    if fmt == "json":
        keys = (
            "id",
            "post_id",
            "priority",
            "labels",
            "crisis_level",
            "rights_topics",
            "status",
            "platform",
            "source",
            "url",
            "created_at",
            "text",
            "non_recours_form",
            "minor",
            "claimed_by",
        )
        click.echo(
            json.dumps(
                [{k: r[k] for k in keys} for r in rows], ensure_ascii=False, indent=2
            )
        )
    else:
        click.echo(format_leads_table(rows))


@cli.command()
@db_option
@click.option("--port", default=None, type=int, help="Port (default: dashboard.port).")
@click.pass_context
@handle_errors
def dashboard(ctx: click.Context, db_path: str | None, port: int | None) -> None:
    """Serve the outreach workers' dashboard (bound to 127.0.0.1 by default).

    \b
    Example:
      maraude dashboard --db maraude.db --port 8501
    """
    from maraude.cli import serving
    from maraude.config import resolve_db_path

    config = config_of(ctx)
    path = resolve_db_path(db_path)
    open_db_path(db_path).close()  # migrate first: a clear error if it cannot
    proc = serving.start_dashboard(
        config, path, port or config.dashboard.port, ctx.obj.get("config_path")
    )
    click.echo(
        f"Dashboard: http://{config.dashboard.address}:"
        f"{port or config.dashboard.port}  (Ctrl-C to stop)"
    )
    serving.wait_for(proc)


@cli.command()
@click.option(
    "--db",
    "db_path",
    default="maraude-demo.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Demo database to create or reuse.",
)
@click.option(
    "--port", default=8501, show_default=True, type=int, help="Port for the dashboard."
)
@click.option("--no-browser", is_flag=True, help="Do not open a web browser.")
@click.option("--no-serve", is_flag=True, help="Stop after classifying (no dashboard).")
@click.pass_context
@handle_errors
def demo(
    ctx: click.Context, db_path: str, port: int, no_browser: bool, no_serve: bool
) -> None:
    """Run the whole chain on French demo posts: crawl → classify → dashboard.

    Serves posts we wrote as a fake Reddit on 127.0.0.1, crawls it with the
    real spider, classifies with the bundled offline model, and opens the
    dashboard signed in as a demo outreach worker.

    \b
    Example:
      maraude demo --db /tmp/demo.db --port 8502 --no-browser
    """
    from maraude.cli import serving

    options = serving.DemoOptions(
        Path(db_path),
        port,
        open_browser=not no_browser,
        serve=not no_serve,
        config_path=ctx.obj.get("config_path"),
    )
    serving.run_demo(config_of(ctx), options)


@cli.command("import")
@db_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", required=True, help="Name to record as the posts' source.")
@click.pass_context
@handle_errors
def import_(ctx: click.Context, db_path: str | None, file: str, source: str) -> None:
    """Import posts exported from platforms with no public API.

    FILE is Zeeschuimer's NDJSON export (TikTok, Instagram, X, Threads…), or
    JSON Lines / CSV with the columns platform, native_id, text and optionally
    site, url, title, author, created_at, parent_native_id, thread_title.
    Needs MARAUDE_SECRET, like crawl. A record that cannot be read is listed
    with its line number and skipped; the others are stored, and the exit code
    is then 1. Empty or opted-out records are counted as dropped, posts in a
    language outside [classifier] languages as "other language" (exit 0).

    \b
    Example:
      maraude import zeeschuimer-tiktok.ndjson --source tiktok-manual --db maraude.db
    """
    from maraude.cli import commands

    result = commands.import_posts(config_of(ctx), Path(file), source, db_path)
    click.echo(
        f"Read {result.read} records: {result.new} new, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.dropped} dropped, "
        f"{result.ads} ads dropped, {result.retweets} retweets linked, "
        f"{result.other_language} in another language, {len(result.errors)} errors."
    )
    for error in result.errors[:20]:
        click.echo(f"  {error}", err=True)
    if len(result.errors) > 20:
        click.echo(f"  … and {len(result.errors) - 20} more.", err=True)
    if result.errors:  # malformed records: every good one is stored, exit 1
        raise click.exceptions.Exit(1)


@cli.command()
@db_option
@sources_option
@click.option("--once", is_flag=True, help="Run every scheduled source once, now.")
@click.option("--no-classify", is_flag=True, help="Do not classify after crawling.")
@click.option(
    "--scrapyd",
    "scrapyd_urls",
    multiple=True,
    metavar="URL",
    help="Send the crawls as jobs to this scrapyd server (repeatable, or a comma "
    "list: each job goes to the least busy one).",
)
@click.option(
    "--wait",
    "wait_s",
    type=click.FloatRange(min=0),
    default=3600.0,
    show_default=True,
    help="Seconds to wait for a round's scrapyd jobs before classifying.",
)
@click.pass_context
@handle_errors
def schedule(
    ctx: click.Context,
    db_path: str | None,
    sources_file: str | None,
    once: bool,
    no_classify: bool,
    scrapyd_urls: tuple[str, ...],
    wait_s: float,
) -> None:
    """Crawl each enabled source on its cron `schedule`, in the foreground.

    Sources due at one time are crawled together, then new posts are
    classified once (the model loaded once per round); crisis leads left
    unclaimed raise alerts ([alerts] in the config); every night at 03:17 open
    leads are rechecked at their source and the retention purge runs. Meant
    for a systemd service (see docs/deployment.md). With --scrapyd, the
    project is deployed to the servers and each crawl is a scrapyd job (its
    settings come from the crawl machine's environment). Never runs two
    crawls of one source at once, even beside `maraude crawl` or on another
    machine sharing the database.

    \b
    Examples:
      MARAUDE_SECRET=… maraude schedule --db /var/lib/maraude/maraude.db
      maraude schedule --scrapyd http://crawl1:6800,http://crawl2:6800
    """
    import time

    from maraude import schedule as sched
    from maraude.cli import commands
    from maraude.config import resolve_db_path

    config = config_of(ctx)
    path = (
        Path(sources_file) if sources_file else config.path(config.crawl.sources_file)
    )
    sources = commands.configured_sources(path)
    jobs = sched.make_jobs(sources, time.time())
    if not jobs:
        raise click.ClickException(
            f"No enabled source with a `schedule` in {path}: nothing to do."
        )
    jobs += [sched.purge_job(time.time()), sched.alerts_job(time.time())]
    for job in jobs:
        click.echo(f"{job.name}: '{job.schedule}'", err=True)
    runner = sched.Runner(
        resolve_db_path(db_path),
        path,
        ctx.obj.get("config_path"),
        classify=not no_classify,
        platforms={s.name: s.platform for s in sources},
        pool=commands.scrapyd_pool(scrapyd_urls) if scrapyd_urls else None,
        wait=wait_s,
        strict=once,
    )
    code = sched.run_forever(jobs, runner, once=once)
    if code:
        raise click.exceptions.Exit(code)


def _register() -> None:
    """Add the commands that live in their own modules (cheap imports, no stage)."""
    from maraude.cli import admin as cli_admin
    from maraude.cli import model as cli_model

    for command in (
        cli_model.classify,
        cli_model.predict,
        cli_model.train,
        cli_model.evaluate,
        cli_admin.purge,
        cli_admin.recheck,
        cli_admin.optout,
        cli_admin.backup,
        cli_admin.migrate_db,
        cli_admin.export,
        cli_admin.user,
        cli_admin.rights,
    ):
        cli.add_command(command)


_register()


def main() -> None:  # pragma: no cover
    """The console script: run the ``maraude`` group."""
    cli(obj={})
