"""Twitch chat: the IRC reader against a local TLS server, then the real crawl.

The server (:mod:`tests.twitch_server`) speaks CAP, NICK, JOIN, PING/PONG,
PRIVMSG with Twitch's tags and RECONNECT; every chat line is written by us.
"""

from __future__ import annotations

import asyncio
import signal
import ssl
import subprocess
import sys
import time

import pytest

from crawlers.twitch import JoinLimiter, TwitchChat
from crawlers.twitch_irc import chat_message, parse_line, parse_server, unescape_tag
from maraude import db as mdb
from maraude.privacy import optout_entry
from tests.cassettes import run_crawl
from tests.twitch_server import FRENCH, OTHER, FakeTwitch, Script, chat_line

SECRET = "test-secret-0123456789abcdef"  # noqa: S105 (conftest's)


def lines_for(n_french: int, n_other: int, channel: str = "chaine") -> list[str]:
    out = []
    for i in range(n_french + n_other):
        if i % (n_french + n_other) < n_french:
            text = f"{FRENCH[i % len(FRENCH)]} ({i})"
        else:
            text = f"{OTHER[i % len(OTHER)]} ({i})"
        out.append(chat_line(channel, f"viewer_{i % 7}", text, msg_id=f"m-{i:04d}"))
    return out


def client(server: FakeTwitch, channels=("chaine",), **kwargs) -> TwitchChat:
    context = ssl.create_default_context(cafile=str(server.ca))
    kwargs.setdefault("hold", 0.0)
    return TwitchChat(list(channels), server=server.url, ssl_context=context, **kwargs)


def listen(chat: TwitchChat, seconds: float, until: int | None = None) -> list:
    async def main() -> list:
        heard = []
        async for message in chat.messages(seconds):
            heard.append(message)
            if until is not None and len(heard) >= until:
                chat.stop()
        return heard

    return asyncio.run(main())


# -- parsing -------------------------------------------------------------------


def test_a_tagged_privmsg_parses_into_a_message():
    raw = chat_line(
        "chaine",
        "lea_92",
        "salut tout le monde",
        msg_id="abc-1",
        sent_ms=1_700_000_000_123,
    )
    line = parse_line(raw)
    assert (line.command, line.nick, line.params) == (
        "PRIVMSG",
        "lea_92",
        ["#chaine", "salut tout le monde"],
    )
    message = chat_message(line)
    assert (message.id, message.channel, message.login) == ("abc-1", "chaine", "lea_92")
    assert message.sent_ms == 1_700_000_000_123
    assert message.reply_to is None


def test_tag_escapes_replies_and_actions():
    assert unescape_tag(r"a\sb\:c\\d\re") == "a b;c\\d\re"
    raw = chat_line("Chaine", "tom", "\x01ACTION fait un câlin\x01", reply_to="p-1")
    message = chat_message(parse_line(raw))
    assert message.text == "fait un câlin"
    assert message.action is True
    assert message.reply_to == "p-1"
    assert message.channel == "chaine"
    assert parse_line(raw).tags["reply-parent-msg-body"] == "message parent"


def test_lines_that_are_not_messages_give_none():
    assert chat_message(parse_line("PING :tmi.twitch.tv")) is None
    no_id = ":tom!tom@tom.tmi.twitch.tv PRIVMSG #chaine :bonjour"
    assert chat_message(parse_line(no_id)) is None
    with pytest.raises(ValueError, match="without a command"):
        parse_line("@a=b ")


def test_only_tls_servers_are_accepted():
    assert parse_server("ircs://irc.chat.twitch.tv:6697") == (
        "irc.chat.twitch.tv",
        6697,
    )
    with pytest.raises(ValueError, match="TLS"):
        parse_server("irc://irc.chat.twitch.tv:6667")


def test_join_limiter_spaces_joins_over_the_window():
    limiter = JoinLimiter(limit=2, window=10.0)
    for t in (0.0, 1.0):
        assert limiter.delay(t) == 0.0
        limiter.record(t)
    assert limiter.delay(2.0) == pytest.approx(8.0)
    assert limiter.delay(10.5) == 0.0


# -- the reader against the local server ----------------------------------------


def test_reader_logs_in_anonymously_answers_ping_and_follows_reconnect(tmp_path):
    script = Script(lines=lines_for(30, 0), reconnect_after=10)
    with FakeTwitch(tmp_path, script) as server:
        chat = client(server, channels=["#Chaine"])
        heard = listen(chat, 10.0, until=30)
    assert [m.id for m in heard] == [f"m-{i:04d}" for i in range(30)]
    assert server.connections == 2  # the RECONNECT was followed at once
    assert all(n.startswith("justinfan") and n[9:].isdigit() for n in server.nicks)
    assert server.caps == ["twitch.tv/tags twitch.tv/commands"] * 2
    assert [c for _, c in server.joins] == ["#chaine", "#chaine"]
    assert server.pongs == [":tmi.twitch.tv", ":tmi.twitch.tv"]
    assert chat.stats.connections == 2


def test_reader_backs_off_and_reconnects_after_a_disconnection(tmp_path):
    script = Script(lines=lines_for(20, 0), drop_after=5)
    with FakeTwitch(tmp_path, script) as server:
        chat = client(server)
        started = time.monotonic()
        heard = listen(chat, 10.0, until=20)
        took = time.monotonic() - started
    assert len({m.id for m in heard}) == 20
    assert server.connections == 2
    assert took >= 0.7  # the first back-off is about a second (with jitter)


