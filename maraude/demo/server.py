"""A local fake Reddit serving our demo posts as real Reddit listings.

``/r/{sub}/new.json`` (and ``/r/{sub}/new``) answer with a ``Listing`` of ``t3``
children, newest first, paged with ``after`` like Reddit (at most ``page_size``
per page so the demo exercises paging), plus a permissive ``/robots.txt``.
Only ever binds to 127.0.0.1.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

POSTS_FILE = Path(__file__).with_name("reddit_posts.jsonl")
_LISTING = re.compile(r"^/r/([A-Za-z0-9_]+)/new(?:\.json)?/?$")
_PERMALINK = re.compile(r"^/r/[A-Za-z0-9_]+/comments/([a-z0-9]+)/")


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:50] or "post"


def load_demo_posts(
    path: Path = POSTS_FILE, now: float | None = None
) -> list[dict[str, Any]]:
    """Our demo posts as Reddit ``t3`` data objects, newest first."""
    now = time.time() if now is None else now
    things = []
    with path.open(encoding="utf-8") as f:
        for index, line in enumerate(f):
            if not line.strip():
                continue
            p = json.loads(line)
            post_id = "dm" + _base36(1_000_000 + index)
            sub = p["subreddit"]
            permalink = f"/r/{sub}/comments/{post_id}/{_slug(p['title'])}/"
            things.append(
                {
                    "id": post_id,
                    "name": f"t3_{post_id}",
                    "subreddit": sub,
                    "subreddit_name_prefixed": f"r/{sub}",
                    "title": p["title"],
                    "selftext": p["selftext"],
                    "author": p["author"],
                    "created_utc": round(now - p["hours_ago"] * 3600),
                    "permalink": permalink,
                    "url": permalink,
                    "num_comments": p.get("num_comments", 0),
                    "link_flair_text": p.get("flair"),
                    "is_self": True,
                    "over_18": False,
                    "score": 1,
                }
            )
    things.sort(key=lambda t: -t["created_utc"])
    return things


@dataclass
class FakeReddit:
    """The data behind the server; ``requests`` counts what was asked."""

    posts: list[dict[str, Any]]
    page_size: int = 10
    requests: list[str] = field(default_factory=list)

    def by_id(self, post_id: str) -> dict[str, Any] | None:
        """The post with this Reddit id, or None."""
        return next((p for p in self.posts if p["id"] == post_id), None)

    def listing(self, sub: str, limit: int, after: str | None) -> dict[str, Any]:
        """One page of a subreddit's ``/new`` listing, as Reddit shapes it."""
        items = [p for p in self.posts if p["subreddit"].lower() == sub.lower()]
        start = 0
        if after:
            names = [p["name"] for p in items]
            start = names.index(after) + 1 if after in names else len(items)
        page = items[start : start + min(limit, self.page_size)]
        more = start + len(page) < len(items)
        return {
            "kind": "Listing",
            "data": {
                "after": page[-1]["name"] if page and more else None,
                "before": None,
                "dist": len(page),
                "children": [{"kind": "t3", "data": p} for p in page],
            },
        }


def _post_page(post: dict[str, Any]) -> bytes:
    """The "original post" a worker opens from the dashboard (escaped text)."""
    title, text = html.escape(post["title"]), html.escape(post["selftext"])
    return (
        '<!doctype html><html lang="fr"><meta charset="utf-8">'
        f"<title>{title}</title><body style='font-family:sans-serif;max-width:40em'>"
        f"<p><small>r/{html.escape(post['subreddit'])} · démo Maraude : message "
        f"inventé, sur un faux Reddit local</small></p><h1>{title}</h1>"
        f"<pre style='white-space:pre-wrap'>{text}</pre></body></html>"
    ).encode()


def _handler(data: FakeReddit) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the crawl reports its own progress

        def _send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            data.requests.append(self.path)
            if url.path == "/robots.txt":
                self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
                return
            permalink = _PERMALINK.match(url.path)
            if permalink:
                post = data.by_id(permalink.group(1))
                if post is not None:
                    self._send(200, _post_page(post), "text/html; charset=utf-8")
                    return
            match = _LISTING.match(url.path)
            if not match:
                self._send(
                    404, b'{"message": "Not Found", "error": 404}', "application/json"
                )
                return
            query = parse_qs(url.query)
            try:
                limit = max(1, min(100, int(query.get("limit", ["25"])[0])))
            except ValueError:
                limit = 25
            body = data.listing(match.group(1), limit, query.get("after", [None])[0])
            self._send(
                200, json.dumps(body).encode(), "application/json; charset=UTF-8"
            )

    return Handler


class DemoServer:
    """Serve :class:`FakeReddit` on 127.0.0.1 in a background thread.

    >>> with DemoServer() as server:  # doctest: +SKIP
    ...     print(server.base_url)
    """

    def __init__(
        self,
        port: int = 0,
        page_size: int = 10,
        posts: list[dict[str, Any]] | None = None,
    ) -> None:
        posts = load_demo_posts() if posts is None else posts
        self.data = FakeReddit(posts, page_size=page_size)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self.data))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The server's address, e.g. ``http://127.0.0.1:38123``."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def subreddits(self) -> list[str]:
        """The subreddits of the served posts, sorted."""
        return sorted({p["subreddit"] for p in self.data.posts})

    def __enter__(self) -> DemoServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
