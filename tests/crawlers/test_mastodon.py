"""The Mastodon spider: recorded Mastodon.py cassettes, then the real crawl."""

from __future__ import annotations

import json

import pytest
from scrapy import Request
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from crawlers.items import PostItem
from crawlers.spiders.mastodon import LATE_MARGIN_MS, MastodonSpider
from maraude import db as mdb
from maraude.sources import Source
from tests.cassettes import MASTODON_HOST, cassette_reply, run_crawl
from tests.replay import ReplayServer, Reply

BASE = "http://127.0.0.1:9"
HASHTAG = "fixtures/mastodon/mastodonpy_test_hashtag_tl.yaml"
PUBLIC = "fixtures/mastodon/mastodonpy_test_public_tl_anonymous.yaml"
SEARCH = "fixtures/mastodon/mastodonpy_test_search.yaml"
PUBLIC_NEXT = "117020574694606796"  # max_id of the public timeline's rel="next"


def make_spider(db_path, **settings) -> MastodonSpider:
    source = Source(
        name="masto",
        platform="mastodon",
        settings={"base_url": BASE, "hashtags": ["hoot"]} | settings,
    )
    crawler = get_crawler(MastodonSpider, {"MARAUDE_DB": str(db_path)})
    return MastodonSpider.from_crawler(crawler, source=source)


def timeline(shared, cassette: str, uri: str, base: str = BASE) -> TextResponse:
    reply = cassette_reply(shared / cassette, uri, rewrite={MASTODON_HOST: base})
    return TextResponse(
        url=f"{base}{uri}", body=reply.body, headers=reply.headers, encoding="utf-8"
    )


def split(out):
    out = list(out)
    items = [o for o in out if isinstance(o, PostItem)]
    requests = [o for o in out if isinstance(o, Request)]
    assert len(items) + len(requests) == len(out)
    return items, requests


def test_hashtag_timeline_gives_its_status_and_follows_the_link(shared, db_path):
    spider = make_spider(db_path)
    response = timeline(shared, HASHTAG, "/api/v1/timelines/tag/hoot")
    (post,), (nxt,) = split(spider.parse(response, key="tag:hoot"))
    assert post.native_id == "117020593741189701"
    assert post.lang == "ja"
    assert post.html is True
    assert post.author == "mastodonpy_test_2"  # hashed by the pipeline
    assert post.url == BASE + "/@mastodonpy_test_2/117020593741189701"
    assert post.created_at == "2026-08-01T13:55:55Z"
    assert post.parent_native_id is None
    assert (post.platform, post.site) == ("mastodon", "127.0.0.1")
    assert (
        nxt.url
        == BASE + "/api/v1/timelines/tag/hoot?limit=40&max_id=117020593741189701"
    )


def test_public_timeline_statuses_and_link_paging(shared, db_path):
    spider = make_spider(db_path)
    response = timeline(shared, PUBLIC, "/api/v1/timelines/public")
    items, (nxt,) = split(spider.parse(response, key="tag:hoot"))
    assert len(items) == 8
    assert [i.lang for i in items].count("en") == 6
    assert f"max_id={PUBLIC_NEXT}" in nxt.url
    assert nxt.url.startswith(BASE)  # the configured host, never the Link's


def since_id(mark: int) -> int:
    return mark - (LATE_MARGIN_MS << 16)  # snowflake: milliseconds << 16


def test_a_high_water_mark_adds_since_id_and_a_short_page_ends_the_walk(
    shared, db_path
):
    mark = 117020586180926938  # the 6th of the 8 statuses
    database = mdb.open_db(db_path)
    state = {"feeds": {"tag:hoot": {"high": mark}}}
    mdb.set_source_state(database, "masto", "mastodon", state)
    database.close()
    spider = make_spider(db_path)
    request = spider._tag_request("hoot", None)
    assert request.url == (
        f"{BASE}/api/v1/timelines/tag/hoot?limit=40&since_id={since_id(mark)}"
    )
    response = timeline(shared, PUBLIC, "/api/v1/timelines/public")
    items, requests = split(spider.parse(response, **request.cb_kwargs))
    assert len(items) == 8  # 5 newer than the mark, 3 below it but never stored
    assert requests == []
    assert spider.walk("tag:hoot").final() == {"high": 117020593134559451}


