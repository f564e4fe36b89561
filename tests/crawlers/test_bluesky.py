"""The Bluesky spider: a recorded searchPosts (bskyr cassette), then the real crawl."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from scrapy import Request
from scrapy.exceptions import CloseSpider
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from crawlers.items import PostItem
from crawlers.spiders.bluesky import BlueskySpider
from maraude import db as mdb
from maraude.sources import Source
from tests.cassettes import cassette_reply, run_crawl
from tests.replay import ReplayServer, Reply

BASE = "http://127.0.0.1:9"
SEARCH = "fixtures/bluesky/bskyr_f_search.yml"
NEWEST = "2025-05-19T17:10:09.813000Z"  # indexedAt of the newest post, as an order key
SINCE = "2025-05-19T16:55:09.813000Z"  # 15 minutes earlier: late posts are sought
HIDDEN = 4  # posts whose authors carry the !no-unauthenticated self-label
EMPTY = b'{"posts": []}'


def make_spider(db_path, **settings) -> BlueskySpider:
    source = Source(
        name="sky",
        platform="bluesky",
        settings={"base_url": BASE, "query": "rsa"} | settings,
    )
    crawler = get_crawler(BlueskySpider, {"MARAUDE_DB": str(db_path)})
    return BlueskySpider.from_crawler(crawler, source=source)


def search_body(shared) -> bytes:
    return cassette_reply(shared / SEARCH, "searchPosts").body


def search_response(body: bytes, status: int = 200, url: str = "") -> TextResponse:
    url = url or BASE + "/xrpc/app.bsky.feed.searchPosts?q=rsa"
    return TextResponse(url=url, body=body, status=status, encoding="utf-8")


def split(out) -> tuple[list[PostItem], list[Request]]:
    out = list(out)
    items = [o for o in out if isinstance(o, PostItem)]
    return items, [o for o in out if isinstance(o, Request)]


@pytest.fixture
def no_login(monkeypatch):
    monkeypatch.delenv("MARAUDE_BLUESKY_HANDLE", raising=False)
    monkeypatch.delenv("MARAUDE_BLUESKY_APP_PASSWORD", raising=False)


@pytest.fixture
def login(monkeypatch):
    monkeypatch.setenv("MARAUDE_BLUESKY_HANDLE", "maraude.example")
    monkeypatch.setenv("MARAUDE_BLUESKY_APP_PASSWORD", "abcd-efgh-ijkl-mnop")


def test_search_page_gives_25_posts_and_the_cursor(shared, db_path):
    spider = make_spider(db_path)
    body = search_body(shared)
    assert len(json.loads(body)["posts"]) == 25
    items, (nxt,) = split(spider.parse(search_response(body)))
    assert len(items) == 25 - HIDDEN
    stats = spider.crawler.stats
    assert stats.get_value("maraude/skipped_logged_out_only") == HIDDEN
    query = parse_qs(urlparse(nxt.url).query)
    assert query == {
        "q": ["rsa"],
        "lang": ["fr"],
        "sort": ["latest"],
        "limit": ["100"],
        "cursor": ["25"],
    }


def test_post_fields(shared, db_path):
    spider = make_spider(db_path)
    items, _ = split(spider.parse(search_response(search_body(shared))))
    first = items[0]
    did = "did:plc:kkergqgbhb56ptpwj2wenkje"
    assert first.native_id == f"at://{did}/app.bsky.feed.post/3lpk2u6qo222m"
    assert first.url == f"https://bsky.app/profile/{did}/post/3lpk2u6qo222m"
    assert first.created_at == "2025-05-19T17:10:09Z"
    assert first.text.startswith("Ends Versus Means")
    assert first.lang is None  # no langs: the pipeline guesses
    assert first.html is False
    assert (first.platform, first.site) == ("bluesky", "127.0.0.1")
    reply = next(i for i in items if i.native_id.endswith("3lpjzka2pzc2l"))
    assert reply.parent_native_id.startswith("at://did:")
    assert reply.lang == "en"
    assert sum(i.parent_native_id is not None for i in items) == 12 - 2  # 2 hidden


def test_defaults_without_base_url(db_path):
    source = Source(name="sky", platform="bluesky", settings={"query": "rsa"})
    crawler = get_crawler(BlueskySpider, {"MARAUDE_DB": str(db_path)})
    spider = BlueskySpider.from_crawler(crawler, source=source)
    request = spider._search_request(None)
    assert request.url.startswith(
        "https://public.api.bsky.app/xrpc/app.bsky.feed.searchPosts?q=rsa&lang=fr"
    )
    assert (spider.site, spider.auth_url) == ("bsky.app", "https://bsky.social")


def test_a_high_water_mark_adds_since_and_stops_the_walk(shared, db_path):
    database = mdb.open_db(db_path)
    state = {"feeds": {"search": {"high": NEWEST}}}
    mdb.set_source_state(database, "sky", "bluesky", state)
    database.close()
    spider = make_spider(db_path)
    request = spider._search_request(None)
    assert parse_qs(urlparse(request.url).query)["since"] == [SINCE]
    response = search_response(search_body(shared))
    items, requests = split(spider.parse(response, **request.cb_kwargs))
    assert requests == []
    # Indexed in the 15 minutes before the mark and never stored: kept.
    assert [i.native_id[-13:] for i in items] == ["3lpk2u6qo222m", "3lpk2r5h5ec2j"]


def test_refused_anonymous_search_names_the_variables(db_path, no_login):
    spider = make_spider(db_path)
    with pytest.raises(CloseSpider) as closed:
        list(spider.parse(search_response(b'{"error": "AuthMissing"}', status=403)))
    message = str(closed.value.reason)
    assert "MARAUDE_BLUESKY_HANDLE" in message
    assert "MARAUDE_BLUESKY_APP_PASSWORD" in message
    assert "HTTP 403" in message


def test_refused_search_logs_in_then_searches_with_the_token(shared, db_path, login):
    spider = make_spider(db_path)
    (session,) = spider.parse(search_response(b"{}", status=401))
    assert session.url == BASE + "/xrpc/com.atproto.server.createSession"
    assert session.method == "POST"
    assert json.loads(session.body)["identifier"] == "maraude.example"
    token = json.dumps({"accessJwt": "jwt-1", "did": "did:plc:x"}).encode()
    (search,) = session.callback(
        TextResponse(session.url, body=token), **session.cb_kwargs
    )
    assert search.headers["Authorization"] == b"Bearer jwt-1"
    assert search.url.startswith(BASE + "/xrpc/app.bsky.feed.searchPosts?")


def test_a_public_appview_logs_in_at_bsky_social(db_path, login):
    source = Source(name="sky", platform="bluesky", settings={"query": "rsa"})
    crawler = get_crawler(BlueskySpider, {"MARAUDE_DB": str(db_path)})
    spider = BlueskySpider.from_crawler(crawler, source=source)
    url = "https://public.api.bsky.app/xrpc/app.bsky.feed.searchPosts?q=rsa"
    (session,) = spider.parse(search_response(b"{}", status=403, url=url))
    assert session.url == "https://bsky.social/xrpc/com.atproto.server.createSession"


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"posts": {"uri": 1}}', b'{"posts": [{"uri": "at://', b""]
)
def test_malformed_search_logs_an_error(db_path, caplog, body):
    spider = make_spider(db_path)
    assert list(spider.parse(search_response(body))) == []
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "sky" in record.getMessage()
    assert BASE in record.getMessage()


# The real crawl ---------------------------------------------------------------


def toml_for(base_url: str) -> str:
    return (
        '[[sources]]\nname = "sky"\nplatform = "bluesky"\n'
        f'base_url = "{base_url}"\nquery = "rsa"\n'
    )


def crawl_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARAUDE_BLUESKY")}
    return env | extra


@pytest.fixture
def appview(shared):
    reply = cassette_reply(shared / SEARCH, "searchPosts")
    assert "Content-Encoding" not in reply.headers  # the body is stored decoded
    with ReplayServer() as server:
        path = "/xrpc/app.bsky.feed.searchPosts"
        server.add(path, Reply(200, EMPTY), cursor="25")
        server.add(path, reply)
        yield server


@pytest.mark.slow
def test_crawl_stores_the_visible_posts(appview, db_path, tmp_path):
    result = run_crawl(db_path, toml_for(appview.base_url), tmp_path, env=crawl_env())
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 25 - HIDDEN
    run = mdb.crawl_runs(database)[0]
    assert (run["status"], run["new_posts"], run["requests"]) == ("ok", 21, 2)


@pytest.mark.slow
def test_a_second_run_adds_nothing_with_one_request(appview, db_path, tmp_path):
    run_crawl(db_path, toml_for(appview.base_url), tmp_path, env=crawl_env())
    appview.requests.clear()
    result = run_crawl(db_path, toml_for(appview.base_url), tmp_path, env=crawl_env())
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    assert mdb.crawl_runs(database)[0]["new_posts"] == 0
    (request,) = appview.requests
    assert parse_qs(urlparse(request).query)["since"] == [SINCE]


@pytest.mark.slow
def test_no_handle_is_stored(appview, db_path, tmp_path, shared):
    run_crawl(db_path, toml_for(appview.base_url), tmp_path, env=crawl_env())
    handles = {p["author"]["handle"] for p in json.loads(search_body(shared))["posts"]}
    database = mdb.open_db(db_path)
    rows = list(database.query("SELECT author_hash, url FROM posts"))
    assert all(len(r["author_hash"]) == 32 for r in rows)
    dump = "\n".join(database.iterdump())
    assert [h for h in handles if h in dump] == []


class AuthServer:
    """An AppView that answers searchPosts only with a session's Bearer token."""

    def __init__(self, search: bytes) -> None:
        self.log: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length", 0))
                sent = json.loads(self.rfile.read(size))
                server.log.append(f"POST {self.path}")
                ok = sent == {"identifier": "maraude.example", "password": "pw-1"}
                body = json.dumps({"accessJwt": "jwt-1", "did": "did:plc:me"})
                self.reply(200 if ok else 401, body.encode() if ok else b"{}")

            def do_GET(self) -> None:
                authorised = self.headers.get("Authorization") == "Bearer jwt-1"
                server.log.append(f"GET {'auth' if authorised else 'anon'}")
                if not authorised:
                    self.reply(403, b'{"error": "AuthMissing"}')
                else:
                    self.reply(200, EMPTY if "cursor=" in self.path else search)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def auth_server(shared) -> Callable[[], AuthServer]:
    server = AuthServer(search_body(shared))
    yield server
    server.close()


