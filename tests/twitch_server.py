"""A fake Twitch chat server on 127.0.0.1 over TLS (tests and benchmarks only).

It speaks the part of Twitch's IRC that an anonymous reader meets: ``CAP REQ``
(ACK), ``NICK`` (the 001–376 welcome), ``JOIN`` (JOIN, 353, 366, ROOMSTATE),
``PING``/``PONG`` both ways, ``PRIVMSG`` with tags in Twitch's format, and
``RECONNECT``. The chat lines are written by us. The certificate is made by
:func:`make_certificate` (a throw-away CA and a leaf for 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

FRENCH = [
    "bonjour à tous, je suis content d'être là ce soir",
    "je sais pas si j'ai droit à la prime d'activité avec mon petit boulot",
    "franchement je me sens seul depuis que je suis au chômage",
    "on est combien à attendre la caf depuis des semaines pour les apl",
    "merci pour le live, ça me fait du bien de vous entendre",
    "est-ce que quelqu'un sait comment faire une demande de rsa en ligne",
    "mon frigo est vide et je dois encore payer le loyer de ce mois",
    "trop bien cette partie, tu joues de mieux en mieux",
]
OTHER = [
    "what a play, this stream is amazing tonight",
    "can you show the settings again please",
    "was ist das für ein Spiel",
    "gg wp",
]


def chat_line(
    channel: str,
    login: str,
    text: str,
    *,
    msg_id: str | None = None,
    sent_ms: int | None = None,
    reply_to: str | None = None,
) -> str:
    """A PRIVMSG as Twitch sends it with the tags capability (no CRLF)."""
    tags = {
        "badge-info": "",
        "badges": "",
        "client-nonce": uuid.uuid4().hex,
        "color": "#1E90FF",
        "display-name": login.capitalize(),
        "emotes": "",
        "first-msg": "0",
        "flags": "",
        "id": msg_id or str(uuid.uuid4()),
        "mod": "0",
        "returning-chatter": "0",
        "room-id": "123456789",
        "subscriber": "0",
        "tmi-sent-ts": str(sent_ms or int(time.time() * 1000)),
        "turbo": "0",
        "user-id": str(abs(hash(login)) % 10**9),
        "user-type": "",
    }
    if reply_to:
        tags["reply-parent-msg-id"] = reply_to
        tags["reply-parent-user-login"] = "quelquun"
        tags["reply-parent-msg-body"] = "message\\sparent"
    raw = ";".join(f"{k}={v}" for k, v in tags.items())
    return f"@{raw} :{login}!{login}@{login}.tmi.twitch.tv PRIVMSG #{channel} :{text}"


def make_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a 127.0.0.1 leaf: (ca.pem, cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Maraude test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(leaf.public_bytes(pem))
    paths[2].write_bytes(
        key.private_bytes(
            pem,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@dataclass
class Script:
    """What the server says: ``lines`` to every joined client, ``rate`` per second.

    ``reconnect_after``: send RECONNECT and hang up after that many lines (once).
    ``drop_after``: hang up without a word after that many lines (once).
    ``ping_first``: send a PING after the JOIN and wait for its PONG.
    """

    lines: list[str] = field(default_factory=list)
    rate: float = 0.0  # lines per second; 0: as fast as possible
    reconnect_after: int | None = None
    drop_after: int | None = None
    ping_first: bool = True


class FakeTwitch:
    """Serve ``script`` over TLS on 127.0.0.1 in a thread; records what clients did."""

    def __init__(self, folder: Path, script: Script) -> None:
        self.ca, cert, key = make_certificate(folder)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.script = script
        self.sent = 0  # chat lines sent so far (over every connection)
        self.connections = 0
        self.nicks: list[str] = []
        self.joins: list[tuple[float, str]] = []
        self.caps: list[str] = []
        self.pongs: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._reconnected = self._dropped = False

    @property
    def url(self) -> str:
        return f"ircs://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeTwitch:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", 0, ssl=self.context)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()
        server.close()

    async def _client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.connections += 1
        joined = asyncio.Event()
        talker = None

        def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        try:
            while raw := await reader.readline():
                words = raw.decode().rstrip("\r\n").split(" ")
                command = words[0].upper()
                if command == "CAP":
                    self.caps.append(" ".join(words[2:]).lstrip(":"))
                    say(f":tmi.twitch.tv CAP * ACK {' '.join(words[2:])}")
                elif command == "NICK":
                    nick = words[1]
                    self.nicks.append(nick)
                    for code, text in (("001", "Welcome, GLHF!"), ("002", "x")):
                        say(f":tmi.twitch.tv {code} {nick} :{text}")
                    say(f":tmi.twitch.tv 376 {nick} :>")
                elif command == "JOIN":
                    channel = words[1]
                    self.joins.append((time.monotonic(), channel))
                    nick = self.nicks[-1]
                    say(f":{nick}!{nick}@{nick}.tmi.twitch.tv JOIN {channel}")
                    say(f":{nick}.tmi.twitch.tv 353 {nick} = {channel} :{nick}")
                    say(f":{nick}.tmi.twitch.tv 366 {nick} {channel} :End of /NAMES")
                    tags = "@emote-only=0;room-id=123456789"
                    say(f"{tags} :tmi.twitch.tv ROOMSTATE {channel}")
                    if self.script.ping_first:
                        say("PING :tmi.twitch.tv")
                    else:
                        joined.set()
                elif command == "PONG":
                    self.pongs.append(" ".join(words[1:]))
                    joined.set()
                elif command == "PING":
                    say(f":tmi.twitch.tv PONG tmi.twitch.tv {' '.join(words[1:])}")
                if joined.is_set() and talker is None:
                    talker = asyncio.create_task(self._talk(say, writer))
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            if talker is not None:
                talker.cancel()
            writer.close()

    async def _talk(self, say, writer: asyncio.StreamWriter) -> None:
        script = self.script
        gap = 1.0 / script.rate if script.rate else 0.0
        start, n = time.monotonic(), 0
        while self.sent < len(script.lines):
            if script.reconnect_after == self.sent and not self._reconnected:
                self._reconnected = True
                say(":tmi.twitch.tv RECONNECT")
                await writer.drain()
                writer.close()
                return
            if script.drop_after == self.sent and not self._dropped:
                self._dropped = True
                writer.transport.abort()
                return
            say(script.lines[self.sent])
            self.sent += 1
            n += 1
            if gap:
                delay = start + n * gap - time.monotonic()
                if delay > 0:
                    await writer.drain()
                    await asyncio.sleep(delay)
            elif n % 100 == 0:
                await writer.drain()
        await writer.drain()
