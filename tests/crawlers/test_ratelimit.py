"""Rate limits: header parsing, the middleware's decisions, and a real 429 crawl."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Response

from crawlers.middlewares import (
    RETRIED,
    PauseBook,
    RateLimitMiddleware,
    parse_reset,
    remaining,
    reset_wait,
)
from maraude import db as mdb
from tests.cassettes import run_crawl

NOW = datetime(2026, 8, 1, 13, 55, 0, tzinfo=UTC)
URL = "http://api.example:8080/x"


# Headers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("1", 1.0),  # Retry-After, IETF RateLimit-Reset: seconds
        ("599.0", 599.0),  # Reddit's x-ratelimit-reset: seconds, as a float
        ("2026-08-01T14:00:00.990979Z", 300.990979),  # Mastodon: an ISO date
        ("Sat, 01 Aug 2026 13:56:00 GMT", 60.0),  # Retry-After: an HTTP date
        (str(int(NOW.timestamp()) + 42), 42.0),  # Bluesky: an epoch timestamp
        ("2026-08-01T13:00:00Z", 0.0),  # already past
        ("soon", None),
        ("", None),
    ],
)
def test_reset_formats(value, seconds):
    wait = parse_reset(value, NOW)
    assert wait == (pytest.approx(seconds) if seconds is not None else None)


def test_retry_after_wins_over_the_reset_headers():
    headers = Headers({"Retry-After": "5", "X-RateLimit-Reset": "500"})
    assert reset_wait(headers, NOW) == 5.0


@pytest.mark.parametrize(
    ("headers", "left"),
    [
        ({"x-ratelimit-remaining": "0.0"}, 0),  # Reddit
        ({"X-RateLimit-Remaining": "299"}, 299),  # Mastodon
        ({"RateLimit-Remaining": "2983"}, 2983),  # Bluesky, IETF draft
        ({"RateLimit": '"default";r=0;t=30'}, 0),  # IETF structured field
        ({"Content-Type": "application/json"}, None),
    ],
)
def test_remaining(headers, left):
    assert remaining(Headers(headers)) == left


def test_structured_field_gives_its_reset():
    assert reset_wait(Headers({"RateLimit": '"default";r=0;t=30'}), NOW) == 30.0


# The middleware's decisions -------------------------------------------------------


class FakeEngine:
    def __init__(self) -> None:
        self.closed: list[str] = []

    async def close_spider_async(self, *, reason: str) -> None:
        self.closed.append(reason)


def middleware(max_wait: float = 900.0) -> RateLimitMiddleware:
    crawler = SimpleNamespace(
        engine=FakeEngine(),
        spider=SimpleNamespace(source=SimpleNamespace(name="src")),
        stats=SimpleNamespace(inc_value=lambda *a, **k: None),
    )
    return RateLimitMiddleware(crawler, max_wait=max_wait, book=PauseBook())


def reply(status: int, **headers: str) -> Response:
    return Response(URL, status=status, headers=headers)


def test_a_429_pauses_the_host_and_retries_once():
    mw = middleware()
    request = Request(URL)
    retry = mw.process_response(request, reply(429, **{"Retry-After": "30"}))
    assert isinstance(retry, Request)
    assert retry.meta[RETRIED] is True
    assert retry.dont_filter
    assert mw.book.remaining("api.example:8080") == pytest.approx(30, abs=1)
    again = reply(429, **{"Retry-After": "30"})
    assert mw.process_response(retry, again) is again  # no third try
    assert retry.meta["dont_retry"] is True


def test_no_requests_left_pauses_until_the_reset():
    mw = middleware()
    ok = reply(200, **{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "20"})
    assert mw.process_response(Request(URL), ok) is ok
    assert mw.book.remaining("api.example:8080") == pytest.approx(20, abs=1)
    other = Request("http://other.example/y")
    assert mw.process_response(other, reply(200)) is not None
    assert mw.book.remaining("other.example") == 0


def test_requests_left_do_not_pause():
    mw = middleware()
    mw.process_response(Request(URL), reply(200, **{"X-RateLimit-Remaining": "3"}))
    assert mw.book.remaining("api.example:8080") == 0


def test_paused_requests_wait_without_blocking():
    mw = middleware()
    mw.book.pause("api.example:8080", 0.3)

    async def both() -> list[str]:
        order: list[str] = []

        async def paused() -> None:
            await mw.process_request(Request(URL))
            order.append("paused")

        async def free() -> None:
            await mw.process_request(Request("http://free.example/"))
            order.append("free")

        await asyncio.gather(paused(), free())
        return order

    start = time.monotonic()
    assert asyncio.run(both()) == ["free", "paused"]
    assert time.monotonic() - start >= 0.3


def test_a_wait_beyond_the_maximum_stops_the_source():
    async def run() -> RateLimitMiddleware:
        mw = middleware(max_wait=60)
        with pytest.raises(IgnoreRequest):
            mw.process_response(Request(URL), reply(429, **{"Retry-After": "3600"}))
        mw.book.pause("api.example:8080", 3600)
        with pytest.raises(IgnoreRequest):
            await mw.process_request(Request(URL))
        await asyncio.sleep(0)
        return mw

    mw = asyncio.run(run())
    assert mw.crawler.engine.closed == ["ratelimited"]  # once


def test_the_middleware_is_enabled_in_the_project_settings():
    from crawlers import settings

    middlewares = getattr(settings, "DOWNLOADER_MIDDLEWARES", {})
    position = middlewares.get("crawlers.middlewares.RateLimitMiddleware")
    # After RetryMiddleware (550) in process_response order: a 429 is ours first.
    assert position is not None
    assert position > 550


# A real crawl against a server that answers 429 then 200 ---------------------------


class TooManyServer:
    """Answers the first ``refusals`` requests with 429 + Retry-After, then 200."""

    def __init__(
        self, retry_after: str, refusals: int = 1, body: bytes = b"{}"
    ) -> None:
        self.times: list[float] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.times.append(time.monotonic())
                if self.path == "/robots.txt":
                    status, payload = 404, b""
                elif len(server.times) <= refusals:
                    status, payload = 429, b'{"error": "slow down"}'
                else:
                    status, payload = 200, body
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> TooManyServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


CRAWL = """
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess

