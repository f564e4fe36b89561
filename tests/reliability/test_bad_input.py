"""The bad input corpus (tests/data/bad/) goes through a real crawl.

Each input is stored cleaned or rejected with a clear log line; none stops
the run. The dashboard side (inert rendering) is in tests/dashboard.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from maraude import db as mdb
from tests.replay import ReplayServer, Reply

pytestmark = pytest.mark.slow

BAD = Path(__file__).resolve().parent.parent / "data" / "bad"


def huge_listing() -> bytes:
    text = ("je suis à bout, " * 700_000)[:10_000_000]
    return json.dumps(
        {
            "kind": "Listing",
            "data": {
                "after": None,
                "children": [
                    {
                        "kind": "t3",
                        "data": {
                            "id": "huge1",
                            "title": "long",
                            "selftext": text,
                            "author": "a",
                            "created_utc": 1764000000,
                            "permalink": "/r/huge/comments/huge1/x/",
                        },
                    }
                ],
            },
        }
    ).encode()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad")
    db_path = tmp / "bad.db"
    subs = []
    with ReplayServer() as server:
        for path in sorted(BAD.glob("*.json")):
            subs.append(path.stem)
            server.add(
                f"/r/{path.stem}/new",
                Reply(200, path.read_bytes(), {"Content-Type": "application/json"}),
            )
        server.add("/r/huge/new", Reply(200, huge_listing()))
        server.add("/r/gone/new", Reply(503, b"<html>Service Unavailable</html>"))
        subs += ["huge", "gone"]
        sources = tmp / "sources.toml"
        sources.write_text(
            '[[sources]]\nname = "bad"\nplatform = "reddit"\n'
            f'base_url = "{server.base_url}"\nsubreddits = {json.dumps(subs)}\n',
            encoding="utf-8",
        )
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "maraude",
                "crawl",
                "--db",
                str(db_path),
                "--sources",
                str(sources),
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            env={**os.environ, "MARAUDE_SECRET": "bad-input-secret-0123456789"},
        )
    # Malformed pages make the exit code non-zero, after every good post is stored.
    assert result.returncode == 1, result.stderr[-3000:]
    database = mdb.open_db(db_path)
    posts = {r["native_id"]: r for r in database.query("SELECT * FROM posts")}
    return result, posts, mdb.crawl_runs(database)[0]


def test_the_run_completes_and_counts_errors(crawled):
    result, posts, run = crawled
    assert result.returncode == 1, result.stderr
    assert "Errors in source(s) bad" in result.stderr
    assert "Traceback" not in result.stderr
    assert run["status"] == "errors"
    assert run["errors"] >= 3  # malformed, not a listing, HTTP 503
    assert run["dropped"] == 2  # the empty and the blank post
    assert "malformed Reddit listing" in result.stderr
    assert "/r/malformed/new.json" in result.stderr  # the URL is named
    assert set(posts) == {"zw1", "rtl1", "sc1", "md1", "sql1", "em1", "u8", "huge1"}


def test_invisible_and_direction_controls_are_removed(crawled):
    _, posts, _ = crawled
    assert posts["zw1"]["text"] == "j'ai besoin d'aide pour le rsa"
    assert posts["zw1"]["title"] == "aide rsa"
    assert "\u202e" not in posts["rtl1"]["text"]
    assert "\u2067" not in posts["rtl1"]["text"]


def test_active_content_is_stored_as_text(crawled):
    _, posts, _ = crawled
    assert "<script>alert(1)</script>" in posts["sc1"]["text"]
    assert "![img](http://127.0.0.1:1/p.png)" in posts["md1"]["text"]
    assert posts["sql1"]["title"] == "'; DROP TABLE posts; --"
    assert posts["em1"]["text"] == "😭😭😭🙏🙏"


def test_invalid_utf8_is_replaced_not_fatal(crawled):
    _, posts, _ = crawled
    assert posts["u8"]["text"].startswith("café")
    assert posts["u8"]["text"].endswith("fin")


def test_a_10_mb_post_is_stored_truncated(crawled):
    _, posts, _ = crawled
    text = posts["huge1"]["text"]
    assert len(text) <= 20_010
    assert text.endswith("[…]")
