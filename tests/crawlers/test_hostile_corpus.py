"""Every case of ``tests/data/bad/`` through its entry point (issue #11).

Spider cases are pages holding two good items ("message bon …") around a
hostile one: the page goes through the spider's parser and the pipeline's
steps (normalise, pseudonymise, store). Import cases go through
``import_file``; predict cases are run by ``test_predict_hostile.py``.
Whatever the case: no exception escapes but our own errors, both good items
are stored, and the hostile one is stored (repaired), rejected with a reason
(an error, counted) or filtered by a rule.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.http import TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from crawlers.imports import import_file
from crawlers.items import PostItem
from crawlers.pipelines import (
    NormalisePipeline,
    normalise_item,
    post_row,
    pseudonymise_item,
)
from crawlers.spiders.bluesky import BlueskySpider
from crawlers.spiders.discourse import DiscourseSpider
from crawlers.spiders.mastodon import MastodonSpider
from crawlers.spiders.reddit import RedditSpider
from crawlers.spiders.rss import RssSpider
from maraude import db as mdb
from maraude.errors import InputError
from maraude.sources import Source
from tests.crawlers.hostile_cases import ENTRY_POINTS, cases, load

SECRET = "hostile-secret-0123456789abcdef"  # noqa: S105
BASE = "http://127.0.0.1:9"

SPIDERS: dict[str, tuple[type, dict[str, Any], str, dict[str, Any]]] = {
    # platform: (spider, settings, path of the page, callback's keywords)
    "mastodon": (
        MastodonSpider,
        {"base_url": BASE, "hashtags": ["x"]},
        "/api/v1/timelines/tag/x?limit=40",
        {"key": "tag:x"},
    ),
    "bluesky": (
        BlueskySpider,
        {"base_url": BASE, "query": "rue"},
        "/xrpc/app.bsky.feed.searchPosts?q=rue",
        {},
    ),
    "reddit": (
        RedditSpider,
        {"base_url": BASE, "subreddits": ["x"]},
        "/r/x/new.json",
        {"feed": "x"},
    ),
    "discourse": (DiscourseSpider, {"base_url": BASE}, "/posts.json", {}),
    "rss": (RssSpider, {"url": BASE + "/feed.xml"}, "/feed.xml", {}),
}


def _spider(platform: str, db_path: Path) -> Any:
    cls, settings, _, _ = SPIDERS[platform]
    source = Source(name=f"bad-{platform}", platform=platform, settings=settings)
    crawler = get_crawler(cls, {"MARAUDE_DB": str(db_path), "MARAUDE_SECRET": SECRET})
    return cls.from_crawler(crawler, source=source)


def _items(spider: Any, platform: str, body: bytes) -> Iterator[PostItem]:
    _, _, path, kwargs = SPIDERS[platform]
    if platform == "rss":
        response = XmlResponse(url=BASE + path, body=body)
        output = spider.parse(response)
    elif platform == "discourse":
        response = TextResponse(url=BASE + path, body=body, encoding="utf-8")
        output = spider.parse_posts(response, key="posts")
    else:
        response = TextResponse(url=BASE + path, body=body, encoding="utf-8")
        output = spider.parse(response, **kwargs)
    return (o for o in output if isinstance(o, PostItem))


def _store(database: Any, item: PostItem) -> str:
    """The pipeline's steps after the spider, as SQLitePipeline runs them."""
    if not item.native_id:
        return "filtered"
    try:
        normalise_item(item)
    except InputError:
        return "rejected"
    if not item.text and not item.title:
        return "filtered"
    pseudonymise_item(item, SECRET, set())
    mdb.upsert_post(database, post_row(item))
    return "stored"


def _good_stored(database: Any) -> int:
    rows = database.query("SELECT text FROM posts WHERE text LIKE '%message bon%'")
    return len(list(rows))


CRAWL_CASES = [(platform, path) for platform in SPIDERS for path in cases(platform)]


def test_the_corpus_holds_over_100_cases():
    total = sum(len(cases(kind)) for kind in ENTRY_POINTS)
    assert total >= 100, total


