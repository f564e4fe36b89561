"""The Discourse spider: recorded API responses, then the real crawl (replayed)."""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Iterable
from urllib.parse import urlparse

import pytest
from scrapy import Request
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawlers.items import PostItem
from crawlers.pipelines import NormalisePipeline
from crawlers.spiders.discourse import DiscourseSpider
from maraude import db as mdb
from maraude.sources import Source
from tests.cassettes import run_crawl
from tests.replay import ReplayServer, Reply

BASE = "http://127.0.0.1:9"
D = "fixtures/discourse"
EMPTY_POSTS = b'{"latest_posts": []}'


def fixture(shared, name: str) -> bytes:
    return (shared / D / name).read_bytes()


def make_spider(db_path, **settings) -> DiscourseSpider:
    source = Source(
        name="forum", platform="discourse", settings={"base_url": BASE} | settings
    )
    crawler = get_crawler(DiscourseSpider, {"MARAUDE_DB": str(db_path)})
    return DiscourseSpider.from_crawler(crawler, source=source)


def response(body: bytes, path: str = "/posts.json", status: int = 200):
    return TextResponse(url=BASE + path, body=body, encoding="utf-8", status=status)


def drive(
    outputs: Iterable, serve: Callable[[str], bytes | None]
) -> tuple[list[PostItem], list[str]]:
    """Run a callback's output to the end, as the engine would, one request at a time.

    ``serve(path_and_query)`` gives a body, or None for an HTTP 404.
    """
    items: list[PostItem] = []
    urls: list[str] = []
    queue = deque(outputs)
    while queue:
        out = queue.popleft()
        if isinstance(out, PostItem):
            items.append(out)
            continue
        assert isinstance(out, Request)
        urls.append(out.url)
        url = urlparse(out.url)
        body = serve(url.path + (f"?{url.query}" if url.query else ""))
        if body is None:
            failure = Failure(HttpError(Response(out.url, status=404)))
            failure.request = out
            result = out.errback(failure)
        else:
            result = out.callback(
                TextResponse(out.url, body=body, encoding="utf-8"), **out.cb_kwargs
            )
        queue.extend(result or [])
    return items, urls


def lookups(shared) -> Callable[[str], bytes | None]:
    """The recorded topic responses that answer the spider's look-ups."""
    served = {
        "/t/2108/451.json": "criticalfallibilism_t_2108_post_452.json",
        "/t/2144.json": "criticalfallibilism_t_2144_posts.json",
    }

    def serve(path: str) -> bytes | None:
        if path == "/posts.json?before=20168":
            return EMPTY_POSTS
        return fixture(shared, served[path]) if path in served else None

    return serve


# /posts.json ----------------------------------------------------------------


def test_latest_posts_give_exactly_50_posts(shared, db_path):
    spider = make_spider(db_path)
    body = fixture(shared, "criticalfallibilism_posts.json")
    first = list(spider.parse_posts(response(body)))
    ready = [o for o in first if isinstance(o, PostItem)]
    (lookup,) = [o for o in first if isinstance(o, Request)]
    waiting = sum(
        len(r.cb_kwargs["group"])
        for r in [lookup, *lookup.cb_kwargs["chain"]]
        if "group" in r.cb_kwargs
    )
    assert len(ready) + waiting == 50
    items, urls = drive(first, lookups(shared))
    assert len(items) == 50
    assert len({i.native_id for i in items}) == 50
    assert urls[-1] == BASE + "/posts.json?before=20168"  # the next page comes last


def test_post_fields(shared, db_path):
    spider = make_spider(db_path)
    body = fixture(shared, "criticalfallibilism_posts.json")
    items, _ = drive(spider.parse_posts(response(body)), lookups(shared))
    post = next(i for i in items if i.native_id == "20218")
    assert post.url == BASE + "/t/people-being-bad-at-logic/2148/1"
    assert post.thread_title == "People Being Bad at Logic"
    assert post.title == "People Being Bad at Logic"  # the topic's first post
    assert post.parent_native_id is None
    assert post.created_at == "2026-01-21T23:29:42Z"
    assert post.html is True
    assert post.author == "Elliot"  # the pipeline hashes it
    assert (post.platform, post.site, post.source) == (
        "discourse",
        "127.0.0.1",
        "forum",
    )


