"""What differs between SQLite and PostgreSQL, in one place.

Maraude's queries are written once, in the SQL both engines share, with
SQLite's ``?`` / ``:name`` parameters. :func:`to_postgres` rewrites the few
spellings PostgreSQL reads differently, mechanically and outside string
literals:

* parameters: ``?`` → ``%s``, ``:name`` → ``%(name)s``, a literal ``%`` → ``%%``;
* ``LIMIT ?`` → ``LIMIT nullif(greatest(?, -1), -1)``: a negative limit means
  "no limit" on SQLite, NULL does on PostgreSQL;
* ``char(10)`` → ``chr(10)``; scalar ``max(a, b)`` / ``min(a, b)`` →
  ``greatest`` / ``least`` (the one-argument aggregates are left alone);
* SQLite's full-text search ``SELECT rowid FROM posts_fts WHERE posts_fts
  MATCH ?`` → a French ``tsvector`` search (``websearch_to_tsquery``) on the
  GIN-indexed ``posts_fts`` table of the PostgreSQL schema;
* ``INSERT OR IGNORE`` → ``… ON CONFLICT DO NOTHING``; ``INSERT OR REPLACE`` →
  ``… ON CONFLICT (primary key) DO UPDATE SET`` every inserted column;
* an ``INSERT`` into a table with an ``id`` column gets ``RETURNING id``, so
  the cursor's ``lastrowid`` means what it means on SQLite.

``julianday()`` and a ``json_each(text)`` that yields ``value`` as text are
SQL functions created by the PostgreSQL schema (:mod:`maraude.db.schema_pg`).
What cannot be spelt alike (``FOR UPDATE SKIP LOCKED`` on claims, purging
in batches) is chosen with :func:`is_postgres` / :func:`claim_locks` where it
is used.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

#: Primary keys of the tables written with ``INSERT OR REPLACE``.
CONFLICT_KEYS: dict[str, tuple[str, ...]] = {
    "predictions": ("post_id", "model_version"),
    "embeddings": ("model", "text_hash"),
    "meta": ("key",),
    "label_holds": ("post_id", "username"),
    "sources": ("name",),
}

#: Tables whose integer key is ``id`` (``lastrowid`` comes from ``RETURNING id``).
ID_TABLES = frozenset(
    {
        "crawl_runs",
        "posts",
        "leads",
        "labels",
        "users",
        "audit_log",
        "optout",
        "optout_requests",
        "post_links",
    }
)

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INSERT = re.compile(
    r"^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\s+(\w+)\s*\(([^)]*)\)",
    re.IGNORECASE,
)
_PLAIN_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
# SQLite reads a negative LIMIT as "no limit"; PostgreSQL wants NULL for that.
_LIMIT = re.compile(r"\bLIMIT\s+(\?|:\w+)", re.IGNORECASE)


def is_postgres(db: Any) -> bool:
    """True when ``db`` is a PostgreSQL database (:class:`maraude.db.pg.PgDatabase`)."""
    return getattr(db, "dialect", "sqlite") == "postgresql"


def claim_locks(db: Any) -> Iterator[str]:
    """The row-lock clause of each try of a claim, after the ``LIMIT`` of the
    sub-select that picks the lead; the caller tries again only while its
    plain read still sees a free lead.

    SQLite has one writer at a time, so nothing is ever locked: one try, no
    clause. PostgreSQL passes over the rows other claimers are locking
    (``FOR UPDATE SKIP LOCKED``: a losing claimer takes the next free lead).
    When every free lead is locked (a priority refresh holds them for a
    moment), it tries again after a short pause, for up to
    :data:`CLAIM_PATIENCE` seconds, rather than answer "no lead" while leads
    are free. A claimer never waits on a lock, so claimers never deadlock.
    """
    if not is_postgres(db):
        yield ""
        return
    deadline = time.monotonic() + CLAIM_PATIENCE
    pause = 0.005
    while True:
        yield " FOR UPDATE SKIP LOCKED"
        if time.monotonic() > deadline:
            return
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


#: Seconds a PostgreSQL claim keeps trying while every free lead is locked.
CLAIM_PATIENCE = 10.0


def try_xact_lock(db: Any, key: int) -> bool:
    """Inside a transaction: take lock ``key`` until it ends, or False at once
    if another transaction holds it (PostgreSQL's advisory locks).

    Keeps two processes from running one bulk update at once (they would
    deadlock, each locking rows the other needs). Always True on SQLite,
    where a writing transaction already excludes every other writer.
    """
    if not is_postgres(db):
        return True
    return bool(db.execute("SELECT pg_try_advisory_xact_lock(?)", [key]).fetchone()[0])


#: Advisory lock keys (any distinct integers).
REFRESH_LOCK = 7_431_019


#: Full-text search of posts, as each engine spells it (``?``: the words).
FTS_SQLITE = re.compile(
    r"SELECT rowid FROM posts_fts WHERE posts_fts MATCH (\?|'[^']*')", re.IGNORECASE
)
FTS_POSTGRES = (
    r"SELECT id FROM posts_fts WHERE doc @@ websearch_to_tsquery('french', \1)"
)


def _matching_paren(sql: str, start: int) -> tuple[int, bool]:
    """Index of the ``)`` closing the ``(`` at ``start``; whether a comma sits at
    the top level inside."""
    depth, comma, i = 0, False, start
    while i < len(sql):
        c = sql[i]
        if c == "'":
            i = sql.index("'", i + 1)
            while i + 1 < len(sql) and sql[i + 1] == "'":
                i = sql.index("'", i + 2)
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i, comma
        elif c == "," and depth == 1:
            comma = True
        i += 1
    return len(sql), comma


def _rewrite_tokens(sql: str) -> str:
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c == "'":  # a string literal, copied as is (quotes doubled inside)
            j = i + 1
            while True:
                j = sql.index("'", j)
                if j + 1 < n and sql[j + 1] == "'":
                    j += 2
                    continue
                break
            out.append(sql[i : j + 1].replace("%", "%%"))
            i = j + 1
        elif c == '"':
            j = sql.index('"', i + 1)
            out.append(sql[i : j + 1])
            i = j + 1
        elif c == "?":
            out.append("%s")
            i += 1
        elif c == "%":
            out.append("%%")
            i += 1
        elif c == ":" and i + 1 < n and sql[i + 1] == ":":
            out.append("::")
            i += 2
        elif c == ":" and (m := _WORD.match(sql, i + 1)):
            out.append(f"%({m.group()})s")
            i = m.end()
        elif m := _WORD.match(sql, i):
            word = m.group()
            lower = word.lower()
            after = m.end()
            if after < n and sql[after] == "(" and (i == 0 or sql[i - 1] != "."):
                if lower == "char":
                    word = "chr"
                elif lower in ("max", "min") and _matching_paren(sql, after)[1]:
                    word = "greatest" if lower == "max" else "least"
            out.append(word)
            i = after
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _upsert_clause(kind: str, table: str, columns: str) -> str:
    if kind.upper() == "IGNORE":
        return " ON CONFLICT DO NOTHING"
    keys = CONFLICT_KEYS.get(table)
    if keys is None:
        raise ValueError(
            f"INSERT OR REPLACE INTO {table}: add its primary key to "
            "maraude.db.dialect.CONFLICT_KEYS"
        )
    cols = [c.strip() for c in columns.split(",") if c.strip()]
    sets = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in keys)
    action = f"DO UPDATE SET {sets}" if sets else "DO NOTHING"
    return f" ON CONFLICT ({', '.join(keys)}) {action}"


@lru_cache(maxsize=2048)
def to_postgres(sql: str) -> tuple[str, bool]:
    """SQLite-flavoured ``sql`` in PostgreSQL's spelling.

    Returns the statement and whether ``RETURNING id`` was added for
    ``lastrowid``.
    """
    tail = ""
    sql = FTS_SQLITE.sub(FTS_POSTGRES, sql)
    sql = _LIMIT.sub(r"LIMIT nullif(greatest(\1, -1), -1)", sql)
    if m := _INSERT.match(sql):
        kind, table, columns = m.groups()
        sql = f"INSERT INTO {table} ({columns})" + sql[m.end() :]
        tail = _upsert_clause(kind, table, columns)
    text = _rewrite_tokens(sql).rstrip().rstrip(";")
    if tail:
        ret = _RETURNING.search(text)
        text = (
            text[: ret.start()] + tail.strip() + " " + text[ret.start() :]
            if ret
            else text + tail
        )
    added = False
    m = _PLAIN_INSERT.match(text)
    if m and m.group(1).lower() in ID_TABLES and not _RETURNING.search(text):
        text += " RETURNING id"
        added = True
    return text, added
