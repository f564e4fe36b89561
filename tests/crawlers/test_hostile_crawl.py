"""Issue #11 items 1 and 7: a bad item never costs a good one, and a run's
errors are its own.

Local servers, modelled on ``../shared/fixtures/hostile/`` (dates relative to
now, French texts we wrote), serve a Mastodon tag timeline and a Bluesky search
whose first answer holds one malformed item, and a timeline with a lone
surrogate. Every post must be stored after two crawls, and the first run must
say it had an error.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from maraude import db as mdb
from tests.cassettes import run_crawl

pytestmark = pytest.mark.slow

N = 6
HOSTILE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "hostile"
BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def _status(i: int) -> dict[str, Any]:
    when = BASE - timedelta(hours=i)
    sid = int(when.timestamp() * 1000) << 16
    return {
        "id": str(sid),
        "created_at": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "visibility": "public",
        "url": f"https://m.example/@v{i}/{sid}",
        "content": f"<p>message {i} : je n'ai plus de logement, aide svp</p>",
        "account": {"acct": f"v{i}@m.example"},
        "language": "fr",
    }


def _bpost(i: int) -> dict[str, Any]:
    when = (BASE - timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "uri": f"at://did:plc:v{i:04d}/app.bsky.feed.post/rk{i}",
        "indexedAt": when,
        "author": {"handle": f"v{i}.bsky.social"},
        "record": {"text": f"message {i} je suis a la rue", "createdAt": when},
    }


class Hostile:
    """Mastodon + Bluesky + RSS + gzip bomb on 127.0.0.1; first answers poisoned."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                body, headers = outer.answer(url.path, parse_qs(url.query))
                self.send_response(200 if body is not None else 404)
                for name, value in headers.items():
                    self.send_header(name, value)
                body = body or b""
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _hit(self, name: str) -> int:
        self.hits[name] = self.hits.get(name, 0) + 1
        return self.hits[name]

    def answer(self, path: str, q: dict[str, list[str]]) -> tuple[Any, dict]:
        json_type = {"Content-Type": "application/json"}
        if path == "/api/v1/timelines/tag/toggle":
            rows = [_status(i) for i in range(N)]
            if self._hit("m") == 1:
                rows[1]["account"] = "not-an-object"
            return _mastodon(rows, q), json_type
        if path == "/api/v1/timelines/tag/surr":
            rows = [_status(i) for i in range(4)]
            rows[1]["content"] = "<p>je dors dehors ce soir, aidez-moi SURR</p>"
            text = json.dumps(_mastodon_rows(rows, q))
            return text.replace("SURR", "\\ud83d").encode(), json_type
        if path.endswith("searchPosts"):
            rows = [_bpost(i) for i in range(N)]
            if self._hit("b") == 1:
                rows[1]["record"] = "not-an-object"
            if "cursor" in q:
                rows = []
            if "since" in q:
                rows = [r for r in rows if r["indexedAt"] >= q["since"][0][:19]]
            return json.dumps({"posts": rows}).encode(), json_type
        if path == "/r/lent/new.json":
            return json.dumps(_listing()).encode(), json_type
        if path.startswith("/bomb/"):
            return _bomb(), {**json_type, "Content-Encoding": "gzip"}
        if path == "/feed.xml":
            return _broken_feed(), {"Content-Type": "application/rss+xml"}
        return None, {}

    def __enter__(self) -> Hostile:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _mastodon_rows(rows: list[dict], q: dict[str, list[str]]) -> list[dict]:
    if "max_id" in q:
        return []
    if "since_id" in q:
        return [r for r in rows if int(r["id"]) > int(q["since_id"][0])]
    return rows


def _mastodon(rows: list[dict], q: dict[str, list[str]]) -> bytes:
    return json.dumps(_mastodon_rows(rows, q)).encode()