def test_parents_are_resolved_within_the_topic(shared, db_path):
    spider = make_spider(db_path)
    body = fixture(shared, "criticalfallibilism_posts.json")
    items, urls = drive(spider.parse_posts(response(body)), lookups(shared))
    parent = {i.native_id: i.parent_native_id for i in items}
    assert parent["20217"] == "20213"  # 2144 #31 replies to #28, on the same page
    assert parent["20181"] == "20166"  # 2108 #452 → #451, found by /t/2108/451.json
    assert parent["20188"] == "20110"  # 2144 #15 → #4, found by /t/2144.json
    assert parent["20182"] == "20089"  # 2144 #12, no reply number → the first post
    assert BASE + "/t/2108/451.json" in urls


def test_unfound_parents_fall_back_and_nothing_is_lost(shared, db_path):
    spider = make_spider(db_path)
    body = fixture(shared, "criticalfallibilism_posts.json")
    items, _ = drive(spider.parse_posts(response(body)), lambda path: None)
    assert len(items) == 50
    assert spider.crawler.stats.get_value("maraude/discourse/unresolved") == 15


def test_paging_stops_at_the_high_water_mark(shared, db_path):
    database = mdb.open_db(db_path)
    state = {"feeds": {"posts": {"high": 20208}}}
    mdb.set_source_state(database, "forum", "discourse", state)
    database.close()
    spider = make_spider(db_path)
    body = fixture(shared, "criticalfallibilism_posts.json")
    items, urls = drive(spider.parse_posts(response(body)), lambda path: None)
    assert sorted(int(i.native_id) for i in items) == list(range(20209, 20219))
    assert not any("before=" in u for u in urls)


# Quotes ----------------------------------------------------------------------


def test_quotes_are_marked_and_their_author_masked(shared):
    posts = json.loads(fixture(shared, "criticalfallibilism_posts.json"))
    post = next(p for p in posts["latest_posts"] if p["id"] == 20217)
    names = set(re.findall(r'data-username="([^"]+)"', post["cooked"]))
    assert names == {"anonymous105"}
    item = PostItem("discourse", "x", "s", "1", post["cooked"], html=True)
    post = NormalisePipeline().process_item(item)
    text = f"{post.quoted}\n{post.text}"  # the quote is kept apart (#15)
    assert "anonymous105" not in text
    assert "@[user] a écrit :\n> Is We the Living also short?" in post.quoted
    assert post.text.startswith("For my physical copies")


def test_nested_quotes_keep_their_depth():
    inner = (
        '<aside class="quote" data-username="bob"><div class="title">bob:</div>'
        "<blockquote><p>deep</p></blockquote></aside>"
    )
    outer = (
        '<aside class="quote no-group" data-username="amy"><div class="title">'
        f'<img class="avatar"> amy:</div><blockquote>{inner}<p>mine</p></blockquote>'
        "</aside><p>reply</p>"
    )
    item = PostItem("discourse", "x", "s", "1", outer, html=True)
    post = NormalisePipeline().process_item(item)
    text = f"{post.quoted}\n{post.text}"  # the quotes are kept apart (#15)
    assert "amy" not in text
    assert "bob" not in text
    assert "> > deep" in post.quoted
    assert "> mine" in post.quoted
    assert post.text == "reply"


def test_text_without_quotes_is_unchanged():
    item = PostItem("discourse", "x", "s", "1", "<p>a &lt; b</p>", html=True)
    assert NormalisePipeline().process_item(item).text == "a < b"


# Topics, categories, search ----------------------------------------------------


def test_latest_topic_list_reads_each_topic_once_then_the_next_page(shared, db_path):
    spider = make_spider(db_path)
    body = fixture(shared, "discourse_api_latest.json")
    out = list(spider.parse_topics(response(body, "/latest.json"), key="latest"))
    (topic,) = out  # one request at a time: the chain holds the rest
    assert topic.url == BASE + "/t/1.json"  # the three topics share id 1
    (next_page,) = topic.cb_kwargs["chain"]
    assert next_page.url == BASE + "/latest.json?page=1"


def test_category_list_reads_its_topics_pinned_one_included(shared, db_path):
    spider = make_spider(db_path, categories=["uncategorized/1"])
    body = fixture(shared, "discourse_api_category_latest_topics.json")
    key = "category:uncategorized/1"
    (first,) = spider.parse_topics(response(body, "/c/uncategorized/1.json"), key=key)
    chain = first.cb_kwargs["chain"]
    assert [first.url, *(r.url for r in chain)] == [
        BASE + "/t/5.json",
        BASE + "/t/4.json",
    ]


def test_category_urls(db_path):
    spider = make_spider(db_path, categories=["entraide/5", 12, "logement"])
    urls = [spider._feed_request(f"category:{c}", None).url for c in spider.categories]
    assert urls == [
        BASE + "/c/entraide/5.json",
        BASE + "/c/12.json",
        BASE + "/c/logement.json",
    ]


