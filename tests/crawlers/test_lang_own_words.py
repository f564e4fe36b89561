"""The author's own words on every recorded forum engine and feed.

Each fixture is parsed by its spider and normalised as the crawl does: quotes
go to ``quoted`` (for display), boilerplate goes away, and not one quoted line
is left in ``text``, the only field scored and searched.
"""

from __future__ import annotations

import json
import re

import pytest

from crawlers.items import PostItem
from crawlers.pipelines import normalise_item
from crawlers.text import QUOTE_ANONYMOUS, QUOTE_ATTRIBUTED, normalise
from tests.crawlers.test_forum import (
    BASE,
    FORUMOTION,
    OURS,
    PHPBB,
    VB,
    VB_URL,
    XF,
    make_spider,
    page,
    parse,
)
from tests.crawlers.test_rss import feed
from tests.crawlers.test_rss import make_spider as rss_spider

DISCOURSE = "fixtures/discourse/criticalfallibilism_posts.json"
DISCOURSE_TOPIC = "fixtures/discourse/criticalfallibilism_t_2108_post_452.json"
RSS_TOPIC = "fixtures/rss/discourse_criticalfallibilism_t_2144.rss"
RSS_POSTS = "fixtures/rss/discourse_criticalfallibilism_posts.rss"
APP_SIGNATURE = "Mit der kostenlosen PocketPC.ch App"
IMAGE_SIZE = re.compile(r"\d+\s?×\s?\d+ [\d.,]+ ?[KM]B")


def quoted_lines(text: str) -> list[str]:
    return [
        line
        for line in text.split("\n")
        if line.startswith(">") or line in (QUOTE_ATTRIBUTED, QUOTE_ANONYMOUS)
    ]


def forum_posts(shared, db_path, engine: str, fixture: str, url: str):
    spider = make_spider(db_path, engine, start=url)
    posts, _ = parse(spider, page((shared / fixture).read_bytes(), url))
    return posts


def own_words(posts: list[PostItem]) -> tuple[list[str], list[str], list[str]]:
    """(text as the normaliser used to keep it, scored text, quoted) per post."""
    before = [normalise(p.text, is_html=p.html) for p in posts]
    items = [normalise_item(p) for p in posts]
    return before, [i.text for i in items], [i.quoted or "" for i in items]


@pytest.mark.parametrize(
    ("engine", "fixture", "url", "quoting"),
    [
        ("vbulletin", VB, VB_URL, 3),
        ("xenforo", XF, BASE + "/threads/pepe.230143/", 2),
        ("phpbb", PHPBB, BASE + "/viewtopic.php?t=167", 1),
        ("forumotion", FORUMOTION, BASE + "/t7-forums-regeln", 0),
    ],
)
def test_recorded_forums_score_no_quoted_line(
    shared, db_path, engine, fixture, url, quoting
):
    posts = forum_posts(shared, db_path, engine, fixture, url)
    before, scored, quoted = own_words(posts)
    assert sum(bool(quoted_lines(t)) for t in before) == quoting
    assert [t for t in scored if quoted_lines(t)] == []
    assert sum(bool(q) for q in quoted) == quoting
    assert all(quoted_lines(q) for q in quoted if q)


def test_vbulletin_mobile_app_signatures_are_removed(shared, db_path):
    posts = forum_posts(shared, db_path, "vbulletin", VB, VB_URL)
    before, scored, _ = own_words(posts)
    assert sum(APP_SIGNATURE in t for t in before) == 8
    assert [t for t in scored if APP_SIGNATURE in t] == []


@pytest.mark.parametrize("engine", ["smf", "invision"])
def test_our_own_boards_score_no_quoted_line(db_path, engine):
    page_file, url = {
        "smf": ("smf/topic58.html", BASE + "/index.php?topic=58.0"),
        "invision": ("invision/topic4521.html", BASE + "/topic/4521-x/"),
    }[engine]
    spider = make_spider(db_path, engine, start=url)
    posts, _ = parse(spider, page((OURS / page_file).read_bytes(), url))
    _, scored, quoted = own_words(posts)
    assert [t for t in scored if quoted_lines(t)] == []
    assert any(quoted)


def _discourse_items(shared, name: str, key: str) -> list[PostItem]:
    data = json.loads((shared / name).read_bytes())
    posts = data[key]["posts"] if key == "post_stream" else data[key]
    return [
        PostItem("discourse", "x", "s", str(p["id"]), p["cooked"], html=True)
        for p in posts
    ]


def test_discourse_quotes_and_image_sizes_stay_out_of_the_text(shared):
    posts = _discourse_items(shared, DISCOURSE, "latest_posts")
    posts += _discourse_items(shared, DISCOURSE_TOPIC, "post_stream")
    _, scored, quoted = own_words(posts)
    assert sum(bool(q) for q in quoted) >= 32  # one per quoting post at least
    assert [t for t in scored if quoted_lines(t)] == []
    assert [t for t in scored if IMAGE_SIZE.search(t)] == []
    assert [t for t in scored if "Read full topic" in t] == []


@pytest.mark.parametrize("name", [RSS_TOPIC, RSS_POSTS])
def test_discourse_feeds_lose_read_full_topic_and_their_quotes(shared, db_path, name):
    body = (shared / name).read_bytes()
    posts = [
        p for p in rss_spider(db_path).parse(feed(body)) if isinstance(p, PostItem)
    ]
    before, scored, _ = own_words(posts)
    assert posts
    assert [t for t in scored if "Read full topic" in t] == []
    assert [t for t in scored if quoted_lines(t)] == []
    if name == RSS_TOPIC:
        assert sum("Read full topic" in t for t in before) == 25
