from __future__ import annotations

import sqlite3
import threading

import pytest

from maraude import db as mdb
from maraude.errors import ClaimError, SchemaError


def add_post(database, native_id, text="texte", created_at="2026-11-20T10:00:00Z"):
    return mdb.upsert_post(
        database,
        {
            "platform": "reddit",
            "site": "www.reddit.com",
            "source": "s",
            "native_id": native_id,
            "text": text,
            "content_hash": f"h-{text}",
            "created_at": created_at,
        },
    )


def prediction(post_id, *, distress=0.9, crisis=0.0, rights=0.0, labels=("distress",)):
    return {
        "post_id": post_id,
        "distress": distress,
        "crisis": crisis,
        "rights": rights,
        "labels": list(labels),
        "rights_topics": [],
        "non_recours_form": None,
        "minor": False,
        "explanation": {},
    }


def test_schema_has_the_contract_tables(db):
    tables = set(db.table_names())
    assert {
        "sources",
        "crawl_runs",
        "posts",
        "predictions",
        "leads",
        "labels",
        "users",
        "audit_log",
    } <= tables


def test_wal_and_busy_timeout(db_path):
    database = mdb.open_db(db_path)
    assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_migrations_are_idempotent(db_path):
    mdb.open_db(db_path).close()
    database = mdb.open_db(db_path)
    assert mdb.migrations.pending(database) == []


def test_posts_are_unique_on_platform_site_native_id(db):
    assert add_post(db, "1") == "new"
    assert add_post(db, "1") == "unchanged"
    assert add_post(db, "1", text="édité") == "updated"
    other_site = {
        "platform": "reddit",
        "site": "old.example",
        "source": "s",
        "native_id": "1",
        "text": "x",
        "content_hash": "x",
    }
    assert mdb.upsert_post(db, other_site) == "new"
    assert mdb.counts(db)["posts"] == 2


def test_full_text_search_follows_updates(db):
    add_post(db, "1", text="je cherche le RSA")
    assert (
        len(
            db.execute(
                "SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'rsa'"
            ).fetchall()
        )
        == 1
    )
    add_post(db, "1", text="je cherche l'APL")
    assert (
        db.execute("SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'rsa'").fetchall()
        == []
    )


def test_unscored_posts_pages_through_and_skips_scored(db):
    for i in range(5):
        add_post(db, str(i), text=f"t{i}")
    mdb.save_predictions(db, [prediction(1, labels=())], "m1")
    batches = list(mdb.unscored_posts(db, "m1", batch_size=2))
    assert [len(b) for b in batches] == [2, 2]
    assert [p["id"] for b in batches for p in b] == [2, 3, 4, 5]
    assert mdb.count_unscored(db, "m2") == 5


def test_queue_order_crisis_then_score_then_freshness(db):
    add_post(db, "old", text="a", created_at="2026-10-01T00:00:00Z")
    add_post(db, "new", text="b", created_at="2026-11-24T00:00:00Z")
    add_post(db, "crisis", text="c", created_at="2026-01-01T00:00:00Z")
    mdb.save_predictions(
        db,
        [
            prediction(1, distress=0.8),
            prediction(2, distress=0.8),
            prediction(3, distress=0.6, crisis=0.7, labels=("distress", "crisis")),
        ],
        "m1",
    )
    order = [lead["post_id"] for lead in mdb.list_leads(db)]
    assert order == [3, 2, 1]
    priorities = [lead["priority"] for lead in mdb.list_leads(db)]
    assert priorities == sorted(priorities, reverse=True)


def test_rescoring_never_reopens_a_touched_lead(db):
    add_post(db, "1")
    mdb.save_predictions(db, [prediction(1, distress=0.7)], "m1")
    lead_id = mdb.claim_next(db, "alice")
    mdb.mark_replied(db, lead_id, "alice", "Bonjour…")
    counts = mdb.save_predictions(db, [prediction(1, distress=0.95)], "m2")
    assert counts == {"leads_created": 0, "leads_updated": 1}
    lead = mdb.get_lead(db, lead_id)
    assert lead["status"] == "replied"
    assert lead["score"] == 0.95  # a new model may raise the priority


def test_claims_are_exclusive(db):
    add_post(db, "1")
    mdb.save_predictions(db, [prediction(1)], "m1")
    assert mdb.claim_next(db, "alice") == 1
    assert mdb.claim_next(db, "bob") is None
    with pytest.raises(ClaimError, match="already claimed by alice"):
        mdb.claim_lead(db, 1, "bob")
    with pytest.raises(ClaimError, match="not claimed by bob"):
        mdb.mark_replied(db, 1, "bob", "x")


