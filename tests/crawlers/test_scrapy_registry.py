"""Scrapy's own command line: ``scrapy list`` and ``scrapy crawl PLATFORM -a source=``.

Both run in a subprocess at the repository root (where ``scrapy.cfg`` is), as a
Scrapy user or scrapyd would run them; the crawl reads a replay server on
127.0.0.1 and its settings from the environment only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawlers.spiders import SPIDERS, source_schemas
from maraude import db as mdb
from tests.replay import ReplayServer, Reply

ROOT = Path(__file__).resolve().parents[2]
SCRAPY = [sys.executable, "-m", "scrapy.cmdline"]

# Hand-written French posts in Reddit's listing format (newest first).
POSTS = [
    ("b2", "Plus de chauffage cet hiver, je ne sais pas vers qui me tourner"),
    ("b1", "Est-ce que la prime d'activité marche pour un temps partiel ?"),
]


def listing(after: str | None = None) -> bytes:
    now = time.time()
    children = [
        {
            "kind": "t3",
            "data": {
                "id": native_id,
                "title": title,
                "selftext": "",
                "author": f"auteur_{i}",
                "created_utc": now - 60 * i,
                "permalink": f"/r/entraide/comments/{native_id}/",
            },
        }
        for i, (native_id, title) in enumerate(POSTS)
    ]
    return json.dumps(
        {"kind": "Listing", "data": {"after": after, "children": children}}
    ).encode()


def scrapy_run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SCRAPY, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_platform_has_a_named_spider():
    assert set(SPIDERS) == set(source_schemas())  # the source schema agrees
    for platform, spider in SPIDERS.items():
        assert spider.name == spider.platform == platform


def test_scrapy_list_names_every_platform():
    result = scrapy_run("list", env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == sorted(SPIDERS)


@pytest.mark.slow
def test_scrapy_crawl_stores_through_the_pipelines_and_records_the_run(tmp_path):
    db_path = tmp_path / "scrapy.db"
    with ReplayServer() as server:
        server.add("/r/entraide/new", Reply(200, listing()))
        sources = tmp_path / "sources.toml"
        sources.write_text(
            '[[sources]]\nname = "entraide-local"\nplatform = "reddit"\n'
            f'base_url = "{server.base_url}"\nsubreddits = ["entraide"]\n',
            encoding="utf-8",
        )
        env = dict(os.environ, MARAUDE_DB=str(db_path), MARAUDE_SOURCES=str(sources))
        result = scrapy_run("crawl", "reddit", "-a", "source=entraide-local", env=env)
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == len(POSTS)
    run = mdb.crawl_runs(database)[0]
    assert (run["source"], run["status"], run["new_posts"]) == (
        "entraide-local",
        "ok",
        len(POSTS),
    )
    rows = database.conn.execute("SELECT author_hash FROM posts").fetchall()
    assert all(row[0] and not row[0].startswith("auteur_") for row in rows)
    for native_id, title in POSTS:  # never in Scrapy's log
        assert title not in result.stderr
        assert f"auteur_{POSTS.index((native_id, title))}" not in result.stderr


def test_scrapy_crawl_of_a_source_of_another_platform_says_which(tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "flux"\nplatform = "rss"\nurl = "http://127.0.0.1:9/f"\n',
        encoding="utf-8",
    )
    env = dict(os.environ, MARAUDE_SOURCES=str(sources))
    result = scrapy_run("crawl", "reddit", "-a", "source=flux", env=env)
    assert result.returncode != 0
    assert "scrapy crawl rss -a source=flux" in result.stderr
    assert not Path(env["MARAUDE_DB"]).exists()


def test_scrapy_crawl_without_a_source_says_how_to_name_one():
    result = scrapy_run("crawl", "mastodon", env=dict(os.environ))
    assert result.returncode != 0
    assert "scrapy crawl mastodon needs -a source=NAME" in result.stderr
