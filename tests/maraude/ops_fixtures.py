"""Fixtures of the operations tests: the dashboard's seeded database.

Import them by name in a test module (``from tests.maraude.ops_fixtures import
db as db``): they replace, for that module only, the in-memory ``db`` of
``tests/conftest.py`` with a seeded file database (users alice, bob: worker;
sam: senior; mod, mia: moderators; ada: admin; a lead of each kind).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from maraude import db as mdb
from tests.dashboard.dashboard_seed import seed


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seeded database's file, also ``MARAUDE_DB`` (as the CLI reads it)."""
    path = tmp_path / "maraude.db"
    monkeypatch.setenv("MARAUDE_DB", str(path))
    monkeypatch.delenv("MARAUDE_CONFIG", raising=False)
    return path


@pytest.fixture
def leads(db_path: Path) -> dict[str, int]:
    """A seeded (non-demo) database; lead ids by name."""
    return seed(db_path)


@pytest.fixture
def db(db_path: Path, leads: dict[str, int]) -> Iterator[Database]:
    """A second connection to the seeded database, as another process would have."""
    conn = mdb.open_db(db_path)
    yield conn
    conn.close()
