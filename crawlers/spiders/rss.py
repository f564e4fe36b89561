"""RSS 2.0, RSS 1.0 and Atom feeds: one request per run, conditional.

The ``ETag`` and ``Last-Modified`` of the last feed read in full are kept in the
source's state and sent back as ``If-None-Match`` / ``If-Modified-Since``: a
``304 Not Modified`` stores nothing and is no error. They are saved when the
spider closes, after every item went through the pipelines.

Each ``<item>``/``<entry>`` is a post: ``native_id`` = guid, else Atom id, else
link; ``text`` = ``content:encoded``, Atom content or summary, else description
(HTML); ``title``; ``url`` = link; ``created_at`` from pubDate / published /
updated / dc:date; ``author`` from dc:creator / author (the pipeline hashes it).
Entries already stored are not yielded again.

A malformed or truncated feed (checked with defusedxml, which also refuses
entity tricks) is an error logged with the source and URL: its well-formed
entries are still read, except the last one, which may be cut; its validators
are not saved, so the next run reads it in full again.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from xml.etree.ElementTree import ParseError

import scrapy
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring
from parsel import Selector
from scrapy.http import Response

from crawlers.items import PostItem
from crawlers.spiders.base import SourceSpider, host_of
from crawlers.text import attr, iso_date

MAX_ENTRY_CHARS = 1_000_000  # characters of one entry's HTML; more is an error
FEED_ROOTS = {"rss", "feed", "RDF"}


class RssSpider(SourceSpider):
    name = platform = "rss"
    handle_httpstatus_list: ClassVar[list[int]] = [304]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.url: str = self.settings_.get("url", "")
        self.validators: dict[str, str] | None = None  # saved when the run ends

    async def start(self) -> AsyncIterator[scrapy.Request]:
        state = self.state()
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
        self.pages += 1
        yield scrapy.Request(
            self.url,
            headers=headers,
            callback=self.parse,
            errback=self.on_error,
            dont_filter=True,
        )

    def parse(self, response: Response) -> Iterator[PostItem]:
        if response.status == 304:
            self.logger.info("feed of source %s not modified", self.source.name)
            return
        feed = _feed(response.body)
        if feed is None:
            self.logger.error(
                "not an RSS or Atom feed at %s (source %s)",
                response.url,
                self.source.name,
            )
            return
        entries = feed.xpath("//item | //entry")
        problem = _malformed(response.body)
        if problem:
            cut = entries and not _last_entry_closed(response.body)
            self.logger.error(
                "malformed feed at %s (source %s): %s%s",
                response.url,
                self.source.name,
                problem,
                "; its last entry, cut short, is skipped" if cut else "",
            )
            if cut:
                entries = entries[:-1]
        site = host_of(response.url)
        for position, entry in enumerate(entries, 1):
            item = self.parse_item(
                self._parse_entry,
                entry,
                response,
                site,
                url=response.url,
                what=f"entry #{position}",
            )
            if item is not None and not self.seen(site, item.native_id):
                yield item
        if not problem:
            self.validators = {
                "etag": _header(response, "ETag"),
                "last_modified": _header(response, "Last-Modified"),
            }

    def _parse_entry(
        self, entry: Selector, response: Response, site: str
    ) -> PostItem | None:
        url = self._parse_link(entry, response)
        native_id = _first(entry, "guid", "id") or url
        if not native_id:
            return None
        text, is_html = _parse_text(entry)
        if len(text) > MAX_ENTRY_CHARS:
            self.logger.error(
                "entry %s at %s (source %s) is %d characters, over %d: skipped",
                native_id,
                response.url,
                self.source.name,
                len(text),
                MAX_ENTRY_CHARS,
            )
            return None
        return PostItem(
            platform=self.platform,
            site=site,
            source=self.source.name,
            native_id=native_id,
            url=url,
            title=_first(entry, "title"),
            text=text,
            html=is_html,
            author=_parse_author(entry),
            created_at=iso_date(
                _first(entry, "pubDate", "published", "updated", "date")
            ),
        )

    def _parse_link(self, entry: Selector, response: Response) -> str | None:
        href = entry.xpath(
            "link[@rel='alternate']/@href | link[not(@rel)]/@href"
        ).get() or _first(entry, "link")
        return response.urljoin(href.strip()) if href else None

    def closed(self, reason: str) -> None:
        """Every item went through the pipelines: keep the feed's validators."""
        # After a failed entry, no validator: the next run reads the whole feed.
        if self.validators is not None and not self.hold_marks():
            state = self.state()
            state.update({k: v for k, v in self.validators.items() if v})
            for key in [k for k, v in self.validators.items() if not v]:
                state.pop(key, None)
            self.save_state(state)
        super().closed(reason)


def _feed(body: bytes) -> Selector | None:
    """The feed as an XML selector without namespaces, or None if not a feed."""
    try:
        sel = Selector(body=body, type="xml")
        # A namespace holding a lone surrogate (``&#xd83d;``) parses, then
        # raises UnicodeDecodeError (a ValueError) when the tag is read.
        tag = getattr(sel.root, "tag", None)
        if not isinstance(tag, str) or tag.rsplit("}", 1)[-1] not in FEED_ROOTS:
            return None
        sel.remove_namespaces()
    except (ValueError, TypeError):
        return None
    return sel


def _malformed(body: bytes) -> str | None:
    """Why the feed is not well-formed XML (or is refused), or None."""
    try:
        defused_fromstring(body)
    except ParseError as e:
        return f"XML error at line {e.position[0]}"
    except DefusedXmlException as e:
        return f"refused XML feature ({e.__class__.__name__})"
    return None


_ENTRY_OPEN = re.compile(rb"<(?:[\w.-]+:)?(item|entry)[\s>/]")


def _last_entry_closed(body: bytes) -> bool:
    """Whether the feed's last ``<item>``/``<entry>`` has its closing tag.

    A malformed feed may still hold a whole last entry (the error is elsewhere);
    only one cut short is skipped.
    """
    opened = None
    for opened in _ENTRY_OPEN.finditer(body):  # noqa: B007 (the last one)
        pass
    if opened is None:
        return True
    closing = rb"</(?:[\w.-]+:)?" + re.escape(opened.group(1)) + rb"\s*>"
    return re.search(closing, body[opened.end() :]) is not None


def _first(entry: Selector, *names: str) -> str | None:
    for name in names:
        value = entry.xpath(f"string({name})").get()
        if value and value.strip():
            return value.strip()
    return None


def _parse_text(entry: Selector) -> tuple[str, bool]:
    """The entry's text and whether it is HTML (Atom ``type="text"`` is not)."""
    for name in ("encoded", "content", "summary", "description"):
        node = entry.xpath(name)
        if not node:
            continue
        kind = (attr(node, "type") or "html").lower()
        if kind == "xhtml":
            return "".join(node.xpath("*/node()").getall()), True
        value = node.xpath("string()").get("")
        if value.strip():
            return value, kind not in ("text", "text/plain")
    return "", False


def _parse_author(entry: Selector) -> str | None:
    name = _first(entry, "creator", "author/name", "author")
    return name.lstrip("@") or None if name else None


def _header(response: Response, name: str) -> str:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else ""