def test_joins_honour_the_rate_limit(tmp_path):
    channels = [f"chaine{i}" for i in range(5)]
    with FakeTwitch(tmp_path, Script(lines=[], ping_first=False)) as server:
        chat = client(server, channels, limiter=JoinLimiter(limit=2, window=0.4))
        listen(chat, 1.5)
    times = [t for t, _ in server.joins]
    assert [c for _, c in server.joins] == [f"#{c}" for c in channels]
    assert times[2] - times[0] >= 0.35
    assert times[4] - times[2] >= 0.35


def test_messages_removed_by_moderators_are_never_handed_on(tmp_path):
    lines = lines_for(10, 0)
    clearmsg = (
        "@login=viewer_1;room-id=;target-msg-id=m-0001;tmi-sent-ts=1642720582342 "
        ":tmi.twitch.tv CLEARMSG #chaine :texte"
    )
    ban = (
        "@ban-duration=600;room-id=123456789;target-user-id=87654321;"
        "tmi-sent-ts=1642719320727 :tmi.twitch.tv CLEARCHAT #chaine :viewer_3"
    )
    script = Script(lines=[*lines[:6], clearmsg, ban, *lines[6:]])
    with FakeTwitch(tmp_path, script) as server:
        chat = client(server, hold=1.0)
        heard = listen(chat, 2.0)
    assert [m.id for m in heard] == [f"m-{i:04d}" for i in range(10) if i not in (1, 3)]
    assert chat.stats.cleared == 2


def test_the_window_ends_on_time_without_messages(tmp_path):
    with FakeTwitch(tmp_path, Script(lines=[])) as server:
        started = time.monotonic()
        assert listen(client(server), 0.5) == []
    assert time.monotonic() - started < 3


# -- the real crawl: pipeline, run record, signals --------------------------------


def toml(server: FakeTwitch, minutes: float) -> str:
    return (
        '[[sources]]\nname = "chat"\nplatform = "twitch"\n'
        f'base_url = "{server.url}"\nchannels = ["chaine"]\n'
        f"listen_minutes = {minutes}\n"
    )


@pytest.fixture
def trust(monkeypatch):
    """Make the crawl's TLS trust the test CA (OpenSSL reads SSL_CERT_FILE)."""

    def use(server: FakeTwitch) -> None:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca))

    return use


@pytest.mark.slow
def test_crawl_stores_each_french_message_once_hashed_and_opted_out(
    tmp_path, db_path, trust
):
    lines = lines_for(40, 10)
    lines.append(lines[0])  # the same message twice: stored once
    opted = chat_line("chaine", "ne_pas_lire", "je ne veux pas être lu ici merci")
    lines.append(opted)
    database = mdb.open_db(db_path)
    mdb.add_optout(database, *optout_entry(SECRET, "@ne_pas_lire", "twitch"))
    database.close()
    with FakeTwitch(tmp_path, Script(lines=lines, rate=200)) as server:
        trust(server)
        result = run_crawl(db_path, toml(server, 0.06), tmp_path)
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    rows = list(database.query("SELECT * FROM posts ORDER BY native_id"))
    by_id = {r["native_id"]: r for r in rows}
    french = {f"m-{i:04d}" for i in range(40)}
    assert french <= set(by_id)
    assert len(rows) == len(by_id)
    assert all(by_id[i]["lang"] == "fr" for i in french)
    assert all(r["lang"] != "fr" for i, r in by_id.items() if i not in french)
    first = by_id["m-0000"]
    assert (first["platform"], first["site"]) == ("twitch", "www.twitch.tv")
    assert first["url"] == "https://www.twitch.tv/chaine"
    assert first["thread_title"] == "#chaine"
    assert first["created_at"].endswith("Z")
    assert len(first["author_hash"]) == 32
    stored = "".join(str(r) for r in rows)
    assert "viewer_" not in stored
    assert "ne_pas_lire" not in stored
    run = mdb.crawl_runs(database)[0]
    assert (run["status"], run["requests"]) == ("ok", 1)
    assert "je ne veux pas" not in result.stderr
    database.close()


@pytest.mark.slow
def test_sigterm_ends_the_window_with_what_was_heard_stored(tmp_path, db_path, trust):
    lines = [
        chat_line("chaine", "v", f"{FRENCH[i % len(FRENCH)]} {i}", msg_id=f"s-{i}")
        for i in range(25)
    ]
    with FakeTwitch(tmp_path, Script(lines=lines, rate=50)) as server:
        trust(server)
        sources = tmp_path / "sources.toml"
        sources.write_text(toml(server, 5), encoding="utf-8")
        command = [sys.executable, "-m", "maraude", "crawl", "--db", str(db_path)]
        process = subprocess.Popen(
            [*command, "--sources", str(sources)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while server.sent < len(lines) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # let the last lines reach the pipeline
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert time.monotonic() - started < 15
    database = mdb.open_db(db_path)
    ids = {r["native_id"] for r in database.query("SELECT native_id FROM posts")}
    assert ids == {f"s-{i}" for i in range(25)}
    assert mdb.crawl_runs(database)[0]["status"] == "ok"
    database.close()


def test_twitch_sources_are_checked(tmp_path):
    from maraude.errors import ConfigError
    from maraude.sources import load_sources

    path = tmp_path / "s.toml"
    path.write_text(
        '[[sources]]\nname = "c"\nplatform = "twitch"\nchannels = ["a_b"]\n'
        "listen_minutes = 2.5\n",
        encoding="utf-8",
    )
    (source,) = load_sources(path)
    assert source.settings["listen_minutes"] == 2.5
    assert not source.is_local
    path.write_text(
        '[[sources]]\nname = "c"\nplatform = "twitch"\nchannels = ["a"]\n'
        "listen_minutes = 0\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="listen_minutes"):
        load_sources(path)
