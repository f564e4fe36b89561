"""HTML forums: phpBB, vBulletin, XenForo, Forumotion (Forumactif), SMF, Invision,
or any board described by CSS selectors (see :mod:`.forum_engines`).

A start URL is a board index, a thread list or a thread page: the engine's
selectors tell which (posts first, then thread links, then forum links). Lists
lead to threads, threads are read page after page (next-page links), always
within ``max_pages`` requests per run and robots.txt.

Incremental: the state remembers, per thread, the last page read, its first
post and a digest of what the thread list said about its last reply. A second
run reads the lists again but opens only threads whose digest changed, at the
last page read; a thread given as a start URL is opened at that page too. Posts
already stored are not yielded again. A list page where no thread changed ends
the paging of that list (lists are ordered by last reply).

Fields: ``native_id`` is the post's own id (its digits); ``parent_native_id``
the thread's first post (or ``t<thread id>`` when that post was never read);
``title`` the thread's title on its first post only. Dates come from the
page's machine-readable ones (``<time datetime>``, ``data-time``); pages that
only print a local date (vBulletin 4, phpBB 3.0, Forumotion, SMF) give None.

Decoding: Scrapy decodes with the Content-Type charset, else the page's
``<meta charset>``. When both are given and disagree, the one the bytes
actually are wins (UTF-8 when they are valid UTF-8, else the declaration that
decodes them), with a warning. A page whose bytes are not valid in its charset
is an error (its accents are lost), and so are truncated pages (their last post
is skipped), oversized posts, pages no selector matches and HTTP failures: each
is logged with the source and URL (never the text) and the crawl goes on.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from w3lib.encoding import html_body_declared_encoding, resolve_encoding

from crawlers.items import PostItem
from crawlers.spiders.base import SourceSpider, host_of
from crawlers.spiders.forum_engines import (
    DATE,
    TITLE,
    Engine,
    clean_url,
    engine_for,
    fallback_id,
    first_string,
    inner_html,
    marker,
    post_id,
    same_site,
    select,
    thread_id,
)
from crawlers.text import attr, iso_date

MAX_POST_HTML = 1_000_000  # characters of one post's HTML; more is an error
_PAGE_END = re.compile(rb"</(?:html|body)\s*>", re.IGNORECASE)


class ForumSpider(SourceSpider):
    name = platform = "forum"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config_error: str | None = None
        try:
            self.engine: Engine = engine_for(self.settings_)
        except ValueError as e:
            self.config_error = str(e)
            self.engine = Engine(name="none", post=(), text=())
        self.threads: dict[str, dict[str, Any]] = {}
        self.hosts = {host_of(u) for u in self.settings_.get("start_urls") or []}
        self.held: dict[str, list[scrapy.Request]] = {}
        self.requested: set[str] = set()  # so duplicates never spend the budget

    async def start(self) -> AsyncIterator[Any]:
        if self.config_error:
            raise CloseSpider(f"forum source {self.source.name}: {self.config_error}")
        self.threads = dict(self.state().get("threads", {}))
        for url in self.settings_.get("start_urls") or []:
            key = self._thread_key(url)
            resume = self.threads.get(key, {}).get("page")
            for request in self._follow(resume or url, start=True, thread=key):
                request.meta["fallback"] = url if resume else None
                host = request.meta["gate"] = host_of(request.url)
                if host in self.held:  # see _release
                    self.held[host].append(request)
                else:
                    self.held[host] = []
                    yield request

    def _release(self, response_or_request: Any) -> list[scrapy.Request]:
        """The start requests held back until their host's first answer.

        Scrapy 2.19's RobotsTxtMiddleware hands robots.txt to only the first of
        the requests waiting for it: the others go out unchecked. So only one
        request per host is sent before robots.txt is read.
        """
        request = getattr(response_or_request, "request", response_or_request)
        meta = getattr(request, "meta", None) or {}
        return self.held.pop(meta.get("gate", ""), [])

    def _follow(
        self, url: str, *, start: bool = False, **cb_kwargs: Any
    ) -> Iterator[scrapy.Request]:
        """A request for ``url``, unless it leaves the forum, was already asked
        for, or the page budget is spent (start URLs are always read)."""
        if not start and (
            self.pages >= self.max_pages
            or url in self.requested
            or not same_site(host_of(url), self.hosts)
        ):
            return
        self.pages += 1
        self.requested.add(url)
        yield scrapy.Request(
            url,
            callback=self.parse,
            errback=self.on_error,
            cb_kwargs=cb_kwargs,
            meta={"start": start},
        )

    def _link(self, page: TextResponse, href: str) -> str:
        return clean_url(page.urljoin(href))

    def _thread_key(self, url: str) -> str:
        tid = thread_id(url, self.engine)
        return f"{host_of(url)}/{tid}" if tid else clean_url(url)

    # -- parsing -----------------------------------------------------------

    def parse(
        self, response: Response, thread: str | None = None, marker: str | None = None
    ) -> Iterator[Any]:
        yield from self._release(response)
        page = self._decoded(response)
        if page is None:
            return
        posts = select(page, self.engine.post)
        if posts:
            key = thread or self._thread_key(page.url)
            yield from self._parse_thread_page(page, posts, key, marker)
        elif select(page, self.engine.thread_link) or select(
            page, self.engine.forum_link
        ):
            yield from self._parse_thread_list(page)
        else:
            self.logger.error(
                "no posts and no threads at %s (source %s, engine %s): "
                "not a page of this forum engine",
                page.url,
                self.source.name,
                self.engine.name,
            )

    def _parse_thread_page(
        self, page: TextResponse, posts: Any, key: str, new_marker: str | None
    ) -> Iterator[Any]:
        known = self.threads.get(key, {})
        truncated = not _PAGE_END.search(page.body)
        if truncated:
            self.logger.error(
                "truncated page at %s (source %s): its last post is skipped",
                page.url,
                self.source.name,
            )
            posts = posts[:-1]
        first_page = not first_string(page, self.engine.paging("prev_page"))
        context = {
            "site": host_of(page.url),
            "page_url": clean_url(page.url),
            "thread_title": first_string(page, self.engine.all("title", TITLE)),
            "parent": known.get("first") or _thread_parent(key),
        }
        for position, post in enumerate(posts):
            item = self.parse_item(
                self._parse_post,
                post,
                page,
                position,
                context,
                url=page.url,
                what=f"#{position + 1}",
            )
            if item is None:
                continue
            if first_page and position == 0:
                item.title = context["thread_title"]
                item.parent_native_id = None
                context["parent"] = known["first"] = item.native_id
            if not self.seen(item.site, item.native_id):
                yield item
        next_href = first_string(page, self.engine.paging("next_page"))
        known["page"] = context["page_url"]
        next_url = self._link(page, next_href) if next_href else None
        if next_url == context["page_url"]:
            next_url = None  # a dead "next" link to the page itself
        if next_url and not truncated:
            yield from self._follow(next_url, thread=key, marker=new_marker)
        elif not next_url and not truncated and new_marker:
            known["marker"] = new_marker  # read to its end: skipped until it changes
        self.threads[key] = known

    def _parse_post(
        self, post: Any, page: TextResponse, position: int, context: dict[str, Any]
    ) -> PostItem | None:
        native_id = post_id(post, self.engine) or fallback_id(
            context["page_url"], position
        )
        if native_id in self.engine.skip_ids:
            return None
        text = self._parse_text(post)
        if len(text) > MAX_POST_HTML:
            self.logger.error(
                "post %s at %s (source %s) is %d characters of HTML, over %d: skipped",
                native_id,
                page.url,
                self.source.name,
                len(text),
                MAX_POST_HTML,
            )
            return None
        return PostItem(
            platform=self.platform,
            site=context["site"],
            source=self.source.name,
            native_id=native_id,
            url=self._parse_permalink(post, page, context["page_url"]),
            text=text,
            html=True,
            author=first_string(post, self.engine.author),
            created_at=iso_date(first_string(post, self.engine.all("date", DATE))),
            parent_native_id=context["parent"],
            thread_title=context["thread_title"],
        )

    def _parse_text(self, post: Any) -> str:
        found = select(post, self.engine.text)
        return inner_html(found[0]) if found else ""

    def _parse_permalink(self, post: Any, page: TextResponse, page_url: str) -> str:
        href = first_string(post, self.engine.permalink)
        if href:
            return self._link(page, href)
        anchor = attr(post, "id")
        return f"{page_url}#{anchor}" if anchor else page_url

    def _parse_thread_list(self, page: TextResponse) -> Iterator[scrapy.Request]:
        changed = 0
        for key, link, digest in self._threads_on(page):
            known = self.threads.get(key, {})
            if digest is not None and known.get("marker") == digest:
                continue  # no reply since it was read to its end
            changed += 1
            resume = known.get("page")
            for request in self._follow(resume or link, thread=key, marker=digest):
                request.meta["fallback"] = link if resume else None
                yield request
        for href in select(page, self.engine.forum_link).xpath("@href").getall():
            yield from self._follow(self._link(page, href))
        next_href = first_string(page, self.engine.paging("next_page"))
        if next_href and changed:
            yield from self._follow(self._link(page, next_href))

    def _threads_on(self, page: TextResponse) -> Iterator[tuple[str, str, str | None]]:
        """(thread key, thread URL, digest of its last reply) for each thread."""
        seen: set[str] = set()
        rows = [
            (link, row)
            for row in select(page, self.engine.thread_row)
            for link in select(row, self.engine.thread_link)[:1]
        ]
        if not rows:
            rows = [(link, None) for link in select(page, self.engine.thread_link)]
        for link, row in rows:
            href = attr(link, "href")
            if not href:
                continue
            url = self._link(page, href)
            key = self._thread_key(url)
            if key not in seen:
                seen.add(key)
                yield key, url, marker(row, self.engine) if row is not None else None

    # -- bad input ---------------------------------------------------------

    def _decoded(self, response: Response) -> TextResponse | None:
        """The page decoded with the charset its bytes really are (see module)."""
        if not isinstance(response, TextResponse):
            self.logger.error(
                "not an HTML page at %s (source %s)", response.url, self.source.name
            )
            return None
        declared = response.encoding
        meta = html_body_declared_encoding(response.body)
        better = _better_encoding(response.body, declared, meta)
        if better != resolve_encoding(declared):
            self.logger.warning(
                "page at %s (source %s) says %s but is %s: decoded as %s",
                response.url,
                self.source.name,
                declared,
                better,
                better,
            )
            response = response.replace(encoding=better)
        if "\ufffd" in response.text and b"\xef\xbf\xbd" not in response.body:
            self.logger.error(
                "page at %s (source %s) is not valid %s: some characters are lost",
                response.url,
                self.source.name,
                response.encoding,
            )
        return response

    def on_error(self, failure: Any) -> Iterator[scrapy.Request]:
        request = failure.request
        yield from self._release(request)
        status = failure.value.response.status if failure.check(HttpError) else None
        fallback = request.meta.get("fallback")
        if status == 404 and fallback:
            self.logger.warning(
                "page %s of source %s is gone: reading its thread from %s",
                request.url,
                self.source.name,
                fallback,
            )
            yield from self._follow(fallback, **request.cb_kwargs)
            return
        # A page robots.txt forbids is no error, unless the source asked for it.
        if request.meta.get("start") and failure.check(IgnoreRequest):
            self.logger.error(
                "start URL %s of source %s is forbidden by robots.txt",
                request.url,
                self.source.name,
            )
            return
        self.log_failure(failure)

    def closed(self, reason: str) -> None:
        """Every item went through the pipelines: save what each thread holds.

        After a failed post, nothing: the threads are read again next run.
        """
        if self.threads and not self.hold_marks():
            state = self.state()
            state["threads"] = self.threads
            self.save_state(state)
        super().closed(reason)


def _thread_parent(key: str) -> str | None:
    tail = key.rsplit("/", 1)[-1]
    return f"t{tail}" if tail.isdigit() else None


def _better_encoding(body: bytes, declared: str, meta: str | None) -> str:
    """Between the declared charset and the page's ``<meta>`` one, the one the
    bytes are: UTF-8 when they decode as UTF-8, else the one that decodes."""
    declared = resolve_encoding(declared) or declared
    meta = resolve_encoding(meta) if meta else None
    if not meta or meta == declared:
        return declared
    if meta == "utf-8" and _decodes(body, "utf-8"):
        return meta
    if not _decodes(body, declared) and _decodes(body, meta):
        return meta
    return declared


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True
