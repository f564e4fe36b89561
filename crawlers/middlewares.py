"""Rate limits: pause a host when its API says so, without blocking the reactor.

:class:`RateLimitMiddleware` reads, on every response,

* HTTP 429 with ``Retry-After`` (seconds or an HTTP date);
* ``x-ratelimit-remaining`` / ``x-ratelimit-reset`` (Reddit: seconds until the
  reset; Mastodon: an ISO date);
* the IETF ``RateLimit-Remaining`` / ``RateLimit-Reset`` (seconds; Bluesky sends
  an epoch timestamp), and the newer single ``RateLimit: …;r=0;t=30`` field.

When nothing is left (remaining 0, or a 429), the host is paused until the
reset: every later request to it waits in ``process_request`` on a non-blocking
sleep (:func:`scrapy.utils.asyncio.sleep`), and a 429'd request is sent again
once. The pause is capped by ``MARAUDE_MAX_RATELIMIT_WAIT`` (seconds, default
900): a longer one stops the source's run cleanly (reason ``ratelimited``) with a
log line, and its walks keep their resume points for the next run.

Pauses are shared by every crawler of the process, keyed by ``host:port``: two
sources reading the same instance share its per-IP budget.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

try:
    from scrapy.utils.asyncio import sleep as _sleep  # Scrapy ≥ 2.18
except ImportError:  # pragma: no cover - older Scrapy

    async def _sleep(seconds: float) -> None:
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


logger = logging.getLogger(__name__)

DEFAULT_MAX_WAIT = 900.0
DEFAULT_429_WAIT = 60.0  # a 429 that says nothing about when to come back
RETRIED = "maraude_ratelimit_retried"
EPOCH_THRESHOLD = 1_000_000_000  # a "reset" this large is a Unix timestamp
_STRUCTURED = re.compile(r"(?:^|[;,\s])([rt])=(\d+(?:\.\d+)?)")


@dataclass
class PauseBook:
    """When each host may be called again (``time.monotonic()`` values)."""

    until: dict[str, float] = field(default_factory=dict)

    def pause(self, host: str, seconds: float) -> None:
        resume = time.monotonic() + seconds
        self.until[host] = max(self.until.get(host, 0.0), resume)

    def remaining(self, host: str) -> float:
        return max(0.0, self.until.get(host, 0.0) - time.monotonic())


PAUSES = PauseBook()


class RateLimitMiddleware:
    """A downloader middleware honouring 429s and rate-limit headers."""

    def __init__(
        self, crawler: Any, max_wait: float = DEFAULT_MAX_WAIT, book: PauseBook = PAUSES
    ) -> None:
        self.crawler = crawler
        self.max_wait = max_wait
        self.book = book
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> RateLimitMiddleware:
        wait = crawler.settings.getfloat("MARAUDE_MAX_RATELIMIT_WAIT", DEFAULT_MAX_WAIT)
        return cls(crawler, max_wait=wait)

    async def process_request(self, request: Request) -> None:
        host = _host(request)
        wait = self.book.remaining(host)
        if wait <= 0:
            return
        if wait > self.max_wait:
            self._stop(host, wait)
            raise IgnoreRequest(f"rate limited by {host}")
        self._inc("paused_requests")
        await _sleep(wait)

    def process_response(
        self, request: Request, response: Response
    ) -> Request | Response:
        wait = reset_wait(response.headers)
        host = _host(request)
        if response.status == 429:
            return self._on_429(request, response, host, wait)
        if wait is not None and remaining(response.headers) == 0:
            self._pause(host, wait)
        return response

    def _on_429(
        self, request: Request, response: Response, host: str, wait: float | None
    ) -> Request | Response:
        self._inc("429")
        wait = DEFAULT_429_WAIT if wait is None else wait
        if not self._pause(host, wait):
            raise IgnoreRequest(f"rate limited by {host}")
        if request.meta.get(RETRIED):
            request.meta["dont_retry"] = True  # RetryMiddleware: no third try
            return response
        logger.info("HTTP 429 from %s: retrying %s in %.0f s", host, request.url, wait)
        return request.replace(dont_filter=True, meta={**request.meta, RETRIED: True})

    def _pause(self, host: str, wait: float) -> bool:
        """Pause ``host``; False (and the run stops) when the wait is too long."""
        if wait > self.max_wait:
            self._stop(host, wait)
            return False
        if wait > 0:
            logger.info("rate limit reached on %s: pausing %.0f s", host, wait)
            self.book.pause(host, wait)
        return True

    def _stop(self, host: str, wait: float) -> None:
        if self.stopping:
            return
        self.stopping = True
        spider = getattr(self.crawler, "spider", None)
        logger.warning(
            "rate limit on %s resets in %.0f s, more than MARAUDE_MAX_RATELIMIT_WAIT "
            "(%.0f s): stopping source %s; the next run resumes where this one stopped",
            host,
            wait,
            self.max_wait,
            getattr(getattr(spider, "source", None), "name", "?"),
        )
        engine = getattr(self.crawler, "engine", None)
        if engine is None or spider is None:
            return
        if hasattr(engine, "close_spider_async"):  # Scrapy ≥ 2.14
            deferred_from_coro(engine.close_spider_async(reason="ratelimited"))
        else:  # pragma: no cover
            engine.close_spider(spider, "ratelimited")

    def _inc(self, key: str) -> None:
        stats = getattr(self.crawler, "stats", None)
        if stats is not None:
            stats.inc_value(f"maraude/ratelimit/{key}")


def _host(request: Request) -> str:
    return (urlparse_cached(request).netloc or "").lower()


def _header(headers: Any, name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return str(value).strip()


def remaining(headers: Any) -> float | None:
    """Requests left in the window, from whichever header the API sends."""
    for name in ("x-ratelimit-remaining", "ratelimit-remaining"):
        value = _number(_header(headers, name))
        if value is not None:
            return value
    fields = _structured(_header(headers, "ratelimit"))
    return fields.get("r")


def reset_wait(headers: Any, now: datetime | None = None) -> float | None:
    """Seconds until the limit resets (``Retry-After`` first), or None."""
    now = now or datetime.now(UTC)
    for name in ("retry-after", "x-ratelimit-reset", "ratelimit-reset"):
        wait = parse_reset(_header(headers, name), now)
        if wait is not None:
            return wait
    fields = _structured(_header(headers, "ratelimit"))
    return fields.get("t")


def parse_reset(value: str | None, now: datetime) -> float | None:
    """Seconds to wait for a reset given as seconds, epoch, ISO or HTTP date."""
    if not value:
        return None
    number = _number(value)
    if number is not None:
        if number >= EPOCH_THRESHOLD:
            return max(0.0, number - now.timestamp())
        return max(0.0, number)
    when = _date(value)
    if when is None:
        return None
    return max(0.0, (when - now).total_seconds())


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _date(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _structured(value: str | None) -> dict[str, float]:
    """``r`` (remaining) and ``t`` (reset seconds) of ``RateLimit: "x";r=0;t=30``."""
    if not value:
        return {}
    return {k: float(v) for k, v in _STRUCTURED.findall(value)}


class OrderlyRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt check, with every waiting request really checked.

    In Scrapy 2.19 the parsed robots.txt reaches only the first request that
    waits for it: the result of the shared Deferred is consumed, and later
    waiters get None, which means "allowed". Each waiter here gets a Deferred of
    its own, fed with the parser while the shared one passes it on unchanged.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        pending = self._parsers.get(netloc)
        if isinstance(pending, Deferred):
            waiter: Deferred[RobotParser | None] = Deferred()

            def relay(result: Any) -> Any:
                waiter.callback(result)
                return result

            pending.addBoth(relay)
            return await maybe_deferred_to_future(waiter)
        return await super().robot_parser(request)
