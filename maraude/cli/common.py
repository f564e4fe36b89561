"""What the CLI's command modules share: options, error handling, config."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from maraude.errors import DatabaseDamagedError, MaraudeError

if TYPE_CHECKING:
    from sqlite_utils import Database

    from maraude.config import Config

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")
R = TypeVar("R")

DB_HELP = "SQLite database (default: $MARAUDE_DB, else ./maraude.db)."
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def database_error(e: sqlite3.DatabaseError) -> MaraudeError:
    """A :class:`MaraudeError` for an SQLite error that reached the CLI."""
    if isinstance(e, sqlite3.OperationalError) and (
        "locked" in str(e) or "busy" in str(e)
    ):
        from maraude.errors import DatabaseBusyError

        return DatabaseBusyError(
            f"The database stayed locked by another process ({e}). "
            "Try again in a moment."
        )
    return DatabaseDamagedError(
        f"The database could not be read ({e}): the file is damaged or is not a "
        "Maraude database. Restore the latest copy made by `maraude backup`, or "
        "try `sqlite3 FILE .recover` on a copy of it."
    )


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`MaraudeError` (or an SQLite error, wrapped in one) into a
    clean message and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            try:
                return func(*args, **kwargs)
            except sqlite3.DatabaseError as e:
                raise database_error(e) from e
        except MaraudeError as e:
            raise click.ClickException(str(e)) from None

    return wrapper


def db_option(func: F) -> F:
    """``--db PATH``, passed to the command as ``db_path``."""
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False), help=DB_HELP
    )(func)


def model_option(func: F) -> F:
    """``--model DIR``, passed to the command as ``model_dir``."""
    return click.option(
        "--model",
        "model_dir",
        type=click.Path(file_okay=False),
        help="Model folder (default: classifier.model in config).",
    )(func)


def format_option(func: F) -> F:
    """``--format table|json`` (default: table)."""
    return click.option(
        "--format",
        "fmt",
        default="table",
        show_default=True,
        type=click.Choice(["table", "json"]),
    )(func)


def sources_option(func: F) -> F:
    """``--sources FILE`` (else ``MARAUDE_SOURCES``), passed as ``sources_file``.

    The scheduler and the crawl jobs it sends to scrapyd read the same variable,
    so both sides name the same sources.
    """
    return click.option(
        "--sources",
        "sources_file",
        type=click.Path(dir_okay=False),
        envvar="MARAUDE_SOURCES",
        show_envvar=True,
        help="TOML file of [[sources]] (default: the config's [crawl] "
        "sources_file, config/sources.toml).",
    )(func)


def config_of(ctx: click.Context) -> Config:
    """The configuration named by the group's ``--config`` (else the defaults)."""
    from maraude.config import load_config

    return load_config(ctx.obj.get("config_path"))


def open_db_path(db_path: str | None, *, create: bool = False) -> Database:
    """The database of ``--db`` (else ``MARAUDE_DB``, else ``./maraude.db``).

    A command that only reads never creates one: a missing file is an error
    unless ``create`` is set (commands that add the first rows).
    """
    from maraude import db
    from maraude.config import resolve_db_path

    return db.open_db(resolve_db_path(db_path), create=create)


def operator() -> str:
    """The actor written to the audit log for a CLI command: ``cli:<user>``
    (:func:`maraude.ops.command_line`)."""
    from maraude.ops import command_line

    return command_line().username
