"""Reddit: new posts of subreddits.

Against Reddit itself the spider uses the official API with application-only
OAuth (``MARAUDE_REDDIT_CLIENT_ID`` / ``MARAUDE_REDDIT_CLIENT_SECRET``), because
Reddit's robots.txt forbids crawling and its terms require the API. With
``base_url`` set (tests, demo, replay servers), listings are read at
``{base_url}/r/{sub}/new.json`` and no token is requested.

Paging follows ``after``, one :class:`~crawlers.walk.FeedWalk` per subreddit:
it stops at the newest post of the last complete run (base-36 ids grow with
time), resumes an interrupted backlog, and reads at most ``max_pages`` pages.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from crawlers.items import PostItem
from crawlers.spiders.base import SourceSpider, host_of

API_HOST = "https://oauth.reddit.com"
TOKEN_URL = "https://www.reddit.com/api/v1/access_token"  # noqa: S105
WEB_HOST = "https://www.reddit.com"


class RedditSpider(SourceSpider):
    platform = "reddit"
    # An API, not HTML crawling: Reddit's API terms and rate-limit headers apply.
    custom_settings: ClassVar[dict[str, Any]] = {"ROBOTSTXT_OBEY": False}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        base = self.settings_.get("base_url")
        self.base_url = base.rstrip("/") if base else None
        self.token: str | None = None

    @property
    def site(self) -> str:
        return host_of(self.base_url) if self.base_url else "www.reddit.com"

    async def start(self) -> AsyncIterator[Any]:
        if self.base_url is None:
            yield self._token_request()
            return
        for request in self._listing_requests():
            yield request

    def _token_request(self) -> scrapy.Request:
        client_id = os.environ.get("MARAUDE_REDDIT_CLIENT_ID")
        secret = os.environ.get("MARAUDE_REDDIT_CLIENT_SECRET")
        if not client_id or not secret:
            raise CloseSpider(
                "reddit needs MARAUDE_REDDIT_CLIENT_ID and MARAUDE_REDDIT_CLIENT_SECRET"
                " "
                "(an app at reddit.com/prefs/apps), or base_url for a replay server"
            )
        return scrapy.FormRequest(
            TOKEN_URL,
            formdata={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic " + _basic_auth(client_id, secret)},
            callback=self._got_token,
            dont_filter=True,
        )

    def _got_token(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            self.token = json.loads(response.text)["access_token"]
        except (ValueError, KeyError):
            raise CloseSpider("reddit refused the OAuth credentials") from None
        yield from self._listing_requests()

    def _listing_url(self, sub: str, after: str | None = None) -> str:
        params: dict[str, str] = {"limit": "100", "raw_json": "1"}
        if after:
            params["after"] = after
        if self.base_url:
            return f"{self.base_url}/r/{sub}/new.json?{urlencode(params)}"
        return f"{API_HOST}/r/{sub}/new?{urlencode(params)}"

    def _listing_requests(self) -> Iterator[scrapy.Request]:
        for sub in self.settings_["subreddits"]:
            yield self._request(self._listing_url(sub), sub)

    def _request(self, url: str, sub: str, after: str | None = None) -> scrapy.Request:
        headers = {"Authorization": f"bearer {self.token}"} if self.token else {}
        self.pages += 1
        return scrapy.Request(
            url,
            headers=headers,
            callback=self.parse,
            cb_kwargs={"sub": sub, "after": after},
            errback=self.on_error,
        )

    def parse(
        self, response: Response, sub: str = "", after: str | None = None
    ) -> Iterator[Any]:
        try:
            listing = json.loads(response.text)
            data = listing["data"]
            children = data["children"]
            if not isinstance(children, list):
                raise TypeError("children is not a list")
        except (ValueError, KeyError, TypeError):
            self.logger.error("malformed Reddit listing at %s", response.url)
            return
        self.checkpoint(sub, after)
        items = [i for i in map(self._parse_post, children) if i is not None]
        walk = self.walk(sub)
        keep, cursor = walk.page(
            [_order(i.native_id) for i in items], data.get("after")
        )
        yield from (item for item, kept in zip(items, keep, strict=True) if kept)
        if cursor and self.pages < self.max_pages:
            yield self._request(self._listing_url(sub, cursor), sub, cursor)

    def _parse_post(self, child: dict[str, Any]) -> PostItem | None:
        if not isinstance(child, dict) or child.get("kind") != "t3":
            return None
        d = child.get("data") or {}
        if not d.get("id"):
            return None
        permalink = d.get("permalink") or ""
        return PostItem(
            platform=self.platform,
            site=self.site,
            source=self.source.name,
            native_id=str(d["id"]),
            url=(self.base_url or WEB_HOST) + permalink if permalink else d.get("url"),
            title=d.get("title") or "",
            text=d.get("selftext") or "",
            author=_author(d.get("author")),
            created_at=_iso(d.get("created_utc")),
            thread_title=d.get("title") or None,
        )

    def on_error(self, failure: Any) -> None:
        self.logger.error(
            "request failed for source %s at %s: %s",
            self.source.name,
            failure.request.url,
            failure.value.__class__.__name__,
        )


def _order(native_id: str) -> int:
    """Reddit ids are base 36 and grow with time."""
    try:
        return int(native_id, 36)
    except ValueError:
        return 0


def _author(name: Any) -> str | None:
    if not name or name in ("[deleted]", "[removed]"):
        return None
    return str(name)


def _iso(epoch: Any) -> str | None:
    try:
        return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError, OverflowError):
        return None


def _basic_auth(user: str, password: str) -> str:
    import base64

    return base64.b64encode(f"{user}:{password}".encode()).decode()
