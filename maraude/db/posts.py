"""Posts and crawl state: what the crawlers write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database

from maraude.db.core import dumps, now_iso

POST_FIELDS = (
    "platform",
    "site",
    "source",
    "native_id",
    "url",
    "author_hash",
    "title",
    "text",
    "quoted",
    "lang",
    "created_at",
    "fetched_at",
    "content_hash",
    "parent_native_id",
    "thread_title",
)


def upsert_post(db: Database, post: dict[str, Any]) -> str:
    """Store one post; returns ``"new"``, ``"updated"`` or ``"unchanged"``.

    Posts are unique on (platform, site, native_id): a re-crawl updates the text
    when it changed and never duplicates. The first source to store a post keeps it.
    """
    row = {k: post.get(k) for k in POST_FIELDS}
    row["fetched_at"] = row["fetched_at"] or now_iso()
    # A post without quotes leaves ``quoted`` to its default (NULL).
    fields = [k for k in POST_FIELDS if k != "quoted" or row[k] is not None]
    cols = ", ".join(fields)
    marks = ", ".join("?" for _ in fields)
    inserted = db.execute(
        f"INSERT INTO posts ({cols}) VALUES ({marks}) "
        "ON CONFLICT(platform, site, native_id) DO NOTHING",
        [row[k] for k in fields],
    )
    if inserted.rowcount == 1:  # the common case: one statement
        return "new"
    existing = db.execute(
        "SELECT id, content_hash FROM posts "
        "WHERE platform = ? AND site = ? AND native_id = ?",
        [row["platform"], row["site"], row["native_id"]],
    ).fetchone()
    if existing[1] == row["content_hash"]:
        return "unchanged"
    db.execute(
        "UPDATE posts SET title = ?, text = ?, quoted = ?, lang = ?, "
        "content_hash = ?, fetched_at = ? WHERE id = ?",
        [
            row["title"],
            row["text"],
            row["quoted"],
            row["lang"],
            row["content_hash"],
            row["fetched_at"],
            existing[0],
        ],
    )
    return "updated"


def has_post(db: Database, platform: str, site: str, native_id: str) -> bool:
    """Whether the post (``platform``, ``site``, ``native_id``) is stored."""
    return (
        db.execute(
            "SELECT 1 FROM posts WHERE platform = ? AND site = ? AND native_id = ?",
            [platform, site, native_id],
        ).fetchone()
        is not None
    )


def unscored_posts(
    db: Database, model_version: str, batch_size: int = 256
) -> Iterator[list[dict[str, Any]]]:
    """Yield batches of posts that have no prediction from ``model_version``.

    Keyset pagination on ``id`` keeps memory bounded and lets a killed run resume.
    """
    last_id = 0
    while True:
        rows = db.execute(
            "SELECT p.id, p.title, p.text FROM posts p "
            "WHERE p.id > ? AND NOT EXISTS (SELECT 1 FROM predictions r "
            "WHERE r.post_id = p.id AND r.model_version = ?) "
            "ORDER BY p.id LIMIT ?",
            [last_id, model_version, batch_size],
        ).fetchall()
        if not rows:
            return
        last_id = rows[-1][0]
        yield [{"id": r[0], "title": r[1], "text": r[2]} for r in rows]


def count_unscored(db: Database, model_version: str) -> int:
    """How many posts have no prediction from ``model_version``."""
    return db.execute(
        "SELECT count(*) FROM posts p WHERE NOT EXISTS (SELECT 1 FROM predictions r "
        "WHERE r.post_id = p.id AND r.model_version = ?)",
        [model_version],
    ).fetchone()[0]


def get_post(db: Database, post_id: int) -> dict[str, Any] | None:
    """The stored post with this id, or None."""
    rows = list(db.query("SELECT * FROM posts WHERE id = ?", [post_id]))
    return rows[0] if rows else None


# -- sources and crawl runs -------------------------------------------------


def get_source_state(db: Database, name: str) -> dict[str, Any]:
    """A source's runtime state (high-water marks, cursors); ``{}`` if none."""
    row = db.execute("SELECT state FROM sources WHERE name = ?", [name]).fetchone()
    return json.loads(row[0]) if row else {}


def set_source_state(
    db: Database, name: str, platform: str, state: dict[str, Any]
) -> None:
    """Save a source's runtime state, creating its row if needed."""
    db.execute(
        "INSERT INTO sources(name, platform, state) VALUES (?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET state = excluded.state, "
        "platform = excluded.platform",
        [name, platform, dumps(state)],
    )


def source_enabled_override(db: Database, name: str) -> bool | None:
    """The dashboard's on/off override of a source; None: follow the TOML."""
    row = db.execute("SELECT enabled FROM sources WHERE name = ?", [name]).fetchone()
    return None if row is None or row[0] is None else bool(row[0])


def start_crawl_run(db: Database, source: str, platform: str) -> int:
    """Start a crawl run of ``source`` (closing a killed one); return its id."""
    db.execute(
        "INSERT INTO sources(name, platform) VALUES (?, ?) "
        "ON CONFLICT(name) DO NOTHING",
        [source, platform],
    )
    # The caller holds the source's lock: a run still 'running' was killed.
    db.execute(
        "UPDATE crawl_runs SET status = 'interrupted' "
        "WHERE source = ? AND status = 'running'",
        [source],
    )
    cur = db.execute(
        "INSERT INTO crawl_runs(source, started_at) VALUES (?, ?)", [source, now_iso()]
    )
    return int(cur.lastrowid or 0)


def finish_crawl_run(
    db: Database, run_id: int, status: str, stats: dict[str, int]
) -> None:
    """Record how a crawl run ended: its status and counters."""
    finished = now_iso()
    with db.atomic():
        db.execute(
            "UPDATE crawl_runs SET finished_at = ?, status = ?, requests = ?, "
            "new_posts = ?, updated = ?, dropped = ?, other_language = ?, "
            "errors = ? WHERE id = ?",
            [
                finished,
                status,
                stats.get("requests", 0),
                stats.get("new", 0),
                stats.get("updated", 0),
                stats.get("dropped", 0),
                stats.get("other_language", 0),
                stats.get("errors", 0),
                run_id,
            ],
        )
        db.execute(
            "UPDATE sources SET last_run_at = ?, last_status = ? WHERE name = "
            "(SELECT source FROM crawl_runs WHERE id = ?)",
            [finished, status, run_id],
        )


def crawl_runs(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    """The latest crawl runs, newest first (at most ``limit``)."""
    return list(db.query("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT ?", [limit]))


# -- opt-out register -------------------------------------------------------


def stored_platforms(db: Database) -> set[str]:
    """The platforms of the posts stored (crawled or imported)."""
    return {r[0] for r in db.execute("SELECT DISTINCT platform FROM posts")}


def optout_hashes(db: Database) -> set[str]:
    """Every hash of the opt-out register."""
    return {r[0] for r in db.execute("SELECT value_hash FROM optout").fetchall()}


def add_optout(db: Database, kind: str, value_hash: str) -> bool:
    """Add a hash to the opt-out register; False when it is there already."""
    cur = db.execute(
        "INSERT INTO optout(kind, value_hash, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT(value_hash) DO NOTHING",
        [kind, value_hash, now_iso()],
    )
    return cur.rowcount == 1