class One(scrapy.Spider):
    name = "one"

    async def start(self):
        yield scrapy.Request(sys.argv[1], errback=self.failed)

    def parse(self, response):
        yield {"status": response.status}

    def failed(self, failure):
        self.logger.warning("failed: %s", failure.value.__class__.__name__)

items = []


def scraped(item):
    items.append(item)


process = CrawlerProcess({
    "DOWNLOADER_MIDDLEWARES": {"crawlers.middlewares.RateLimitMiddleware": 560},
    "RETRY_HTTP_CODES": [429, 500],
    "MARAUDE_MAX_RATELIMIT_WAIT": float(sys.argv[2]),
    "ROBOTSTXT_OBEY": False,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "INFO",
})
crawler = process.create_crawler(One)
crawler.signals.connect(scraped, signal=scrapy.signals.item_scraped)
process.crawl(crawler)
process.start()
stats = crawler.stats.get_stats()
print(json.dumps({"items": items, "reason": stats.get("finish_reason"),
                  "429": stats.get("maraude/ratelimit/429", 0)}))
"""


def crawl_once(url: str, max_wait: float) -> tuple[dict[str, Any], str]:
    result = subprocess.run(
        [sys.executable, "-c", CRAWL, url, str(max_wait)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


@pytest.mark.slow
def test_a_429_with_retry_after_is_retried_after_the_pause():
    with TooManyServer("1") as server:
        out, _ = crawl_once(server.base_url + "/api", max_wait=900)
    assert out["items"] == [{"status": 200}]
    assert out["429"] == 1
    first, second = server.times
    assert second - first >= 1.0


@pytest.mark.slow
def test_a_retry_after_beyond_the_maximum_stops_the_run_cleanly():
    with TooManyServer("3600") as server:
        out, log = crawl_once(server.base_url + "/api", max_wait=5)
    assert out["items"] == []
    assert out["reason"] == "ratelimited"
    assert "MARAUDE_MAX_RATELIMIT_WAIT" in log
    assert len(server.times) == 1


@pytest.mark.slow
def test_maraude_crawl_honours_a_429(db_path, tmp_path):
    status = json.dumps(
        [
            {
                "id": "7",
                "content": "<p>Je ne touche plus le RSA</p>",
                "visibility": "public",
            }
        ]
    ).encode()
    with TooManyServer("1", body=status) as server:
        toml = (
            '[[sources]]\nname = "masto"\nplatform = "mastodon"\n'
            f'base_url = "{server.base_url}"\nhashtags = ["rsa"]\n'
        )
        result = run_crawl(db_path, toml, tmp_path)
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 1
    assert mdb.crawl_runs(database)[0]["status"] == "ok"
    assert server.times[1] - server.times[0] >= 1.0
