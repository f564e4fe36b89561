"""The recorded fixtures through the real crawl, with and without their languages.

Every fixture in ``../shared/fixtures`` is in English or German. With the
default ``[classifier] languages = ["fr"]`` their crawl stores nothing and
counts them per source (``crawl_runs.other_language``); with
``["fr", "en", "de"]`` every engine stores as many posts as before the gate.
"""

from __future__ import annotations

import pytest

from maraude import db as mdb
from tests.cassettes import run_crawl
from tests.crawlers.conftest import languages_config
from tests.crawlers.test_bluesky import appview
from tests.crawlers.test_bluesky import toml_for as bluesky_toml
from tests.crawlers.test_crawl_integration import askreddit
from tests.crawlers.test_crawl_integration import toml_for as reddit_toml
from tests.crawlers.test_discourse import forum
from tests.crawlers.test_discourse import toml_for as discourse_toml
from tests.crawlers.test_forum import VB, XF, forum_toml, html
from tests.crawlers.test_mastodon import instance
from tests.crawlers.test_mastodon import toml_for as mastodon_toml
from tests.crawlers.test_rss import FEED, FeedServer
from tests.replay import ReplayServer

__all__ = ["appview", "askreddit", "forum", "instance"]  # fixtures, used by name

pytestmark = pytest.mark.slow

#: What each source stored before the language gate (the fixture tests' counts).
STORED = {
    "askreddit": 100,
    "forum": 50,
    "masto": 9,
    "sky": 21,
    "feed": 50,
    "vbulletin": 20,
    "xenforo": 18,
}
#: With fr, en and de: (stored, other language) per source. Two of
#: Mastodon.py's English test toots are too short to tell and tagged ``ja`` by
#: their client: their tag decides.
FR_EN_DE = {name: (count, 0) for name, count in STORED.items()} | {
    "masto": (7, 2),
}
VB_PATH = "/f/122760-auslieferung-34.html"
XF_PATH = "/threads/pepe.230143/"


@pytest.fixture
def everything(shared, askreddit, forum, instance, appview):
    """One sources file for every recorded engine, each served on 127.0.0.1."""
    with (
        FeedServer((shared / FEED).read_bytes()) as feed,
        ReplayServer() as boards,
    ):
        boards.add(VB_PATH, html((shared / VB).read_bytes(), None))
        boards.add(XF_PATH, html((shared / XF).read_bytes(), "utf-8"))
        yield "".join(
            [
                reddit_toml(askreddit),
                discourse_toml(forum),
                mastodon_toml(instance),
                bluesky_toml(appview.base_url),
                f'[[sources]]\nname = "feed"\nplatform = "rss"\nurl = "{feed.url}"\n',
                forum_toml("vbulletin", "vbulletin", boards.base_url + VB_PATH),
                forum_toml("xenforo", "xenforo", boards.base_url + XF_PATH),
            ]
        )


def runs_by_source(db_path):
    return {r["source"]: r for r in mdb.crawl_runs(mdb.open_db(db_path))}


def test_french_only_stores_none_of_the_fixtures(
    everything, db_path, tmp_path, monkeypatch
):
    monkeypatch.setenv("MARAUDE_CONFIG", str(languages_config(tmp_path, ["fr"])))
    result = run_crawl(db_path, everything, tmp_path)
    assert result.returncode == 0, result.stderr
    assert mdb.counts(mdb.open_db(db_path))["posts"] == 0
    runs = runs_by_source(db_path)
    assert {name: run["new_posts"] for name, run in runs.items()} == dict.fromkeys(
        STORED, 0
    )
    # Every post is counted in its source's run: too short to tell, the
    # Mastodon toots are dropped on their platform's tag, the Discourse reply
    # "no" on its thread's language.
    assert {name: run["other_language"] for name, run in runs.items()} == STORED
    assert "other language" in result.stdout


def test_french_english_and_german_store_the_fixtures_as_before(
    everything, db_path, tmp_path, monkeypatch
):
    config = languages_config(tmp_path, ["fr", "en", "de"])
    monkeypatch.setenv("MARAUDE_CONFIG", str(config))
    result = run_crawl(db_path, everything, tmp_path)
    assert result.returncode == 0, result.stderr
    runs = runs_by_source(db_path)
    counted = {
        name: (run["new_posts"], run["other_language"]) for name, run in runs.items()
    }
    assert counted == FR_EN_DE
    database = mdb.open_db(db_path)
    langs = dict(database.execute("SELECT lang, count(*) FROM posts GROUP BY lang"))
    assert set(langs) <= {"en", "de", None}
    scored = [r[0] for r in database.execute("SELECT text FROM posts")]
    assert [t for t in scored if "\n>" in f"\n{t}" or "a écrit :" in t] == []
