from __future__ import annotations

import pytest

from maraude.config import PROJECT_ROOT
from maraude.errors import ConfigError
from maraude.sources import load_sources


def write(tmp_path, text):
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_sources_file_is_valid():
    sources = load_sources(PROJECT_ROOT / "config" / "sources.toml")
    assert {s.platform for s in sources} == {
        "reddit",
        "discourse",
        "mastodon",
        "bluesky",
        "rss",
        "forum",
        "telegram",
        "twitch",
        "youtube",
    }
    assert not any(s.enabled for s in sources)  # nothing crawls until enabled


def test_local_sources_are_detected(tmp_path):
    path = write(
        tmp_path,
        '[[sources]]\nname = "a"\nplatform = "reddit"\nsubreddits = ["x"]\n'
        'base_url = "http://127.0.0.1:8000"\n'
        '[[sources]]\nname = "b"\nplatform = "reddit"\nsubreddits = ["x"]\n',
    )
    a, b = load_sources(path)
    assert a.is_local
    assert not b.is_local
    assert a.settings == {"subreddits": ["x"], "base_url": "http://127.0.0.1:8000"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[sources]]\nplatform = "reddit"\n', "has no 'name'"),
        ('[[sources]]\nname = "a"\nplatform = "myspace"\n', "unknown platform"),
        (
            '[[sources]]\nname = "a"\nplatform = "reddit"\n',
            "missing key(s) subreddits (or query)",
        ),
        (
            '[[sources]]\nname = "a"\nplatform = "reddit"\n'
            'subreddits = ["x"]\nurl = "u"\n',
            "unknown key 'url' for platform 'reddit'",
        ),
        (
            '[[sources]]\nname = "a"\nplatform = "reddit"\nsubreddits = "x"\n',
            "key 'subreddits' has the wrong type",
        ),
        (
            '[[sources]]\nname = "a"\nplatform = "rss"\nurl = "u"\n'
            '[[sources]]\nname = "a"\nplatform = "rss"\nurl = "v"\n',
            "two sources are named 'a'",
        ),
        (
            '[[sources]]\nname = "a"\nplatform = "rss"\nurl = "u"\ndelay = -1\n',
            "'delay' must be a number",
        ),
    ],
)
def test_bad_sources_are_clear_errors(tmp_path, text, message):
    with pytest.raises(ConfigError) as err:
        load_sources(write(tmp_path, text))
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ('start_urls = ["http://x"]\n', "either 'engine'"),
        ('start_urls = ["http://x"]\nengine = "wordpress"\n', "unknown engine"),
        ('start_urls = ["http://x"]\nselectors = { post = "div" }\n', "missing: text"),
        (
            'start_urls = ["http://x"]\nselectors = { post = "div", text = "p", '
            'avatar = "img" }\n',
            "unknown: avatar",
        ),
    ],
)
def test_forum_sources_are_checked_when_loaded(tmp_path, settings, message):
    text = '[[sources]]\nname = "f"\nplatform = "forum"\n' + settings
    with pytest.raises(ConfigError) as err:
        load_sources(write(tmp_path, text))
    assert message in str(err.value)


def test_missing_sources_file(tmp_path):
    with pytest.raises(ConfigError, match="Sources file not found"):
        load_sources(tmp_path / "none.toml")
