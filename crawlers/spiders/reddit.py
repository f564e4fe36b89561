"""Reddit: new posts of subreddits, or of a search, and optionally their comments.

Against Reddit itself the spider uses the official API with application-only
OAuth (``MARAUDE_REDDIT_CLIENT_ID`` / ``MARAUDE_REDDIT_CLIENT_SECRET``), because
Reddit's robots.txt forbids crawling and its terms require the API. With
``base_url`` set (tests, demo, replay servers), listings are read at
``{base_url}/r/{sub}/new.json`` and no token is requested.

Settings: ``subreddits``, ``query`` (a search in each subreddit, or across Reddit
when there is no subreddit), ``comments`` (also read each new post's comments
from ``/comments/{id}.json``; "load more" stubs are not expanded).

Paging follows ``after``, one :class:`~crawlers.walk.FeedWalk` per feed: it
stops at the newest post of the last complete run (base-36 ids grow with
time), resumes an interrupted backlog, and reads at most ``max_pages`` pages.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from crawlers.env import REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET, credential
from crawlers.items import PostItem
from crawlers.spiders.base import SourceSpider, host_of, load_json

API_HOST = "https://oauth.reddit.com"
TOKEN_URL = "https://www.reddit.com/api/v1/access_token"  # noqa: S105
WEB_HOST = "https://www.reddit.com"
ALL = ""  # the feed key of a search across Reddit


class RedditSpider(SourceSpider):
    name = platform = "reddit"
    # An API, not HTML crawling: Reddit's API terms and rate-limit headers apply.
    # Annotated as scrapy.Spider declares it (an instance attribute, for mypy).
    custom_settings: dict[str, Any] | None = {"ROBOTSTXT_OBEY": False}  # noqa: RUF012

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
        for request in self._feed_requests():
            yield request

    def _token_request(self) -> scrapy.Request:
        client_id = credential(self.crawler.settings, REDDIT_CLIENT_ID)
        secret = credential(self.crawler.settings, REDDIT_CLIENT_SECRET)
        if not client_id or not secret:
            raise CloseSpider(
                "reddit needs MARAUDE_REDDIT_CLIENT_ID and "
                "MARAUDE_REDDIT_CLIENT_SECRET (an app at reddit.com/prefs/apps), "
                "or base_url for a replay server"
            )
        auth = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        return scrapy.FormRequest(
            TOKEN_URL,
            formdata={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {auth}"},
            callback=self._got_token,
            dont_filter=True,
        )

    def _got_token(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            self.token = load_json(response)["access_token"]
        except (ValueError, KeyError):
            raise CloseSpider("reddit refused the OAuth credentials") from None
        yield from self._feed_requests()

    # -- URLs -------------------------------------------------------------

    def _url(self, path: str, **params: str) -> str:
        query = urlencode({"limit": "100", "raw_json": "1", **params})
        if self.base_url:
            return f"{self.base_url}{path}.json?{query}"
        return f"{API_HOST}{path}?{query}"

    def _feed_url(self, feed: str, after: str | None = None) -> str:
        extra = {"after": after} if after else {}
        query = self.settings_.get("query")
        if query and feed == ALL:
            return self._url("/search", q=query, sort="new", **extra)
        if query:
            return self._url(
                f"/r/{feed}/search", q=query, sort="new", restrict_sr="1", **extra
            )
        return self._url(f"/r/{feed}/new", **extra)

    def _feed_requests(self) -> Iterator[scrapy.Request]:
        for feed in self.settings_.get("subreddits") or [ALL]:
            yield self._request(self._feed_url(feed), feed)

    def _request(self, url: str, feed: str, after: str | None = None) -> scrapy.Request:
        self.pages += 1
        return scrapy.Request(
            url,
            headers=self._auth_headers(),
            callback=self.parse,
            cb_kwargs={"feed": feed, "after": after},
            errback=self.on_error,
        )

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"bearer {self.token}"} if self.token else {}

    # -- parsing ------------------------------------------------------------

    def parse(
        self, response: Response, feed: str = "", after: str | None = None
    ) -> Iterator[Any]:
        data = _listing_data(response)
        if data is None:
            self.logger.error("malformed Reddit listing at %s", response.url)
            return
        self.checkpoint(feed, after)
        items = [
            self.parse_item(self._parse_post, child, url=response.url, what=f"#{i}")
            for i, child in enumerate(data["children"], 1)
        ]
        posts = [item for item in items if item is not None]
        walk = self.walk(feed)
        orders = [_order(p.native_id) for p in posts]
        keep, cursor = walk.page(orders, data.get("after"))
        for post, kept in zip(posts, keep, strict=True):
            if kept:
                yield post
                if self.settings_.get("comments"):
                    yield self._comments_request(post)
        if cursor and self.pages < self.max_pages:
            yield self._request(self._feed_url(feed, cursor), feed, cursor)

    def _parse_post(self, child: Any) -> PostItem | None:
        if not isinstance(child, dict) or child.get("kind") != "t3":
            return None
        d = child.get("data") or {}
        if not isinstance(d, dict):
            raise TypeError("data is not an object")
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

    def _comments_request(self, post: PostItem) -> scrapy.Request:
        return scrapy.Request(
            self._url(f"/comments/{post.native_id}", sort="new", limit="500"),
            headers=self._auth_headers(),
            callback=self.parse_comments,
            cb_kwargs={"post": post},
            errback=self.on_error,
        )

    def parse_comments(self, response: Response, post: PostItem) -> Iterator[PostItem]:
        """The comments of a post: ``[listing of the post, listing of comments]``."""
        try:
            listing = load_json(response)[1]["data"]["children"]
        except (ValueError, KeyError, IndexError, TypeError):
            self.logger.error("malformed Reddit comments at %s", response.url)
            return
        try:
            comments = list(self._walk_comments(listing, post))
        except (RecursionError, MemoryError):
            self.reject("comment tree", response.url, "nested too deeply")
            return
        yield from comments

    def _walk_comments(self, children: Any, post: PostItem) -> Iterator[PostItem]:
        for child in children if isinstance(children, list) else []:
            if not isinstance(child, dict) or child.get("kind") != "t1":
                continue  # "more" stubs are not expanded
            d = child.get("data") or {}
            if not isinstance(d, dict):
                self.reject("reddit comment", post.url, "malformed (data)")
                continue
            if d.get("id") and d.get("body") not in (None, "[deleted]", "[removed]"):
                item = self.parse_item(
                    self._parse_comment, d, post, url=post.url, what=str(d["id"])[:40]
                )
                if item is not None:
                    yield item
            replies = d.get("replies")
            if isinstance(replies, dict) and isinstance(replies.get("data"), dict):
                yield from self._walk_comments(replies["data"].get("children"), post)

    def _parse_comment(self, d: dict[str, Any], post: PostItem) -> PostItem:
        permalink = d.get("permalink") or (
            f"/r/{d.get('subreddit', '_')}/comments/{post.native_id}/_/{d['id']}/"
        )
        return PostItem(
            platform=self.platform,
            site=self.site,
            source=self.source.name,
            native_id=str(d["id"]),
            url=(self.base_url or WEB_HOST) + permalink,
            text=d.get("body") or "",
            author=_author(d.get("author")),
            created_at=_iso(d.get("created_utc")),
            parent_native_id=str(d.get("parent_id") or "").split("_", 1)[-1] or None,
            thread_title=post.title or None,
        )


def _listing_data(response: Response) -> dict[str, Any] | None:
    """The ``data`` of a Listing, or None when the body is not one."""
    try:
        data = load_json(response)["data"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("children"), list):
        return None
    return data


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