def test_stored_statuses_below_the_mark_are_not_read_again(shared, db_path):
    mark = 117020586180926938
    database = mdb.open_db(db_path)
    mdb.set_source_state(
        database, "masto", "mastodon", {"feeds": {"tag:hoot": {"high": mark}}}
    )
    for native_id in ("117020586180926938", "117020582721532745"):
        mdb.upsert_post(
            database,
            {
                "platform": "mastodon",
                "site": "127.0.0.1",
                "source": "masto",
                "native_id": native_id,
                "text": "x",
                "content_hash": "0" * 32,
            },
        )
    database.close()
    spider = make_spider(db_path)
    request = spider._tag_request("hoot", None)
    response = timeline(shared, PUBLIC, "/api/v1/timelines/public")
    items, _ = split(spider.parse(response, **request.cb_kwargs))
    assert len(items) == 6  # a late status (…606796) is still found
    assert "117020574694606796" in {i.native_id for i in items}


def test_ids_compare_as_integers(db_path):
    spider = make_spider(db_path)
    statuses = [
        {"id": "100000000000000000", "content": "<p>a</p>", "visibility": "public"},
        {"id": "99999999999999999", "content": "<p>b</p>", "visibility": "public"},
    ]
    response = TextResponse(BASE + "/x", body=json.dumps(statuses).encode())
    items, _ = split(spider.parse(response, key="tag:hoot"))
    assert len(items) == 2
    assert spider.walk("tag:hoot").head == 100000000000000000


def test_reblogs_private_and_noindex_statuses_are_skipped(shared, db_path):
    body = cassette_reply(shared / PUBLIC, "/api/v1/timelines/public").body
    statuses = json.loads(body)[:4]
    statuses[0] = {
        "id": statuses[0]["id"],
        "reblog": statuses[1],
        "account": {"acct": "booster"},
    }
    statuses[2]["visibility"] = "direct"
    statuses[3]["account"]["noindex"] = True
    spider = make_spider(db_path)
    response = TextResponse(BASE + "/x", body=json.dumps(statuses).encode())
    items, _ = split(spider.parse(response, key="tag:hoot"))
    assert [i.native_id for i in items] == [statuses[1]["id"]]
    assert all(i.author != "booster" for i in items)
    assert spider.crawler.stats.get_value("maraude/skipped_noindex") == 1


def test_reply_parent(db_path):
    status = {
        "id": "5",
        "in_reply_to_id": "4",
        "content": "<p>x</p>",
        "spoiler_text": "cw",
    }
    spider = make_spider(db_path)
    response = TextResponse(BASE + "/x", body=json.dumps([status]).encode())
    (item,), _ = split(spider.parse(response, key="tag:hoot"))
    assert (item.parent_native_id, item.title) == ("4", "cw")


def test_search_reads_statuses_without_paging(shared, db_path):
    spider = make_spider(db_path, query="rsa")
    assert (
        spider._search_request().url
        == BASE + "/api/v2/search?q=rsa&type=statuses&limit=40"
    )
    empty = cassette_reply(shared / SEARCH, "type=statuses").body
    assert split(spider.parse(TextResponse(BASE + "/s", body=empty), key="search")) == (
        [],
        [],
    )
    statuses = json.loads(
        cassette_reply(shared / PUBLIC, "/api/v1/timelines/public").body
    )
    found = json.dumps({"accounts": [], "statuses": statuses, "hashtags": []}).encode()
    items, requests = split(
        spider.parse(TextResponse(BASE + "/s", body=found), key="search")
    )
    assert (len(items), requests) == (8, [])


@pytest.mark.parametrize(
    "body", [b"{not json", b'[{"id": "1", "content": "<p>cut', b'{"error": "x"}', b""]
)
def test_malformed_timelines_log_an_error(db_path, caplog, body):
    spider = make_spider(db_path)
    assert (
        list(spider.parse(TextResponse(BASE + "/t", body=body), key="tag:hoot")) == []
    )
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "masto" in record.getMessage()
    assert BASE + "/t" in record.getMessage()
    assert "cut" not in caplog.text


# The real crawl ---------------------------------------------------------------