@pytest.mark.slow
def test_refused_anonymous_search_logs_in_with_the_app_password(
    auth_server, db_path, tmp_path
):
    env = crawl_env(MARAUDE_BLUESKY_HANDLE="maraude.example")
    env["MARAUDE_BLUESKY_APP_PASSWORD"] = "pw-1"  # noqa: S105 (a test value)
    result = run_crawl(db_path, toml_for(auth_server.base_url), tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert auth_server.log == [
        "GET anon",
        "POST /xrpc/com.atproto.server.createSession",
        "GET auth",
        "GET auth",
    ]
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 25 - HIDDEN
    assert "pw-1" not in result.stderr
    assert "maraude.example" not in result.stderr
    assert "jwt-1" not in result.stderr


@pytest.mark.slow
def test_refused_anonymous_search_without_credentials_stops_clearly(
    auth_server, db_path, tmp_path
):
    env = crawl_env()
    result = run_crawl(db_path, toml_for(auth_server.base_url), tmp_path, env=env)
    assert "MARAUDE_BLUESKY_HANDLE and MARAUDE_BLUESKY_APP_PASSWORD" in result.stderr
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 0
    run = mdb.crawl_runs(database)[0]
    assert run["status"] in ("failed", "errors")  # see SQLitePipeline.close_spider
    assert run["errors"] >= 1
    assert auth_server.log == ["GET anon"]


@pytest.mark.slow
def test_a_truncated_search_is_an_error_and_nothing_stored_is_lost(
    appview, db_path, tmp_path, shared
):
    run_crawl(db_path, toml_for(appview.base_url), tmp_path, env=crawl_env())
    appview.routes.clear()
    body = search_body(shared)
    appview.add("/xrpc/app.bsky.feed.searchPosts", Reply(200, body[: len(body) // 2]))
    result = run_crawl(db_path, toml_for(appview.base_url), tmp_path, env=crawl_env())
    assert result.returncode == 1, result.stderr  # malformed: non-zero (#11)
    assert "malformed Bluesky search for source sky" in result.stderr
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 25 - HIDDEN
    run = mdb.crawl_runs(database)[0]
    assert (run["status"], run["errors"]) == ("errors", 1)
