"""The one vocabulary (maraude.vocab) and every place that must agree with it.

Each list lives in :mod:`maraude.vocab`; the others derive from it, or (the
database's migrations, Scrapy's registry, the shipped model) must say the same:
these tests read them where they are, not from a Python copy.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import get_spider_loader

from maraude import vocab

ROOT = Path(__file__).resolve().parents[1]


def test_the_lists_have_no_repeated_name():
    for name in (
        "LABELS",
        "OUTPUT_LABELS",
        "FORMS",
        "CRISIS_LEVELS",
        "LEAD_STATUSES",
        "OUTCOMES",
        "CHANNELS",
        "LINK_KINDS",
        "PLATFORMS",
        "IMPORT_PLATFORMS",
        "FORUM_ENGINES",
        "FORUM_SELECTORS",
        "ROLES",
    ):
        values = getattr(vocab, name)
        assert len(set(values)) == len(values), name


def test_the_lists_nest_as_the_contract_says():
    assert vocab.LABELS[: len(vocab.OUTPUT_LABELS)] == vocab.OUTPUT_LABELS
    assert set(vocab.OPEN_STATUSES) < set(vocab.LEAD_STATUSES)
    assert set(vocab.DECIDED_STATUSES) < set(vocab.LEAD_STATUSES)
    assert set(vocab.CLOSED_STATUSES) <= set(vocab.DECIDED_STATUSES)
    assert not set(vocab.CLOSED_STATUSES) & set(vocab.OPEN_STATUSES)
    assert not set(vocab.PLATFORMS) & set(vocab.IMPORT_PLATFORMS)


# --- platforms and forum engines ---------------------------------------------


def test_every_platform_of_the_vocabulary_has_its_spider_and_schema():
    """vocab.PLATFORMS lists the project's own platforms: each has a spider. A
    new platform may have its spider only (tests/test_new_platform.py)."""
    from crawlers.spiders import SPIDERS, source_schemas
    from maraude.sources import PLATFORM_KEYS, REQUIRED_KEYS, SCHEMAS

    platforms = set(vocab.PLATFORMS)
    assert platforms <= set(SPIDERS)
    assert set(source_schemas()) == set(SPIDERS)  # each spider's, or the core's
    # The core's own keys: the project's first platforms (a new one may keep
    # its keys in its spider only, see tests/test_new_platform.py).
    assert set(REQUIRED_KEYS) <= set(PLATFORM_KEYS) == set(SCHEMAS) <= platforms
    for platform, spider in SPIDERS.items():
        assert spider.name == spider.platform == platform


def test_scrapy_own_registry_names_every_platform():
    settings = Settings()
    settings.setmodule("crawlers.settings", priority="project")
    assert set(vocab.PLATFORMS) <= set(get_spider_loader(settings).list())


def test_every_schema_key_a_source_requires_is_one_it_may_give():
    from crawlers.spiders import source_schemas

    for platform, schema in source_schemas().items():
        assert schema.required <= set(schema.keys), platform
        assert set(schema.any_of) <= set(schema.keys), platform


def test_optout_platforms_of_the_cli_are_the_vocabulary():
    """``maraude optout add --platform`` knows every crawled and imported platform."""
    from maraude import db as mdb
    from maraude.errors import InputError
    from maraude.ops.admin import known_platform

    database = mdb.open_db(":memory:")
    for platform in (*vocab.PLATFORMS, *vocab.IMPORT_PLATFORMS):
        assert known_platform(database, platform.upper()) == platform
    with pytest.raises(InputError, match="Unknown platform"):
        known_platform(database, "myspace")


def test_forum_engines_agree():
    from crawlers.spiders.forum_engines import ENGINES
    from maraude.sources import FORUM_ENGINES

    assert set(ENGINES) == set(vocab.FORUM_ENGINES)
    assert FORUM_ENGINES == vocab.FORUM_ENGINES
    for name, engine in ENGINES.items():
        assert engine.name == name


def test_forum_selectors_agree():
    from dataclasses import fields

    from crawlers.spiders.forum_engines import REQUIRED, Engine
    from maraude.sources import FORUM_SELECTORS

    assert FORUM_SELECTORS == vocab.FORUM_SELECTORS
    # The crawler and the source check require the same selectors.
    assert REQUIRED == vocab.FORUM_REQUIRED_SELECTORS
    assert set(REQUIRED) <= set(vocab.FORUM_SELECTORS)
    assert set(vocab.FORUM_SELECTORS) <= {f.name for f in fields(Engine)}


# --- the database, read from a fresh database's own SQL ------------------------


@pytest.fixture(scope="module")
def table_sql() -> dict[str, str]:
    from maraude import db as mdb

    database = mdb.open_db(":memory:")
    rows = database.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL"
    ).fetchall()
    database.close()
    return {name: sql for name, sql in rows}


def check_values(sql: str, column: str) -> tuple[str, ...]:
    """The quoted values of ``CHECK (… column IN (…))`` in a CREATE TABLE."""
    found = re.search(rf"\b{column}\s+IN\s*\(([^)]*)\)", sql, re.I)
    assert found, f"no CHECK on {column}"
    return tuple(re.findall(r"'([^']*)'", found.group(1)))


def default_of(sql: str, column: str) -> str:
    found = re.search(rf"\b{column}\s+TEXT[^,]*?DEFAULT\s+'([^']*)'", sql, re.I)
    assert found, f"no default for {column}"
    return found.group(1)


def test_lead_statuses_and_outcomes_are_the_database_checks(table_sql):
    leads = table_sql["leads"]
    assert check_values(leads, "status") == vocab.LEAD_STATUSES
    assert default_of(leads, "status") == vocab.LEAD_STATUSES[0] == "new"
    assert check_values(leads, "outcome") == vocab.OUTCOMES


def test_roles_are_the_database_check(table_sql):
    assert check_values(table_sql["users"], "role") == vocab.ROLES


def test_link_kinds_are_the_database_check(table_sql):
    assert check_values(table_sql["post_links"], "kind") == vocab.LINK_KINDS


def test_postgresql_schema_has_the_same_checks():
    """PostgreSQL is created from maraude.db.schema_pg's DDL: the same lists."""
    from maraude.db import schema_pg

    ddl = "\n".join(
        value for value in vars(schema_pg).values() if isinstance(value, str)
    )
    tables = dict(
        re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+) \((.*?)\n\);", ddl, re.S)
    )
    assert check_values(tables["leads"], "status") == vocab.LEAD_STATUSES
    assert default_of(tables["leads"], "status") == vocab.LEAD_STATUSES[0]
    assert check_values(tables["leads"], "outcome") == vocab.OUTCOMES
    assert check_values(tables["users"], "role") == vocab.ROLES
    assert check_values(tables["post_links"], "kind") == vocab.LINK_KINDS


