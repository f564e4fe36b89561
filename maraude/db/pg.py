"""PostgreSQL behind the same small API as ``sqlite_utils.Database``.

Maraude's database code uses a narrow part of sqlite-utils: ``execute`` (a
cursor with ``fetchone``/``fetchall``/``rowcount``/``lastrowid``), ``query``
(rows as dicts), ``atomic()`` (a transaction, savepoints when nested),
``conn`` (``in_transaction``, ``execute``, ``executemany``) and
``db[table].columns_dict``. :class:`PgDatabase` offers exactly that over one
psycopg 3 connection, translating each statement with
:func:`maraude.db.dialect.to_postgres`, so every query keeps one definition.

The connection is in autocommit mode, as sqlite-utils ≥ 4 commits a write
that runs outside ``atomic()``: a statement outside a transaction is its own.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlite_utils import Database

from maraude.db.dialect import to_postgres
from maraude.errors import SchemaError

logger = logging.getLogger(__name__)

URL_PREFIXES = ("postgresql://", "postgres://")


def is_url(target: object) -> bool:
    """True for a ``postgresql://…`` (or ``postgres://…``) URL."""
    return str(target).startswith(URL_PREFIXES)


class PgIntegrityError(sqlite3.IntegrityError):
    """A constraint PostgreSQL enforced (``sqlstate`` says which)."""

    sqlstate: str | None = None


class PgOperationalError(sqlite3.OperationalError):
    """A lock timeout, a lost connection…: the operation may succeed later."""

    sqlstate: str | None = None


class PgDatabaseError(sqlite3.DatabaseError):
    """Any other error PostgreSQL reported."""

    sqlstate: str | None = None


def as_sqlite_error(e: Exception) -> sqlite3.DatabaseError:
    """A psycopg error as the ``sqlite3`` class callers already catch.

    Maraude's callers catch ``sqlite3.IntegrityError`` / ``DatabaseError``;
    the PostgreSQL backend raises subclasses of them, with the ``sqlstate``.
    The message is the server's primary message only: its DETAIL may quote a
    whole failing row (post text included), which must never reach a log.
    """
    import psycopg

    state = getattr(e, "sqlstate", None)
    primary = getattr(getattr(e, "diag", None), "message_primary", None)
    message = (primary or str(e).strip().split("\n", 1)[0]).strip()
    cls: type[PgIntegrityError | PgOperationalError | PgDatabaseError]
    if isinstance(e, psycopg.IntegrityError):
        cls = PgIntegrityError
    elif isinstance(e, psycopg.OperationalError):
        cls = PgOperationalError
        if state == "55P03":  # lock_timeout, worded as SQLite's busy error
            message = f"database is locked ({message})"
    else:
        cls = PgDatabaseError
    error = cls(message)
    error.sqlstate = state
    return error


def _params(params: Sequence[Any] | dict[str, Any] | None) -> Any:
    if params is None:
        return ()
    if isinstance(params, dict):
        return params
    return tuple(params)


class PgCursor:
    """The result of :meth:`PgDatabase.execute`, shaped like ``sqlite3.Cursor``."""

    def __init__(self, cursor: Any, returned_id: bool) -> None:
        self._cursor = cursor
        self.rowcount: int = cursor.rowcount
        self.lastrowid: int | None = None
        self.description = cursor.description
        if returned_id:
            rows = cursor.fetchall()
            self.lastrowid = rows[-1][0] if rows else None

    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row, or None."""
        return self._cursor.fetchone() if self.description else None

    def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:
        """Up to ``size`` next rows."""
        return self._cursor.fetchmany(size) if self.description else []

    def fetchall(self) -> list[tuple[Any, ...]]:
        """The remaining rows."""
        return self._cursor.fetchall() if self.description else []

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.fetchall())


class PgConnection:
    """The few ``sqlite3.Connection`` members Maraude's callers use."""

    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    @property
    def in_transaction(self) -> bool:
        """True inside ``BEGIN`` … ``COMMIT``."""
        import psycopg.pq

        status = self._db.raw.info.transaction_status
        return status != psycopg.pq.TransactionStatus.IDLE

    def execute(self, sql: str, params: Any = None) -> PgCursor:
        """Run one statement (``BEGIN`` and ``COMMIT`` included)."""
        word = sql.strip().rstrip(";").upper()
        cursor = self._db.execute(sql, params)
        if word == "BEGIN":
            self._db.explicit = True
        elif word in ("COMMIT", "ROLLBACK", "END"):
            self._db.explicit = False
        return cursor

    def executemany(self, sql: str, rows: Sequence[Any]) -> None:
        """Run one statement for each row of parameters."""
        import psycopg

        text, _ = to_postgres(sql)
        with self._db.raw.cursor() as cur:
            try:
                cur.executemany(text, [_params(r) for r in rows])
            except psycopg.DatabaseError as e:
                raise as_sqlite_error(e) from None  # DETAIL may quote a row

    def commit(self) -> None:
        """Commit the open transaction, if any."""
        try:
            if self.in_transaction:
                self._db.raw.execute("COMMIT")
        finally:
            self._db.explicit = False

    def rollback(self) -> None:
        """Roll the open transaction back, if any (a lost connection has none)."""
        import psycopg

        try:
            if self.in_transaction:
                self._db.raw.execute("ROLLBACK")
        except psycopg.OperationalError:
            logger.warning("rollback on a lost PostgreSQL connection")
        finally:
            self._db.explicit = False

    def backup(self, target: Any) -> None:
        """SQLite's online copy has no PostgreSQL twin here: use ``pg_dump``."""
        raise SchemaError(
            "`maraude backup` copies a SQLite file. For PostgreSQL use "
            "`pg_dump --format=custom` (see docs/deployment.md)."
        )

    def close(self) -> None:
        """Close the connection."""
        self._db.raw.close()

    def __enter__(self) -> PgConnection:
        """``with db.conn:`` one transaction, committed at the end (as sqlite3)."""
        if not self.in_transaction:
            self._db.raw.execute("BEGIN")
            self._db.explicit = True
        return self

    def __exit__(self, kind: object, error: object, tb: object) -> None:
        if error is None:
            self.commit()
        else:
            self.rollback()


