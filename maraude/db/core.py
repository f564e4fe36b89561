"""Opening the database: migrations, WAL, busy timeout, and small shared helpers."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from maraude.db.dialect import is_postgres
from maraude.db.pg import is_url
from maraude.db.schema import migrations
from maraude.errors import DatabaseBusyError, SchemaError

logger = logging.getLogger(__name__)

#: Seconds a writer waits for another process's lock before giving up.
BUSY_TIMEOUT = 30.0


def now_iso() -> str:
    """The current time as ISO-8601 UTC text, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def open_db(
    path: str | Path, *, busy_timeout: float = BUSY_TIMEOUT, create: bool = True
) -> Database:
    """Open (or create) a Maraude database and apply pending migrations.

    ``":memory:"`` gives a private in-memory database (tests). With
    ``create=False`` a missing file raises :class:`SchemaError` instead of
    becoming a new, empty database (commands that only read). A
    ``postgresql://…`` URL opens that PostgreSQL database instead
    (:mod:`maraude.db.pg`); its migrations are applied the same way.
    """
    target = str(path)
    if is_url(target):
        return open_pg(target, busy_timeout=busy_timeout)
    if not create and target != ":memory:" and not Path(target).expanduser().is_file():
        raise SchemaError(
            f"No database at {target}. Check --db or MARAUDE_DB (a typo?); "
            "`maraude crawl` or `maraude demo` creates one."
        )
    if target != ":memory:":
        parent = Path(target).expanduser().resolve().parent
        if not parent.is_dir():
            raise SchemaError(
                f"Cannot create the database {target}: folder {parent} does not exist."
            )
    try:
        conn = sqlite3.connect(target, timeout=busy_timeout, check_same_thread=False)
        db = Database(conn)
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        db.execute("PRAGMA foreign_keys = ON")
        # Deleted rows are overwritten with zeros, not just unlinked: a purge
        # must leave nothing readable in the file (issue #11).
        db.execute("PRAGMA secure_delete = ON")
        if target != ":memory:":
            db.enable_wal()
            # In WAL mode NORMAL never corrupts the database and loses nothing
            # when a process dies (SIGKILL included); only a power cut may lose
            # the last commits. It spares an fsync per commit.
            db.execute("PRAGMA synchronous = NORMAL")
        _migrate(db)
    except sqlite3.DatabaseError as e:
        if "locked" in str(e) or "busy" in str(e):
            raise DatabaseBusyError(
                f"The database {target} is locked by another process. "
                "Try again in a moment."
            ) from None
        raise SchemaError(
            f"Cannot open {target} as a Maraude database ({e}). Check the path, "
            "or move the file aside to start a new one."
        ) from None
    return db


def _migrate(db: Database) -> None:
    """Apply pending migrations, one process at a time.

    Two processes opening a new file at once (two crawl jobs, a dashboard
    thread and a crawl) would both find the migrations pending and the second
    would fail on "table … already exists". The first takes the write lock
    (``BEGIN IMMEDIATE``); the others wait for it, then find nothing left to do
    (each migration runs in its own savepoint inside that transaction).
    """
    if not migrations.pending(db):
        return
    begin_write(db)
    try:
        migrations.apply(db)
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.execute("COMMIT")


def open_pg(url: str, *, busy_timeout: float = BUSY_TIMEOUT) -> Database:
    """Connect to a PostgreSQL database and apply its pending migrations."""
    from maraude.db import schema_pg
    from maraude.db.pg import connect

    db = connect(url, busy_timeout=busy_timeout)
    schema_pg.apply(db.raw)
    return db


def begin_write(db: Any) -> None:
    """Open a transaction that holds the write lock from its first statement.

    On SQLite a plain (deferred) ``BEGIN`` followed by a read takes a snapshot;
    if another process commits before this transaction's first write, that
    write fails at once with "database is locked" (``SQLITE_BUSY_SNAPSHOT``),
    without waiting: the busy timeout does not apply. ``BEGIN IMMEDIATE`` waits
    (up to the busy timeout) for the lock instead. PostgreSQL's row locks need
    no such care.
    """
    db.conn.execute("BEGIN" if is_postgres(db) else "BEGIN IMMEDIATE")


@contextmanager
def translate_busy(path: str = "the database") -> Iterator[None]:
    """Turn SQLite's "database is locked" into a :class:`DatabaseBusyError`."""
    try:
        yield
    except sqlite3.OperationalError as e:
        if "locked" in str(e) or "busy" in str(e):
            raise DatabaseBusyError(
                f"{path} stayed locked by another process for too long. "
                "Try again in a moment."
            ) from None
        raise


#: FTS5's 'secure-delete' option (deletes leave nothing in the index) needs 3.42.
FTS_SECURE_DELETE = sqlite3.sqlite_version_info >= (3, 42, 0)


def wal_checkpoint(db: Database, wait: float) -> bool:
    """Copy the ``-wal`` file into the database and truncate it to zero bytes.

    Waits up to ``wait`` seconds for readers to finish; returns False when one
    kept reading (the ``-wal`` file may then still hold deleted rows).
    """
    previous = db.execute("PRAGMA busy_timeout").fetchone()[0]
    db.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
    try:
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError:
        busy = 1
    finally:
        db.execute(f"PRAGMA busy_timeout = {previous}")
    return busy == 0


def dumps(value: Any) -> str:
    """Compact JSON that keeps accents as they are (for TEXT columns)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def get_meta(db: Database, key: str) -> str | None:
    """The value stored under ``key`` in the ``meta`` table, or None."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def set_meta(db: Database, key: str, value: str) -> None:
    """Store ``value`` under ``key`` in the ``meta`` table (replacing it)."""
    db.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def is_demo(db: Database) -> bool:
    """True only for a database created by ``maraude demo``."""
    return get_meta(db, "demo") == "1"


def counts(db: Database) -> dict[str, int]:
    """Row counts of the main tables (for summaries)."""
    tables = ("posts", "predictions", "leads", "labels", "crawl_runs", "users")
    return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
