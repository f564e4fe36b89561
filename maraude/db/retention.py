"""Retention: what ``maraude purge`` deletes, and the embeddings cache it clears.

Rules (days come from ``[privacy]`` in the config):

* posts that are not leads, fetched more than ``posts_days`` ago;
* closed leads (``replied``, ``not_relevant``, ``closed``) untouched for
  ``closed_leads_days``, with their posts;
* moderators' labels older than ``labels_days``; audit lines older than
  ``audit_days``;
* any post whose author or URL is on the opt-out register, whatever its age;
* any post of a platform listed in ``platform_days``, lead or not, collected
  more than that many days ago (YouTube's API terms).

Deleting a post deletes its predictions and lead (foreign keys), its full-text
index rows (triggers) and its cached embeddings.

Deleting erases (issue #11): every connection runs with ``secure_delete`` (freed
space is overwritten with zeros); the full-text index uses FTS5's
``secure-delete`` option where SQLite has it (3.42+), else is rebuilt with
``optimize`` after a deletion; and a purge ends with a WAL checkpoint that
truncates the ``-wal`` file, waiting at most :data:`CHECKPOINT_WAIT` seconds for
readers. If a reader kept it from completing, :func:`purge` raises
:class:`PurgeIncompleteError` (the rows are deleted; their bytes may linger).

On PostgreSQL a purge deletes in batches of :data:`PG_BATCH` posts, each its
own short transaction (tens of milliseconds), so claims and crawls never wait
behind it; the full-text rows go with their posts (``ON DELETE CASCADE``).
PostgreSQL keeps deleted rows' bytes until their space is reused: autovacuum
frees it; ``VACUUM FULL`` rewrites the tables (docs/deployment.md).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from maraude import vocab
from maraude.db.core import FTS_SECURE_DELETE, wal_checkpoint
from maraude.db.dialect import is_postgres
from maraude.db.embeddings import post_text, text_hash
from maraude.errors import PurgeIncompleteError, SchemaError
from maraude.privacy import old_secrets, url_hash

logger = logging.getLogger(__name__)

CLOSED = vocab.CLOSED_STATUSES

#: Posts deleted per transaction on PostgreSQL (each batch commits at once).
PG_BATCH = 200

#: Seconds a purge waits for readers before its final WAL checkpoint gives up.
CHECKPOINT_WAIT = 10.0


def _ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Policy:
    """How many days each kind of data is kept (``[privacy]`` in the config)."""

    posts_days: int = 7
    closed_leads_days: int = 30
    labels_days: int = 365
    audit_days: int = 365
    platform_days: dict[str, int] = field(default_factory=dict)


def _selections(
    db: Database, policy: Policy, secret: str | None
) -> dict[str, list[int]]:
    old_posts = [
        r[0]
        for r in db.execute(
            "SELECT p.id FROM posts p WHERE p.fetched_at < ? AND NOT EXISTS "
            "(SELECT 1 FROM leads l WHERE l.post_id = p.id)",
            [_ago(policy.posts_days)],
        )
    ]
    closed = [
        r[0]
        for r in db.execute(
            f"SELECT post_id FROM leads WHERE status IN ({','.join('?' * len(CLOSED))})"
            " AND updated_at < ?",
            [*CLOSED, _ago(policy.closed_leads_days)],
        )
    ]
    opted = [
        r[0]
        for r in db.execute(
            "SELECT id FROM posts WHERE author_hash IN "
            "(SELECT value_hash FROM optout WHERE kind = 'author')"
        )
    ]
    url_hashes = {
        r[0] for r in db.execute("SELECT value_hash FROM optout WHERE kind = 'url'")
    }
    keys = [secret, *old_secrets()] if secret else []
    if url_hashes and keys:  # URL entries are keyed hashes: they need the key
        opted += [
            pid
            for pid, url in db.execute(
                "SELECT id, url FROM posts WHERE url IS NOT NULL"
            )
            if any(url_hash(key, url) in url_hashes for key in keys)
        ]
    past_limit = [
        r[0]
        for platform, days in sorted(policy.platform_days.items())
        for r in db.execute(
            "SELECT id FROM posts WHERE platform = ? AND fetched_at < ?",
            [platform, _ago(days)],
        )
    ]
    return {
        "old_posts": old_posts,
        "closed_leads": closed,
        "opted_out": opted,
        "platform_limit": past_limit,
    }


def delete_posts(db: Database, post_ids: list[int]) -> int:
    """Delete posts with their predictions, leads, index rows and cached embeddings.

    The index rows are erased, not just marked deleted (see the module's doc).
    """
    if not post_ids:
        return 0
    if is_postgres(db):
        return _delete_posts_in_batches(db, post_ids)
    with db.atomic():
        if FTS_SECURE_DELETE:
            db.execute(
                "INSERT INTO posts_fts(posts_fts, rank) VALUES ('secure-delete', 1)"
            )
        for start in range(0, len(post_ids), 500):
            _delete_chunk(db, post_ids[start : start + 500])
        if not FTS_SECURE_DELETE:  # merge the index: drops the deleted terms
            db.execute("INSERT INTO posts_fts(posts_fts) VALUES ('optimize')")
    return len(post_ids)


def _delete_chunk(db: Database, chunk: list[int]) -> None:
    marks = ",".join("?" * len(chunk))
    rows = db.execute(
        f"SELECT title, text FROM posts WHERE id IN ({marks})", chunk
    ).fetchall()
    # The cache holds what the classifier read: title then text.
    hashes = [text_hash(post_text(title, text)) for title, text in rows]
    if hashes:
        db.execute(
            f"DELETE FROM embeddings WHERE text_hash IN "
            f"({','.join('?' * len(hashes))})",
            hashes,
        )
    db.execute(f"DELETE FROM posts WHERE id IN ({marks})", chunk)


def _delete_posts_in_batches(db: Database, post_ids: list[int]) -> int:
    """PostgreSQL: one short transaction per :data:`PG_BATCH` posts."""
    longest, batches = 0.0, 0
    for start in range(0, len(post_ids), PG_BATCH):
        began = time.perf_counter()
        with db.atomic():
            _delete_chunk(db, post_ids[start : start + PG_BATCH])
        longest = max(longest, time.perf_counter() - began)
        batches += 1
    logger.info(
        "deleted %d posts in %d batches, longest %.0f ms",
        len(post_ids),
        batches,
        longest * 1000,
    )
    return len(post_ids)


def _delete_older_in_batches(
    db: Database, table: str, column: str, before: str
) -> None:
    """PostgreSQL: delete ``table``'s rows older than ``before``, 1,000 a batch."""
    while (
        db.execute(
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "
            f"WHERE {column} < ? LIMIT 1000)",
            [before],
        ).rowcount
        > 0
    ):
        pass


def open_lead_posts(db: Database) -> list[dict]:
    """Posts behind open leads, for ``maraude recheck``."""
    return list(
        db.query(
            "SELECT p.id, p.platform, p.site, p.source, p.native_id, p.url "
            "FROM leads l JOIN posts p ON p.id = l.post_id "
            "WHERE l.status IN ('new', 'claimed', 'escalated') ORDER BY p.id"
        )
    )


def purge(
    db: Database, policy: Policy, *, dry_run: bool = False, secret: str | None = None
) -> dict[str, int]:
    """Apply the retention policy; returns what was (or would be) deleted."""
    chosen = _selections(db, policy, secret)
    post_ids = sorted({i for ids in chosen.values() for i in ids})
    labels = db.execute(
        "SELECT count(*) FROM labels WHERE created_at < ?", [_ago(policy.labels_days)]
    ).fetchone()[0]
    audit = db.execute(
        "SELECT count(*) FROM audit_log WHERE at < ?", [_ago(policy.audit_days)]
    ).fetchone()[0]
    report = {
        "posts": len(post_ids),
        "of which old non-leads": len(chosen["old_posts"]),
        "of which closed leads": len(chosen["closed_leads"]),
        "of which opted out": len(set(chosen["opted_out"])),
        "of which past their platform's limit": len(chosen["platform_limit"]),
        "labels": labels,
        "audit lines": audit,
    }
    if dry_run:
        return report
    if is_postgres(db):  # short batches: no lock held for long, nothing to checkpoint
        delete_posts(db, post_ids)
        _delete_older_in_batches(db, "labels", "created_at", _ago(policy.labels_days))
        _delete_older_in_batches(db, "audit_log", "at", _ago(policy.audit_days))
        return report
    with db.atomic():
        delete_posts(db, post_ids)
        db.execute(
            "DELETE FROM labels WHERE created_at < ?", [_ago(policy.labels_days)]
        )
        db.execute("DELETE FROM audit_log WHERE at < ?", [_ago(policy.audit_days)])
    if not wal_checkpoint(db, CHECKPOINT_WAIT):
        raise PurgeIncompleteError(
            f"Deleted {report['posts']} posts, but another process kept reading the "
            f"database for {CHECKPOINT_WAIT:.0f} s, so the -wal file may still hold "
            "their text. Stop the process holding the database open (a stuck "
            "`sqlite3` shell, a crawl), then run `maraude purge` again."
        )
    return report


def backup(db: Database, dest: str) -> None:
    """Copy the database to ``dest`` with SQLite's online backup (safe while in use)."""
    import sqlite3

    if is_postgres(db):
        raise SchemaError(
            "`maraude backup` copies a SQLite file. For PostgreSQL use "
            "`pg_dump --format=custom` (see docs/deployment.md)."
        )
    target = sqlite3.connect(dest)
    try:
        db.conn.backup(target)
    finally:
        target.close()


def export_labels(db: Database) -> list[dict]:
    """Moderators' labels as training data: masked text and labels only."""
    import json

    from maraude.privacy import mask_text

    rows = db.query(
        "SELECT text, distress, crisis, rights, rights_topics, non_recours_form, minor,"
        " origin, created_at FROM labels ORDER BY id"
    )
    return [
        {
            **r,
            "text": mask_text(r["text"]),
            "rights_topics": json.loads(r["rights_topics"]),
        }
        for r in rows
    ]
