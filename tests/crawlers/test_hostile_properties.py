"""Property-based tests (Hypothesis): whatever the world sends, no exception
escapes but our own (issue #11).

Covered: the parser of every spider (our own pages, mutated: values replaced
by any JSON value, keys deleted, markup cut or spliced), the import readers,
``predict``'s line reader, config and sources loading, and the text
normaliser. Allowed: :class:`~maraude.errors.MaraudeError` subclasses and
Scrapy's ``DropItem``.

Run time is bounded: the ``maraude-ci`` profile (the default) draws 40
examples per property with no deadline; ``HYPOTHESIS_PROFILE=maraude-deep``
draws 1,000. The whole file takes well under 30 s on 2 cores.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import tempfile
from collections import deque
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from classifier.run import _parse as parse_predict_line
from classifier.run import predict_stream
from crawlers.imports import import_file
from crawlers.items import PostItem
from crawlers.pipelines import normalise_item, post_row, pseudonymise_item
from crawlers.spiders.bluesky import BlueskySpider
from crawlers.spiders.discourse import DiscourseSpider
from crawlers.spiders.forum import ForumSpider
from crawlers.spiders.mastodon import MastodonSpider
from crawlers.spiders.reddit import RedditSpider
from crawlers.spiders.rss import RssSpider
from crawlers.spiders.telegram import TelegramSpider
from crawlers.text import clean_str, html_to_text, iso_date, normalise
from maraude import db as mdb
from maraude.config import load_config
from maraude.errors import MaraudeError
from maraude.lines import bounded_lines
from maraude.sources import Source, load_sources

settings.register_profile(
    "maraude-ci",
    max_examples=40,
    deadline=None,
    database=None,  # nothing written in the working tree
    derandomize=True,  # CI runs the same examples every time; "deep" explores
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "maraude-deep",
    parent=settings.get_profile("maraude-ci"),
    max_examples=1000,
    derandomize=False,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "maraude-ci"))

SECRET = "property-secret-0123456789abcdef"  # noqa: S105
BASE = "http://127.0.0.1:9"
FIXTURES = Path(__file__).resolve().parent.parent / "data" / "fixtures"
OURS = (MaraudeError, DropItem)

# Any JSON value, hostile numbers and lone surrogates included.
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()  # NaN and infinities too
    | st.text(max_size=30)
    | st.sampled_from(["\ud83d", "<script>x</script>", "", " ", "0", "[deleted]"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += _paths(value, (*prefix, i))
    return found


@st.composite
def mutated(draw: Any, base: Any) -> Any:
    """``base`` with 1 to 3 values replaced by any JSON value, or deleted."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return doc


@st.composite
def spliced(draw: Any, base: bytes) -> bytes:
    """``base`` cut short, or with hostile bytes spliced in, a few times."""
    data = base
    pieces = st.sampled_from(
        [
            b"<",
            b">",
            b"</div>",
            b"<blockquote>",
            b"&",
            b"&#xd83d;",
            b"<![CDATA[",
            b"\xff\xfe",
            b"\x00",
            b'"',
            b"<!--",
            b"<script>",
            b"]]>",
            b"&amp;",
        ]
    ) | st.binary(max_size=12)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        if draw(st.integers(0, 4)) == 0:
            data = data[:at]
        else:
            data = data[:at] + draw(pieces) + data[at:]
    return data


_SPIDERS: dict[str, Any] = {}


def _spider(cls: type, platform: str, **config: Any) -> Any:
    """One spider per platform for the whole file (a database each is slow).

    Nothing is stored, so every example meets the same state.
    """
    if platform not in _SPIDERS:
        db = tempfile.mkdtemp(prefix="maraude-prop-") + "/p.db"
        source = Source(name=f"p-{platform}", platform=platform, settings=config)
        crawler = get_crawler(cls, {"MARAUDE_DB": db, "MARAUDE_SECRET": SECRET})
        _SPIDERS[platform] = cls.from_crawler(crawler, source=source)
    return _SPIDERS[platform]