def test_an_expired_claim_can_be_taken(db):
    add_post(db, "1")
    mdb.save_predictions(db, [prediction(1)], "m1")
    mdb.claim_lead(db, 1, "alice", minutes=-1)
    mdb.claim_lead(db, 1, "bob")
    assert mdb.get_lead(db, 1)["claimed_by"] == "bob"


def test_concurrent_claims_from_threads_never_share_a_lead(db_path):
    setup = mdb.open_db(db_path)
    for i in range(30):
        add_post(setup, str(i), text=f"t{i}")
    mdb.save_predictions(setup, [prediction(i + 1) for i in range(30)], "m1")
    won: dict[str, list[int]] = {}

    def worker(name):
        database = mdb.open_db(db_path)
        won[name] = []
        while (lead := mdb.claim_next(database, name)) is not None:
            won[name].append(lead)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [lead for leads in won.values() for lead in leads]
    assert sorted(claimed) == list(range(1, 31))


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(SchemaError, match="Cannot open"):
        mdb.open_db(bad)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(SchemaError, match="does not exist"):
        mdb.open_db(tmp_path / "nope" / "x.db")


def test_crawl_runs_and_source_state(db):
    run = mdb.start_crawl_run(db, "src", "reddit")
    mdb.set_source_state(db, "src", "reddit", {"after": "t3_x"})
    mdb.finish_crawl_run(db, run, "ok", {"requests": 3, "new": 2})
    assert mdb.get_source_state(db, "src") == {"after": "t3_x"}
    (row,) = mdb.crawl_runs(db)
    assert (row["status"], row["requests"], row["new_posts"]) == ("ok", 3, 2)


def test_foreign_keys_are_enforced(db):
    with pytest.raises(sqlite3.IntegrityError):
        mdb.save_predictions(db, [prediction(999)], "m1")


def test_a_source_lock_is_exclusive_and_released(tmp_path):
    from maraude.locks import source_lock

    path = tmp_path / "x.db"
    with source_lock(path, "src") as first:
        assert first
        with source_lock(path, "src") as second:
            assert not second
        with source_lock(path, "other") as other:
            assert other
    with source_lock(path, "src") as again:
        assert again


