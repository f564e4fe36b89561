"""Discourse forums, through their public JSON API; one FeedWalk per feed.

* No ``categories`` nor ``query``: latest posts, ``/posts.json`` (newest first,
  ``before=<post id>``, inclusive); if refused (403/404/410), ``/latest.json``.
* ``categories`` (``"slug/id"``, id or slug): topic lists ``/c/{category}.json``
  (newest bump first, ``page=``); a topic bumped since the last run is read with
  ``/t/{id}.json`` and, when ``post_stream.stream`` has more ids than
  ``post_stream.posts``, ``/t/{id}/posts.json?post_ids[]=…`` (newest unseen).
* ``query``: ``/search.json?q=<query> order:latest``, then the found posts by id.

``parent_native_id`` is the replied-to post (``reply_to_post_number`` resolved in
the topic), else the topic's first post. An unknown number is looked up with
``/t/{id}/{n}.json`` (posts near *n* and the topic's stream) before the post is
yielded. A page's look-ups and topics form a chain of requests ending with the
next page, so a page is stored before its successor becomes a resume point.
Quotes (``aside.quote``) become ``> `` lines attributed to ``@[user]``.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError

from crawlers.items import PostItem
from crawlers.spiders.base import SourceSpider, host_of
from crawlers.spiders.discourse_json import (
    as_int,
    bump_key,
    chunks,
    get_id,
    kept_rows,
    utc_time,
    valid_posts,
)

MAX_FOLLOWUP_POSTS = 200  # newest unseen posts of one topic read per run
MAX_LOOKUPS = 3  # /t/{id}/{n}.json look-ups per topic and page
REGULAR = 1  # post_type of an ordinary post (not a whisper or a small action)
Chain = deque[scrapy.Request]


class DiscourseSpider(SourceSpider):
    name = platform = "discourse"
    # A JSON API, not HTML crawling: the forum's terms and rate limits apply.
    # Annotated as scrapy.Spider declares it (an instance attribute, for mypy).
    custom_settings: dict[str, Any] | None = {"ROBOTSTXT_OBEY": False}  # noqa: RUF012

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url: str = self.settings_["base_url"].rstrip("/")
        self.site = host_of(self.base_url)
        self.query: str | None = self.settings_.get("query") or None
        self.categories = [
            str(c).strip("/") for c in self.settings_.get("categories", [])
        ]
        self._numbers: dict[tuple[int, int], int] = {}  # (topic, post number) → id
        self._first: dict[int, int] = {}  # topic → id of its first post
        self._titles: dict[int, str] = {}
        self._slugs: dict[int, str] = {}
        self._topics_read: set[int] = set()

    async def start(self) -> AsyncIterator[Any]:
        for category in self.categories:
            yield self._feed_request(f"category:{category}", None)
        if self.query:
            yield self._feed_request("search", None)
        if not self.categories and not self.query:
            yield self._feed_request("posts", None)

    # Requests -----------------------------------------------------------------

    def _request(self, url: str, callback: Any, **kwargs: Any) -> scrapy.Request:
        """No dupe filter: a filtered request would stall its chain."""
        meta = {"feed": kwargs.get("key"), "optional": callback == self.parse_lookup}
        return scrapy.Request(
            url,
            callback,
            errback=self.on_error,
            cb_kwargs=kwargs,
            meta=meta,
            headers={"Accept": "application/json"},
            dont_filter=True,
        )

    def _feed_request(self, key: str, cursor: int | None) -> scrapy.Request:
        """Page ``cursor`` of feed ``posts``, ``search``, ``latest``, ``category:…``."""
        query: dict[str, Any] = {"page": cursor} if cursor else {}
        if key == "posts":
            path, callback = "/posts.json", self.parse_posts
            query = {"before": cursor} if cursor else {}
        elif key == "search":
            path, callback = "/search.json", self.parse_search
            query = {"q": f"{self.query} order:latest"} | query
        else:
            path = (
                "/latest.json"
                if key == "latest"
                else f"/c/{key.removeprefix('category:')}.json"
            )
            callback = self.parse_topics
        url = self.base_url + path + (f"?{urlencode(query)}" if query else "")
        self.pages += 1
        return self._request(url, callback, key=key, cursor=cursor)

    def post_ids_request(
        self, topic_id: int, ids: list[int], chain: Chain
    ) -> scrapy.Request:
        query = urlencode([("post_ids[]", i) for i in ids])
        url = f"{self.base_url}/t/{topic_id}/posts.json?{query}"
        return self._request(url, self.parse_topic, topic_id=topic_id, chain=chain)

    def _lookup_request(
        self, topic_id: int, group: list[dict], tried: tuple[int, ...], chain: Chain
    ) -> scrapy.Request | None:
        needed = [n for n in self._needed(group) if n not in tried]
        if not needed or len(tried) >= MAX_LOOKUPS:
            return None
        n = min(needed)
        path = f"t/{topic_id}" if n == 1 else f"t/{topic_id}/{n}"
        self.crawler.stats.inc_value("maraude/discourse/lookups")
        url = f"{self.base_url}/{path}.json"  # context only: a failure loses no post
        return self._request(
            url,
            self.parse_lookup,
            topic_id=topic_id,
            group=group,
            tried=(*tried, n),
            chain=chain,
        )

    @staticmethod
    def _next(chain: Chain | None) -> Iterator[scrapy.Request]:
        if chain:
            yield chain.popleft()

    # Feeds --------------------------------------------------------------------

    def parse_posts(
        self, response: Response, key: str = "posts", cursor: int | None = None
    ) -> Iterator[Any]:
        data = self._json(response, "latest posts", "latest_posts")
        if data is None:
            return
        self.checkpoint(key, cursor)
        posts = valid_posts(data["latest_posts"])
        ids = [p["id"] for p in posts]
        keep, nxt = self.walk(key).page(ids, min(ids) - 1 if ids else None)
        chain: Chain = deque()
        if nxt and self.pages < self.max_pages:
            chain.append(self._feed_request(key, nxt))
        yield from self._emit(kept_rows(posts, keep), chain)
        yield from self._next(chain)

    def parse_topics(
        self, response: Response, key: str = "", cursor: int | None = None
    ) -> Iterator[Any]:
        data = self._json(response, "topic list", "topic_list", "topics")
        if data is None:
            return
        self.checkpoint(key, cursor)
        topics = [t for t in data["topic_list"]["topics"] if as_int(get_id(t))]
        walk = self.walk(key)
        high = walk.high
        normal = [t for t in topics if not t.get("pinned")]
        more = (cursor or 0) + 1 if data["topic_list"].get("more_topics_url") else None
        keep, nxt = walk.page([bump_key(t) for t in normal], more)
        # Pinned topics head every list whatever their age: outside the walk.
        pinned = [t for t in topics if t.get("pinned")]
        chosen = [t for t in pinned if high is None or bump_key(t) > high]
        chain: Chain = deque()
        for topic in chosen + kept_rows(normal, keep):
            self._remember_topic(topic)
            if (tid := topic["id"]) not in self._topics_read:
                self._topics_read.add(tid)
                url = f"{self.base_url}/t/{tid}.json"
                chain.append(
                    self._request(url, self.parse_topic, topic_id=tid, chain=chain)
                )
        if nxt is not None and self.pages < self.max_pages:
            chain.append(self._feed_request(key, nxt))
        yield from self._next(chain)

    def parse_search(
        self, response: Response, key: str = "search", cursor: int | None = None
    ) -> Iterator[Any]:
        data = self._json(response, "search results", "posts")
        if data is None:
            return
        self.checkpoint(key, cursor)
        for topic in data.get("topics") or []:
            self._remember_topic(topic)
        found = valid_posts(data["posts"])
        more = (data.get("grouped_search_result") or {}).get("more_full_page_results")
        nxt = (cursor or 1) + 1 if more and found else None
        keep, nxt = self.walk(key).page([p["id"] for p in found], nxt)
        by_topic: dict[int, list[int]] = {}
        for post in kept_rows(found, keep):
            if as_int(post.get("topic_id")) and not self.seen(
                self.site, str(post["id"])
            ):
                by_topic.setdefault(post["topic_id"], []).append(post["id"])
        chain: Chain = deque()
        for topic_id, ids in by_topic.items():
            for chunk in chunks(sorted(ids)):
                chain.append(self.post_ids_request(topic_id, chunk, chain))
        if nxt is not None and self.pages < self.max_pages:
            chain.append(self._feed_request(key, nxt))
        yield from self._next(chain)

    # Topics and thread context -------------------------------------------------

    def parse_topic(
        self, response: Response, topic_id: int, chain: Chain
    ) -> Iterator[Any]:
        """``/t/{id}.json``, or ``/t/{id}/posts.json?post_ids[]=…`` (no stream)."""
        data = self._json(response, "topic", "post_stream", "posts")
        if data is not None:
            self._remember_topic(data, topic_id)
            posts = valid_posts(data["post_stream"]["posts"])
            loaded = {p["id"] for p in posts}
            stream = [i for i in data["post_stream"].get("stream") or [] if as_int(i)]
            missing = [i for i in stream if i not in loaded and not self._seen(i)]
            yield from self._emit([p for p in posts if not self._seen(p["id"])], chain)
            # A long topic: its newest unseen posts, oldest first, before look-ups.
            for chunk in reversed(chunks(missing[-MAX_FOLLOWUP_POSTS:])):
                chain.appendleft(self.post_ids_request(topic_id, chunk, chain))
        yield from self._next(chain)

    def parse_lookup(
        self, response: Response, topic_id: int, group: list[dict], **kw: Any
    ) -> Iterator[Any]:
        data = self._json(response, "topic", "post_stream", "posts", level="warning")
        if data is None:
            yield from self._give_up(topic_id, group)
        else:
            self._remember_topic(data, topic_id)
            yield from self._emit(group, kw["chain"], kw["tried"])
        yield from self._next(kw["chain"])

    def _emit(
        self, posts: list[dict], chain: Chain, tried: tuple[int, ...] = ()
    ) -> Iterator[PostItem]:
        """Yield the posts whose parent is known; queue look-ups for the others."""
        for post in posts:
            self._remember(post)
        waiting: dict[int, list[dict]] = {}
        for post in posts:
            if post.get("post_type", REGULAR) != REGULAR or post.get("hidden"):
                continue
            found = self.parse_item(self._parent, post, what=str(post["id"]))
            if found is None:
                continue
            parent, known = found
            if known:
                yield self._item(post, parent)
            else:
                waiting.setdefault(post["topic_id"], []).append(post)
        for topic_id, group in reversed(list(waiting.items())):
            request = self._lookup_request(topic_id, group, tried, chain)
            if request is None:
                yield from self._give_up(topic_id, group)
            else:
                chain.appendleft(request)

    def _give_up(self, topic_id: int, posts: list[dict]) -> Iterator[PostItem]:
        """Posts whose replied-to post was not found: the first post, if known."""
        if posts:
            self.crawler.stats.inc_value("maraude/discourse/unresolved", len(posts))
        for post in posts:
            yield self._item(post, self._first.get(topic_id))

    def _parent(self, post: dict) -> tuple[int | None, bool]:
        topic: Any = post.get("topic_id")
        number = post.get("post_number")
        if number == 1:
            return None, True
        target: Any = post.get("reply_to_post_number")
        if target is not None and not as_int(target):
            raise TypeError("reply_to_post_number is not a number")
        parent = (
            self._numbers.get((topic, target)) if target else self._first.get(topic)
        )
        return parent, parent is not None

    def _needed(self, posts: list[dict]) -> list[int]:
        return sorted({p.get("reply_to_post_number") or 1 for p in posts})

    def _remember(self, post: dict) -> None:
        topic: Any = post.get("topic_id")
        number: Any = post.get("post_number")
        if not as_int(topic) or not as_int(number):
            return
        self._numbers[(topic, number)] = post["id"]
        if number == 1:
            self._first[topic] = post["id"]
        if post.get("topic_title"):
            self._titles.setdefault(topic, str(post["topic_title"]))
        if post.get("topic_slug"):
            self._slugs.setdefault(topic, str(post["topic_slug"]))

    def _remember_topic(self, topic: dict, topic_id: int | None = None) -> None:
        """A topic list entry, search topic or topic JSON: title, slug, posts."""
        topic_id = topic_id or as_int(topic.get("id"))
        if not topic_id:
            return
        if topic.get("title"):
            self._titles[topic_id] = str(topic["title"])
        if topic.get("slug"):
            self._slugs[topic_id] = str(topic["slug"])
        stream = topic.get("post_stream") or {}
        for post in valid_posts(stream.get("posts") or []):
            self._remember(post)
        ids = [i for i in stream.get("stream") or [] if as_int(i)]
        if ids and topic_id not in self._first:
            self._first[topic_id] = ids[0]

    def _seen(self, post_id: int) -> bool:
        return self.seen(self.site, str(post_id))

    # Items and errors ---------------------------------------------------------

    def _item(self, post: dict, parent: int | None) -> PostItem:
        topic, number = post["topic_id"], post.get("post_number")
        slug = post.get("topic_slug") or self._slugs.get(topic) or "topic"
        title = self._titles.get(topic)
        return PostItem(
            platform=self.platform,
            site=self.site,
            source=self.source.name,
            native_id=str(post["id"]),
            url=f"{self.base_url}/t/{slug}/{topic}/{number}",
            title=title if number == 1 else None,
            text=str(post.get("cooked") or ""),
            html=True,
            author=str(post["username"]) if post.get("username") else None,
            created_at=utc_time(post.get("created_at")),
            parent_native_id=str(parent) if parent else None,
            thread_title=title,
        )

    def _json(
        self, response: Response, what: str, *path: str, level: str = "error"
    ) -> dict[str, Any] | None:
        """The decoded body when ``path`` leads to a list; else log and None."""
        try:
            data = json.loads(response.body)
            node = data
            for key in path:
                node = node[key]
            if not isinstance(node, list):
                raise TypeError(what)
        except (ValueError, KeyError, TypeError, IndexError):
            getattr(self.logger, level)(
                "malformed Discourse %s for source %s at %s",
                what,
                self.source.name,
                response.url,
            )
            return None
        return data

    def on_error(self, failure: Any) -> Iterator[Any]:
        request = failure.request
        status = failure.value.response.status if failure.check(HttpError) else None
        self.log_failure(failure, quiet=bool(request.meta.get("optional")))
        kwargs = request.cb_kwargs
        first_page = request.meta.get("feed") == "posts" and not kwargs.get("cursor")
        if first_page and status in (403, 404, 410):
            self.logger.warning(
                "%s refuses /posts.json: reading /latest.json", self.site
            )
            yield self._feed_request("latest", None)
        if kwargs.get("group"):
            yield from self._give_up(kwargs["topic_id"], kwargs["group"])
        yield from self._next(kwargs.get("chain"))
