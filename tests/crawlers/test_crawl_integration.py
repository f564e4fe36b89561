"""The real crawl (Scrapy engine, pipelines, SQLite) against a local replay server.

Each crawl runs `maraude crawl` in a subprocess: Scrapy's reactor starts once
per process.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from maraude import db as mdb
from tests.replay import ReplayServer, Reply, betamax_reply

CASSETTE = "fixtures/reddit/praw_TestSubredditListings.test_new.json"
EMPTY = json.dumps({"kind": "Listing", "data": {"after": None, "children": []}})

pytestmark = pytest.mark.slow


def run_crawl(db_path, sources_toml, tmp_path, *extra):
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml, encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "maraude",
            "crawl",
            "--db",
            str(db_path),
            "--sources",
            str(sources),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def askreddit(shared):
    reply = betamax_reply(shared / CASSETTE, "/r/askreddit/new")
    with ReplayServer() as server:
        server.add("/r/askreddit/new", Reply(200, EMPTY.encode()), after="t3_48f6io")
        server.add("/r/askreddit/new", reply)
        yield server


def toml_for(server):
    return (
        '[[sources]]\nname = "askreddit"\nplatform = "reddit"\n'
        f'base_url = "{server.base_url}"\nsubreddits = ["askreddit"]\n'
    )


def test_crawl_stores_the_100_posts_of_the_listing(askreddit, db_path, tmp_path):
    result = run_crawl(db_path, toml_for(askreddit), tmp_path)
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 100
    run = mdb.crawl_runs(database)[0]
    assert (run["source"], run["status"], run["new_posts"]) == ("askreddit", "ok", 100)
    assert run["requests"] == 2  # the listing, then its next page (empty)
    assert "askreddit" in result.stdout
    assert "100" in result.stdout


def test_a_second_run_adds_nothing(askreddit, db_path, tmp_path):
    run_crawl(db_path, toml_for(askreddit), tmp_path)
    askreddit.requests.clear()
    result = run_crawl(db_path, toml_for(askreddit), tmp_path)
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 100
    assert mdb.crawl_runs(database)[0]["new_posts"] == 0
    # It stops at the first stored post: one request, no paging.
    assert [r for r in askreddit.requests if "/r/askreddit" in r] == [
        "/r/askreddit/new.json?limit=100&raw_json=1"
    ]


def test_no_author_handle_is_stored(askreddit, db_path, tmp_path, shared):
    run_crawl(db_path, toml_for(askreddit), tmp_path)
    listing = json.loads(betamax_reply(shared / CASSETTE, "/r/askreddit/new").body)
    handles = {c["data"]["author"] for c in listing["data"]["children"]}
    database = mdb.open_db(db_path)
    rows = list(
        database.query("SELECT author_hash, title, text, thread_title FROM posts")
    )
    assert all(len(r["author_hash"]) == 32 for r in rows)
    stored = {r["author_hash"] for r in rows}
    assert not handles & stored
    dumped = "\n".join(database.iterdump())
    leaked = [h for h in handles if len(h) > 4 and f"u/{h}" in dumped]
    assert leaked == []


def test_crawl_refuses_to_run_without_a_secret(
    askreddit, db_path, tmp_path, monkeypatch
):
    monkeypatch.delenv("MARAUDE_SECRET")
    result = run_crawl(db_path, toml_for(askreddit), tmp_path)
    assert result.returncode == 1
    assert "MARAUDE_SECRET is not set" in result.stderr
    assert askreddit.requests == []


def test_http_errors_are_counted_and_the_crawl_goes_on(db_path, tmp_path):
    with ReplayServer() as server:
        server.add("/r/broken/new", Reply(500, b"oops"))
        server.add("/r/garbled/new", Reply(200, b"{not json"))
        toml = (
            '[[sources]]\nname = "mixed"\nplatform = "reddit"\n'
            f'base_url = "{server.base_url}"\nsubreddits = ["broken", "garbled"]\n'
        )
        result = run_crawl(db_path, toml, tmp_path)
    assert result.returncode == 1, result.stderr  # errors: non-zero, after storing
    database = mdb.open_db(db_path)
    run = mdb.crawl_runs(database)[0]
    assert run["errors"] >= 2
    assert run["status"] == "errors"
    assert "Errors in source(s) mixed" in result.stderr


def test_unknown_source_name_is_a_clear_error(db_path, tmp_path):
    toml = '[[sources]]\nname = "a"\nplatform = "reddit"\nsubreddits = ["x"]\n'
    result = run_crawl(db_path, toml, tmp_path, "--source", "nope")
    assert result.returncode == 1
    assert "Unknown source(s): nope" in result.stderr


def test_debug_logs_never_hold_post_text_or_handles(
    askreddit, db_path, tmp_path, shared
):
    sources = tmp_path / "sources.toml"
    sources.write_text(toml_for(askreddit), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "maraude",
            "--log-level",
            "DEBUG",
            "crawl",
            "--db",
            str(db_path),
            "--sources",
            str(sources),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Scraped reddit post" in result.stderr  # the log is there…
    listing = json.loads(betamax_reply(shared / CASSETTE, "/r/askreddit/new").body)
    for child in listing["data"]["children"]:
        data = child["data"]
        assert data["title"] not in result.stderr  # …without what people wrote
        assert f"'{data['author']}'" not in result.stderr


def test_several_sources_in_one_run_share_the_database(db_path, tmp_path):
    from maraude.demo.server import DemoServer

    with DemoServer(page_size=5) as server:
        toml = "".join(
            f'[[sources]]\nname = "{sub}"\nplatform = "reddit"\n'
            f'base_url = "{server.base_url}"\nsubreddits = ["{sub}"]\n'
            for sub in server.subreddits
        )
        result = run_crawl(db_path, toml, tmp_path)
        expected = len(server.data.posts)
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == expected
    runs = mdb.crawl_runs(database)
    assert len(runs) == 3
    assert {r["status"] for r in runs} == {"ok"}
    assert sum(r["new_posts"] for r in runs) == expected
