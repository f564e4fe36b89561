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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from maraude import vocab
from maraude.db.core import FTS_SECURE_DELETE, wal_checkpoint
from maraude.db.embeddings import post_text, text_hash
from maraude.errors import PurgeIncompleteError
from maraude.privacy import old_secrets, url_hash

CLOSED = vocab.CLOSED_STATUSES

#: Seconds a purge waits for readers before its final WAL checkpoint gives up.
CHECKPOINT_WAIT = 10.0


def _ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Policy:
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
    with db.atomic():
        if FTS_SECURE_DELETE:
            db.execute(
                "INSERT INTO posts_fts(posts_fts, rank) VALUES ('secure-delete', 1)"
            )
        for start in range(0, len(post_ids), 500):
            chunk = post_ids[start : start + 500]
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
        if not FTS_SECURE_DELETE:  # merge the index: drops the deleted terms
            db.execute("INSERT INTO posts_fts(posts_fts) VALUES ('optimize')")
    return len(post_ids)


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
