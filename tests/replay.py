"""A local HTTP server on 127.0.0.1 replaying recorded responses (tests only)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Route:
    path: str
    reply: Reply
    query: dict[str, str] = field(default_factory=dict)  # must be a subset


class ReplayServer:
    """Serve routes matched on path (``.json`` ignored) and a query subset."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append(self.path)
                reply = server.match(self.path)
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def add(self, path: str, reply: Reply, **query: str) -> None:
        self.routes.append(Route(path.removesuffix(".json"), reply, query))

    def match(self, raw: str) -> Reply:
        url = urlparse(raw)
        path = url.path.removesuffix(".json").rstrip("/") or "/"
        query = dict(parse_qsl(url.query))
        for route in self.routes:
            if route.path.rstrip("/") == path and all(
                query.get(k) == v for k, v in route.query.items()
            ):
                return route.reply
        if path == "/robots.txt":
            return Reply(200, b"User-agent: *\nAllow: /\n")
        return Reply(404, b"not found", {"Content-Type": "text/plain"})

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def betamax_reply(cassette: Path, uri_contains: str) -> Reply:
    """The recorded response whose request URI contains ``uri_contains``."""
    data = json.loads(cassette.read_text(encoding="utf-8"))
    for interaction in data["interactions"]:
        if uri_contains in interaction["request"]["uri"]:
            response = interaction["response"]
            headers = {
                k: (v[0] if isinstance(v, list) else v)
                for k, v in response["headers"].items()
                if k.lower() in ("content-type",)
            }
            return Reply(
                response["status"]["code"],
                response["body"]["string"].encode("utf-8"),
                headers,
            )
    raise LookupError(f"{uri_contains} not in {cassette.name}")