def test_the_core_names_are_the_vocabulary():
    from maraude import db as mdb
    from maraude import targets, templates
    from maraude.db import activity, duplicates, labelling, leads, retention

    assert mdb.LEAD_STATUSES == vocab.LEAD_STATUSES
    assert mdb.OPEN_STATUSES == targets.OPEN_STATUSES == vocab.OPEN_STATUSES
    assert mdb.ROLES == vocab.ROLES
    assert mdb.OUTCOMES == vocab.OUTCOMES
    assert mdb.CHANNELS == vocab.CHANNELS
    assert duplicates.LINK_KINDS == vocab.LINK_KINDS
    assert activity.DECIDED == vocab.DECIDED_STATUSES
    assert retention.CLOSED == vocab.CLOSED_STATUSES
    assert labelling.BINARY == vocab.LABELS
    assert labelling.FORMS == vocab.FORMS
    assert set(targets.LEVELS) == set(vocab.OUTPUT_LABELS)
    assert set(leads.LEVEL_PRIORITY) == set(vocab.CRISIS_LEVELS)
    assert set(templates.FORMS) <= set(vocab.FORMS)


# --- the classifier ------------------------------------------------------------


def test_the_classifier_labels_are_the_vocabulary():
    from classifier import dataset, metrics, model

    assert dataset.LABELS == vocab.LABELS
    assert dataset.FORMS == vocab.FORMS
    assert model.OUTPUT_LABELS == vocab.OUTPUT_LABELS
    assert metrics.LEVELS == vocab.CRISIS_LEVELS


