"""Replay helpers: YAML cassettes (vcrpy, R vcr) as :class:`tests.replay.Reply`.

* vcrpy (Mastodon.py): ``interactions[i].request.{method,uri}``,
  ``interactions[i].response.{status.code, headers (lists), body.string}``;
* R vcr (bskyr): ``http_interactions[i].request.{method,uri}``,
  ``http_interactions[i].response.{status, headers, body.string}``.

Replaying needs two fixes (see ../shared/fixtures/SOURCES.md): the recorded host
(``http://localhost:3000`` for Mastodon.py) is rewritten to the test server in
``Link`` headers and bodies, and transport headers (``Content-Encoding: gzip``
over an already decoded body, ``Transfer-Encoding``, ``Content-Length``) are
dropped.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.replay import Reply

MASTODON_HOST = "http://localhost:3000"
_TRANSPORT = {"content-encoding", "transfer-encoding", "content-length", "connection"}


@dataclass
class Interaction:
    method: str
    uri: str
    status: int
    headers: dict[str, str]
    body: bytes


def interactions(cassette: Path) -> list[Interaction]:
    """Every recorded interaction of a vcrpy or R vcr cassette, in order."""
    data = yaml.safe_load(cassette.read_text(encoding="utf-8"))
    raw = data.get("interactions") or data.get("http_interactions") or []
    return [_interaction(item) for item in raw]


def _interaction(item: dict[str, Any]) -> Interaction:
    request, response = item["request"], item["response"]
    status = response["status"]
    if isinstance(status, dict):
        status = status.get("code", status.get("status_code"))
    headers = {
        str(k): str(v[0] if isinstance(v, list) else v)
        for k, v in (response.get("headers") or {}).items()
    }
    return Interaction(
        method=str(request["method"]).upper(),
        uri=str(request["uri"]),
        status=int(status),
        headers=headers,
        body=_body(response.get("body") or {}),
    )


def _body(body: dict[str, Any] | str) -> bytes:
    if isinstance(body, str):
        return body.encode("utf-8")
    if body.get("base64_string"):
        return base64.b64decode(body["base64_string"])
    return str(body.get("string") or "").encode("utf-8")


def cassette_reply(
    cassette: Path,
    uri_contains: str,
    *,
    method: str = "GET",
    rewrite: dict[str, str] | None = None,
) -> Reply:
    """The recorded response to the first ``method`` request whose URI matches.

    ``rewrite`` maps recorded base URLs to the test server's (in headers and body).
    """
    for it in interactions(cassette):
        if it.method == method and uri_contains in it.uri:
            return _reply(it, rewrite or {})
    raise LookupError(f"{method} {uri_contains} not in {cassette.name}")


def _reply(it: Interaction, rewrite: dict[str, str]) -> Reply:
    body = it.body.decode("utf-8")
    headers = {}
    for name, value in it.headers.items():
        if name.lower() in _TRANSPORT:
            continue
        for old, new in rewrite.items():
            value = value.replace(old, new)
        headers[name] = value
    for old, new in rewrite.items():
        body = body.replace(old, new)
    return Reply(it.status, body.encode("utf-8"), headers)


def run_crawl(
    db_path: Path, sources_toml: str, tmp_path: Path, *extra: str, env: Any = None
) -> subprocess.CompletedProcess[str]:
    """``maraude crawl`` in a subprocess (Scrapy's reactor starts once per process)."""
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml, encoding="utf-8")
    command = [sys.executable, "-m", "maraude", "crawl", "--db", str(db_path)]
    return subprocess.run(
        [*command, "--sources", str(sources), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
