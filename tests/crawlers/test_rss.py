"""The RSS/Atom spider: saved feeds parsed directly, then real crawls.

``rss/discourse_criticalfallibilism_posts.rss`` is a real Discourse feed from
../shared (50 items). ``tests/data/fixtures/rss/atom_fr.xml`` is an Atom feed we
wrote (fictional French posts) to cover Atom's link, author and content types.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import Response, XmlResponse
from scrapy.utils.test import get_crawler

from crawlers.items import PostItem
from crawlers.pipelines import normalise_item
from crawlers.spiders.rss import RssSpider
from maraude import db as mdb
from maraude.sources import Source

FEED = "fixtures/rss/discourse_criticalfallibilism_posts.rss"
ATOM = (
    Path(__file__).resolve().parent.parent / "data" / "fixtures" / "rss" / "atom_fr.xml"
)
URL = "http://127.0.0.1:9/posts.rss"


def make_spider(db_path, url=URL):
    source = Source(name="feed-test", platform="rss", settings={"url": url})
    crawler = get_crawler(RssSpider, {"MARAUDE_DB": str(db_path)})
    return RssSpider.from_crawler(crawler, source=source)


def feed(body: bytes, status: int = 200, **headers: str) -> XmlResponse:
    return XmlResponse(url=URL, body=body, status=status, headers=headers)


def truncated(body: bytes) -> bytes:
    """The feed cut inside its 11th item: 10 complete items, then garbage."""
    start = 0
    for _ in range(11):
        start = body.index(b"<item>", start) + 1
    return body[: start + 300]


def test_discourse_feed_gives_50_posts(shared, db_path):
    posts = list(make_spider(db_path).parse(feed((shared / FEED).read_bytes())))
    assert len(posts) == 50
    assert all(isinstance(p, PostItem) for p in posts)
    assert len({p.native_id for p in posts}) == 50


def test_item_fields(shared, db_path):
    post = next(make_spider(db_path).parse(feed((shared / FEED).read_bytes())))
    assert post.native_id == "discuss.criticalfallibilism.com-post-20218"
    assert post.url == (
        "https://discuss.criticalfallibilism.com/t/people-being-bad-at-logic/2148#post_1"
    )
    assert post.title == "People Being Bad at Logic"
    assert post.author == "Elliot"  # "@Elliot" in dc:creator; hashed by the pipeline
    assert post.created_at == "2026-01-21T23:29:42Z"
    assert (post.html, post.site, post.platform) == (True, "127.0.0.1", "rss")
    assert normalise_item(post).text.startswith("I was talking with someone")


def test_quoted_names_in_feed_html_are_masked(shared, db_path):
    posts = list(make_spider(db_path).parse(feed((shared / FEED).read_bytes())))
    post = next(p for p in posts if p.native_id.endswith("post-20217"))
    item = normalise_item(post)
    assert item.quoted.startswith(  # kept apart from the text (#15)
        "@[user] a écrit :\n> Is We the Living also short?"
    )
    assert item.text.startswith("For my physical copies")


def test_atom_feed(db_path):
    posts = list(make_spider(db_path).parse(feed(ATOM.read_bytes())))
    assert [p.author for p in posts] == ["Karim_demo", "Sam_demo", "Mathilde_demo"]
    first, second, third = posts
    assert first.native_id == "http://forum.example.invalid/viewtopic.php?p=1012#p1012"
    assert first.url == "http://127.0.0.1:9/viewtopic.php?p=1012#p1012"  # relative
    assert first.created_at == "2024-03-12T09:05:00Z"  # 10:05+01:00
    assert normalise_item(first).text == (
        "Courage. Vous pouvez aussi demander une aide d’urgence au CCAS en attendant."
    )
    assert normalise_item(second).text == (
        "Je dors chez des amis et je n’ai plus d’adresse pour recevoir mon courrier."
        "\n\nUn CCAS peut-il me domicilier ?"
    )
    assert third.html is False  # type="text": "<aucun courrier>" is not markup
    assert normalise_item(third).text.endswith(
        "& je ne sais pas pourquoi <aucun courrier>."
    )


def test_a_truncated_feed_keeps_its_complete_items_and_is_an_error(
    shared, db_path, caplog
):
    body = truncated((shared / FEED).read_bytes())
    posts = list(make_spider(db_path).parse(feed(body)))
    assert len(posts) == 10
    assert "malformed feed at http://127.0.0.1:9/posts.rss (source feed-test)" in (
        caplog.text
    )
    assert "ERROR" in {r.levelname for r in caplog.records}


@pytest.mark.parametrize(
    "body", [b"<html><body>Maintenance</body></html>", b"", b"\xff\xfe\x00garbage"]
)
def test_something_else_than_a_feed_is_an_error(db_path, caplog, body):
    assert list(make_spider(db_path).parse(feed(body))) == []
    assert "not an RSS or Atom feed" in caplog.text


def test_not_modified_stores_nothing_and_is_no_error(db_path, caplog):
    spider = make_spider(db_path)
    assert list(spider.parse(Response(URL, status=304))) == []
    assert "ERROR" not in {r.levelname for r in caplog.records}
    assert spider.validators is None  # nothing to save
    assert 304 in RssSpider.handle_httpstatus_list


def test_validators_are_sent_back_on_the_next_run(shared, db_path):
    spider = make_spider(db_path)
    headers = {"ETag": '"v7"', "Last-Modified": "Wed, 21 Jan 2026 23:30:00 GMT"}
    list(spider.parse(feed((shared / FEED).read_bytes(), **headers)))
    spider.closed("finished")
    later = make_spider(db_path)

    async def first_request() -> Any:
        return await anext(later.start())

    request = asyncio.run(first_request())
    assert request.headers["If-None-Match"] == b'"v7"'
    assert request.headers["If-Modified-Since"] == b"Wed, 21 Jan 2026 23:30:00 GMT"


def test_items_already_stored_are_not_yielded_again(shared, db_path):
    database = mdb.open_db(db_path)
    native_id = "discuss.criticalfallibilism.com-post-20218"
    row = {"platform": "rss", "site": "127.0.0.1", "native_id": native_id}
    mdb.upsert_post(database, row | {"source": "x", "text": "x", "content_hash": "x"})
    database.close()
    posts = list(make_spider(db_path).parse(feed((shared / FEED).read_bytes())))
    assert len(posts) == 49
    assert native_id not in {p.native_id for p in posts}


def test_an_oversized_entry_is_an_error_and_skipped(db_path, caplog):
    huge = "<p>" + "bla " * 300_000 + "</p>"
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel>'
        f"<item><guid>1</guid><description><![CDATA[{huge}]]></description></item>"
        "<item><guid>2</guid><description>court</description></item>"
        "</channel></rss>"
    ).encode()
    posts = list(make_spider(db_path).parse(feed(body)))
    assert [p.native_id for p in posts] == ["2"]
    assert "entry 1 at http://127.0.0.1:9/posts.rss" in caplog.text
    assert "bla bla" not in caplog.text


# -- real crawls ---------------------------------------------------------------------


class FeedServer:
    """Serves one feed with an ETag and answers 304 when it is sent back."""

    def __init__(self, body: bytes, etag: str = '"v1"') -> None:
        self.body, self.etag = body, etag
        self.seen: list[tuple[str, str | None]] = []  # (path, If-None-Match)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                sent = self.headers.get("If-None-Match")
                outer.seen.append((self.path, sent))
                if self.path == "/robots.txt":
                    self._reply(200, b"User-agent: *\nAllow: /\n", {})
                elif sent == outer.etag:
                    self._reply(304, b"", {"ETag": outer.etag})
                else:
                    kind = {"Content-Type": "application/rss+xml; charset=utf-8"}
                    self._reply(200, outer.body, kind | {"ETag": outer.etag})

            def _reply(self, status: int, body: bytes, headers: dict) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/posts.rss"

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def run_crawl(db_path, url, tmp_path):
    sources = tmp_path / "sources.toml"
    toml = f'[[sources]]\nname = "feed"\nplatform = "rss"\nurl = "{url}"\n'
    sources.write_text(toml, encoding="utf-8")
    command = [sys.executable, "-m", "maraude", "crawl", "--db", str(db_path)]
    return subprocess.run(
        [*command, "--sources", str(sources)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_crawl_stores_the_feed_then_gets_304(shared, db_path, tmp_path):
    with FeedServer((shared / FEED).read_bytes()) as server:
        first = run_crawl(db_path, server.url, tmp_path)
        second = run_crawl(db_path, server.url, tmp_path)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    feeds = [sent for path, sent in server.seen if path == "/posts.rss"]
    assert feeds == [None, '"v1"']
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 50
    last, before = mdb.crawl_runs(database)[:2]
    assert (before["status"], before["new_posts"]) == ("ok", 50)
    assert (last["status"], last["new_posts"], last["errors"]) == ("ok", 0, 0)
    dumped = "\n".join(database.iterdump())
    assert "@Elliot" not in dumped
    assert "<p>" not in dumped


@pytest.mark.slow
def test_crawl_of_a_truncated_feed_is_an_error_and_keeps_what_it_can(
    shared, db_path, tmp_path
):
    with FeedServer(truncated((shared / FEED).read_bytes())) as server:
        first = run_crawl(db_path, server.url, tmp_path)
        run_crawl(db_path, server.url, tmp_path)
    assert first.returncode == 1, first.stderr  # malformed: non-zero (#11)
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 10
    run = mdb.crawl_runs(database)[1]
    assert (run["status"], run["new_posts"]) == ("errors", 10)
    # Its ETag was not kept: the next run asked for the whole feed again.
    assert [sent for path, sent in server.seen if path == "/posts.rss"] == [None, None]