@pytest.fixture
def instance(shared):
    with ReplayServer() as server:
        rewrite = {MASTODON_HOST: server.base_url}
        hoot = cassette_reply(
            shared / HASHTAG, "/api/v1/timelines/tag/hoot", rewrite=rewrite
        )
        public = cassette_reply(
            shared / PUBLIC, "/api/v1/timelines/public", rewrite=rewrite
        )
        # The public timeline's cassette stands in for a second hashtag.
        for tag, reply in (("hoot", hoot), ("aide", public)):
            path = f"/api/v1/timelines/tag/{tag}"
            server.add(path, Reply(200, b"[]"), max_id=_next(reply))
            since = str(since_id(int(_first(reply))))
            server.add(path, Reply(200, b"[]"), since_id=since)
            server.add(path, reply)
        yield server


def _first(reply: Reply) -> str:
    return json.loads(reply.body)[0]["id"]


def _next(reply: Reply) -> str:
    return reply.headers["link"].split("max_id=")[1].split(">")[0]


def toml_for(server) -> str:
    return (
        '[[sources]]\nname = "masto"\nplatform = "mastodon"\n'
        f'base_url = "{server.base_url}"\nhashtags = ["hoot", "aide"]\n'
    )


@pytest.mark.slow
def test_crawl_stores_both_hashtags(instance, db_path, tmp_path):
    result = run_crawl(db_path, toml_for(instance), tmp_path)
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 9
    run = mdb.crawl_runs(database)[0]
    assert (run["status"], run["new_posts"], run["requests"]) == ("ok", 9, 4)
    assert sorted(instance.requests) == [
        "/api/v1/timelines/tag/aide?limit=40",
        f"/api/v1/timelines/tag/aide?limit=40&max_id={PUBLIC_NEXT}",
        "/api/v1/timelines/tag/hoot?limit=40",
        "/api/v1/timelines/tag/hoot?limit=40&max_id=117020593741189701",
    ]


@pytest.mark.slow
def test_a_second_run_costs_one_request_per_hashtag(instance, db_path, tmp_path):
    run_crawl(db_path, toml_for(instance), tmp_path)
    instance.requests.clear()
    result = run_crawl(db_path, toml_for(instance), tmp_path)
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 9
    assert mdb.crawl_runs(database)[0]["new_posts"] == 0
    assert sorted(instance.requests) == [
        f"/api/v1/timelines/tag/aide?limit=40&since_id={since_id(117020593134559451)}",
        f"/api/v1/timelines/tag/hoot?limit=40&since_id={since_id(117020593741189701)}",
    ]


@pytest.mark.slow
def test_no_handle_is_stored(instance, db_path, tmp_path):
    run_crawl(db_path, toml_for(instance), tmp_path)
    database = mdb.open_db(db_path)
    rows = list(database.query("SELECT author_hash, text FROM posts"))
    assert all(len(r["author_hash"]) == 32 for r in rows)
    dump = "\n".join(database.iterdump())
    assert "mastodonpy_test_2" not in dump.replace("/@mastodonpy_test_2/", "")
    assert "acct" not in dump


@pytest.mark.slow
def test_errors_are_counted_and_the_other_hashtag_is_stored(shared, db_path, tmp_path):
    hoot = cassette_reply(shared / HASHTAG, "/api/v1/timelines/tag/hoot")
    with ReplayServer() as server:
        server.add("/api/v1/timelines/tag/hoot", Reply(200, b"[]"), max_id=_first(hoot))
        server.add("/api/v1/timelines/tag/hoot", hoot)
        server.add("/api/v1/timelines/tag/cut", Reply(200, hoot.body[:100]))
        server.add("/api/v1/timelines/tag/gone", Reply(404, b"{}"))
        toml = (
            '[[sources]]\nname = "masto"\nplatform = "mastodon"\n'
            f'base_url = "{server.base_url}"\nhashtags = ["cut", "gone", "hoot"]\n'
        )
        result = run_crawl(db_path, toml, tmp_path)
    assert result.returncode == 1, result.stderr  # errors: non-zero (#11)
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 1
    run = mdb.crawl_runs(database)[0]
    assert (run["status"], run["errors"]) == ("errors", 2)