def test_a_lock_held_by_a_killed_process_is_free(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from maraude.locks import source_lock

    path = tmp_path / "x.db"
    code = (
        "import sys, time; from pathlib import Path; from maraude.locks import "
        "source_lock\nwith source_lock(Path(sys.argv[1]), 'src') as ok:\n"
        "    print(ok, flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "True"
    with source_lock(path, "src") as held_elsewhere:
        assert not held_elsewhere
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    with source_lock(path, "src") as free:
        assert free


def test_stored_priorities_follow_the_age_of_posts(db):
    add_post(db, "a", text="a", created_at="2026-11-24T00:00:00Z")
    add_post(db, "b", text="b", created_at="2026-11-24T00:00:00Z")
    mdb.save_predictions(
        db, [prediction(1, distress=0.8), prediction(2, distress=0.7)], "m1"
    )
    assert [lead["post_id"] for lead in mdb.list_leads(db)] == [1, 2]
    # Post 1 turns out to be months old: after a refresh, 2 comes first.
    db.execute(
        "UPDATE leads SET post_created_at = '2026-01-01T00:00:00Z' WHERE post_id = 1"
    )
    assert mdb.refresh_priorities(db, force=True)
    assert not mdb.refresh_priorities(db)  # just done: not again before 10 min
    assert [lead["post_id"] for lead in mdb.list_leads(db)] == [2, 1]


def crisis_prediction(post_id, level, *, score=0.9):
    p = prediction(post_id, distress=score, crisis=score, labels=("distress", "crisis"))
    p["crisis_level"] = level
    return p


def test_a_sure_crisis_tops_the_queue_and_a_possible_one_comes_next(db):
    for i in range(4):
        add_post(db, str(i), text=f"t{i}", created_at="2026-11-24T00:00:00Z")
    mdb.save_predictions(
        db,
        [
            prediction(1, distress=1.0),  # the highest score, no crisis
            crisis_prediction(2, "possible", score=0.99),
            crisis_prediction(3, "sure", score=0.5),
            prediction(4, distress=0.6),
        ],
        "m",
    )
    leads = mdb.list_leads(db)
    assert [lead["post_id"] for lead in leads] == [3, 2, 1, 4]
    assert [lead["crisis_level"] for lead in leads] == ["sure", "possible", None, None]
    assert leads[0]["priority"] >= 10
    assert 8 <= leads[1]["priority"] < 10
    assert leads[2]["priority"] <= 1


def test_a_crisis_level_may_rise_but_never_fall(db):
    for i in range(3):
        add_post(db, str(i), text=f"t{i}")
    mdb.save_predictions(
        db,
        [crisis_prediction(1, "possible"), crisis_prediction(2, "sure")],
        "m1",
    )
    # A later model sure of the first crisis raises it; a later doubt about
    # the second one, or no crisis at all, does not lower it.
    mdb.save_predictions(
        db,
        [
            crisis_prediction(1, "sure"),
            crisis_prediction(2, "possible"),
            prediction(3, distress=0.7),
        ],
        "m2",
    )
    mdb.save_predictions(db, [prediction(2, distress=0.9)], "m3")
    levels = {lead["post_id"]: lead["crisis_level"] for lead in mdb.list_leads(db)}
    assert levels == {1: "sure", 2: "sure", 3: None}


def test_a_crisis_from_an_older_model_keeps_its_review_flag(db):
    add_post(db, "a", text="a")
    add_post(db, "b", text="b")
    old = crisis_prediction(1, None)
    del old["crisis_level"]
    old["explanation"] = {"crisis_review": True}
    bare = crisis_prediction(2, None)
    mdb.save_predictions(db, [old, bare], "old")
    levels = {lead["post_id"]: lead["crisis_level"] for lead in mdb.list_leads(db)}
    assert levels == {1: "possible", 2: "sure"}  # no level: the safe side


def test_the_migration_turns_review_flags_into_crisis_levels(tmp_path):
    from sqlite_utils import Database

    from maraude.db.schema import migrations

    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m006_crisis_level")
    assert "crisis_review" in old["leads"].columns_dict
    for i, (crisis, review) in enumerate([(1, 0), (1, 1), (0, 1), (0, 0)], 1):
        add_post(old, str(i), text=f"t{i}")
        old.execute(
            "INSERT INTO leads (post_id, crisis, score, labels, rights_topics, "
            "model_version, created_at, updated_at, crisis_review, priority) "
            "VALUES (?, ?, 0.5, '[]', '[]', 'm', '2026-01-01', '2026-01-01', ?, ?)",
            [i, crisis, review, 10.0 * crisis + 2.0 * review - 4.0 * crisis * review],
        )
    old.execute("INSERT INTO meta(key, value) VALUES ('priorities_at', '2999-01-01')")
    old.close()
    db = mdb.open_db(path)
    assert "crisis_review" not in db["leads"].columns_dict
    rows = db.execute("SELECT post_id, crisis_level FROM leads ORDER BY post_id")
    assert rows.fetchall() == [(1, "sure"), (2, "possible"), (3, None), (4, None)]
    # The old suspicion band (post 3) no longer outranks the rest.
    order = [lead["post_id"] for lead in mdb.list_leads(db)]
    assert order[:2] == [1, 2]
    assert {lead["post_id"]: lead["priority"] < 8 for lead in mdb.list_leads(db)}[3]


def test_a_deferred_transaction_that_reads_first_fails_at_once_on_write(db_path):
    # Why begin_write exists: SQLite's busy timeout does not cover this case.
    first, other = mdb.open_db(db_path), mdb.open_db(db_path)
    first.conn.execute("BEGIN")
    first.execute("SELECT count(*) FROM posts").fetchone()  # a snapshot is taken
    add_post(other, "o1")  # another process commits meanwhile
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        add_post(first, "f1")  # no 30 s wait: the snapshot is stale
    first.conn.execute("ROLLBACK")


def test_begin_write_holds_the_lock_so_a_read_then_write_never_fails(db_path):
    first, other = mdb.open_db(db_path), mdb.open_db(db_path, busy_timeout=0.05)
    mdb.begin_write(first)
    first.execute("SELECT count(*) FROM posts").fetchone()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        add_post(other, "o1")  # the other writer waits (here: gives up) instead
    add_post(first, "f1")
    first.conn.execute("COMMIT")
    add_post(other, "o1")
    assert mdb.counts(first)["posts"] == 2


def test_connections_opening_a_new_file_at_once_migrate_it_once(db_path):
    # Two crawl jobs (or a dashboard and a crawl) starting on a new file: the
    # second used to fail on "table sources already exists".
    start, errors = threading.Barrier(6), []

    def open_it():
        start.wait()
        try:
            mdb.open_db(db_path).close()
        except Exception as e:
            errors.append(str(e))

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    query = "SELECT name FROM _sqlite_migrations ORDER BY name"
    fresh = [r[0] for r in mdb.open_db(":memory:").execute(query)]
    assert [r[0] for r in mdb.open_db(db_path).execute(query)] == fresh  # each once
