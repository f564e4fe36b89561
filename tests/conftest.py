"""Shared fixtures: temporary databases, an isolated environment, ../shared data."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from maraude import db as mdb

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def _uses_the_shared_db(item) -> bool:
    """True when ``item`` gets ``db`` from this file (not a folder's own ``db``)."""
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.get("db") if info else None
    return bool(defs) and defs[-1].func.__module__ == __name__


def pytest_collection_modifyitems(config, items):
    """With ``MARAUDE_TEST_DB=postgresql`` run only the tests that use this
    file's ``db`` (the others would only run again on SQLite)."""
    if os.environ.get("MARAUDE_TEST_DB") != "postgresql":
        return
    keep = [item for item in items if _uses_the_shared_db(item)]
    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    items[:] = keep


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """Point MARAUDE_DB at tmp_path; no user config; a test secret."""
    monkeypatch.setenv("MARAUDE_DB", str(tmp_path / "env.db"))
    monkeypatch.delenv("MARAUDE_CONFIG", raising=False)
    monkeypatch.delenv("MARAUDE_SOURCES", raising=False)
    monkeypatch.setenv("MARAUDE_SECRET", "test-secret-0123456789abcdef")


@pytest.fixture
def db(request):
    """An in-memory database with migrations applied.

    With ``MARAUDE_TEST_DB=postgresql`` it is a new PostgreSQL database on the
    throwaway cluster instead (``.ci/run`` reruns the database tests so).
    """
    if os.environ.get("MARAUDE_TEST_DB") == "postgresql":
        database = mdb.open_db(request.getfixturevalue("pg_url"))
    else:
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


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster on 127.0.0.1 for the whole run, or skip.

    Under CI (``CI=true``) a missing server fails instead: .ci/run installs it.
    """
    from tests.postgres.cluster import Cluster, ClusterUnavailable

    try:
        cluster = Cluster().start()
    except ClusterUnavailable as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is needed under CI: {e}")
        pytest.skip(f"PostgreSQL tests skipped: {e}")
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster):
    """The URL of a new, empty PostgreSQL database (dropped after the test)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = pg_cluster.create_database(name)
    yield url
    pg_cluster.drop_database(name)
