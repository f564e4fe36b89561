"""Mastodon: public statuses of hashtags (and an optional search) on one instance.

``/api/v1/timelines/tag/{tag}?limit=40`` is read newest first, one
:class:`~crawlers.walk.FeedWalk` per hashtag, following the ``Link`` header's
``rel="next"`` (``max_id``) for the backlog. Status ids are snowflakes,
compared as integers. When a complete walk left a high-water mark, the first
request adds ``since_id``: an unchanged hashtag then costs one request. That
``since_id`` reaches back ``LATE_MARGIN`` before the mark, because a status that
federates late gets an id from its creation time, below the mark: such a status,
not yet stored, is kept too.
``query`` adds ``/api/v2/search?q=…&type=statuses`` (one page; most instances
answer it only for statuses that opted in to search).

Reblogs are skipped (never the reblogger), and so are accounts that ask search
engines not to index them (``noindex``). The instance's ``x-ratelimit-*``
headers are honoured by :mod:`crawlers.middlewares`.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlparse

import scrapy
from scrapy.http import Response

from crawlers.items import PostItem
from crawlers.spiders.base import SourceSpider, host_of
from crawlers.text import iso_date

LIMIT = 40  # the API's maximum page size
LATE_MARGIN_MS = 15 * 60 * 1000  # how far back late-federated statuses are sought
_LINK = re.compile(r"<([^>]+)>\s*;\s*rel=\"?([^\";]+)\"?")


class MastodonSpider(SourceSpider):
    name = platform = "mastodon"
    # An API, not HTML crawling: the instance's terms and rate limits apply.
    # Annotated as scrapy.Spider declares it (an instance attribute, for mypy).
    custom_settings: dict[str, Any] | None = {"ROBOTSTXT_OBEY": False}  # noqa: RUF012

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url: str = self.settings_["base_url"].rstrip("/")
        self.site = host_of(self.base_url)
        self.hashtags = [str(t).lstrip("#") for t in self.settings_.get("hashtags", [])]
        self.query: str | None = self.settings_.get("query") or None

    async def start(self) -> AsyncIterator[Any]:
        if not self.hashtags and not self.query:
            self.logger.warning("source %s has no hashtags nor query", self.source.name)
        for tag in self.hashtags:
            yield self._tag_request(tag, None)
        if self.query:
            yield self._search_request()

    def _tag_request(self, tag: str, max_id: str | None) -> scrapy.Request:
        key = f"tag:{tag}"
        walk = self.walk(key)
        params: dict[str, Any] = {"limit": LIMIT}
        since = None
        if max_id:
            params["max_id"] = max_id
        elif walk.high is not None and not walk.gaps:
            since = params["since_id"] = max(0, walk.high - (LATE_MARGIN_MS << 16))
        url = f"{self.base_url}/api/v1/timelines/tag/{quote(tag)}?{urlencode(params)}"
        return self._request(url, key=key, cursor=max_id, since=since)

    def _search_request(self) -> scrapy.Request:
        params = {"q": self.query, "type": "statuses", "limit": LIMIT}
        url = f"{self.base_url}/api/v2/search?{urlencode(params)}"
        return self._request(url, key="search", cursor=None, since=None)

    def _request(self, url: str, **cb_kwargs: Any) -> scrapy.Request:
        self.pages += 1
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.on_error,
            cb_kwargs=cb_kwargs,
            headers={"Accept": "application/json"},
        )

    def parse(
        self,
        response: Response,
        key: str = "",
        cursor: str | None = None,
        since: int | None = None,
    ) -> Iterator[Any]:
        statuses = self._statuses(response, key)
        if statuses is None:
            return
        self.checkpoint(key, cursor)
        rows = [s for s in statuses if _order(s) is not None]
        if len(rows) < len(statuses):
            self.reject(
                f"{len(statuses) - len(rows)} status(es) without an id",
                response.url,
                "malformed",
            )
        nxt = None if key == "search" else _next_max_id(response)
        if not rows or nxt == cursor or (since is not None and len(rows) < LIMIT):
            nxt = None  # the end, or every status newer than the mark is here
        keep, nxt = self.walk(key).page([_order(s) for s in rows], nxt)
        for status, kept in zip(rows, keep, strict=True):
            late = (
                since is not None
                and not kept
                and (_order(status) or 0) > since  # every row has an order
                and not self._seen(status)
            )
            if not (kept or late):
                continue
            what = f"status {_order(status)}"
            item = self.parse_item(
                self._parse_status, status, url=response.url, what=what
            )
            if item is not None:
                yield item
        if nxt and self.pages < self.max_pages:
            yield self._tag_request(key.split(":", 1)[1], str(nxt))

    def _statuses(self, response: Response, key: str) -> list[Any] | None:
        try:
            data = json.loads(response.body)
            statuses = data["statuses"] if key == "search" else data
            if not isinstance(statuses, list):
                raise TypeError("not a list")
        except (ValueError, KeyError, TypeError):
            self.logger.error(
                "malformed Mastodon response for source %s at %s",
                self.source.name,
                response.url,
            )
            return None
        return statuses

    def _parse_status(self, status: dict[str, Any]) -> PostItem | None:
        if status.get("reblog") or status.get("visibility", "public") != "public":
            return None
        account = status.get("account") or {}
        if not isinstance(account, dict):
            raise TypeError("account is not an object")
        if account.get("noindex"):
            self.crawler.stats.inc_value("maraude/skipped_noindex")
            return None
        return PostItem(
            platform=self.platform,
            site=self.site,
            source=self.source.name,
            native_id=str(status["id"]),
            url=status.get("url") or status.get("uri"),
            title=status.get("spoiler_text") or None,
            text=str(status.get("content") or ""),
            html=True,
            author=self._parse_author(account),
            created_at=iso_date(status.get("created_at")),
            parent_native_id=_str_or_none(status.get("in_reply_to_id")),
            lang=status.get("language") or None,
        )

    def _seen(self, status: dict[str, Any]) -> bool:
        return self.seen(self.site, str(status["id"]))

    @staticmethod
    def _parse_author(account: dict[str, Any]) -> str | None:
        acct = account.get("acct")
        return str(acct) if acct else None


def _order(status: Any) -> int | None:
    """Snowflake ids grow with time: compare them as integers."""
    try:
        return int(status["id"])
    except (TypeError, KeyError, ValueError):
        return None


def _next_max_id(response: Response) -> str | None:
    """``max_id`` of the ``Link: <…?max_id=…>; rel="next"`` header."""
    header = response.headers.get("Link")
    if not header:
        return None
    for url, rel in _LINK.findall(header.decode("latin-1")):
        if rel.strip() == "next":
            ids = parse_qs(urlparse(url).query).get("max_id")
            return ids[0] if ids else None
    return None


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