def _drain(spider: Any, output: Any) -> None:
    """Every item of a callback through the pipeline's steps, up to its row."""
    for item in output:
        if not isinstance(item, PostItem):
            continue
        try:
            normalise_item(item)
        except MaraudeError:
            continue
        if item.native_id and (item.text or item.title):
            pseudonymise_item(item, SECRET, set())
            row = post_row(item)  # hashes the content: must not raise
            assert all(
                v is None or isinstance(v, str) for k, v in row.items() if k != "id"
            )


def _status(i: int) -> dict[str, Any]:
    sid = str((1_764_000_000_000 + i * 60_000) << 16)
    return {
        "id": sid,
        "created_at": "2025-11-24T10:00:00.000Z",
        "visibility": "public",
        "url": f"https://m.example/@v/{sid}",
        "content": f"<p>message {i}</p>",
        "spoiler_text": "",
        "in_reply_to_id": None,
        "account": {"acct": f"v{i}@m.example", "noindex": False},
        "language": "fr",
    }


MASTODON = [_status(2), _status(1)]
BLUESKY = {
    "cursor": "c1",
    "posts": [
        {
            "uri": f"at://did:plc:abc{i}/app.bsky.feed.post/rk{i}",
            "indexedAt": f"2025-11-24T10:0{i}:00.000Z",
            "author": {"handle": f"v{i}.bsky.social", "labels": []},
            "labels": [],
            "record": {
                "$type": "app.bsky.feed.post",
                "text": f"message {i}",
                "createdAt": f"2025-11-24T10:0{i}:00.000Z",
                "langs": ["fr"],
                "reply": {"parent": {"uri": "at://x"}},
            },
        }
        for i in (2, 1)
    ],
}
REDDIT = {
    "kind": "Listing",
    "data": {
        "after": "t3_g0001",
        "children": [
            {
                "kind": "t3",
                "data": {
                    "id": f"g{i:04d}",
                    "title": f"titre {i}",
                    "selftext": f"message {i}",
                    "author": f"u{i}",
                    "created_utc": 1_764_000_000 + i,
                    "permalink": f"/r/x/comments/g{i:04d}/t/",
                },
            }
            for i in (2, 1)
        ],
    },
}
REDDIT_COMMENTS = [
    REDDIT,
    {
        "kind": "Listing",
        "data": {
            "children": [
                {
                    "kind": "t1",
                    "data": {
                        "id": "c1",
                        "body": "une réponse",
                        "author": "u",
                        "parent_id": "t3_g0002",
                        "created_utc": 1_764_000_100,
                        "replies": {
                            "data": {
                                "children": [
                                    {"kind": "t1", "data": {"id": "c2", "body": "re"}}
                                ]
                            }
                        },
                    },
                }
            ]
        },
    },
]
DISCOURSE = {
    "latest_posts": [
        {
            "id": 100 + i,
            "topic_id": 10,
            "post_number": i,
            "reply_to_post_number": 1 if i > 1 else None,
            "username": f"u{i}",
            "cooked": f"<p>message {i}</p><blockquote>cité</blockquote>",
            "created_at": "2025-11-24T10:00:00.000Z",
            "topic_slug": "sujet",
            "topic_title": "Sujet",
            "post_type": 1,
        }
        for i in (2, 1)
    ]
}
DISCOURSE_TOPICS = {
    "topic_list": {
        "more_topics_url": "/latest?page=1",
        "topics": [
            {
                "id": 10,
                "title": "Sujet",
                "slug": "sujet",
                "pinned": False,
                "bumped_at": "2025-11-24T10:00:00.000Z",
            },
        ],
    }
}


def _json_response(url: str, doc: Any) -> TextResponse:
    body = json.dumps(doc).encode()  # NaN and Infinity as Python writes them
    return TextResponse(url=url, body=body, encoding="utf-8")


@given(mutated(MASTODON))
def test_mastodon_parser(doc):
    spider = _spider(MastodonSpider, "mastodon", base_url=BASE, hashtags=["x"])
    url = BASE + "/api/v1/timelines/tag/x"
    _drain(spider, spider.parse(_json_response(url, doc), key="tag:x"))
    search = {"statuses": doc, "accounts": []}
    _drain(spider, spider.parse(_json_response(url, search), key="search"))


@given(mutated(BLUESKY))
def test_bluesky_parser(doc):
    spider = _spider(BlueskySpider, "bluesky", base_url=BASE, query="rue")
    url = BASE + "/xrpc/app.bsky.feed.searchPosts?q=rue"
    _drain(spider, spider.parse(_json_response(url, doc), since="2025-11-24T09"))


