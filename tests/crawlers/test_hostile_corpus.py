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

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from crawlers.imports import import_file
from crawlers.items import PostItem
from crawlers.pipelines import normalise_item, post_row, pseudonymise_item
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