@pytest.mark.parametrize(
    ("platform", "case"), CRAWL_CASES, ids=[f"{k}/{p.stem}" for k, p in CRAWL_CASES]
)
def test_a_hostile_item_costs_no_good_one(platform, case, db_path):
    spider = _spider(platform, db_path)
    items = list(_items(spider, platform, load(case)))
    outcomes = [_store(spider.db, item) for item in items]
    assert _good_stored(spider.db) == 2, (outcomes, spider.failures)
    hostile = len(items) - 2 + spider.failures
    # The hostile item: stored (repaired), rejected with its reason, or filtered.
    assert hostile >= 0
    if spider.failures:
        assert spider.crawler.stats.get_value("maraude/rejected", 0) >= 1


@pytest.mark.parametrize("case", cases("import"), ids=lambda p: p.stem)
def test_a_hostile_record_costs_no_good_one(case, db_path, tmp_path):
    path = tmp_path / case.name
    path.write_bytes(load(case))
    result = import_file(path, "bad", db_path, SECRET)
    database = mdb.open_db(db_path)
    assert _good_stored(database) == 2, result.errors
    (run,) = mdb.crawl_runs(database)
    assert run["status"] == ("errors" if result.errors else "ok")
    assert run["errors"] == len(result.errors)
    for error in result.errors:  # each names its line and says why
        assert f"{case.name}, line " in error or "no record found" in error


def _discourse_page(bad: bool) -> bytes:
    posts = [
        {
            "id": 100 + i,
            "topic_id": 10 + i,
            "post_number": 1,
            "username": f"u{i}",
            "cooked": f"<p>message bon {i}</p>",
            "created_at": "2025-11-24T10:00:00.000Z",
        }
        for i in (3, 2, 1)
    ]
    if bad:  # a reply whose replied-to number is a list: rejected
        posts[1].update(post_number=2, reply_to_post_number=[1])
    return json.dumps({"latest_posts": posts}).encode()


def _run_discourse_page(db_path: Path, bad: bool) -> tuple[int, dict[str, Any]]:
    """One run over one page: (items that failed, the source's saved state)."""
    spider = _spider("discourse", db_path)
    spider.crawler.spider = spider
    normalise = NormalisePipeline.from_crawler(spider.crawler)
    for item in _items(spider, "discourse", _discourse_page(bad)):
        with contextlib.suppress(DropItem):
            normalise.process_item(item)
    spider.closed("finished")  # releases the spider's connection
    database = mdb.open_db(db_path)
    try:
        return spider.failures, mdb.get_source_state(database, "bad-discourse")
    finally:
        database.close()


def test_marks_stay_until_a_failed_item_is_read_again_then_give_up(db_path):
    """Discourse, as every walk: the mark moves only past stored or given-up posts."""
    failures, state = _run_discourse_page(db_path, bad=True)
    assert failures == 1
    assert "posts" not in state.get("feeds", {})  # no mark claims the bad post
    assert state["held_runs"] == 1
    assert _run_discourse_page(db_path, bad=True)[1]["held_runs"] == 2
    _, state = _run_discourse_page(db_path, bad=True)  # third run in a row
    assert "held_runs" not in state  # given up, with an error
    assert state["feeds"]["posts"]["gaps"][0]["head"] == 103  # the mark moved


def test_a_clean_run_after_a_held_one_moves_the_mark(db_path):
    _run_discourse_page(db_path, bad=True)
    failures, state = _run_discourse_page(db_path, bad=False)
    assert failures == 0
    # Page 1 read down to post 101; the next page (a cursor) is still to read.
    assert state["feeds"]["posts"]["gaps"][0]["head"] == 103
    assert "held_runs" not in state


def test_a_field_that_is_not_text_is_rejected_by_the_pipeline(db_path):
    spider = _spider("reddit", db_path)
    spider.crawler.spider = spider
    item = PostItem("reddit", "127.0.0.1", "s", "x1", "texte", url=["a"])  # type: ignore[arg-type]
    with pytest.raises(DropItem, match="url is a list"):
        NormalisePipeline.from_crawler(spider.crawler).process_item(item)
    assert spider.failures == 1
    assert spider.crawler.stats.get_value("maraude/rejected") == 1
