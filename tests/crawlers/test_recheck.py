"""`maraude recheck`: a post deleted at its source is purged here."""

from __future__ import annotations

import json

from click.testing import CliRunner

from maraude import db as mdb
from maraude.cli import cli
from tests.replay import ReplayServer, Reply


def seed(db_path, base_url):
    database = mdb.open_db(db_path)
    posts = [
        ("reddit", "127.0.0.1", "r", "alive1", None),
        ("reddit", "127.0.0.1", "r", "gone1", None),  # missing from /api/info
        ("reddit", "127.0.0.1", "r", "removed1", None),  # removed by a moderator
        ("reddit", "127.0.0.1", "r", "deleted1", None),  # deleted by its author
        ("discourse", "127.0.0.1", "d", "41", f"{base_url}/t/x/1/2"),  # 200
        ("discourse", "127.0.0.1", "d", "42", f"{base_url}/t/x/1/3"),  # 404
        ("discourse", "127.0.0.1", "d", "43", f"{base_url}/t/x/1/4"),  # 500: kept
    ]
    for i, (platform, site, source, native_id, url) in enumerate(posts, start=1):
        mdb.upsert_post(
            database,
            {
                "platform": platform,
                "site": site,
                "source": source,
                "native_id": native_id,
                "url": url,
                "text": f"t{i}",
                "content_hash": str(i),
            },
        )
    mdb.save_predictions(
        database,
        [
            {
                "post_id": i,
                "distress": 0.9,
                "crisis": 0.0,
                "rights": 0.0,
                "labels": ["distress"],
                "rights_topics": [],
                "non_recours_form": None,
                "minor": False,
                "explanation": {},
            }
            for i in range(1, 8)
        ],
        "m1",
    )
    database.close()


def info(children):
    return json.dumps(
        {
            "kind": "Listing",
            "data": {"children": [{"kind": "t3", "data": d} for d in children]},
        }
    ).encode()


def test_recheck_purges_what_is_gone_and_keeps_the_rest(db_path, tmp_path):
    with ReplayServer() as server:
        server.add(
            "/api/info",
            Reply(
                200,
                info(
                    [
                        {"id": "alive1", "author": "x", "selftext": "bonjour"},
                        {
                            "id": "removed1",
                            "author": "x",
                            "selftext": "[removed]",
                            "removed_by_category": "moderator",
                        },
                        {
                            "id": "deleted1",
                            "author": "[deleted]",
                            "selftext": "[deleted]",
                        },
                    ]
                ),
            ),
        )
        server.add("/t/x/1/2", Reply(200, b"<html>ok</html>"))
        server.add("/t/x/1/4", Reply(500, b"oops"))
        seed(db_path, server.base_url)
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f'[[sources]]\nname = "r"\nplatform = "reddit"\nbase_url = '
            f'"{server.base_url}"\nsubreddits = ["x"]\n'
            f'[[sources]]\nname = "d"\nplatform = "discourse"\nbase_url = '
            f'"{server.base_url}"\n',
            encoding="utf-8",
        )
        result = CliRunner().invoke(
            cli, ["recheck", "--db", str(db_path), "--sources", str(sources)]
        )
    assert result.exit_code == 0, result.output
    assert "Checked 7 posts" in result.output
    assert "3 deleted" not in result.output
    assert "4 deleted at their source" in result.output
    assert "1 unknown" in result.output
    database = mdb.open_db(db_path)
    left = sorted(r[0] for r in database.execute("SELECT native_id FROM posts"))
    assert left == ["41", "43", "alive1"]
    assert database.execute("SELECT count(*) FROM leads").fetchone()[0] == 3
    ids = [r for r in server.requests if r.startswith("/api/info")]
    assert len(ids) == 1  # one batch for the four Reddit posts
    assert mdb.audit_entries(database)[0]["action"] == "recheck"