def test_the_shipped_model_speaks_the_vocabulary():
    meta = json.loads((ROOT / "models" / "default" / "metadata.json").read_text())
    assert tuple(meta["labels"]) == vocab.LABELS
    assert tuple(meta["output_labels"]) == vocab.OUTPUT_LABELS
    assert set(meta["non_recours_forms"]) == set(vocab.FORMS)


# --- roles, permissions and pages ------------------------------------------------


def page_actions() -> dict[str, str]:
    """Each page of dashboard/pages (its slug), with the action of its PAGE
    literal (read with ast: importing a page would run it)."""
    from dashboard.navigation import discover

    return {page.slug: page.action for page in discover(ROOT / "dashboard" / "pages")}


def test_every_page_file_declares_a_known_action():
    actions = page_actions()
    files = {p.stem for p in (ROOT / "dashboard" / "pages").glob("*.py")}
    assert set(actions) == files - {"__init__"}
    for slug, action in actions.items():
        assert action in vocab.PERMISSIONS, slug


def test_permissions_name_only_roles_and_every_role_sees_a_page():
    for action, roles in vocab.PERMISSIONS.items():
        assert roles, action
        assert roles <= set(vocab.ROLES), action
    for role in vocab.ROLES:
        assert any(vocab.allowed(role, a) for a in page_actions().values()), role
    assert vocab.roles_for("claim") == vocab.PERMISSIONS["claim"]
    assert not vocab.allowed(None, "view")
    with pytest.raises(KeyError):
        vocab.roles_for("no_such_action")


#: The helpers that take an action, with the position of that argument: the
#: vocabulary's own and the operations layer's (maraude.ops.guard).
HELPERS = {"roles_for": 0, "allowed": 1, "can": 1, "require": 2}


def _actions_named_in_code() -> set[tuple[str, str]]:
    """(file, name) for each literal name given to one of :data:`HELPERS` in
    our packages."""
    named: set[tuple[str, str]] = set()
    for package in ("maraude", "dashboard", "crawlers", "classifier"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else None
                name = func.id if isinstance(func, ast.Name) else name
                index = HELPERS.get(name or "")
                if index is None or len(node.args) <= index:
                    continue
                arg = node.args[index]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    named.add((str(path.relative_to(ROOT)), arg.value))
    return named


def test_every_action_named_in_code_exists():
    for where, value in _actions_named_in_code():
        assert value in vocab.PERMISSIONS, f"{where}: unknown action {value!r}"


# --- the dashboard's French names ----------------------------------------------


def test_every_name_shown_on_the_dashboard_has_its_french_wording():
    from dashboard.widgets import wording

    assert set(wording.LABELS) == set(vocab.OUTPUT_LABELS)
    assert set(wording.LABEL_KEYS) == set(vocab.LABELS)
    assert set(wording.FORMS) - {None} == set(vocab.FORMS)
    assert set(wording.STATUSES) == set(vocab.LEAD_STATUSES)
    assert set(wording.ROLES) == set(vocab.ROLES)
    assert set(wording.CHANNELS) == set(vocab.CHANNELS)


# --- the command line's choices --------------------------------------------------


def choices(command, option: str) -> tuple[str, ...]:
    (param,) = [p for p in command.params if p.name == option]
    return tuple(param.type.choices)


def test_cli_choices_are_the_vocabulary():
    from maraude.cli import cli

    assert choices(cli.commands["leads"], "statuses") == vocab.LEAD_STATUSES
    assert choices(cli.commands["user"].commands["add"], "role") == vocab.ROLES
    assert choices(cli.commands["train"], "label_name") == vocab.LABELS
