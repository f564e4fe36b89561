"""Copies of one post: the links that make them one lead (SQL only).

A copy (the same post read through two feeds, a retweet, a cross-post) is
linked to the first copy stored, its *original*, in ``post_links``
(docs/contracts.md). Finding copies is the crawlers' job
(:mod:`crawlers.dedupe`); this module stores the links, resolves which post a
prediction's lead belongs to, and merges leads that already exist on both
sides of a new link, without ever merging away a lead a worker touched.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlite_utils import Database

from maraude import vocab
from maraude.db.core import now_iso

logger = logging.getLogger(__name__)

LINK_KINDS = vocab.LINK_KINDS
#: ``meta`` key: the highest post id the copy finder has already looked at.
CHECKED_KEY = "copies_checked_id"


def posts_after(db: Database, after_id: int, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` posts with an id above ``after_id``, oldest id first,
    with what the copy finder compares (``at``: created, else fetched) and
    ``original`` (itself when not a copy)."""
    return list(
        db.query(
            "SELECT p.id, p.platform, p.site, p.author_hash, p.text, "
            "coalesce(p.created_at, p.fetched_at) AS at, "
            "coalesce(l.original_id, p.id) AS original FROM posts p "
            "LEFT JOIN post_links l ON l.copy_id = p.id "
            "WHERE p.id > ? ORDER BY p.id LIMIT ?",
            [after_id, limit],
        )
    )


def time_span_after(db: Database, after_id: int) -> tuple[str, str] | None:
    """The first and last dates of the posts with an id above ``after_id``."""
    row = db.execute(
        "SELECT min(coalesce(created_at, fetched_at)), "
        "max(coalesce(created_at, fetched_at)) FROM posts WHERE id > ?",
        [after_id],
    ).fetchone()
    return (row[0], row[1]) if row and row[0] else None


def posts_between(
    db: Database, start: str, end: str, below_id: int
) -> list[dict[str, Any]]:
    """Posts stored before ``below_id`` and written between ``start`` and
    ``end`` (ISO-8601), each with ``original`` (itself when not a copy)."""
    return list(
        db.query(
            "SELECT p.id, p.platform, p.site, p.author_hash, p.text, "
            "coalesce(p.created_at, p.fetched_at) AS at, "
            "coalesce(l.original_id, p.id) AS original FROM posts p "
            "LEFT JOIN post_links l ON l.copy_id = p.id WHERE p.id < ? "
            "AND coalesce(p.created_at, p.fetched_at) BETWEEN ? AND ? ORDER BY p.id",
            [below_id, start, end],
        )
    )


def post_id(db: Database, platform: str, site: str, native_id: str) -> int | None:
    """The id of the post stored under (platform, site, native_id), if any."""
    row = db.execute(
        "SELECT id FROM posts WHERE platform = ? AND site = ? AND native_id = ?",
        [platform, site, native_id],
    ).fetchone()
    return row[0] if row else None


def original_of(db: Database, post_id: int) -> int:
    """The first copy of ``post_id`` (itself when it is not a copy)."""
    row = db.execute(
        "SELECT original_id FROM post_links WHERE copy_id = ?", [post_id]
    ).fetchone()
    return row[0] if row else post_id


def link_copy(
    db: Database,
    copy_id: int,
    original_id: int,
    kind: str,
    similarity: float | None = None,
) -> bool:
    """Link stored post ``copy_id`` to ``original_id``; False if already linked.

    Leads already made on both sides become one (:func:`merge_leads`).
    """
    if kind not in LINK_KINDS:
        raise ValueError(f"unknown link kind {kind!r}")
    original_id = original_of(db, original_id)
    if copy_id == original_id:
        return False
    with db.atomic():
        cur = db.execute(
            "INSERT INTO post_links (original_id, copy_id, platform, site, "
            "native_id, url, kind, similarity, linked_at) SELECT ?, id, platform, "
            "site, native_id, url, ?, ?, ? FROM posts WHERE id = ? "
            "ON CONFLICT DO NOTHING",
            [original_id, kind, similarity, now_iso(), copy_id],
        )
        if cur.rowcount != 1:
            return False
        # A post that had copies of its own hands them to its original.
        db.execute(
            "UPDATE post_links SET original_id = ? WHERE original_id = ?",
            [original_id, copy_id],
        )
        # Earlier links left at most one untouched lead in the group: only a
        # lead on the copy itself can make two.
        if db.execute("SELECT 1 FROM leads WHERE post_id = ?", [copy_id]).fetchone():
            merge_leads(db, original_id)
    return True


