"""Telegram public channels, through their web previews (``t.me/s/<channel>``).

Settings: ``channels`` (names, ``@names`` or ``t.me`` links) and ``base_url``
(default ``https://t.me``). A preview page lists a channel's latest messages,
oldest first; its "load more" link (``.tme_messages_more[data-before]``) leads
to older ones with ``?before=<id>``. One :class:`~crawlers.walk.FeedWalk` per
channel reads them newest first and stops at the newest message of the last
complete run (or after ``max_pages`` pages, resuming there next time).

A message is a post: ``native_id`` = its ``data-post`` (``channel/123``),
``text`` = ``.tgme_widget_message_text`` (HTML), ``created_at`` = its
``time[datetime]``, ``url`` = its ``t.me`` link, ``parent_native_id`` = the
message it replies to, ``author`` = the author's signature when the channel
shows one, else the channel (the pipeline hashes it). Service messages and
media without a caption are skipped; a forwarded message is kept as a quote
(the words are someone else's) without the name it was forwarded from.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlparse

import scrapy
from parsel import Selector
from scrapy.http import Response, TextResponse

from crawlers.items import PostItem
from crawlers.spiders.base import SourceSpider, host_of
from crawlers.text import attr, iso_date

DEFAULT_BASE_URL = "https://t.me"
MESSAGE = ".tgme_widget_message[data-post]"
TEXT = ".tgme_widget_message_bubble > .tgme_widget_message_text"
MORE = ".tme_messages_more[data-before]::attr(data-before)"
_CHANNEL = re.compile(
    r"^(?:@|(?:https?://)?t(?:elegram)?\.me/(?:s/)?)?([A-Za-z]\w{3,31})/?$"
)
_POST = re.compile(r"^([A-Za-z]\w{3,31})/(\d+)$")


class TelegramSpider(SourceSpider):
    name = platform = "telegram"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        base = self.settings_.get("base_url") or DEFAULT_BASE_URL
        self.base_url = base.rstrip("/")
        self.site = host_of(self.base_url)
        self.held: list[scrapy.Request] = []

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for entry in self.settings_.get("channels") or []:
            match = _CHANNEL.match(str(entry).strip())
            if match is None:
                self.logger.error(
                    "source %s: %r is not a Telegram channel name",
                    self.source.name,
                    entry,
                )
                continue
            self.held.append(self._request(match.group(1)))
        if self.held:
            yield self.held.pop(0)

    def _release(self) -> list[scrapy.Request]:
        """The other channels, once the first answer came (robots.txt is read).

        Scrapy 2.19's RobotsTxtMiddleware hands robots.txt to only the first of
        the requests waiting for it: the others would go out unchecked.
        """
        held, self.held = self.held, []
        return held

    def _request(self, channel: str, before: str | None = None) -> scrapy.Request:
        self.pages += 1
        url = f"{self.base_url}/s/{channel}" + (f"?before={before}" if before else "")
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.on_error,
            cb_kwargs={"channel": channel, "before": before},
        )

    def parse(
        self, response: Response, channel: str = "", before: str | None = None
    ) -> Iterator[Any]:
        yield from self._release()
        if not isinstance(response, TextResponse) or not response.css(
            ".tgme_channel_history, .tgme_channel_info, " + MESSAGE
        ):
            self.logger.error(
                "not a Telegram channel preview at %s (source %s)",
                response.url,
                self.source.name,
            )
            return
        self.checkpoint(channel, before)
        messages = list(reversed(response.css(MESSAGE)))  # newest first
        orders = [_message_number(attr(m, "data-post") or "") for m in messages]
        more = response.css(MORE).get()
        keep, cursor = self.walk(channel).page(orders, more if more else None)
        for message, kept in zip(messages, keep, strict=True):
            post = (
                self.parse_item(self._parse_message, message, channel, url=response.url)
                if kept
                else None
            )
            if post is not None:
                yield post
        if cursor and self.pages < self.max_pages:
            yield self._request(channel, str(cursor))

    def _parse_message(self, message: Selector, channel: str) -> PostItem | None:
        native_id = attr(message, "data-post") or ""
        if "service_message" in (attr(message, "class") or ""):
            return None
        text = self._parse_text(message)
        if not text:
            return None  # media without a caption: nothing to read
        return PostItem(
            platform=self.platform,
            site=self.site,
            source=self.source.name,
            native_id=native_id,
            url=message.css("a.tgme_widget_message_date::attr(href)").get()
            or f"{DEFAULT_BASE_URL}/{native_id}",
            text=text,
            html=True,
            author=self._parse_author(message, channel),
            created_at=iso_date(
                message.css(".tgme_widget_message_date time::attr(datetime)").get()
                or message.css("time::attr(datetime)").get()
            ),
            parent_native_id=self._parse_parent(message),
        )

    def _parse_text(self, message: Selector) -> str:
        found = message.css(TEXT)
        if not found:
            return ""
        markup = "".join(found[0].xpath("node()").getall())
        if not markup.strip():
            return ""
        if message.css(".tgme_widget_message_forwarded_from"):
            return f"<blockquote>{markup}</blockquote>"
        return markup

    def _parse_author(self, message: Selector, channel: str) -> str:
        signature = message.css(".tgme_widget_message_from_author::text").get()
        return signature.strip() if signature and signature.strip() else channel

    def _parse_parent(self, message: Selector) -> str | None:
        href = message.css("a.tgme_widget_message_reply::attr(href)").get()
        if not href:
            return None
        match = _POST.match(urlparse(href).path.strip("/"))
        return f"{match.group(1)}/{match.group(2)}" if match else None

    def on_error(self, failure: Any) -> Iterator[scrapy.Request]:
        yield from self._release()
        self.log_failure(failure)


def _message_number(data_post: str) -> int:
    tail = data_post.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0
