"""Twitch: the public chat of configured channels, heard for a listening window.

Settings: ``channels`` (names, ``#names`` or ``twitch.tv`` links),
``listen_minutes`` (default 10; fractions allowed) and ``base_url`` (the chat
server, default ``ircs://irc.chat.twitch.tv:6697``; a replay server in tests).
Chat has no history: a run connects (see :mod:`crawlers.twitch`), listens for
the window, and yields each message as it is heard. The messages go through the
same item pipeline as every spider's posts (normalise, mask, pseudonymise,
opt-out, language, store) and the run gets the same ``crawl_runs`` row.

A message is a post: ``native_id`` = the ``id`` tag, ``created_at`` = the
``tmi-sent-ts`` tag, ``author`` = the sender's login (hashed by the pipeline),
``thread_title`` = ``#channel`` (Twitch's chat does not say the stream's title
to an anonymous reader), ``parent_native_id`` = the message it replies to, and
``url`` = the channel's page. The run report's ``requests`` counts connections.
A message the channel's moderators remove within ``HOLD`` seconds of being sent
is never stored (see :mod:`crawlers.twitch`).

Ctrl-C or SIGTERM ends the window: what was heard is stored and the run is
recorded as finished; a second Ctrl-C stops the other sources of the crawl.
"""

from __future__ import annotations

import asyncio
import re
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, ClassVar

from scrapy.exceptions import CloseSpider

from crawlers.items import PostItem
from crawlers.spiders.base import SourceSpider
from crawlers.twitch import DEFAULT_SERVER, TwitchChat, TwitchError
from crawlers.twitch_irc import ChatMessage

DEFAULT_LISTEN_MINUTES = 10.0
SITE = "www.twitch.tv"
_CHANNEL = re.compile(
    r"^(?:#|(?:https?://)?(?:www\.|m\.)?twitch\.tv/)?([A-Za-z0-9_]{2,25})/?$"
)


class TwitchSpider(SourceSpider):
    name = platform = "twitch"
    # Chat, not HTML crawling: no robots.txt, no HTTP request at all.
    # Annotated as scrapy.Spider declares it (an instance attribute, for mypy).
    custom_settings: dict[str, Any] | None = {"ROBOTSTXT_OBEY": False}  # noqa: RUF012

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.server: str = self.settings_.get("base_url") or DEFAULT_SERVER
        minutes = self.settings_.get("listen_minutes", DEFAULT_LISTEN_MINUTES)
        self.listen_seconds = float(minutes) * 60.0
        self.channels: list[str] = []
        self.chat: TwitchChat | None = None

    async def start(self) -> AsyncIterator[Any]:
        for entry in self.settings_.get("channels") or []:
            match = _CHANNEL.match(str(entry).strip())
            if match is None:
                self.logger.error(
                    "source %s: %r is not a Twitch channel name",
                    self.source.name,
                    entry,
                )
                continue
            self.channels.append(match.group(1).lower())
        if not self.channels:
            raise CloseSpider("no channel")
        try:
            self.chat = TwitchChat(self.channels, server=self.server)
        except ValueError as e:
            self.logger.error("source %s: %s", self.source.name, e)
            raise CloseSpider("bad server") from None
        self.logger.info(
            "source %s: listening to %d channel(s) for %.0f s",
            self.source.name,
            len(self.channels),
            self.listen_seconds,
        )
        _SignalStop.add(self)
        try:
            async for message in self.chat.messages(self.listen_seconds):
                item = self.parse_item(
                    self._parse_message, message, what=f"message {message.id}"
                )
                if item is not None:
                    yield item
        except TwitchError as e:
            self.logger.error("source %s: %s", self.source.name, e)
        finally:
            _SignalStop.discard(self)
            self._record(self.chat)

    def stop_listening(self) -> None:
        if self.chat is not None:
            self.chat.stop()

    def _record(self, chat: TwitchChat) -> None:
        stats = self.crawler.stats
        stats.set_value("downloader/request_count", chat.stats.connections)
        stats.set_value("maraude/heard", chat.stats.messages)
        stats.set_value("maraude/reconnects", chat.stats.reconnects)
        stats.set_value("maraude/cleared_by_moderators", chat.stats.cleared)
        if chat.stats.connections == 0:
            self.logger.error(
                "source %s: could not reach the Twitch chat at %s during the window "
                "(%d attempt(s)); check the network and the source's base_url",
                self.source.name,
                self.server,
                chat.stats.failed_connections,
            )
        elif chat.stats.malformed:
            self.logger.warning(
                "source %s: %d malformed chat line(s) skipped",
                self.source.name,
                chat.stats.malformed,
            )

    def _parse_message(self, message: ChatMessage) -> PostItem:
        return PostItem(
            platform=self.platform,
            site=SITE,
            source=self.source.name,
            native_id=message.id,
            text=message.text,
            url=f"https://{SITE}/{message.channel}",
            author=message.login or None,
            created_at=_iso_ms(message.sent_ms),
            parent_native_id=message.reply_to,
            thread_title=f"#{message.channel}",
        )


def _iso_ms(ms: int | None) -> str | None:
    if ms is None:
        return None
    when = datetime.fromtimestamp(ms / 1000, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class _SignalStop:
    """Ctrl-C / SIGTERM end every listening window; the next one is Scrapy's.

    The handler only schedules the stop on the event loop: nothing is logged or
    written from inside a signal handler.
    """

    spiders: ClassVar[set[TwitchSpider]] = set()
    previous: ClassVar[dict[int, Any]] = {}
    loop: ClassVar[asyncio.AbstractEventLoop | None] = None

    @classmethod
    def add(cls, spider: TwitchSpider) -> None:
        cls.spiders.add(spider)
        if cls.previous:
            return
        cls.loop = asyncio.get_running_loop()
        try:
            for sig in (signal.SIGINT, signal.SIGTERM):
                cls.previous[sig] = signal.getsignal(sig)
                signal.signal(sig, cls.handle)
        except ValueError:  # not the main thread: no signal handling here
            cls.previous.clear()

    @classmethod
    def discard(cls, spider: TwitchSpider) -> None:
        cls.spiders.discard(spider)
        if not cls.spiders:
            cls.restore()

    @classmethod
    def restore(cls) -> None:
        for sig, handler in cls.previous.items():
            signal.signal(sig, handler)
        cls.previous.clear()

    @classmethod
    def handle(cls, signum: int, frame: Any) -> None:
        spiders, loop = list(cls.spiders), cls.loop
        cls.restore()  # a second signal stops the whole crawl
        if loop is None:
            return
        for spider in spiders:
            loop.call_soon_threadsafe(spider.stop_listening)
            loop.call_soon_threadsafe(
                spider.logger.warning,
                "source %s: signal %d, the listening window ends now",
                spider.source.name,
                signum,
            )