@given(mutated(REDDIT_COMMENTS))
def test_reddit_parser(doc):
    spider = _spider(RedditSpider, "reddit", base_url=BASE, subreddits=["x"])
    post = PostItem("reddit", "127.0.0.1", "p", "g0002", "x", url=BASE + "/p")
    _drain(spider, spider.parse(_json_response(BASE + "/r/x/new.json", doc[0])))
    url = BASE + "/comments/g0002.json"
    _drain(spider, spider.parse_comments(_json_response(url, doc), post=post))


@given(mutated(DISCOURSE), mutated(DISCOURSE_TOPICS))
def test_discourse_parser(posts, topics):
    spider = _spider(DiscourseSpider, "discourse", base_url=BASE)
    _drain(spider, spider.parse_posts(_json_response(BASE + "/posts.json", posts)))
    url = BASE + "/latest.json"
    _drain(spider, spider.parse_topics(_json_response(url, topics), key="latest"))
    topic = {"post_stream": {"posts": posts.get("latest_posts"), "stream": [101]}}
    url = BASE + "/t/10.json"
    chain: deque = deque()
    _drain(spider, spider.parse_topic(_json_response(url, topic), 10, chain=chain))


ATOM = (FIXTURES / "rss" / "atom_fr.xml").read_bytes()


@given(spliced(ATOM))
@example(ATOM.replace(b'xmlns="', b'xmlns="&#xd83d;', 1))  # found by "deep"
def test_rss_parser(body):
    spider = _spider(RssSpider, "rss", url=BASE + "/feed.xml")
    _drain(spider, spider.parse(XmlResponse(url=BASE + "/feed.xml", body=body)))


TELEGRAM = (FIXTURES / "telegram" / "entraide_demo.html").read_bytes()
PHPBB = (FIXTURES / "phpbb_fr" / "topic101.html").read_bytes()


#: A control character between two attributes (found by the deep profile):
#: ``Selector.attrib`` raised on it; the parser reads attributes one by one.
TELEGRAM_CONTROL = TELEGRAM.replace(b'" data-view=', b'"\x01 data-view=', 1)


@given(spliced(TELEGRAM))
@example(TELEGRAM_CONTROL)
def test_telegram_parser(body):
    spider = _spider(TelegramSpider, "telegram", base_url=BASE, channels=["c"])
    page = HtmlResponse(url=BASE + "/s/c", body=body)
    _drain(spider, spider.parse(page, channel="c"))


@given(spliced(PHPBB))
def test_forum_parser(body):
    spider = _spider(
        ForumSpider, "forum", start_urls=[BASE + "/index.php"], engine="phpbb"
    )
    page = HtmlResponse(url=BASE + "/viewtopic.php?t=101", body=body)
    _drain(spider, spider.parse(page))


# -- text normaliser ---------------------------------------------------------

any_text = st.text() | st.sampled_from(["\ud83d", "a\udc00b", "\ud83d\ude00"])
markup = st.lists(
    st.sampled_from(
        [
            "<p>",
            "</p>",
            "<blockquote>",
            "</blockquote>",
            "<br>",
            "<cite>",
            "&amp;",
            "&#xd83d;",
            "<script>",
            "<div class='quote'>",
            "</div>",
            "<pre>",
            "x",
            " ",
        ]
    )
    | any_text,
    max_size=30,
).map("".join)


@given(any_text | markup, st.booleans())
def test_the_normaliser_always_gives_storable_text(text, is_html):
    out = normalise(text, is_html=is_html)
    out.encode("utf-8")  # no lone surrogate left
    assert len(out) <= 20_000 + 4
    assert normalise(out) == out or is_html  # plain text is a fixed point


@given(markup)
def test_html_to_text_never_raises(text):
    html_to_text(text).encode("utf-8", "surrogatepass")


@given(any_text)
def test_clean_str_is_valid_and_idempotent(text):
    once = clean_str(text)
    once.encode("utf-8")
    assert clean_str(once) == once


@given(json_values)
def test_iso_date_never_raises(value):
    result = iso_date(value if not isinstance(value, dict | list) else str(value))
    assert result is None or result.endswith("Z")