class PgTable:
    """``db[name]``: only what Maraude reads of a table."""

    def __init__(self, db: PgDatabase, name: str) -> None:
        self.db, self.name = db, name

    @property
    def columns_dict(self) -> dict[str, type]:
        """Column name → Python type (str, int, float, bytes)."""
        kinds = {"integer": int, "bigint": int, "double precision": float}
        rows = self.db.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? "
            "ORDER BY ordinal_position",
            [self.name],
        ).fetchall()
        return {n: kinds.get(t, bytes if t == "bytea" else str) for n, t in rows}

    @property
    def count(self) -> int:
        """The number of rows."""
        row = self.db.execute(f'SELECT count(*) FROM "{self.name}"').fetchone()
        return int(row[0]) if row else 0

    def exists(self) -> bool:
        """True when the table exists."""
        return self.name in self.db.table_names()


class PgDatabase(Database):
    """A PostgreSQL database with the sqlite-utils subset Maraude uses.

    It subclasses ``sqlite_utils.Database`` only so that type hints hold; the
    members it does not override are not supported.
    """

    dialect = "postgresql"

    def __init__(self, url: str, busy_timeout: float) -> None:  # no SQLite here
        self.url = url
        self.busy_timeout = busy_timeout
        self._raw = _open_raw(url, busy_timeout)
        #: True between BEGIN and COMMIT/ROLLBACK (never reconnect inside one).
        self.explicit = False
        self.conn = PgConnection(self)  # type: ignore[assignment]
        self._tracer = None

    @property
    def raw(self) -> Any:
        """The psycopg connection; a new one if the server dropped the old one
        between two transactions (a restart, a failover), never inside one."""
        if self._raw.broken and not self.explicit:
            logger.warning("PostgreSQL connection lost: connecting again")
            self._raw = _open_raw(self.url, self.busy_timeout)
        return self._raw

    def execute(  # type: ignore[override]
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None
    ) -> PgCursor:
        """Run one statement written in SQLite's spelling."""
        import psycopg

        text, returned_id = to_postgres(sql)
        cursor = self.raw.cursor()
        try:
            cursor.execute(text, _params(parameters))
        except psycopg.DatabaseError as e:
            raise as_sqlite_error(e) from None  # DETAIL may quote a row
        return PgCursor(cursor, returned_id)

    def query(  # type: ignore[override]
        self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Rows of ``sql`` as dicts."""
        import psycopg
        from psycopg.rows import dict_row

        text, _ = to_postgres(sql)
        cursor = self.raw.cursor(row_factory=dict_row)
        try:
            cursor.execute(text, _params(params))
        except psycopg.DatabaseError as e:
            raise as_sqlite_error(e) from None  # DETAIL may quote a row
        return iter(cursor.fetchall() if cursor.description else [])

    @contextmanager
    def atomic(self) -> Iterator[PgDatabase]:
        """One transaction; a savepoint when one is already open."""
        if self.conn.in_transaction:
            self.raw.execute("SAVEPOINT maraude_atomic")
            try:
                yield self
            except BaseException:
                self.raw.execute("ROLLBACK TO SAVEPOINT maraude_atomic")
                raise
            self.raw.execute("RELEASE SAVEPOINT maraude_atomic")
            return
        self.raw.execute("BEGIN")
        self.explicit = True
        try:
            yield self
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def __getitem__(self, name: str) -> PgTable:  # type: ignore[override]
        return PgTable(self, name)

    def table_names(self, fts4: bool = False, fts5: bool = False) -> list[str]:
        """Names of the tables of the current schema."""
        rows = self.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
            "ORDER BY table_name"
        ).fetchall()
        return [r[0] for r in rows]

    def enable_wal(self) -> None:
        """Nothing to do: PostgreSQL readers never block writers."""

    def close(self) -> None:
        """Close the connection."""
        self.raw.close()

    def __repr__(self) -> str:
        return f"<PgDatabase {self.url.split('@')[-1]}>"


def _open_raw(url: str, busy_timeout: float) -> Any:
    """A psycopg connection: autocommit, numbers as float, a lock timeout."""
    import psycopg
    from psycopg.types.numeric import FloatLoader

    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as e:
        raise SchemaError(
            f"Cannot reach the PostgreSQL database ({str(e).strip()[:300]}). "
            "Check the URL in --db or MARAUDE_DB, that the server runs, and "
            "that the database exists (createdb)."
        ) from None
    # sum() and avg() of integers are numeric in PostgreSQL: read them as
    # float, as SQLite returns them.
    raw.adapters.register_loader("numeric", FloatLoader)
    raw.execute(f"SET lock_timeout = {int(busy_timeout * 1000)}")
    return raw


def connect(url: str, *, busy_timeout: float) -> PgDatabase:
    """Connect to the PostgreSQL database at ``url``."""
    return PgDatabase(url, busy_timeout)
