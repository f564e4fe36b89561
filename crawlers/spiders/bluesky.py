"""Bluesky: posts matching a search, newest first, from the public AppView.

``app.bsky.feed.searchPosts?q=…&lang=…&sort=latest&limit=100`` is read with its
``cursor``, as one :class:`~crawlers.walk.FeedWalk` ordered by ``indexedAt``.
After a complete walk, requests add ``since``: an unchanged search then costs
one request. ``since`` reaches back ``LATE_MARGIN`` before the high-water time,
as the search filters on the post's own (client-set) time, not ``indexedAt``:
posts indexed late, not yet stored, are kept too.

The AppView may refuse anonymous search (401/403). The spider then logs in with
an app password from ``MARAUDE_BLUESKY_HANDLE`` and
``MARAUDE_BLUESKY_APP_PASSWORD`` (``com.atproto.server.createSession`` on
``base_url`` when it is not the public AppView, else on ``https://bsky.social``)
and searches there with the session's token; without them it stops with a
message naming the variables. The token and the handle are never logged.

Accounts that asked not to be shown to logged-out visitors (the
``!no-unauthenticated`` self-label) are skipped.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import urlencode

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError

from crawlers.env import BLUESKY_APP_PASSWORD, BLUESKY_HANDLE, credential
from crawlers.items import PostItem
from crawlers.spiders.base import SourceSpider, host_of

PUBLIC_APPVIEW = "https://public.api.bsky.app"
ENTRYWAY = "https://bsky.social"
WEB = "https://bsky.app"
BLUESKY_HOSTS = {"public.api.bsky.app", "api.bsky.app", "bsky.social", "bsky.app"}
LIMIT = 100
LATE_MARGIN = timedelta(minutes=15)
HANDLE_ENV = BLUESKY_HANDLE  # a setting, filled from the variable of that name
PASSWORD_ENV = BLUESKY_APP_PASSWORD
REFUSED = (400, 401, 403)  # 400: an expired token (ExpiredToken)
HIDDEN_LABELS = {"!no-unauthenticated"}
KEY = "search"


class BlueskySpider(SourceSpider):
    name = platform = "bluesky"
    # An API, not HTML crawling: Bluesky's terms and RateLimit-* headers apply.
    # Annotated as scrapy.Spider declares it (an instance attribute, for mypy).
    custom_settings: dict[str, Any] | None = {"ROBOTSTXT_OBEY": False}  # noqa: RUF012

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url: str = (self.settings_.get("base_url") or PUBLIC_APPVIEW).rstrip(
            "/"
        )
        host = host_of(self.base_url)
        self.site = "bsky.app" if host in BLUESKY_HOSTS else host
        self.auth_url = ENTRYWAY if host in BLUESKY_HOSTS else self.base_url
        self.query: str = self.settings_["query"]
        self.lang: str = self.settings_.get("lang") or "fr"
        self.token: str | None = None
        self.logins = 0

    async def start(self) -> AsyncIterator[Any]:
        yield self._search_request(None)

    def _search_request(self, cursor: str | None) -> scrapy.Request:
        walk = self.walk(KEY)
        since = None
        if walk.high is not None and not walk.gaps:
            since = _shift(walk.high, -LATE_MARGIN)
        params = {"q": self.query, "lang": self.lang, "sort": "latest", "limit": LIMIT}
        if since:
            params["since"] = since
        if cursor:
            params["cursor"] = cursor
        host = self.auth_url if self.token else self.base_url
        url = f"{host}/xrpc/app.bsky.feed.searchPosts?{urlencode(params)}"
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        self.pages += 1
        return scrapy.Request(
            url,
            headers=headers,
            callback=self.parse,
            errback=self.on_error,
            cb_kwargs={"cursor": cursor, "since": since},
            meta={"handle_httpstatus_list": list(REFUSED)},
            dont_filter=True,
        )

    def parse(
        self, response: Response, cursor: str | None = None, since: str | None = None
    ) -> Iterator[Any]:
        if response.status in REFUSED:
            yield from self._refused(response, cursor)
            return
        posts, next_cursor = self._posts(response)
        if posts is None:
            return
        self.checkpoint(KEY, cursor)
        rows = [p for p in posts if _order(p)]
        if len(rows) < len(posts):
            self.reject(
                f"{len(posts) - len(rows)} post(s) without uri or indexedAt",
                response.url,
                "malformed",
            )
        if not rows or (since and len(rows) < LIMIT):
            next_cursor = None
        keep, nxt = self.walk(KEY).page([_order(p) for p in rows], next_cursor)
        for position, (post, kept) in enumerate(zip(rows, keep, strict=True), 1):
            late = (
                since is not None
                and not kept
                and (_order(post) or "") > since  # every row has an order
                and not self.seen(self.site, post["uri"])
            )
            if not (kept or late):
                continue
            what = f"#{position} of the page"  # a uri names its author's DID
            item = self.parse_item(self._parse_post, post, url=response.url, what=what)
            if item is not None:
                yield item
        if nxt and self.pages < self.max_pages:
            yield self._search_request(str(nxt))

    def _posts(self, response: Response) -> tuple[list[Any] | None, str | None]:
        try:
            data = json.loads(response.body)
            posts = data["posts"]
            if not isinstance(posts, list):
                raise TypeError("posts is not a list")
        except (ValueError, KeyError, TypeError):
            self.logger.error(
                "malformed Bluesky search for source %s at %s",
                self.source.name,
                response.url,
            )
            return None, None
        cursor = data.get("cursor")
        return posts, str(cursor) if cursor else None

    # Login --------------------------------------------------------------------

    def _refused(self, response: Response, cursor: str | None) -> Iterator[Any]:
        if response.status == 400 and not _expired(response):
            self.logger.error(
                "Bluesky rejected the search for source %s at %s: HTTP 400",
                self.source.name,
                response.url,
            )
            return
        handle = credential(self.crawler.settings, HANDLE_ENV)
        password = credential(self.crawler.settings, PASSWORD_ENV)
        if not handle or not password:
            self._close(
                f"bluesky: {host_of(response.url)} refused anonymous search "
                f"(HTTP {response.status}). Set {HANDLE_ENV} and {PASSWORD_ENV} "
                "(an app password: bsky.app → Settings → Privacy and security → "
                "App passwords)"
            )
        if self.logins >= 2:
            self._close(
                f"bluesky refused the search after logging in (HTTP "
                f"{response.status}): check {HANDLE_ENV} and {PASSWORD_ENV}"
            )
        self.logins += 1
        self.token = None
        yield scrapy.Request(
            f"{self.auth_url}/xrpc/com.atproto.server.createSession",
            method="POST",
            body=json.dumps({"identifier": handle, "password": password}),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            callback=self._got_session,
            errback=self._login_failed,
            cb_kwargs={"cursor": cursor},
            dont_filter=True,
        )

    def _close(self, message: str) -> NoReturn:
        self.logger.error("%s (source %s)", message, self.source.name)
        raise CloseSpider(message)

    def _got_session(self, response: Response, cursor: str | None) -> Iterator[Any]:
        try:
            self.token = str(json.loads(response.body)["accessJwt"])
        except (ValueError, KeyError, TypeError):
            self._close("bluesky: createSession answered without a token")
        self.pages -= 1  # the refused page is asked again
        yield self._search_request(cursor)

    def _login_failed(self, failure: Any) -> None:
        status = failure.value.response.status if failure.check(HttpError) else None
        self._close(
            f"bluesky refused the login (HTTP {status}): check {HANDLE_ENV} and "
            f"{PASSWORD_ENV} (an app password, not the account password)"
        )

    # Posts --------------------------------------------------------------------

    def _parse_post(self, post: dict[str, Any]) -> PostItem | None:
        record = post.get("record") or {}
        if not isinstance(record, dict):
            raise TypeError("record is not an object")
        if record.get("$type", "app.bsky.feed.post") != "app.bsky.feed.post":
            return None
        author = post.get("author") or {}
        if not isinstance(author, dict):
            raise TypeError("author is not an object")
        if _labels(author) & HIDDEN_LABELS or _labels(post) & HIDDEN_LABELS:
            self.crawler.stats.inc_value("maraude/skipped_logged_out_only")
            return None
        uri = str(post["uri"])
        return PostItem(
            platform=self.platform,
            site=self.site,
            source=self.source.name,
            native_id=uri,
            url=_web_url(uri),
            text=str(record.get("text") or ""),
            author=str(author["handle"]) if author.get("handle") else None,
            created_at=_iso(record.get("createdAt")),
            parent_native_id=_parent(record),
            lang=_lang(record),
        )


def _expired(response: Response) -> bool:
    """A 400 that means the session's token expired."""
    try:
        error = json.loads(response.body).get("error")
    except (ValueError, AttributeError):
        return False
    return error in ("ExpiredToken", "InvalidToken")