# -- predict's line reader ------------------------------------------------------

lines = st.binary(max_size=80) | json_values.map(
    lambda v: json.dumps({"id": v, "text": v} if isinstance(v, str) else v).encode()
)


@given(st.lists(lines, max_size=8))
def test_predict_answers_every_well_formed_line_once(batch):
    class Stub:
        def predict_texts(self, texts: list[str]) -> list[dict[str, Any]]:
            return [{"distress": 0.5, "labels": []} for _ in texts]

    good = []
    for number, line in enumerate(batch, 1):
        if b"\n" in line or not line.strip():
            continue
        record, error = parse_predict_line(line, number)
        assert (record is None) != (error is None)
        good += [record] if record else []
    clean = [x for x in batch if b"\n" not in x and x.strip()]
    out, err = io.StringIO(), io.StringIO()
    errors = predict_stream(Stub(), io.BytesIO(b"\n".join(clean)), out, err)
    rows = [
        json.loads(x, parse_constant=pytest.fail) for x in out.getvalue().splitlines()
    ]
    assert len(rows) + errors == len(clean)
    assert len(rows) == len(good)


@given(st.binary(max_size=300), st.integers(1, 40), st.integers(1, 64))
def test_bounded_lines_split_like_bytes_split(data, max_bytes, chunk):
    got = list(bounded_lines(io.BytesIO(data), max_bytes=max_bytes, chunk=chunk))
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    assert [n for n, _ in got] == list(range(1, len(parts) + 1))
    for (_, line), part in zip(got, parts, strict=True):
        expected = part.removesuffix(b"\r")
        if len(part) > max_bytes:
            assert line is None
        else:
            assert line == expected


# -- import readers ---------------------------------------------------------

GOOD = {"platform": "facebook", "native_id": "good-1", "text": "message bon"}
ZEE = {
    "source_platform": "tiktok.com",
    "item_id": "z1",
    "data": {
        "id": "z1",
        "desc": "une vidéo",
        "author": {"uniqueId": "a"},
        "createTime": 1_764_000_000,
    },
}


@settings(max_examples=25)
@given(
    mutated(
        {"generic": {**GOOD, "native_id": "b", "url": "u", "title": "t"}, "zee": ZEE}
    ),
    st.sampled_from(["jsonl", "csv"]),
)
def test_import_keeps_the_good_record(doc, suffix):
    folder = Path(tempfile.mkdtemp(prefix="maraude-prop-"))
    path = folder / f"in.{suffix}"
    if suffix == "jsonl":
        records = [GOOD, doc.get("generic"), doc.get("zee")]
        path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    else:
        row = doc.get("generic")
        cells = list(row.values())[:3] if isinstance(row, dict) else [row]
        text = "platform,native_id,text\nfacebook,good-1,message bon\n"
        path.write_text(text + ",".join(json.dumps(c) for c in cells) + "\n")
    with contextlib.suppress(MaraudeError):
        import_file(path, "p", folder / "p.db", SECRET)
    database = mdb.open_db(folder / "p.db")
    texts = [r["text"] for r in database.query("SELECT text FROM posts")]
    assert "message bon" in texts


# -- config and sources -----------------------------------------------------

toml_text = st.lists(
    st.sampled_from(
        [
            "[crawl]",
            "[dashboard]",
            "[classifier]",
            "[privacy]",
            "[[sources]]",
            "max_pages = ",
            "delay = ",
            "name = ",
            "platform = ",
            "languages = ",
            "session_minutes = ",
            "nan",
            "inf",
            "-1",
            "1e400",
            "'x'",
            '"\\ud83d"',
            "[",
            "]",
            "{",
            "}",
            "= ",
            "\n",
            "x = [[[[[[",
            "true",
            "1979-05-27",
        ]
    )
    | st.text(max_size=10),
    max_size=20,
).map("".join)


@given(toml_text | st.binary(max_size=60).map(lambda b: b.decode("latin-1")))
def test_config_and_sources_raise_only_our_errors(text):
    folder = Path(tempfile.mkdtemp(prefix="maraude-prop-"))
    path = folder / "c.toml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    for load in (load_config, load_sources):
        with contextlib.suppress(MaraudeError):
            load(path)
