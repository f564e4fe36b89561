"""robots.txt is obeyed for every request, including those sent while it loads.

Scrapy 2.19's own middleware hands the parsed robots.txt to the first waiting
request only; ours (crawlers.middlewares.OrderlyRobotsTxtMiddleware) checks
them all. A plain spider with many start URLs shows the difference.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.replay import ReplayServer, Reply

pytestmark = pytest.mark.slow

CHILD = r"""
import sys, scrapy
from scrapy.crawler import CrawlerProcess
from crawlers import settings as ours
base = sys.argv[1]
class Many(scrapy.Spider):
    name = "many"
    start_urls = [f"{base}/public/{i}" for i in range(3)] + [
        f"{base}/private/{i}" for i in range(6)]
    def parse(self, response):
        yield {"url": response.url}
process = CrawlerProcess({
    "ROBOTSTXT_OBEY": True, "LOG_LEVEL": "ERROR",
    "DOWNLOADER_MIDDLEWARES": ours.DOWNLOADER_MIDDLEWARES,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
})
process.crawl(Many)
process.start()
"""


def test_no_disallowed_url_is_fetched():
    with ReplayServer() as server:
        server.add("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private\n"))
        for i in range(6):
            server.add(f"/public/{i}", Reply(200, b"<html>ok</html>"))
            server.add(f"/private/{i}", Reply(200, b"<html>secret</html>"))
        subprocess.run(
            [sys.executable, "-c", CHILD, server.base_url],
            check=True,
            timeout=60,
            capture_output=True,
        )
    fetched = [r for r in server.requests if r != "/robots.txt"]
    assert sorted(fetched) == ["/public/0", "/public/1", "/public/2"]
    assert server.requests.count("/robots.txt") == 1