def test_topic_gives_its_regular_posts_with_parents(shared, db_path):
    spider = make_spider(db_path)
    body = fixture(shared, "discourse_api_topic.json")
    items, _ = drive(
        spider.parse_topic(response(body, "/t/57.json"), 57, deque()), lambda p: None
    )
    assert [i.native_id for i in items] == [
        "83",
        "86",
        "226",
    ]  # 84 is a moderator action
    assert items[0].title == "THIS SITE IS A SANDBOX -- it is reset every day"
    assert items[2].parent_native_id == "83"  # #14 replies to #1
    assert items[1].parent_native_id == "83"  # #3: the first post
    assert (
        items[2].url == BASE + "/t/this-site-is-a-sandbox-it-is-reset-every-day/57/14"
    )


def test_long_topic_asks_for_its_other_posts_by_id(shared, db_path):
    spider = make_spider(db_path)
    data = json.loads(fixture(shared, "criticalfallibilism_t_2108_post_452.json"))
    loaded = {p["id"] for p in data["post_stream"]["posts"]}
    body = json.dumps(data).encode()
    out = list(spider.parse_topic(response(body, "/t/2108.json"), 2108, deque()))
    (first, *_) = [o for o in out if isinstance(o, Request)]
    chain = first.cb_kwargs["chain"]
    follow = [first, *(r for r in chain if "/posts.json?" in r.url)]
    assert len(follow) == 10  # the 200 newest unseen posts, 20 per request
    ids = [int(x) for r in follow for x in re.findall(r"post_ids%5B%5D=(\d+)", r.url)]
    assert len(ids) == 200
    assert ids == data["post_stream"]["stream"][-220:-20]
    assert not set(ids) & loaded
    assert first.url.startswith(BASE + "/t/2108/posts.json?post_ids%5B%5D=")


def test_post_ids_response_gives_its_posts(shared, db_path):
    spider = make_spider(db_path)
    body = fixture(shared, "criticalfallibilism_t_2144_posts.json")
    items, _ = drive(
        spider.parse_topic(response(body, "/t/2144/posts.json"), 2144, deque()),
        lambda p: None,
    )
    assert len(items) == 20
    assert {i.parent_native_id for i in items if i.native_id == "20127"} == {"20110"}


def test_search_asks_for_the_matched_posts_and_the_next_page(shared, db_path):
    latest = json.loads(fixture(shared, "criticalfallibilism_posts.json"))[
        "latest_posts"
    ]
    keys = ("id", "username", "created_at", "post_number", "topic_id", "blurb")
    found = [{k: p.get(k) for k in keys} for p in latest[:6]]
    topics = [
        {"id": p["topic_id"], "title": p["topic_title"], "slug": p["topic_slug"]}
        for p in latest[:6]
    ]
    body = json.dumps(
        {
            "posts": found,
            "topics": topics,
            "grouped_search_result": {"more_full_page_results": True},
        }
    ).encode()
    spider = make_spider(db_path, query="rsa")
    first, *_ = spider.parse_search(response(body, "/search.json"))
    chain = list(first.cb_kwargs["chain"])
    assert [urlparse(r.url).path for r in [first, *chain]] == [
        "/t/2148/posts.json",
        "/t/2144/posts.json",
        "/t/2132/posts.json",
        "/search.json",
    ]
    assert (
        "post_ids%5B%5D=20213&post_ids%5B%5D=20215&post_ids%5B%5D=20216&post_ids%5B%5D=20217"
        in chain[0].url
    )
    assert "page=2" in chain[-1].url
    assert "order%3Alatest" in chain[-1].url


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("old search format", "discourse_api_search.json"),
        ("truncated", b'{"latest_posts": [{"id": 1, "topic_id": 2, "cooked": "<p>cut'),
        ("not json", b"<html>502 Bad Gateway</html>"),
        ("wrong shape", b'{"latest_posts": {"id": 1}}'),
        ("empty", b""),
    ],
)
def test_malformed_responses_log_an_error_without_text(
    shared, db_path, caplog, name, body
):
    spider = make_spider(db_path, query="x")
    if isinstance(body, str):
        body = fixture(shared, body)
    assert list(spider.parse_posts(response(body))) == []
    assert list(spider.parse_search(response(body, "/search.json"))) == []
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 2
    assert all("forum" in r.getMessage() and BASE in r.getMessage() for r in errors)
    assert "cut" not in caplog.text


