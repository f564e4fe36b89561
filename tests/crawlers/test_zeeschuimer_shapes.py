"""`maraude import` reads the shapes Zeeschuimer really exports (issue #15).

tests/data/imports/zeeschuimer_shapes.ndjson is our own fixture, written in the
item shapes of Zeeschuimer's modules (modules/twitter.js, instagram.js,
threads.js) with French texts we wrote and fictional ``*_demo`` handles: a
current X tweet with its handle at ``core.user_results.result.core.screen_name``
and a long text in ``note_tweet``; a promoted tweet; two retweets (one of a
``TweetWithVisibilityResults`` original, one of the first tweet, exported as
``twitter.com``); an Instagram GraphQL item (``edge_media_to_caption``); a
broken line; a Threads item after it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawlers.imports import import_file
from crawlers.zeeschuimer import AD, Retweet, read_item
from maraude import db as mdb
from maraude.cli import cli

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"
SHAPES = DATA / "zeeschuimer_shapes.ndjson"
SECRET = "test-secret-0123456789abcdef"  # noqa: S105
HANDLES = (
    "camille_temps_demo",
    "credit_eclair_demo",
    "marc_droits_demo",
    "relais_solidaire_demo",
    "asso_quartier_demo",
    "sofia_lille_demo",
    "julien_css_demo",
)


def _lines() -> list[dict]:
    out = []
    for raw in SHAPES.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(raw))
        except json.JSONDecodeError:
            continue
    return out


@pytest.fixture
def imported(db_path):
    result = import_file(SHAPES, "zeeschuimer", db_path, SECRET)
    database = mdb.open_db(db_path)
    yield result, database
    database.close()


def _posts(database) -> dict[str, dict]:
    return {r["native_id"]: r for r in database.query("SELECT * FROM posts")}


def test_counts_every_kind_of_line(imported):
    result, _ = imported
    assert result.read == 7
    # new: the first tweet, Instagram, Threads; the retweeted original is
    # stored with its retweet (counted under retweets).
    assert (result.new, result.ads, result.retweets) == (3, 1, 2)
    assert mdb.counts(imported[1])["posts"] == 4
    assert len(result.errors) == 1
    assert "line 6: not JSON" in result.errors[0]


def test_the_current_x_handle_is_read_and_only_its_hash_stored(imported):
    _, database = imported
    tweet = _posts(database)["1870000000000000001"]
    assert tweet["platform"] == "x"
    assert len(tweet["author_hash"]) == 32
    dump = "\n".join(database.iterdump())
    for handle in HANDLES:
        assert handle not in dump  # URLs included
    assert tweet["url"] == "https://x.com/i/status/1870000000000000001"


def test_a_long_post_keeps_its_full_text_from_note_tweet(imported):
    _, database = imported
    text = _posts(database)["1870000000000000001"]["text"]
    assert len(text) > 300
    assert not text.endswith("…")
    assert text.endswith("Je n'ai jamais osé appeler la CAF.")


def test_a_promoted_tweet_is_dropped_and_counted(imported):
    result, database = imported
    assert "1870000000000000002" not in _posts(database)
    assert result.ads == 1
    assert read_item(_lines()[1], "s") == AD


def test_retweets_are_linked_to_their_original_not_stored(imported):
    _, database = imported
    posts = _posts(database)
    assert "1870000000000000004" not in posts  # the retweets themselves
    assert "1870000000000000005" not in posts
    original = posts["1870000000000000003"]  # read through the visibility wrapper
    assert original["text"].startswith("Fin de droits au chômage")
    assert len(original["author_hash"]) == 32
    links = {
        r["native_id"]: r
        for r in database.query("SELECT * FROM post_links WHERE kind = 'retweet'")
    }
    assert set(links) == {"1870000000000000004", "1870000000000000005"}
    assert links["1870000000000000004"]["original_id"] == original["id"]
    first = posts["1870000000000000001"]
    assert links["1870000000000000005"]["original_id"] == first["id"]
    assert all(link["copy_id"] is None for link in links.values())
    assert links["1870000000000000005"]["url"] == (
        "https://x.com/i/status/1870000000000000005"
    )
    seen = mdb.copies_of(database, first["id"])
    assert [c["url"] for c in seen] == ["https://x.com/i/status/1870000000000000005"]


def test_instagram_graphql_items_are_read(imported):
    _, database = imported
    post = _posts(database)["3456789012345678901"]
    assert post["text"].startswith("Troisième nuit dans la voiture")
    assert post["url"] == "https://www.instagram.com/p/DAbCdEf1234/"
    assert post["created_at"] == "2025-12-01T09:06:40Z"
    assert len(post["author_hash"]) == 32


def test_the_threads_link_points_to_the_post(imported):
    _, database = imported
    post = _posts(database)["3512345678901234567"]
    assert post["url"] == "https://www.threads.com/t/DBxYz98KLmn"
    assert "api/graphql" not in post["url"]
    assert len(post["author_hash"]) == 32


def test_a_second_import_adds_no_post_and_no_link(db_path):
    import_file(SHAPES, "zeeschuimer", db_path, SECRET)
    again = import_file(SHAPES, "zeeschuimer", db_path, SECRET)
    assert (again.new, again.retweets, again.ads) == (0, 2, 1)
    database = mdb.open_db(db_path)
    assert database.execute("SELECT count(*) FROM post_links").fetchone()[0] == 2


def test_the_cli_exits_1_after_importing_every_good_line(db_path):
    result = CliRunner().invoke(
        cli, ["import", str(SHAPES), "--source", "zeeschuimer", "--db", str(db_path)]
    )
    assert result.exit_code == 1
    assert "3 new" in result.output
    assert "1 ads dropped, 2 retweets linked" in result.output
    assert "line 6" in result.output
    database = mdb.open_db(db_path)
    # The Threads line comes after the broken one and is stored all the same.
    assert (
        database.execute(
            "SELECT count(*) FROM posts WHERE platform = 'threads'"
        ).fetchone()[0]
        == 1
    )


def test_the_adaptive_shape_and_legacy_handle_still_work():
    line = {
        "item_id": "42",
        "source_platform": "twitter.com",
        "data": {
            "id": 42,
            "type": "adaptive",
            "legacy": {"id_str": "42", "full_text": "Bonjour"},
            "user": {"screen_name": "ancien_format_demo"},
        },
    }
    item = read_item(line, "s")
    assert not isinstance(item, Retweet)
    assert (item.native_id, item.author, item.site) == (
        "42",
        "ancien_format_demo",
        "x.com",
    )
