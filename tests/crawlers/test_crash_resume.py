"""A crawl killed with SIGKILL at a deterministic point, then restarted.

The replay server holds the request for page K until the test has killed the
crawl, so the kill always lands at the same place: pages before K are stored,
page K is not. The restart must store every post exactly once, resume the
backlog instead of skipping it, and leave a consistent high-water mark.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from maraude import db as mdb
from maraude.demo.server import FakeReddit

pytestmark = pytest.mark.slow

N_POSTS, PAGE = 60, 10


def fake_posts(start: int, n: int) -> list[dict]:
    now = 1_764_000_000
    return [
        {
            "id": f"p{i:04d}",
            "name": f"t3_p{i:04d}",
            "subreddit": "lent",
            "title": f"titre {i}",
            "selftext": f"message numéro {i}",
            "author": f"auteur_{i % 7}",
            "created_utc": now + i * 60,
            "permalink": f"/r/lent/comments/p{i:04d}/x/",
        }
        for i in range(start + n - 1, start - 1, -1)
    ]


class HoldingServer:
    """Serves a FakeReddit; requests with ``after=hold_after`` wait for release."""

    def __init__(self, reddit: FakeReddit) -> None:
        self.reddit = reddit
        self.hold_after: str | None = None
        self.held = threading.Event()
        self.release = threading.Event()
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlparse(self.path)
                query = parse_qs(url.query)
                after = query.get("after", [None])[0]
                outer.requests.append(self.path)
                if outer.hold_after and after == outer.hold_after:
                    outer.held.set()
                    outer.release.wait(30)
                body = json.dumps(outer.reddit.listing("lent", 100, after)).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the crawl was killed while we held its request

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def crawl_cmd(db_path, sources):
    return [
        sys.executable,
        "-m",
        "maraude",
        "crawl",
        "--db",
        str(db_path),
        "--sources",
        str(sources),
    ]


def posts_in(db_path) -> list[str]:
    database = mdb.open_db(db_path)
    ids = [r[0] for r in database.execute("SELECT native_id FROM posts").fetchall()]
    database.close()
    return ids


# Requests of the restart: the top page, then from the last checkpoint (the
# page before K, which is read again: state is saved when a page *arrives*).
# Killed on page 2 there is no checkpoint yet: the whole feed is read again.
@pytest.mark.parametrize(("kill_page", "restart_requests"), [(2, 7), (4, 5), (6, 3)])
def test_sigkill_then_restart_loses_nothing_and_duplicates_nothing(
    tmp_path, db_path, kill_page, restart_requests
):
    reddit = FakeReddit(fake_posts(1, N_POSTS), page_size=PAGE)
    server = HoldingServer(reddit)
    # The cursor of page K is the last post of page K - 1.
    server.hold_after = reddit.posts[(kill_page - 1) * PAGE - 1]["name"]
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[sources]]\nname = "lent"\nplatform = "reddit"\n'
        f'base_url = "{server.base_url}"\nsubreddits = ["lent"]\nmax_pages = 50\n',
        encoding="utf-8",
    )
    try:
        proc = subprocess.Popen(
            crawl_cmd(db_path, sources),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert server.held.wait(60), "the crawl never reached the held page"
        # Let the pipelines commit the pages already received (a timer commits
        # within 0.2 s; a loaded machine may take longer), then kill.
        deadline = time.monotonic() + 20
        while len(posts_in(db_path)) < (kill_page - 1) * PAGE:
            assert time.monotonic() < deadline, "earlier pages were not stored"
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        stored = posts_in(db_path)
        assert len(stored) == (kill_page - 1) * PAGE

        # Meanwhile 5 new posts arrive at the top of the feed.
        reddit.posts = fake_posts(N_POSTS + 1, 5) + reddit.posts
        server.hold_after = None
        server.release.set()
        server.requests.clear()
        subprocess.run(
            crawl_cmd(db_path, sources), check=True, capture_output=True, timeout=120
        )
        stored = posts_in(db_path)
        assert len(stored) == len(set(stored)) == N_POSTS + 5
        assert len(server.requests) == restart_requests

        database = mdb.open_db(db_path)
        state = mdb.get_source_state(database, "lent")["feeds"]["lent"]
        assert state == {"high": int(f"p{N_POSTS + 5:04d}", 36)}
        runs = mdb.crawl_runs(database)
        assert runs[0]["status"] == "ok"
        assert runs[1]["status"] == "interrupted"  # the killed run
        # A third run finds nothing new, in one request.
        server.requests.clear()
        subprocess.run(
            crawl_cmd(db_path, sources), check=True, capture_output=True, timeout=120
        )
        assert len(server.requests) == 1
        assert len(posts_in(db_path)) == N_POSTS + 5
    finally:
        server.close()
