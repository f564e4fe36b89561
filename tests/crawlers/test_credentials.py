"""Credentials reach spiders as Scrapy settings; the environment is read once."""

from __future__ import annotations

import base64

from scrapy.utils.test import get_crawler

from crawlers.compose import build_settings
from crawlers.env import CREDENTIALS, credential_settings
from crawlers.spiders.reddit import RedditSpider
from maraude.config import load_config
from maraude.sources import Source

REDDIT = Source(name="r-api", platform="reddit", settings={"subreddits": ["test"]})


def test_credential_settings_takes_only_the_credentials_that_are_set():
    env = {
        "MARAUDE_REDDIT_CLIENT_ID": "id-1",
        "MARAUDE_REDDIT_CLIENT_SECRET": "",
        "MARAUDE_SECRET": "not a platform credential",
    }
    assert credential_settings(env) == {"MARAUDE_REDDIT_CLIENT_ID": "id-1"}
    assert all(name.startswith("MARAUDE_") for name in CREDENTIALS)


def test_build_settings_carries_the_credentials(tmp_path):
    settings = build_settings(
        load_config().crawl,
        tmp_path / "m.db",
        "test-secret-0123456789abcdef",
        credentials={"MARAUDE_YOUTUBE_API_KEY": "k-1"},
    )
    assert settings["MARAUDE_YOUTUBE_API_KEY"] == "k-1"


def test_the_reddit_spider_reads_its_keys_from_the_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("MARAUDE_REDDIT_CLIENT_ID", raising=False)
    monkeypatch.delenv("MARAUDE_REDDIT_CLIENT_SECRET", raising=False)
    crawler = get_crawler(
        RedditSpider,
        {
            "MARAUDE_DB": str(tmp_path / "m.db"),
            "MARAUDE_REDDIT_CLIENT_ID": "app-id",
            "MARAUDE_REDDIT_CLIENT_SECRET": "app-secret",
        },
    )
    spider = RedditSpider.from_crawler(crawler, source=REDDIT)
    request = spider._token_request()
    expected = base64.b64encode(b"app-id:app-secret").decode()
    assert request.headers["Authorization"].decode() == f"Basic {expected}"


def test_settings_win_over_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MARAUDE_REDDIT_CLIENT_ID", "from-env")
    monkeypatch.setenv("MARAUDE_REDDIT_CLIENT_SECRET", "from-env")
    crawler = get_crawler(
        RedditSpider,
        {
            "MARAUDE_DB": str(tmp_path / "m.db"),
            "MARAUDE_REDDIT_CLIENT_ID": "from-settings",
            "MARAUDE_REDDIT_CLIENT_SECRET": "s",
        },
    )
    spider = RedditSpider.from_crawler(crawler, source=REDDIT)
    auth = spider._token_request().headers["Authorization"].decode()
    assert base64.b64decode(auth.split()[1]) == b"from-settings:s"