def _listing() -> dict[str, Any]:
    now = int(BASE.timestamp())
    children = [
        {
            "kind": "t3",
            "data": {
                "id": f"x{i}",
                "title": f"titre {i}",
                "selftext": f"message {i} : plus rien pour manger",
                "author": f"u{i}",
                "created_utc": now - i * 60,
                "permalink": f"/r/lent/comments/x{i}/t/",
            },
        }
        for i in range(4, 0, -1)
    ]
    return {"kind": "Listing", "data": {"after": None, "children": children}}


_BOMB: list[bytes] = []


def _bomb() -> bytes:
    """About 40 KB that inflate past Scrapy's DOWNLOAD_MAXSIZE (32 MiB here)."""
    if not _BOMB:
        _BOMB.append(gzip.compress(b" " * (40 * 1024 * 1024), compresslevel=9))
    return _BOMB[0]


def _broken_feed() -> bytes:
    """Three whole entries, then an unescaped '&' after the last one."""
    items = "".join(
        f"<item><guid>e{i}</guid><link>https://f.example/{i}</link>"
        f"<title>entrée {i}</title><description>je cherche un hébergement "
        f"d'urgence {i}</description></item>"
        for i in range(3)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>'
        f"{items}<copyright>A & B</copyright></channel></rss>"
    ).encode()


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    with Hostile() as server:
        yield server


def _native_ids(db_path: Path, platform: str) -> set[str]:
    database = mdb.open_db(db_path)
    try:
        return {
            r["native_id"]
            for r in database.query(
                "SELECT native_id FROM posts WHERE platform = ?", [platform]
            )
        }
    finally:
        database.close()


def _runs(db_path: Path) -> dict[str, dict]:
    database = mdb.open_db(db_path)
    try:
        runs: dict[str, dict] = {}
        for run in reversed(mdb.crawl_runs(database)):
            runs[run["source"]] = run
        return runs
    finally:
        database.close()


def _toml(hostile: Hostile, *sources: str) -> str:
    known = {
        "toggle": f'platform = "mastodon"\nhashtags = ["toggle"]\n'
        f'base_url = "{hostile.base_url}"',
        "surr": f'platform = "mastodon"\nhashtags = ["surr"]\n'
        f'base_url = "{hostile.base_url}"',
        "sky": f'platform = "bluesky"\nquery = "rue"\nbase_url = "{hostile.base_url}"',
        "bomb": f'platform = "reddit"\nsubreddits = ["x"]\n'
        f'base_url = "{hostile.base_url}/bomb"',
        "feed": f'platform = "rss"\nurl = "{hostile.base_url}/feed.xml"',
        "lent": f'platform = "reddit"\nsubreddits = ["lent"]\n'
        f'base_url = "{hostile.base_url}"',
    }
    return "\n".join(f'[[sources]]\nname = "{s}"\n{known[s]}\n' for s in sources)


def test_a_malformed_status_loses_no_post_and_is_read_again(hostile, db_path, tmp_path):
    toml = _toml(hostile, "toggle", "sky")
    first = run_crawl(db_path, toml, tmp_path)
    assert "Traceback" not in first.stderr
    assert first.returncode == 1  # malformed input: non-zero, after the rest
    assert len(_native_ids(db_path, "mastodon")) == N - 1
    assert len(_native_ids(db_path, "bluesky")) == N - 1
    runs = _runs(db_path)
    assert runs["toggle"]["status"] == runs["sky"]["status"] == "errors"
    second = run_crawl(db_path, toml, tmp_path)
    assert second.returncode == 0, second.stderr[-2000:]
    assert len(_native_ids(db_path, "mastodon")) == N
    assert len(_native_ids(db_path, "bluesky")) == N
    runs = _runs(db_path)
    assert (runs["toggle"]["errors"], runs["sky"]["errors"]) == (0, 0)


