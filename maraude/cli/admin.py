"""Operators' commands: retention, opt-out, backup, export, users, rights."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

import click

from maraude import vocab
from maraude.cli.common import (
    config_of,
    db_option,
    handle_errors,
    open_db_path,
    sources_option,
)


@click.command()
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
    from maraude.ops import admin, command_line

    config = config_of(ctx)
    database = open_db_path(db_path)
    secret = os.environ.get("MARAUDE_SECRET") or None
    report = admin.purge(  # audited there, also when incomplete
        database,
        command_line(),
        db.Policy(**asdict(config.privacy)),
        dry_run=dry_run,
        secret=secret,
    )
    verb = "Would delete" if dry_run else "Deleted"
    click.echo(f"{verb}: " + ", ".join(f"{n} {what}" for what, n in report.items()))


@click.command()
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
    from maraude.cli import commands

    result = commands.recheck_leads(config_of(ctx), db_path, sources_file)
    click.echo(
        f"Checked {result.checked} posts of open leads: {result.deleted} "
        f"deleted at their source (purged here), {result.unknown} unknown "
        "(kept)."
    )
    if getattr(result, "errors", None):  # what could be checked was; say the rest
        raise click.ClickException(" ".join(result.errors))


@click.group()
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
    from maraude.ops import admin, command_line
    from maraude.privacy import get_secret

    get_secret()  # refused before a database is created
    database = open_db_path(db_path, create=True)
    added, kind = admin.register_optout(database, command_line(), value, platform, site)
    click.echo(("Added" if added else "Already registered") + f" ({kind}).")


@click.command()
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
    folder = Path(dest).expanduser().resolve().parent
    if not folder.is_dir():
        raise click.ClickException(
            f"Folder {folder} does not exist: create it (mkdir -p {folder}) or "
            "choose another destination."
        )
    db.backup(open_db_path(db_path), dest)
    click.echo(f"Backed up to {dest}.")


@click.command("migrate-db")
@click.argument("src")
@click.argument("dst")
@handle_errors
def migrate_db(src: str, dst: str) -> None:
    """Copy a whole database into a new one, e.g. SQLite to PostgreSQL.

    DST is created and migrated first and must hold no posts; ids are kept and
    the full-text index is rebuilt. Stop the crawls and the dashboard first,
    then point MARAUDE_DB at DST. Nothing is copied if anything fails.

    \b
    Example:
      createdb maraude
      maraude migrate-db maraude.db postgresql://maraude@localhost/maraude
    """
    from maraude.config import resolve_db_path
    from maraude.db.migrate import migrate

    copied = migrate(
        resolve_db_path(src),
        resolve_db_path(dst),
        progress=lambda table, n: click.echo(f"{table:16} {n:>9} rows", err=True),
    )
    click.echo(f"Copied {sum(copied.values())} rows into the new database.")


@click.group()
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
def export_labels(db_path: str | None, out: TextIO) -> None:
    """Export moderators' labels as training data: masked text and labels only.

    \b
    Example:
      maraude export labels --db maraude.db --out labels.jsonl
    """
    from maraude.ops import command_line, labels

    rows = labels.export_labels(open_db_path(db_path), command_line())
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    click.echo(f"Exported {len(rows)} labels.", err=True)


TERRITORIES_HELP = "Départements, comma-separated (e.g. 13,84,2A)."


@click.group()
def user() -> None:
    """Manage dashboard users (roles: worker, senior, moderator, admin)."""


@user.command("add")
@db_option
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice(vocab.ROLES),
)
@click.password_option(help="Password (asked for when not given).")
@click.option("--territories", default="", help=TERRITORIES_HELP)
@click.option("--team", default="", help="The user's team (for the monthly report).")
@handle_errors
def user_add(
    db_path: str | None,
    username: str,
    role: str,
    password: str,
    territories: str,
    team: str,
) -> None:
    """Add a user who signs in with a password.

    \b
    Example:
      maraude user add camille --role worker --territories 13,84 --db maraude.db
    """
    from maraude.db import users
    from maraude.ops import command_line
    from maraude.ops import users as accounts

    codes = users.clean_territories(territories.split(","))  # checked first
    database = open_db_path(db_path, create=True)  # the first account may come first
    username = accounts.add_user(
        database, command_line(), username, role, password, territories=codes, team=team
    )
    click.echo(f"Added {username} ({role}).")


@user.command("set")
@db_option
@click.argument("username")
@click.option("--territories", default=None, help=TERRITORIES_HELP + " '' clears.")
@click.option("--team", default=None, help="The user's team ('' clears).")
@handle_errors
def user_set(
    db_path: str | None, username: str, territories: str | None, team: str | None
) -> None:
    """Set a user's territories (départements) and team.

    Within each level of the queue, leads placed in the user's territories
    come first; leads that name no place are shown to everyone alike.

    \b
    Example:
      maraude user set camille --territories 13,2A --team "Marseille nord"
    """
    from maraude.ops import command_line
    from maraude.ops import users as accounts

    database = open_db_path(db_path)
    actor = command_line()
    if territories is not None:
        codes = accounts.set_territories(
            database, actor, username, territories.split(",")
        )
        click.echo(f"Territories of {username}: {', '.join(codes) or 'none'}.")
    if team is not None:
        accounts.set_team(database, actor, username, team)
        click.echo(f"Team of {username}: {team.strip() or 'none'}.")


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
    from maraude.ops import command_line
    from maraude.ops import users as accounts

    accounts.set_password(open_db_path(db_path), command_line(), username, password)
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
    from maraude.ops import command_line
    from maraude.ops import users as accounts

    accounts.set_enabled(open_db_path(db_path), command_line(), username, enable)
    click.echo(f"{username} {'enabled' if enable else 'disabled'}.")


@user.command("list")
@db_option
@handle_errors
def user_list(db_path: str | None) -> None:
    """List users, their role, whether they are disabled, territories and team.

    \b
    Example:
      maraude user list --db maraude.db
    """
    from maraude import db

    for u in db.list_users(open_db_path(db_path)):
        state = " (disabled)" if u["disabled"] else ""
        where = ",".join(u["territories"]) or "-"
        click.echo(
            f"{u['username']:20} {u['role']:10} {where:12} {u['team'] or '-'}{state}"
        )


@click.group()
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
@click.option(
    "--catalogue",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of right files to check (default: config/rights).",
)
@handle_errors
def rights_check(folder: Path | None) -> None:
    """Check the catalogue, the reply templates and the places directory.

    Schema, ids the classifier can emit, https links, dated amounts (a warning
    past 18 months), and every template rendered for every right. Exits with
    1 when there is an error; warnings alone pass.

    \b
    Examples:
      maraude rights check
      maraude rights check --catalogue /tmp/rights
    """
    from maraude.catalogue import check_catalogue

    issues = check_catalogue(folder) if folder else check_catalogue()
    for issue in issues:
        click.echo(str(issue), err=issue.is_error)
    errors = sum(issue.is_error for issue in issues)
    warnings = len(issues) - errors
    click.echo(f"{errors} error(s), {warnings} warning(s).")
    if errors:
        sys.exit(1)
