"""The core paths on PostgreSQL: schema parity, French full-text search,
claims under contention, the crawl's insert path, purge in batches."""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest

from maraude import db as mdb
from maraude.db import schema_pg
from maraude.db.dialect import to_postgres
from maraude.errors import ClaimError
from tests.maraude.test_db import add_post, prediction


def _columns(database) -> dict[str, list[str]]:
    extra = schema_pg.PG_ONLY_COLUMNS
    return {
        t: [c for c in database[t].columns_dict if c not in extra.get(t, ())]
        for t in database.table_names()
        if not t.startswith(("_sqlite", "sqlite_", "posts_fts"))
        and t not in schema_pg.PG_ONLY_TABLES
    }


def test_both_engines_have_the_same_tables_and_columns(db):
    sqlite = mdb.open_db(":memory:")
    assert _columns(db) == _columns(sqlite)


def test_opening_twice_applies_nothing_again(db, pg_url):
    again = mdb.open_db(pg_url)
    names = [r[0] for r in again.execute("SELECT name FROM _pg_migrations")]
    assert names == [name for name, _ in schema_pg.MIGRATIONS]
    again.close()


def test_french_search_finds_inflected_words_and_follows_updates(db):
    add_post(db, "1", text="Je ne touche plus les allocations familiales")
    add_post(db, "2", text="rien à voir")
    for pid in (1, 2):
        mdb.save_predictions(db, [prediction(pid)], "m1")
    found = mdb.list_leads(db, search="allocation familiale")
    assert [lead["post_id"] for lead in found] == [1]
    add_post(db, "1", text="je cherche l'APL")
    assert mdb.list_leads(db, search="allocation") == []
    # Whatever a worker types is a search, never an SQL or syntax error.
    assert mdb.list_leads(db, search='" OR 1=1 -- (') == []


def test_a_purged_post_leaves_no_index_row(db):
    add_post(db, "1", text="le RSA")
    mdb.delete_posts(db, [1])
    assert db.execute("SELECT count(*) FROM posts_fts").fetchone()[0] == 0


def test_purge_deletes_in_short_batches(db, monkeypatch, caplog):
    old = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for n in range(120):
        add_post(db, str(n), text=f"message {n}")
    db.execute("UPDATE posts SET fetched_at = ?", [old])
    monkeypatch.setattr("maraude.db.retention.PG_BATCH", 25)
    with caplog.at_level(logging.INFO, logger="maraude.db.retention"):
        report = mdb.purge(db, mdb.Policy(posts_days=7))
    assert report["posts"] == 120
    assert mdb.counts(db)["posts"] == 0
    assert "in 5 batches" in caplog.text


def _leads(database, n: int) -> None:
    with database.atomic():
        for i in range(n):
            database.execute(
                "INSERT INTO posts (platform, site, source, native_id, text, "
                "fetched_at, content_hash) VALUES ('reddit', 'r', 's', ?, 't', "
                "'2026-01-01T00:00:00Z', ?)",
                [str(i), str(i)],
            )
    mdb.save_predictions(
        database,
        [prediction(i + 1, distress=0.5 + i / (4 * n)) for i in range(n)],
        "m1",
    )


def test_eight_concurrent_claimers_never_share_a_lead(db, pg_url):
    leads = 200
    _leads(db, leads)
    claimed: dict[str, list[int]] = {}
    misses: list[str] = []
    start = threading.Barrier(8)

    def worker(name: str) -> None:
        mine = claimed.setdefault(name, [])
        own = mdb.open_db(pg_url)
        start.wait()
        while True:
            lead = mdb.claim_next(own, name)
            if lead is None:
                left = own.execute(
                    "SELECT count(*) FROM leads WHERE status = 'new'"
                ).fetchone()[0]
                if left:
                    misses.append(name)  # "no lead" while leads were free
                break
            mine.append(lead)
        own.close()

    done = threading.Event()

    def refresher() -> None:  # a priority refresh locks every open lead a moment
        own = mdb.open_db(pg_url)
        while not done.is_set():
            mdb.refresh_priorities(own, force=True)
        own.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(8)]
    refreshing = threading.Thread(target=refresher)
    refreshing.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    done.set()
    refreshing.join(60)
    every = [lead for ids in claimed.values() for lead in ids]
    assert len(every) == len(set(every)) == leads  # 0 double claims, none lost
    assert misses == []
    holders = db.execute(
        "SELECT count(*) FROM leads WHERE status = 'claimed' AND claimed_by IS NOT NULL"
    ).fetchone()[0]
    assert holders == leads


