"""Shared fixtures: temporary databases, an isolated environment, ../shared data."""

from __future__ import annotations

from pathlib import Path

import pytest

from maraude import db as mdb

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """Point MARAUDE_DB at tmp_path; no user config; a test secret."""
    monkeypatch.setenv("MARAUDE_DB", str(tmp_path / "env.db"))
    monkeypatch.delenv("MARAUDE_CONFIG", raising=False)
    monkeypatch.setenv("MARAUDE_SECRET", "test-secret-0123456789abcdef")


@pytest.fixture
def db():
    """An in-memory database with migrations applied."""
    database = mdb.open_db(":memory:")
    yield database
    database.close()


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "maraude.db"


@pytest.fixture
def shared() -> Path:
    """The ../shared folder of recorded fixtures and data, or skip."""
    if not (SHARED / "fixtures").is_dir():
        pytest.skip(
            "../shared (recorded fixtures and data) is absent: clone the project "
            "next to its shared/ folder to run this test"
        )
    return SHARED
