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
    out = list(spider.parse(listing_response(body), feed="askreddit"))
    posts = [o for o in out if isinstance(o, PostItem)]
    assert len(posts) == 100
    (next_page,) = [o for o in out if not isinstance(o, PostItem)]
    assert "after=t3_48f6io" in next_page.url


def test_post_fields_come_from_the_listing(shared, db_path):
    listing = json.loads(betamax_reply(shared / CASSETTE, "/r/askreddit/new").body)
    first = listing["data"]["children"][0]["data"]
    spider = make_spider(db_path)
    body = json.dumps(listing).encode()
    post = next(spider.parse(listing_response(body), feed="askreddit"))
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
    out = list(spider.parse(listing_response(body), feed="askreddit"))
    assert len(out) == 10  # the 10 newer posts, and no next page
    assert all(isinstance(o, PostItem) for o in out)


@pytest.mark.parametrize(
    "body", [b"{not json", b"[]", b'{"data": {"children": "x"}}', b"", b"\xff\xfe\x00"]
)
def test_malformed_listing_yields_nothing_and_logs_an_error(db_path, body, caplog):
    spider = make_spider(db_path)
    assert list(spider.parse(listing_response(body), feed="a")) == []
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
    (post,) = spider.parse(listing_response(json.dumps(listing).encode()), feed="a")
    assert post.author is None


COMMENTS = "fixtures/reddit/praw_TestSubmission.test_comments.json"


def test_comments_are_read_with_their_thread(shared, db_path):
    body = betamax_reply(shared / COMMENTS, "/comments/2gmzqe").body
    spider = make_spider(db_path, comments=True)
    post = PostItem(
        platform="reddit",
        site="127.0.0.1",
        source="r-test",
        native_id="2gmzqe",
        text="",
        title="Le fil",
    )
    response = listing_response(body, "http://127.0.0.1:9/comments/2gmzqe.json")
    comments = list(spider.parse_comments(response, post=post))
    raw = json.loads(body)[1]["data"]["children"]

    def count(children):
        return sum(
            1
            + count(
                (c["data"].get("replies") or {"data": {}})["data"].get("children", [])
            )
            for c in children
            if c["kind"] == "t1"
        )

    assert len(comments) == count(raw) == 2  # a comment and its reply
    assert comments[1].parent_native_id == comments[0].native_id
    first = comments[0]
    assert first.parent_native_id == "2gmzqe"
    assert first.thread_title == "Le fil"
    assert first.native_id == raw[0]["data"]["id"]
    assert first.url.startswith("http://127.0.0.1:9/r/")


def test_new_posts_ask_for_their_comments_when_configured(shared, db_path):
    body = betamax_reply(shared / CASSETTE, "/r/askreddit/new").body
    spider = make_spider(db_path, comments=True)
    out = list(spider.parse(listing_response(body), feed="askreddit"))
    requests = [o for o in out if not isinstance(o, PostItem)]
    assert len(requests) == 101  # one per post, plus the next page
    assert requests[0].url.startswith("http://127.0.0.1:9/comments/")


def test_a_query_searches_each_subreddit_or_all_of_reddit(db_path):
    spider = make_spider(db_path, query="rsa caf")
    assert "/r/askreddit/search.json?" in spider._feed_url("askreddit")
    assert "restrict_sr=1" in spider._feed_url("askreddit")
    spider = make_spider(db_path, query="rsa", subreddits=[])
    (request,) = list(spider._feed_requests())
    assert request.url.startswith("http://127.0.0.1:9/search.json?")
    assert "q=rsa" in request.url
