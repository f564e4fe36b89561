"""The demo's fake Reddit: real listing format, paging, and the original posts."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from maraude.demo.server import DemoServer, load_demo_posts


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


def test_listings_page_through_every_demo_post():
    with DemoServer(page_size=10) as server:
        seen, pages = [], 0
        for sub in server.subreddits:
            after = None
            while True:
                query = f"?limit=100&after={after}" if after else "?limit=100"
                _, body = get(f"{server.base_url}/r/{sub}/new.json{query}")
                data = json.loads(body)["data"]
                pages += 1
                seen += [c["data"]["id"] for c in data["children"]]
                assert all(c["kind"] == "t3" for c in data["children"])
                after = data["after"]
                if after is None:
                    break
    assert sorted(seen) == sorted(p["id"] for p in load_demo_posts())
    assert pages > len(server.subreddits)  # paging really happened


def test_the_original_post_is_served_with_its_text_escaped():
    with DemoServer() as server:
        post = next(p for p in server.data.posts if "<script>" in p["selftext"])
        status, body = get(server.base_url + post["permalink"])
        assert status == 200
        page = body.decode()
        assert "&lt;script&gt;" in page
        assert "<script>" not in page
        assert get(server.base_url + "/r/x/comments/nope/x/")[0] == 404


@pytest.mark.parametrize("path", ["/robots.txt"])
def test_robots_txt_allows_the_demo_crawl(path):
    with DemoServer() as server:
        status, body = get(server.base_url + path)
    assert status == 200
    assert b"Allow: /" in body