def link_unstored_copy(
    db: Database,
    original_id: int,
    *,
    platform: str,
    site: str,
    native_id: str,
    url: str | None,
    kind: str = "retweet",
) -> bool:
    """Record a copy that is not stored as a post (a retweet): its address only."""
    if kind not in LINK_KINDS:
        raise ValueError(f"unknown link kind {kind!r}")
    cur = db.execute(
        "INSERT INTO post_links (original_id, copy_id, platform, site, native_id, "
        "url, kind, linked_at) VALUES (?, NULL, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        [original_of(db, original_id), platform, site, native_id, url, kind, now_iso()],
    )
    return cur.rowcount == 1


def group_of(db: Database, post_id: int) -> list[int]:
    """Ids of the stored posts of ``post_id``'s group, its original first."""
    original = original_of(db, post_id)
    rows = db.execute(
        "SELECT copy_id FROM post_links WHERE original_id = ? "
        "AND copy_id IS NOT NULL ORDER BY copy_id",
        [original],
    ).fetchall()
    return [original, *(r[0] for r in rows)]


def lead_post_id(db: Database, post_id: int) -> int:
    """The post whose lead a prediction for ``post_id`` raises or creates:
    the group's existing lead (the original's first), else the original."""
    group = group_of(db, post_id)
    if len(group) == 1:
        return post_id
    marks = ", ".join("?" for _ in group)
    rows = dict(
        db.execute(
            f"SELECT post_id, id FROM leads WHERE post_id IN ({marks})", group
        ).fetchall()
    )
    return next((p for p in group if p in rows), group[0])


def merge_leads(db: Database, post_id: int) -> int:
    """Make the leads of ``post_id``'s group one; returns how many were removed.

    The lead that stays is one a worker touched (the original's first), else
    the original's, else the oldest. Untouched leads are folded into it (the
    highest score, crisis level and minor flag win) and removed; a touched lead
    is never merged away, so two touched leads both stay.
    """
    group = group_of(db, post_id)
    if len(group) < 2:
        return 0
    marks = ", ".join("?" for _ in group)
    leads = list(
        db.query(
            f"SELECT id, post_id, touched FROM leads WHERE post_id IN ({marks})",
            group,
        )
    )
    if len(leads) < 2:
        return 0
    rank = {p: i for i, p in enumerate(group)}
    leads.sort(key=lambda r: (not r["touched"], rank[r["post_id"]]))
    keeper, others = leads[0], [r for r in leads[1:] if not r["touched"]]
    for other in others:
        _fold(db, other["id"], keeper["id"])
    if others:
        logger.info("merged %d lead(s) into lead %d", len(others), keeper["id"])
    return len(others)


def _fold(db: Database, gone: int, kept: int) -> None:
    """Raise lead ``kept`` with untouched lead ``gone``'s scores, then drop it."""
    db.execute(
        "UPDATE leads SET crisis = max(leads.crisis, g.crisis), "
        "score = max(leads.score, g.score), minor = max(leads.minor, g.minor), "
        "priority = max(leads.priority, g.priority), "
        "crisis_level = CASE WHEN 'sure' IN (leads.crisis_level, g.crisis_level) "
        "THEN 'sure' WHEN 'possible' IN (leads.crisis_level, g.crisis_level) "
        "THEN 'possible' END, "
        "labels = CASE WHEN leads.touched = 1 OR leads.score >= g.score "
        "THEN leads.labels ELSE g.labels END, "
        "rights_topics = CASE WHEN leads.touched = 1 OR leads.score >= g.score "
        "THEN leads.rights_topics ELSE g.rights_topics END "
        "FROM (SELECT * FROM leads WHERE id = ?) AS g WHERE leads.id = ?",
        [gone, kept],
    )
    # A crisis alert already sent for the removed lead now speaks for the kept one.
    db.execute(
        "UPDATE crisis_alerts SET lead_id = ? WHERE lead_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM crisis_alerts c WHERE c.lead_id = ?)",
        [kept, gone, kept],
    )
    db.execute("DELETE FROM leads WHERE id = ?", [gone])


def copies_of(db: Database, post_id: int) -> list[dict[str, Any]]:
    """Where else the post of a lead was seen: the other members of its group
    (stored copies, the original, unstored copies), first seen first."""
    original = original_of(db, post_id)
    rows = list(
        db.query(
            "SELECT NULL AS link_id, platform, site, url, 'original' AS kind "
            "FROM posts WHERE id = ? AND id != ? UNION ALL "
            "SELECT id, platform, site, url, kind FROM post_links "
            "WHERE original_id = ? AND coalesce(copy_id, -1) != ? "
            "ORDER BY link_id",
            [original, post_id, original, post_id],
        )
    )
    for row in rows:
        row.pop("link_id")
    return rows