def test_a_lone_surrogate_is_repaired_and_stored(hostile, db_path, tmp_path):
    result = run_crawl(db_path, _toml(hostile, "surr"), tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert len(_native_ids(db_path, "mastodon")) == 4
    database = mdb.open_db(db_path)
    texts = [r["text"] for r in database.query("SELECT text FROM posts")]
    assert any(t.endswith("aidez-moi \ufffd") for t in texts)


def test_errors_are_counted_per_source_and_a_gzip_bomb_is_an_error(
    hostile, db_path, tmp_path
):
    result = run_crawl(db_path, _toml(hostile, "surr", "bomb"), tmp_path)
    assert "Traceback" not in result.stderr
    runs = _runs(db_path)
    assert runs["surr"]["status"] == "ok"
    assert runs["surr"]["errors"] == 0  # not credited with the bomb's error
    assert runs["bomb"]["status"] == "errors"
    assert runs["bomb"]["errors"] >= 1
    assert "DOWNLOAD_MAXSIZE" in result.stderr


def test_a_storage_error_loses_no_reddit_post(hostile, db_path, tmp_path):
    database = mdb.open_db(db_path)
    database.execute(  # the disk refuses one post (a real sqlite3 error)
        "CREATE TRIGGER refuse BEFORE INSERT ON posts WHEN NEW.native_id = 'x3' "
        "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
    )
    database.conn.commit()
    database.close()
    first = run_crawl(db_path, _toml(hostile, "lent"), tmp_path)
    assert "Traceback" not in first.stderr
    assert first.returncode == 1
    assert _native_ids(db_path, "reddit") == {"x1", "x2", "x4"}
    assert "rejected reddit post x3" in first.stderr  # its id and reason, no text
    database = mdb.open_db(db_path)
    database.execute("DROP TRIGGER refuse")
    database.conn.commit()
    database.close()
    second = run_crawl(db_path, _toml(hostile, "lent"), tmp_path)
    assert second.returncode == 0, second.stderr[-2000:]
    assert _native_ids(db_path, "reddit") == {"x1", "x2", "x3", "x4"}


def test_a_malformed_feed_keeps_its_last_whole_entry(hostile, db_path, tmp_path):
    result = run_crawl(db_path, _toml(hostile, "feed"), tmp_path)
    assert "Traceback" not in result.stderr
    assert _native_ids(db_path, "rss") == {"e0", "e1", "e2"}
    assert _runs(db_path)["feed"]["status"] == "errors"  # the XML error is reported


def _shared_server(script: str, tmp_path: Path) -> tuple[subprocess.Popen, str]:
    portfile = tmp_path / f"{script}.port"
    proc = subprocess.Popen([sys.executable, str(HOSTILE / script), str(portfile)])
    for _ in range(100):
        if portfile.exists() and portfile.read_text().strip():
            return proc, f"http://127.0.0.1:{portfile.read_text().strip()}"
        threading.Event().wait(0.05)
    proc.kill()
    raise RuntimeError(f"{script} did not start")


@pytest.mark.skipif(
    not HOSTILE.is_dir(),
    reason="needs ../shared/fixtures/hostile (the shared fixtures checkout)",
)
def test_the_shared_hostile_servers_lose_nothing(db_path, tmp_path):
    # The two servers give the same status ids: one database each.
    toggle, toggle_url = _shared_server("masto_toggle.py", tmp_path)
    surr, surr_url = _shared_server("masto_surr.py", tmp_path)
    toggle_db, surr_db = tmp_path / "toggle.db", tmp_path / "surr.db"
    try:
        toml = (
            f'[[sources]]\nname = "m"\nplatform = "mastodon"\nhashtags = ["x"]\n'
            f'base_url = "{toggle_url}"\n'
            f'[[sources]]\nname = "b"\nplatform = "bluesky"\nquery = "x"\n'
            f'base_url = "{toggle_url}"\n'
        )
        surr_toml = toml.split("[[sources]]")[1].replace(toggle_url, surr_url)
        for _ in range(2):
            for path, text in ((toggle_db, toml), (surr_db, "[[sources]]" + surr_toml)):
                result = run_crawl(path, text, tmp_path)
                assert "Traceback" not in result.stderr
    finally:
        for proc in (toggle, surr):
            proc.kill()
            proc.wait()
    assert len(_native_ids(toggle_db, "mastodon")) == 6
    assert len(_native_ids(toggle_db, "bluesky")) == 6
    assert len(_native_ids(surr_db, "mastodon")) == 4
