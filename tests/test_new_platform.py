"""A new platform is its spider file (plus its test).

A temporary spider module, outside the project, declares a platform Maraude
has never heard of: Scrapy's registry lists it, the crawl side maps it to its
spider, its sources load and are checked against the keys the spider
declares, and once its posts are stored the dashboard offers it, with no other
file edited (maraude.vocab.PLATFORMS lists the project's own platforms only).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import get_spider_loader
from streamlit.testing.v1 import AppTest

from crawlers import settings as crawler_settings
from crawlers.spiders import source_schemas, spiders
from maraude import db as mdb
from maraude import vocab
from maraude.config import load_config
from maraude.db import now_iso
from maraude.errors import ConfigError, InputError
from maraude.ops.admin import known_platform, known_platforms, sources
from maraude.privacy import content_hash
from maraude.sources import load_sources
from tests.dashboard.dashboard_seed import APP, PASSWORD, seed, sign_in

ROOT = Path(__file__).resolve().parents[1]

SPIDER = '''\
"""A platform invented for this test: a board of short notices."""

from crawlers.spiders.base import SourceSpider
from maraude.sources import SourceSchema


class PanneauSpider(SourceSpider):
    name = platform = "panneau"
    source_schema = SourceSchema(
        keys={"base_url": str, "boards": list, "query": str},
        required=frozenset({"base_url"}),
        any_of=("boards", "query"),
    )

    async def start(self):
        return
        yield
'''

SOURCE = (
    '[[sources]]\nname = "panneaux-locaux"\nplatform = "panneau"\n'
    'base_url = "http://127.0.0.1:9"\nboards = ["entraide"]\n'
)


@pytest.fixture
def module(tmp_path, monkeypatch) -> str:
    """A spider module of its own (a unique name: Scrapy caches nothing stale)."""
    name = f"extra_spiders_{uuid.uuid4().hex[:8]}"
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "panneau.py").write_text(SPIDER, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for loaded in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[loaded]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_new_spider_is_in_scrapy_registry_and_ours(module):
    ours = crawler_settings.SPIDER_MODULES
    before = get_spider_loader(Settings({"SPIDER_MODULES": ours})).list()
    assert set(vocab.PLATFORMS) <= set(before)
    modules = [*ours, module]
    loader = get_spider_loader(Settings({"SPIDER_MODULES": modules}))
    assert sorted(loader.list()) == sorted([*before, "panneau"])
    found = spiders(modules)
    assert found["panneau"].__module__ == f"{module}.panneau"
    assert set(found) == {*spiders(ours), "panneau"}


def test_scrapy_list_names_it(module, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    modules = ",".join([*crawler_settings.SPIDER_MODULES, module])
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy.cmdline",
            "list",
            "-s",
            f"SPIDER_MODULES={modules}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "panneau" in result.stdout.split()


def test_its_sources_load_and_are_checked_with_the_keys_it_declares(module, tmp_path):
    schemas = source_schemas([*crawler_settings.SPIDER_MODULES, module])
    (source,) = load_sources(write(tmp_path, SOURCE), schemas)
    assert source.platform == "panneau"
    assert source.settings == {"base_url": "http://127.0.0.1:9", "boards": ["entraide"]}
    assert source.is_local
    bad = [
        (SOURCE + 'colour = "bleu"\n', "unknown key 'colour' for platform 'panneau'"),
        (SOURCE.replace('["entraide"]', '"entraide"'), "key 'boards' has the wrong"),
        (SOURCE.replace('base_url = "http://127.0.0.1:9"\n', ""), "missing key(s)"),
        (
            SOURCE.replace('boards = ["entraide"]\n', ""),
            "missing key(s) boards (or query)",
        ),
    ]
    for text, message in bad:
        with pytest.raises(ConfigError) as err:
            load_sources(write(tmp_path, text), schemas)
        assert message in str(err.value)


def test_the_composition_root_and_the_crawl_find_it_in_spider_modules(
    module, tmp_path, monkeypatch
):
    """A spider file in a module of SPIDER_MODULES (crawlers/spiders/ for ours)
    is all `maraude crawl` needs: the registry and the sources know it."""
    import crawlers.spiders as registry
    from maraude.cli.commands import configured_sources

    modules = [*crawler_settings.SPIDER_MODULES, module]
    monkeypatch.setattr(crawler_settings, "SPIDER_MODULES", modules)
    assert registry.SPIDERS["panneau"].platform == "panneau"
    (source,) = configured_sources(write(tmp_path, SOURCE))
    assert source.platform == "panneau"


def test_the_dashboard_and_the_opt_out_register_know_it_from_its_stored_posts(
    tmp_path, monkeypatch
):
    """The dashboard cannot import the crawlers: the admin page lists a new
    platform's sources as named, and it learns the platform from its stored
    posts: the queue's platform filter and the opt-out register offer it, with
    no line added to maraude.vocab."""
    assert "panneau" not in vocab.PLATFORMS
    with pytest.raises(ConfigError, match="unknown platform 'panneau'"):
        load_sources(write(tmp_path, SOURCE))  # without the spiders: by default
    # The admin page's list of sources: as named, keys unchecked (its spider's).
    sources_file = write(tmp_path, SOURCE + 'colour = "bleu"\n')
    (source,) = load_sources(sources_file, any_platform=True)
    assert (source.platform, source.settings["colour"]) == ("panneau", "bleu")
    config = load_config(None)
    config = replace(
        config, crawl=replace(config.crawl, sources_file=str(sources_file))
    )
    db_path = tmp_path / "maraude.db"
    monkeypatch.setenv("MARAUDE_DB", str(db_path))
    seed(db_path)
    db = mdb.open_db(db_path)
    with pytest.raises(InputError, match="Unknown platform 'panneau'"):
        known_platform(db, "panneau")  # nothing stored from it yet
    mdb.upsert_post(
        db,
        {
            "platform": "panneau",
            "site": "panneaux.example.org",
            "source": "panneaux-locaux",
            "native_id": "p1",
            "url": "https://panneaux.example.org/p1",
            "title": "annonce",
            "text": "un message inventé pour ce test",
            "created_at": now_iso(),
            "content_hash": content_hash("p1"),
        },
    )
    assert "panneau" in mdb.stored_platforms(db)
    assert known_platform(db, " Panneau ") == "panneau"
    assert known_platforms(db)[: len(vocab.PLATFORMS)] == list(vocab.PLATFORMS)
    assert "panneau" in known_platforms(db)
    admin = {"username": "ada", "role": "admin"}
    (listed,) = sources(db, admin, config)
    assert (listed["name"], listed["platform"]) == ("panneaux-locaux", "panneau")
    db.close()

    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    sign_in(at, "ada", PASSWORD)
    assert not at.exception
    (queue_filter,) = [s for s in at.selectbox if s.label == "Plateforme"]
    assert "panneau" in queue_filter.options
    at.switch_page("pages/admin.py").run()
    assert not at.exception
    (optout_platform,) = [s for s in at.selectbox if s.label == "Plateforme"]
    assert "panneau" in optout_platform.options


def other_spider(class_name: str, name: str, platform: str) -> str:
    return textwrap.dedent(
        f"""\
        from crawlers.spiders.base import SourceSpider


        class {class_name}(SourceSpider):
            name = "{name}"
            platform = "{platform}"
        """
    )


def test_a_spider_without_keys_or_with_another_name_is_a_clear_error(module, tmp_path):
    package = tmp_path / module
    (package / "sans_cles.py").write_text(
        other_spider("SansClesSpider", "sans_cles", "sans_cles"), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"sans_cles spider .* declares no source"):
        source_schemas([module])
    (package / "sans_cles.py").unlink()
    (package / "autre.py").write_text(
        other_spider("AutreSpider", "autre", "panneau"), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match='set name = platform = "autre"'):
        spiders([module, "crawlers.spiders"])