def _order(post: Any) -> str | None:
    """``indexedAt`` as a sortable UTC timestamp; None for a post without one."""
    if not isinstance(post, dict) or not isinstance(post.get("uri"), str):
        return None
    when = _parse_time(post.get("indexedAt"))
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if when else None


def _shift(order: str, delta: timedelta) -> str | None:
    when = _parse_time(order)
    return (when + delta).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if when else None


def _web_url(uri: str) -> str | None:
    """``at://{did}/app.bsky.feed.post/{rkey}`` → the bsky.app link (by DID)."""
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3 or not parts[0].startswith("did:"):
        return None
    return f"{WEB}/profile/{parts[0]}/post/{parts[2]}"


def _parent(record: dict[str, Any]) -> str | None:
    parent = ((record.get("reply") or {}).get("parent") or {}).get("uri")
    return str(parent) if parent else None


def _lang(record: dict[str, Any]) -> str | None:
    langs = record.get("langs")
    if isinstance(langs, list) and langs and isinstance(langs[0], str):
        return langs[0].split("-")[0].lower()
    return None


def _labels(obj: dict[str, Any]) -> set[str]:
    return {str(x.get("val")) for x in obj.get("labels") or [] if isinstance(x, dict)}


def _parse_time(value: Any) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def _iso(value: Any) -> str | None:
    when = _parse_time(value)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else None