def test_a_refused_posts_feed_falls_back_to_the_topic_list(db_path, caplog):
    spider = make_spider(db_path)
    request = spider._feed_request("posts", None)
    failure = Failure(HttpError(Response(request.url, status=404)))
    failure.request = request
    (fallback,) = spider.on_error(failure)
    assert fallback.url == BASE + "/latest.json"


# The real crawl ---------------------------------------------------------------


def toml_for(server, **extra) -> str:
    lines = [
        "[[sources]]",
        'name = "forum"',
        'platform = "discourse"',
        f'base_url = "{server.base_url}"',
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def forum(shared):
    with ReplayServer() as server:
        server.add("/posts", Reply(200, EMPTY_POSTS), before="20168")
        server.add(
            "/posts", Reply(200, fixture(shared, "criticalfallibilism_posts.json"))
        )
        server.add(
            "/t/2108/451",
            Reply(200, fixture(shared, "criticalfallibilism_t_2108_post_452.json")),
        )
        server.add(
            "/t/2144",
            Reply(200, fixture(shared, "criticalfallibilism_t_2144_posts.json")),
        )
        yield server


@pytest.mark.slow
def test_crawl_stores_the_50_latest_posts(forum, db_path, tmp_path):
    result = run_crawl(db_path, toml_for(forum), tmp_path)
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 50
    run = mdb.crawl_runs(database)[0]
    assert (run["status"], run["new_posts"], run["errors"]) == ("ok", 50, 0)
    lookups = [r for r in forum.requests if r.startswith("/t/")]
    assert len(lookups) == 9  # one per topic with an unknown parent
    assert run["requests"] == 1 + 9 + 1
    parents = dict(
        database.execute("SELECT native_id, parent_native_id FROM posts").fetchall()
    )
    assert parents["20181"] == "20166"


@pytest.mark.slow
def test_a_second_run_adds_nothing_with_one_request(forum, db_path, tmp_path):
    run_crawl(db_path, toml_for(forum), tmp_path)
    forum.requests.clear()
    result = run_crawl(db_path, toml_for(forum), tmp_path)
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 50
    assert mdb.crawl_runs(database)[0]["new_posts"] == 0
    assert forum.requests == ["/posts.json"]


@pytest.mark.slow
def test_no_handle_is_stored_and_quoted_names_are_masked(
    forum, db_path, tmp_path, shared
):
    run_crawl(db_path, toml_for(forum), tmp_path)
    posts = json.loads(fixture(shared, "criticalfallibilism_posts.json"))[
        "latest_posts"
    ]
    handles = {p["username"] for p in posts}
    quoted = set(
        re.findall(r'data-username="([^"]+)"', "".join(p["cooked"] for p in posts))
    )
    database = mdb.open_db(db_path)
    rows = list(database.query("SELECT author_hash, quoted, text FROM posts"))
    assert all(len(r["author_hash"]) == 32 for r in rows)
    assert not handles & {r["author_hash"] for r in rows}
    # The quotes are kept apart from the text (#15).
    texts = "\n".join(f"{r['quoted'] or ''}\n{r['text']}" for r in rows)
    assert not [q for q in quoted if f"{q}:" in texts]  # the quotes' attributions
    assert texts.count("@[user] a écrit :") >= 32  # one per quoting post at least
    assert "anonymous105" not in texts


@pytest.mark.slow
def test_malformed_and_failing_responses_are_errors_and_the_crawl_goes_on(
    shared, db_path, tmp_path
):
    topic = fixture(shared, "discourse_api_topic.json")
    with ReplayServer() as server:
        server.add("/c/broken/1", Reply(200, b'{"topic_list": {"topics": [{"id": 3'))
        server.add(
            "/c/good/2",
            Reply(200, fixture(shared, "discourse_api_category_latest_topics.json")),
        )
        server.add("/t/4", Reply(200, topic))
        server.add("/t/5", Reply(500, b"oops"))
        toml = toml_for(server, categories=["broken/1", "good/2"])
        result = run_crawl(db_path, toml, tmp_path)
        assert result.returncode == 1, result.stderr  # errors: non-zero (#11)
        database = mdb.open_db(db_path)
        assert mdb.counts(database)["posts"] == 3  # topic 4's regular posts
        run = mdb.crawl_runs(database)[0]
        assert run["status"] == "errors"
        assert run["errors"] >= 2
        assert "samsaffron" not in result.stderr  # no handle or text in the log
        # Everything broken now: what was stored stays.
        server.routes.clear()
        result = run_crawl(db_path, toml, tmp_path)
    assert result.returncode == 1, result.stderr  # errors: non-zero (#11)
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 3
    assert mdb.crawl_runs(database)[0]["errors"] >= 2
