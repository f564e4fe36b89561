"""Twitch's IRC lines: IRCv3 tags, commands and the chat messages they carry.

Pure parsing, no I/O: :class:`crawlers.twitch.TwitchChat` reads lines off its
TLS connection and hands each to :func:`parse_line`, then :func:`chat_message`.
A ``ChatMessage``'s ``login`` is a handle: never log it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlparse

_TAG_ESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}


@dataclass
class IrcLine:
    """One IRC line: IRCv3 tags, the prefix's nick, the command, its parameters."""

    command: str
    params: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    nick: str | None = None


@dataclass
class ChatMessage:
    """A chat message (``PRIVMSG``) as the server sent it.

    ``login`` is the author's handle: it exists only in memory until the
    pipeline hashes it, and is never logged.
    """

    id: str
    channel: str
    login: str
    text: str
    sent_ms: int | None = None
    reply_to: str | None = None
    action: bool = False


def unescape_tag(value: str) -> str:
    """Undo IRCv3 tag escaping (``\\s`` → space, ``\\:`` → ``;`` …)."""
    if "\\" not in value:
        return value
    out: list[str] = []
    chars = iter(value)
    for char in chars:
        if char != "\\":
            out.append(char)
            continue
        nxt = next(chars, "")
        out.append(_TAG_ESCAPES.get(nxt, nxt))
    return "".join(out)


def parse_line(line: str) -> IrcLine:
    """Parse one IRC line (without its CRLF). Raises ``ValueError`` when empty."""
    tags: dict[str, str] = {}
    rest = line
    if rest.startswith("@"):
        raw, _, rest = rest[1:].partition(" ")
        for part in raw.split(";"):
            key, _, value = part.partition("=")
            if key:
                tags[key] = unescape_tag(value)
    rest = rest.lstrip(" ")
    nick = None
    if rest.startswith(":"):
        prefix, _, rest = rest[1:].partition(" ")
        nick = prefix.split("!", 1)[0] or None
    trailing = None
    if " :" in rest:
        rest, _, trailing = rest.partition(" :")
    elif rest.startswith(":"):
        rest, trailing = "", rest[1:]
    words = rest.split()
    if not words:
        raise ValueError("an IRC line without a command")
    params = words[1:] + ([trailing] if trailing is not None else [])
    return IrcLine(command=words[0].upper(), params=params, tags=tags, nick=nick)


def chat_message(line: IrcLine) -> ChatMessage | None:
    """The message a ``PRIVMSG`` line carries, or None (no id, no text)."""
    if line.command != "PRIVMSG" or len(line.params) < 2:
        return None
    msg_id = line.tags.get("id")
    login = line.nick or line.tags.get("login") or ""
    text = line.params[1]
    action = text.startswith("\x01ACTION ") and text.endswith("\x01")
    if action:  # /me …
        text = text[8:-1]
    if not msg_id or not text.strip():
        return None
    sent = line.tags.get("tmi-sent-ts", "")
    return ChatMessage(
        id=msg_id,
        channel=line.params[0].lstrip("#").lower(),
        login=login,
        text=text,
        sent_ms=int(sent) if sent.isdigit() else None,
        reply_to=line.tags.get("reply-parent-msg-id") or None,
        action=action,
    )


def parse_server(url: str) -> tuple[str, int]:
    """Host and port of an ``ircs://host:port`` URL (TLS only)."""
    parsed = urlparse(url)
    if parsed.scheme != "ircs" or not parsed.hostname:
        raise ValueError(
            f"{url!r} is not an ircs://host:port URL: Twitch chat is read over TLS "
            "only (e.g. ircs://irc.chat.twitch.tv:6697)."
        )
    return parsed.hostname, parsed.port or 6697
