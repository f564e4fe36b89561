"""Twitch chat: an anonymous, read-only IRC client (asyncio + TLS, no dependency).

Scrapy has no IRC, so this reader lives beside the spiders; the ``twitch``
spider (:mod:`crawlers.spiders.twitch`) turns what it hears into posts that go
through the same item pipeline and crawl-run record as every other source.

The client follows Twitch's documentation: TLS to ``irc.chat.twitch.tv:6697``,
the anonymous nick ``justinfan<digits>`` (no password, nothing can be sent to a
channel), ``CAP REQ :twitch.tv/tags twitch.tv/commands``, then one ``JOIN`` per
channel, at most :data:`JOINS_PER_WINDOW` per :data:`JOIN_WINDOW` seconds (the
limit of an unverified account). It answers ``PING`` with ``PONG``, reconnects
at once on ``RECONNECT`` and with an exponential back-off (1 s, 2 s, 4 s … up
to :data:`MAX_BACKOFF`, with jitter) after a disconnection, and pings the server
itself after :data:`IDLE_PING` seconds of silence, reconnecting when no answer
comes. Chat has no history: what is said while the reader is away is not read.

Each message is held :data:`HOLD` seconds before it is handed on: a message a
moderator deletes in that time (``CLEARMSG``), or whose author is banned or
timed out (``CLEARCHAT``), or a chat cleared whole, is never handed on. At the
end of the window the messages still held are handed on. Parsing the lines
(tags, commands, messages) is :mod:`crawlers.twitch_irc`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass

from crawlers.twitch_irc import (
    ChatMessage,
    IrcLine,
    chat_message,
    parse_line,
    parse_server,
)

logger = logging.getLogger(__name__)

DEFAULT_SERVER = "ircs://irc.chat.twitch.tv:6697"
JOINS_PER_WINDOW = 20
JOIN_WINDOW = 10.0
MAX_BACKOFF = 60.0
IDLE_PING = 300.0  # Twitch pings about every 5 minutes
PONG_WAIT = 10.0
CONNECT_TIMEOUT = 15.0
HOLD = 10.0  # seconds a message waits, so a moderator's deletion can catch it
MAX_LINE = 16_384  # Twitch's lines are at most ~8 KiB with tags


class TwitchError(Exception):
    """The chat server refused us (a login failure): reconnecting will not help."""


class JoinLimiter:
    """At most ``limit`` JOINs in any ``window`` seconds (a sliding window)."""

    def __init__(self, limit: int = JOINS_PER_WINDOW, window: float = JOIN_WINDOW):
        self.limit, self.window = limit, window
        self.sent: list[float] = []

    def delay(self, now: float) -> float:
        """Seconds to wait before the next JOIN may go (0: now)."""
        self.sent = [t for t in self.sent if now - t < self.window]
        if len(self.sent) < self.limit:
            return 0.0
        return self.sent[0] + self.window - now

    def record(self, now: float) -> None:
        self.sent.append(now)


@dataclass
class ChatStats:
    """What one listening window did (counts only)."""

    connections: int = 0
    failed_connections: int = 0
    reconnects: int = 0
    messages: int = 0
    lines: int = 0
    malformed: int = 0
    cleared: int = 0  # deleted by the channel's moderators before being handed on


class TwitchChat:
    """Listen to the public chat of ``channels``, read-only and anonymous.

    ``messages(seconds)`` yields each :class:`ChatMessage` heard during the
    window; :meth:`stop` ends the window early (Ctrl-C, SIGTERM).
    """

    def __init__(
        self,
        channels: list[str],
        *,
        server: str = DEFAULT_SERVER,
        ssl_context: ssl.SSLContext | None = None,
        nick: str | None = None,
        limiter: JoinLimiter | None = None,
        max_backoff: float = MAX_BACKOFF,
        idle_ping: float = IDLE_PING,
        hold: float = HOLD,
    ) -> None:
        self.channels = [c.lstrip("#").lower() for c in channels]
        self.host, self.port = parse_server(server)
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.nick = nick or f"justinfan{random.randint(10_000, 99_999_999)}"
        self.limiter = limiter or JoinLimiter()
        self.max_backoff = max_backoff
        self.idle_ping = idle_ping
        self.hold = hold
        self.stats = ChatStats()
        # id → (arrival time, message), oldest first
        self._held: OrderedDict[str, tuple[float, ChatMessage]] = OrderedDict()
        self._wake = asyncio.Event()
        self._stopped = False
        self._fatal: TwitchError | None = None

    def stop(self) -> None:
        """End the listening window now (safe from a signal handler's loop callback)."""
        self._stopped = True
        self._wake.set()

    async def messages(self, seconds: float) -> AsyncIterator[ChatMessage]:
        """Each message heard in the next ``seconds`` (or until :meth:`stop`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        task = asyncio.create_task(self._run())
        try:
            while True:
                now = loop.time()
                while self._held:
                    arrived, message = next(iter(self._held.values()))
                    if arrived > now - self.hold:
                        break
                    self._held.popitem(last=False)
                    yield message
                if self._stopped or now >= deadline:
                    break
                wait = deadline - now
                if self._held:
                    wait = min(
                        wait, next(iter(self._held.values()))[0] + self.hold - now
                    )
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), max(wait, 0.0))
            self._stopped = True
            while self._held:  # the end of the window: hand on what is held
                yield self._held.popitem(last=False)[1][1]
        finally:
            self._stopped = True
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._fatal is not None:
            raise self._fatal

    async def _run(self) -> None:
        """Connect, listen, and reconnect (with back-off) until cancelled."""
        failures = 0
        while not self._stopped:
            started = time.monotonic()
            try:
                reconnect_now = await self._session()
            except TwitchError as e:
                self._fatal = e
                self.stop()
                return
            except (OSError, ssl.SSLError, TimeoutError, EOFError) as e:
                self.stats.failed_connections += 1
                logger.warning(
                    "Twitch chat %s:%d: %s", self.host, self.port, e.__class__.__name__
                )
                reconnect_now = False
            if self._stopped:
                return
            self.stats.reconnects += 1
            if reconnect_now or time.monotonic() - started > self.max_backoff:
                failures = 0  # a RECONNECT, or a connection that lived
            if reconnect_now:
                continue
            wait = min(self.max_backoff, 2.0**failures) * random.uniform(0.8, 1.2)
            failures += 1
            logger.info("Twitch chat: reconnecting in %.1f s", wait)
            await asyncio.sleep(wait)

    async def _session(self) -> bool:
        """One connection; True when the server asked us to reconnect."""
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                self.host,
                self.port,
                ssl=self.ssl_context,
                server_hostname=self.host,
                limit=MAX_LINE,
            ),
            CONNECT_TIMEOUT,
        )
        self.stats.connections += 1
        joiner: asyncio.Task[None] | None = None
        try:
            writer.write(
                b"CAP REQ :twitch.tv/tags twitch.tv/commands\r\n"
                + f"NICK {self.nick}\r\n".encode()
            )
            await writer.drain()
            pinged = False
            while True:
                timeout = PONG_WAIT if pinged else self.idle_ping
                try:
                    raw = await asyncio.wait_for(reader.readline(), timeout)
                except TimeoutError:
                    if pinged:
                        raise EOFError("no PONG") from None
                    writer.write(b"PING :maraude\r\n")
                    await writer.drain()
                    pinged = True
                    continue
                except ValueError:  # a line over MAX_LINE
                    raise EOFError("line too long") from None
                if not raw:
                    raise EOFError("closed by the server")
                pinged = False
                outcome = await self._handle(raw, writer)
                if outcome == "welcome" and joiner is None:
                    joiner = asyncio.create_task(self._join(writer))
                elif outcome == "reconnect":
                    return True
        finally:
            if joiner is not None:
                joiner.cancel()
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _handle(self, raw: bytes, writer: asyncio.StreamWriter) -> str:
        self.stats.lines += 1
        try:
            line = parse_line(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
        except ValueError:
            self.stats.malformed += 1
            return ""
        command = line.command
        if command == "PRIVMSG":
            try:
                message = chat_message(line)
            except ValueError:
                message = None
            if message is None:
                self.stats.malformed += 1
            elif not self._stopped:
                self.stats.messages += 1
                self._held[message.id] = (asyncio.get_running_loop().time(), message)
                if len(self._held) == 1:
                    self._wake.set()  # the consumer sleeps until the first is due
        elif command in ("CLEARMSG", "CLEARCHAT"):
            self._clear(line)
        elif command == "PING":
            token = line.params[0] if line.params else "tmi.twitch.tv"
            writer.write(f"PONG :{token}\r\n".encode())
        elif command == "001":
            return "welcome"
        elif command == "RECONNECT":
            logger.info("Twitch chat: the server asked to reconnect")
            return "reconnect"
        elif command == "NOTICE" and "authentication failed" in " ".join(line.params):
            raise TwitchError(
                "Twitch refused the anonymous login: check the source's server URL."
            )
        return ""

    def _clear(self, line: IrcLine) -> None:
        """Forget held messages that the channel's moderators removed."""
        if line.command == "CLEARMSG":
            gone = [line.tags.get("target-msg-id", "")]
        else:  # a ban or time-out (the login as parameter), or the whole chat
            channel = line.params[0].lstrip("#").lower() if line.params else ""
            login = line.params[1].lower() if len(line.params) > 1 else None
            gone = [
                key
                for key, (_, m) in self._held.items()
                if m.channel == channel and (login is None or m.login.lower() == login)
            ]
        for key in gone:
            if self._held.pop(key, None) is not None:
                self.stats.cleared += 1

    async def _join(self, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        for channel in self.channels:
            while (wait := self.limiter.delay(loop.time())) > 0:
                await asyncio.sleep(wait)
            self.limiter.record(loop.time())
            writer.write(f"JOIN #{channel}\r\n".encode())
            await writer.drain()
