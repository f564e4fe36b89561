"""The incremental priority refresh stores what a full refresh would (#18).

``refresh_priorities`` walks the leads in batches of ids, one transaction
each, writing only the open leads whose priority changes; the queue it leaves
must be the queue a single full ``UPDATE`` at the same reference time gives.
tests/postgres/test_pg_refresh.py runs the ``db`` tests again on PostgreSQL.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from maraude import db as mdb
from maraude.db import leads as leads_module
from maraude.db.schema import OPEN_STATUSES

STATUSES = ["new", "new", "claimed", "escalated", "replied", "closed"]


def seed(database, n: int = 60, seed_value: int = 3) -> None:
    """``n`` posts and leads of every status and level, posts 0–40 days old
    (relative to now, so the test holds on any date), priorities left stale."""
    rng = random.Random(seed_value)
    now = datetime.now(UTC)
    with database.atomic():
        for i in range(n):
            created = (now - timedelta(days=rng.random() * 40)).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            mdb.upsert_post(
                database,
                {
                    "platform": "reddit",
                    "site": "www.reddit.com",
                    "source": "s",
                    "native_id": str(i),
                    "text": f"texte {i}",
                    "content_hash": f"h{i}",
                    "created_at": created,
                },
            )
            post_id = database.execute(
                "SELECT id FROM posts WHERE native_id = ?", [str(i)]
            ).fetchone()[0]
            level = rng.choice([None, None, None, "possible", "sure"])
            database.execute(
                "INSERT INTO leads (post_id, status, crisis, crisis_level, score, "
                "labels, rights_topics, model_version, created_at, updated_at, "
                "post_created_at, priority) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    post_id,
                    rng.choice(STATUSES),
                    int(level is not None),
                    level,
                    round(rng.random(), 3),
                    '["distress"]',
                    "[]",
                    "m",
                    created,
                    created,
                    None if i % 9 == 0 else created,  # no post date: age 0
                    rng.choice([0.0, 5.0, 42.0]),  # stale or wrong
                ],
            )


def priorities(database) -> dict[int, float]:
    return dict(database.execute("SELECT id, priority FROM leads").fetchall())


def open_ids(database) -> set[int]:
    marks = ", ".join("?" for _ in OPEN_STATUSES)
    rows = database.execute(
        f"SELECT id FROM leads WHERE status IN ({marks})",  # noqa: S608
        list(OPEN_STATUSES),
    ).fetchall()
    return {row[0] for row in rows}


def full_refresh(database, stamp: str) -> None:
    """The refresh as it was: one UPDATE of every open lead at ``stamp``."""
    marks = ", ".join("?" for _ in OPEN_STATUSES)
    with database.atomic():
        database.execute(
            f"UPDATE leads SET priority = {mdb.leads.PRIORITY_AT_SQL} "  # noqa: S608
            f"WHERE status IN ({marks})",
            [stamp, stamp, *OPEN_STATUSES],
        )


def stamp_of(database) -> str:
    return database.execute(
        "SELECT value FROM meta WHERE key = 'priorities_at'"
    ).fetchone()[0]


@pytest.mark.parametrize("batch", [1, 7, 10_000])
def test_incremental_refresh_gives_the_queue_of_a_full_refresh(db, batch):
    seed(db)
    before = priorities(db)
    assert mdb.refresh_priorities(db, force=True, batch=batch)
    stamp = stamp_of(db)
    incremental = priorities(db)
    queue = [lead["id"] for lead in mdb.list_leads(db, limit=None)]

    full_refresh(db, stamp)
    assert priorities(db) == incremental  # the same stored values, exactly
    assert [lead["id"] for lead in mdb.list_leads(db, limit=None)] == queue
    # Closed leads keep what they had; every open lead was recomputed.
    opened = open_ids(db)
    assert set(queue) == opened
    assert {i: p for i, p in incremental.items() if i not in opened} == {
        i: p for i, p in before.items() if i not in opened
    }
    assert all(incremental[i] != before[i] for i in opened)


def test_the_queue_order_matches_after_leads_change_between_refreshes(db):
    seed(db, n=40, seed_value=5)
    assert mdb.refresh_priorities(db, force=True, batch=4)
    # A new model raises a score, a worker closes a lead, one reopens.
    db.execute("UPDATE leads SET score = 0.99 WHERE id = 3")
    db.execute("UPDATE leads SET status = 'closed' WHERE id = 4")
    db.execute("UPDATE leads SET status = 'new', priority = 0 WHERE id IN (5, 6)")
    assert mdb.refresh_priorities(db, force=True, batch=4)
    incremental = priorities(db)
    queue = [lead["id"] for lead in mdb.list_leads(db, limit=None)]
    full_refresh(db, stamp_of(db))
    assert priorities(db) == incremental
    assert [lead["id"] for lead in mdb.list_leads(db, limit=None)] == queue


def test_no_refresh_before_ten_minutes_unless_forced(db):
    seed(db, n=5)
    assert mdb.refresh_priorities(db, force=True)
    assert not mdb.refresh_priorities(db)
    assert mdb.refresh_priorities(db, force=True)


class _FrozenClock(datetime):
    """``datetime`` whose ``now`` is one fixed instant."""

    frozen = datetime.now(UTC).replace(microsecond=0)

    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        return cls.frozen


def test_only_the_leads_whose_priority_changes_are_written(monkeypatch):
    database = mdb.open_db(":memory:")  # SQLite: total_changes counts writes
    seed(database)
    monkeypatch.setattr(leads_module, "datetime", _FrozenClock)
    assert mdb.refresh_priorities(database, force=True, batch=6)
    written = database.conn.total_changes
    # Same reference time, nothing changed: only the meta row is written (the
    # write that takes the lock, then the stamp), no lead.
    meta_writes = 2
    assert mdb.refresh_priorities(database, force=True, batch=6)
    assert database.conn.total_changes - written == meta_writes
    # One open lead raised: that row too.
    lead = next(iter(open_ids(database)))
    database.execute("UPDATE leads SET score = score / 2 + 0.5 WHERE id = ?", [lead])
    written = database.conn.total_changes
    assert mdb.refresh_priorities(database, force=True, batch=6)
    assert database.conn.total_changes - written == meta_writes + 1
    database.close()


def test_each_transaction_covers_at_most_one_batch_of_ids(monkeypatch):
    database = mdb.open_db(":memory:")
    seed(database, n=23)
    ranges: list[tuple[int, int]] = []
    execute = database.execute

    def spy(sql, params=None):
        if sql.startswith("UPDATE leads SET priority"):
            ranges.append((params[2], params[3]))
        return execute(sql, params) if params is not None else execute(sql)

    monkeypatch.setattr(database, "execute", spy)
    assert mdb.refresh_priorities(database, force=True, batch=5)
    assert ranges == [(0, 5), (5, 10), (10, 15), (15, 20), (20, 23)]
    database.close()