def test_a_held_lead_cannot_be_claimed_by_another(db):
    _leads(db, 1)
    lead = mdb.claim_next(db, "alice")
    assert lead is not None
    with pytest.raises(ClaimError):
        mdb.claim_lead(db, lead, "bob")


def test_translation_keeps_literals_and_maps_sqlite_spellings():
    sql, returned = to_postgres(
        "INSERT OR REPLACE INTO embeddings(model, text_hash, vector) VALUES (?, ?, ?)"
    )
    assert sql.endswith(
        "ON CONFLICT (model, text_hash) DO UPDATE SET vector = excluded.vector"
    )
    assert not returned
    sql, _ = to_postgres(
        "SELECT max(a, :b), max(c), char(10) FROM t WHERE x LIKE '50% ?:x'"
    )
    assert sql == (
        "SELECT greatest(a, %(b)s), max(c), chr(10) FROM t WHERE x LIKE '50%% ?:x'"
    )
    assert to_postgres("INSERT INTO users (username) VALUES (?)")[1] is True


@pytest.mark.slow
def test_a_real_crawl_stores_into_postgresql(shared, pg_url, tmp_path, monkeypatch):
    from tests.crawlers.conftest import languages_config
    from tests.crawlers.test_crawl_integration import (
        CASSETTE,
        EMPTY,
        run_crawl,
        toml_for,
    )
    from tests.replay import ReplayServer, Reply, betamax_reply

    # The recorded listing is English (see tests/crawlers/conftest.py).
    monkeypatch.setenv("MARAUDE_CONFIG", str(languages_config(tmp_path)))

    reply = betamax_reply(shared / CASSETTE, "/r/askreddit/new")
    with ReplayServer() as server:
        server.add("/r/askreddit/new", Reply(200, EMPTY.encode()), after="t3_48f6io")
        server.add("/r/askreddit/new", reply)
        result = run_crawl(pg_url, toml_for(server), tmp_path)
        assert result.returncode == 0, result.stderr[-2000:]
        again = run_crawl(pg_url, toml_for(server), tmp_path)
        assert again.returncode == 0, again.stderr[-2000:]
    database = mdb.open_db(pg_url)
    assert mdb.counts(database)["posts"] == 100
    runs = mdb.crawl_runs(database)
    assert [r["new_posts"] for r in runs] == [0, 100]
    assert database.execute("SELECT count(*) FROM posts_fts").fetchone()[0] == 100
    database.close()


def _terminate(pg_url: str, victim) -> None:
    pid = victim.raw.info.backend_pid
    other = mdb.open_db(pg_url)
    other.execute("SELECT pg_terminate_backend(?)", [pid])
    other.close()


def test_a_lost_connection_is_opened_again_between_transactions(db, pg_url):
    add_post(db, "1", text="avant")
    _terminate(pg_url, db)
    with pytest.raises(sqlite3.OperationalError):  # the statement that finds out
        db.execute("SELECT count(*) FROM posts").fetchone()
    assert db.execute("SELECT count(*) FROM posts").fetchone()[0] == 1


def test_a_connection_lost_inside_a_transaction_is_an_error_not_a_half_commit(
    db, pg_url
):
    def interrupted() -> None:
        with db.atomic():
            add_post(db, "1", text="perdu")
            _terminate(pg_url, db)
            add_post(db, "2", text="perdu aussi")

    with pytest.raises(sqlite3.OperationalError):
        interrupted()
    assert db.execute("SELECT count(*) FROM posts").fetchone()[0] == 0


def test_backup_points_to_pg_dump_and_writes_no_file(pg_url, tmp_path):
    from click.testing import CliRunner

    from maraude.cli import cli

    dest = tmp_path / "copie.db"
    result = CliRunner().invoke(cli, ["backup", str(dest), "--db", pg_url])
    assert result.exit_code != 0
    assert "pg_dump" in result.output
    assert not dest.exists()
