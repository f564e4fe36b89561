"""The Telegram spider on public channel previews (``t.me/s/<channel>``).

There is no recording of Telegram's previews in ../shared: the pages in
``tests/data/fixtures/telegram`` were written by us in the preview's real markup
(``.tgme_widget_message[data-post]``, ``.tgme_widget_message_text``,
``time[datetime]``, the ``.tme_messages_more[data-before]`` link), for a
fictional channel ``entraide_demo`` with French messages we wrote. Three pages,
newest first: messages 126–130, 121–125 and 117–120 (117 is the "Channel
created" service message and 120 a photo without caption, so 12 posts).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from crawlers.items import PostItem
from crawlers.pipelines import normalise_item
from crawlers.spiders.telegram import TelegramSpider
from maraude import db as mdb
from maraude.sources import Source
from tests.replay import ReplayServer, Reply

PAGES = Path(__file__).resolve().parent.parent / "data" / "fixtures" / "telegram"
BASE = "http://127.0.0.1:9"
CHANNEL = "entraide_demo"


def make_spider(db_path, **settings):
    config = {"base_url": BASE, "channels": [CHANNEL]} | settings
    source = Source(name="tg-test", platform="telegram", settings=config)
    crawler = get_crawler(TelegramSpider, {"MARAUDE_DB": str(db_path)})
    return TelegramSpider.from_crawler(crawler, source=source)


def preview(name: str, before: str | None = None) -> HtmlResponse:
    url = f"{BASE}/s/{CHANNEL}" + (f"?before={before}" if before else "")
    body = (PAGES / name).read_bytes()
    return HtmlResponse(url=url, body=body, headers={"Content-Type": "text/html"})


def parse(spider, response, before=None):
    out = list(spider.parse(response, channel=CHANNEL, before=before))
    posts = [o for o in out if isinstance(o, PostItem)]
    return posts, [o.url for o in out if not isinstance(o, PostItem)]


def read_all(spider):
    first, next_url = parse(spider, preview("entraide_demo.html"))
    second, last_url = parse(spider, preview("entraide_demo_before_126.html"), "126")
    third, end = parse(spider, preview("entraide_demo_before_121.html"), "121")
    return first + second + third, [*next_url, *last_url, *end]


def test_three_pages_give_12_posts_newest_first(db_path):
    posts, requests = read_all(make_spider(db_path))
    numbers = [int(p.native_id.split("/")[1]) for p in posts]
    assert numbers == [130, 129, 128, 127, 126, 125, 124, 123, 122, 121, 119, 118]
    assert requests == [
        f"{BASE}/s/{CHANNEL}?before=126",
        f"{BASE}/s/{CHANNEL}?before=121",
    ]


def test_message_fields(db_path):
    posts, _ = read_all(make_spider(db_path))
    post = {p.native_id: p for p in posts}
    latest = post["entraide_demo/130"]
    assert latest.url == "https://t.me/entraide_demo/130"
    assert latest.created_at == "2024-03-09T11:11:00Z"
    assert (latest.platform, latest.site, latest.source) == (
        "telegram",
        "127.0.0.1",
        "tg-test",
    )
    assert (latest.title, latest.parent_native_id) == (None, None)
    assert latest.author == CHANNEL  # the pipeline hashes it
    assert "[téléphone]" in normalise_item(latest).text
    assert post["entraide_demo/128"].author == "Lina_demo"  # a signed message
    reply = post["entraide_demo/123"]
    assert reply.parent_native_id == "entraide_demo/119"
    assert normalise_item(reply).text.startswith("Pour une coupure d’électricité")


def test_a_forwarded_message_is_a_quote_without_its_origin(db_path):
    posts, _ = read_all(make_spider(db_path))
    forwarded = next(p for p in posts if p.native_id == "entraide_demo/124")
    post = normalise_item(forwarded)
    assert post.text == ""  # nothing of the channel's own to score (#15)
    assert post.quoted == (
        "[citation]\n> Le 115 a encore des places ce soir à la halte de nuit, "
        "appelez tôt."
    )
    assert "Halte de nuit" not in post.quoted


def test_paging_stops_at_the_high_water_mark(db_path):
    database = mdb.open_db(db_path)
    state = {"feeds": {CHANNEL: {"high": 127}}}
    mdb.set_source_state(database, "tg-test", "telegram", state)
    database.close()
    posts, requests = parse(make_spider(db_path), preview("entraide_demo.html"))
    assert [p.native_id for p in posts] == [
        "entraide_demo/130",
        "entraide_demo/129",
        "entraide_demo/128",
    ]
    assert requests == []


def test_the_page_budget_stops_paging(db_path):
    spider = make_spider(db_path)
    spider.pages = spider.max_pages
    _, requests = parse(spider, preview("entraide_demo.html"))
    assert requests == []


def test_one_channel_is_read_before_robots_txt_is_known(db_path):
    spider = make_spider(db_path, channels=["@entraide_demo", "t.me/autre_demo", "x"])

    async def starts():
        return [r async for r in spider.start()]

    (first,) = asyncio.run(starts())
    assert first.url == f"{BASE}/s/{CHANNEL}"
    _, requests = parse(spider, preview("entraide_demo.html"))
    assert f"{BASE}/s/autre_demo" in requests  # released by the first answer


def test_a_bad_channel_name_is_an_error(db_path, caplog):
    spider = make_spider(db_path, channels=["pas un nom"])

    async def starts():
        return [r async for r in spider.start()]

    assert asyncio.run(starts()) == []
    assert "is not a Telegram channel name" in caplog.text


@pytest.mark.parametrize(
    "response",
    [
        HtmlResponse(f"{BASE}/s/{CHANNEL}", body=b"<html><body>Oups</body></html>"),
        Response(f"{BASE}/s/{CHANNEL}", body=b"\x00\x01"),
    ],
)
def test_a_page_that_is_not_a_preview_is_an_error(db_path, caplog, response):
    assert parse(make_spider(db_path), response) == ([], [])
    assert "not a Telegram channel preview" in caplog.text


# -- real crawls -------------------------------------------------------------------


def run_crawl(db_path, toml, tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(toml, encoding="utf-8")
    command = [sys.executable, "-m", "maraude", "crawl", "--db", str(db_path)]
    return subprocess.run(
        [*command, "--sources", str(sources)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def page_reply(name: str) -> Reply:
    body = (PAGES / name).read_bytes()
    return Reply(200, body, {"Content-Type": "text/html; charset=utf-8"})


@pytest.fixture
def channel():
    with ReplayServer() as server:
        server.add(
            f"/s/{CHANNEL}", page_reply("entraide_demo_before_126.html"), before="126"
        )
        server.add(
            f"/s/{CHANNEL}", page_reply("entraide_demo_before_121.html"), before="121"
        )
        server.add(f"/s/{CHANNEL}", page_reply("entraide_demo.html"))
        yield server


def toml_for(server) -> str:
    return (
        '[[sources]]\nname = "entraide"\nplatform = "telegram"\n'
        f'base_url = "{server.base_url}"\nchannels = ["{CHANNEL}"]\n'
    )


@pytest.mark.slow
def test_crawl_stores_the_channel_then_only_what_is_new(channel, db_path, tmp_path):
    result = run_crawl(db_path, toml_for(channel), tmp_path)
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 12
    run = mdb.crawl_runs(database)[0]
    assert (run["status"], run["new_posts"]) == ("ok", 12)
    assert [r for r in channel.requests if r != "/robots.txt"] == [
        f"/s/{CHANNEL}",
        f"/s/{CHANNEL}?before=126",
        f"/s/{CHANNEL}?before=121",
    ]
    database.close()
    # Unchanged channel: one page, nothing new.
    channel.requests.clear()
    run_crawl(db_path, toml_for(channel), tmp_path)
    assert [r for r in channel.requests if r != "/robots.txt"] == [f"/s/{CHANNEL}"]
    # One new message: it alone is stored.
    channel.routes[-1].reply = page_reply("entraide_demo_new.html")
    result = run_crawl(db_path, toml_for(channel), tmp_path)
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 13
    assert [r["new_posts"] for r in mdb.crawl_runs(database)] == [1, 0, 12]
    dumped = "\n".join(database.iterdump())
    assert "Lina_demo" not in dumped
    assert "06 12 34 56 78" not in dumped
