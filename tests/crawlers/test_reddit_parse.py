"""The Reddit spider parses saved listings (unit tests, no network, no engine)."""

from __future__ import annotations

import json

import pytest
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from crawlers.items import PostItem
from crawlers.spiders.reddit import RedditSpider
from maraude import db as mdb
from maraude.sources import Source
from tests.replay import betamax_reply

CASSETTE = "fixtures/reddit/praw_TestSubredditListings.test_new.json"


def make_spider(db_path, **settings):
    source = Source(
        name="r-test",
        platform="reddit",
        settings={"base_url": "http://127.0.0.1:9", "subreddits": ["askreddit"]}
        | settings,
    )
    crawler = get_crawler(RedditSpider, {"MARAUDE_DB": str(db_path)})
    return RedditSpider.from_crawler(crawler, source=source)


def listing_response(body: bytes, url: str = "http://127.0.0.1:9/r/askreddit/new.json"):
    return TextResponse(url=url, body=body, encoding="utf-8")


def test_askreddit_listing_gives_100_posts_and_a_next_page(shared, db_path):
    body = betamax_reply(shared / CASSETTE, "/r/askreddit/new").body
    spider = make_spider(db_path)
    out = list(spider.parse(listing_response(body), sub="askreddit"))
    posts = [o for o in out if isinstance(o, PostItem)]
    assert len(posts) == 100
    (next_page,) = [o for o in out if not isinstance(o, PostItem)]
    assert "after=t3_48f6io" in next_page.url


def test_post_fields_come_from_the_listing(shared, db_path):
    listing = json.loads(betamax_reply(shared / CASSETTE, "/r/askreddit/new").body)
    first = listing["data"]["children"][0]["data"]
    spider = make_spider(db_path)
    body = json.dumps(listing).encode()
    post = next(spider.parse(listing_response(body), sub="askreddit"))
    assert post.native_id == first["id"]
    assert post.title == first["title"]
    assert post.site == "127.0.0.1"
    assert post.url == "http://127.0.0.1:9" + first["permalink"]
    assert post.created_at.endswith("Z")
    assert post.platform == "reddit"


def test_paging_stops_at_the_high_water_mark(shared, db_path):
    listing = json.loads(betamax_reply(shared / CASSETTE, "/r/askreddit/new").body)
    mark = listing["data"]["children"][10]["data"]["id"]
    database = mdb.open_db(db_path)
    state = {"feeds": {"askreddit": {"high": int(mark, 36)}}}
    mdb.set_source_state(database, "r-test", "reddit", state)
    database.close()
    spider = make_spider(db_path)
    body = json.dumps(listing).encode()
    out = list(spider.parse(listing_response(body), sub="askreddit"))
    assert len(out) == 10  # the 10 newer posts, and no next page
    assert all(isinstance(o, PostItem) for o in out)


@pytest.mark.parametrize(
    "body", [b"{not json", b"[]", b'{"data": {"children": "x"}}', b"", b"\xff\xfe\x00"]
)
def test_malformed_listing_yields_nothing_and_logs_an_error(db_path, body, caplog):
    spider = make_spider(db_path)
    assert list(spider.parse(listing_response(body), sub="a")) == []
    assert "malformed Reddit listing" in caplog.text


def test_deleted_authors_are_not_kept(db_path):
    listing = {
        "kind": "Listing",
        "data": {
            "after": None,
            "children": [
                {
                    "kind": "t3",
                    "data": {
                        "id": "a1",
                        "title": "t",
                        "selftext": "x",
                        "author": "[deleted]",
                        "created_utc": 1,
                    },
                },
                {"kind": "t1", "data": {"id": "c1"}},
            ],
        },
    }
    spider = make_spider(db_path)
    (post,) = spider.parse(listing_response(json.dumps(listing).encode()), sub="a")
    assert post.author is None
