"""``maraude migrate-db SRC DST``: copy a whole Maraude database to another.

Made to move a SQLite file to PostgreSQL (docs/deployment.md); it copies
between any two Maraude databases. The destination is migrated to the current
schema first and must hold no posts. Rows keep their ids (leads, labels and
audit lines refer to each other by id), in one transaction on the
destination: a failure leaves it as it was, so the command can simply be run
again. The full-text index is rebuilt by the destination's own triggers.
Crawl leases (``source_locks``) are not copied: they belong to running crawls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from maraude.db.core import open_db
from maraude.db.dialect import ID_TABLES, is_postgres
from maraude.db.pg import is_url
from maraude.errors import SchemaError

logger = logging.getLogger(__name__)

#: Tables in an order that satisfies their foreign keys.
TABLES = (
    "meta",
    "sources",
    "crawl_runs",
    "posts",
    "post_links",
    "predictions",
    "leads",
    "crisis_alerts",
    "labels",
    "label_holds",
    "users",
    "audit_log",
    "optout",
    "optout_requests",
    "embeddings",
)

#: Rows read and written at a time.
BATCH = 2_000


def _columns(db: Database, table: str) -> list[str]:
    return list(db[table].columns_dict)


def copy_table(src: Database, dst: Database, table: str) -> int:
    """Copy every row of ``table`` (the columns both sides have); the count."""
    cols = [c for c in _columns(src, table) if c in set(_columns(dst, table))]
    names = ", ".join(cols)
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(cols))})"
    cursor = src.execute(f"SELECT {names} FROM {table}")
    copied = 0
    while rows := cursor.fetchmany(BATCH):
        dst.conn.executemany(insert, rows)
        copied += len(rows)
    return copied


def _move_sequences(dst: Database) -> None:
    """PostgreSQL: new ids continue after the copied ones."""
    for table in sorted(ID_TABLES):
        dst.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
        )


def migrate(
    src_path: str | Path,
    dst_path: str | Path,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copy database ``src_path`` into ``dst_path``; rows copied per table.

    Raises :class:`SchemaError` when the source is missing, the two are the
    same database, or the destination already holds posts.
    """
    if str(src_path) == str(dst_path):
        raise SchemaError("SRC and DST are the same database: name two databases.")
    if not is_url(dst_path) and Path(dst_path).expanduser().exists():
        raise SchemaError(
            f"{dst_path} exists: give a new file name or a PostgreSQL URL."
        )
    src = open_db(src_path, create=False)
    dst = open_db(dst_path)
    try:
        if dst.execute("SELECT count(*) FROM posts").fetchone()[0]:
            raise SchemaError(
                f"The destination {dst_path} already holds posts: migrate into an "
                "empty database (createdb a new one)."
            )
        copied: dict[str, int] = {}
        with dst.atomic():
            # The destination's own migrations filled meta: the source's wins.
            dst.execute("DELETE FROM meta")
            for table in TABLES:
                copied[table] = copy_table(src, dst, table)
                logger.info("copied %d rows of %s", copied[table], table)
                if progress:
                    progress(table, copied[table])
            if is_postgres(dst):
                _move_sequences(dst)
        return copied
    finally:
        src.close()
        dst.close()
