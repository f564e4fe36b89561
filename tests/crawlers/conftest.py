"""Crawler tests read the recorded fixtures in the languages they are written in.

The recorded fixtures in ``../shared/fixtures`` are English and German posts:
with the default ``[classifier] languages = ["fr"]`` a crawl stores none of them
(see ``test_lang_crawl.py``). Every crawl in these tests therefore runs with a
config that reads French, English and German, so the fixtures are stored as
they are and the tests keep their assertions; and Japanese, because two of
Mastodon.py's English test toots ("Toot, finally!", "#hoot (hashtag toot)")
are tagged ``ja`` by their client and too short for the identifier to tell,
so their tag decides. A test that needs other languages sets
``MARAUDE_CONFIG`` itself (``monkeypatch.setenv``).
"""

from __future__ import annotations

import pytest

FIXTURE_LANGUAGES = ("fr", "en", "de", "ja")


def languages_config(tmp_path, languages=FIXTURE_LANGUAGES):
    """A config file whose ``[classifier] languages`` are ``languages``."""
    path = tmp_path / "languages.toml"
    codes = ", ".join(f'"{code}"' for code in languages)
    path.write_text(f"[classifier]\nlanguages = [{codes}]\n", encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _fixture_languages(tmp_path, monkeypatch):
    """``maraude crawl`` (run in a subprocess) reads fr, en, de and ja posts."""
    monkeypatch.setenv("MARAUDE_CONFIG", str(languages_config(tmp_path)))
