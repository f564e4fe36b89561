"""Fixtures for the dashboard tests: a seeded temporary database and the app."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database
from streamlit.testing.v1 import AppTest

from dashboard import auth
from maraude import db as mdb
from tests.dashboard.dashboard_seed import APP, PASSWORD, seed, sign_in

# The seeded database (db_path, leads, db): one definition, shared with the
# operations tests.
from tests.maraude.ops_fixtures import db as db
from tests.maraude.ops_fixtures import db_path as db_path
from tests.maraude.ops_fixtures import leads as leads


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Failed sign-ins would sleep: record the delays instead, and reset counters."""
    delays: list[float] = []
    offset = [0.0]

    def sleep(seconds: float) -> None:  # time passes, instantly
        delays.append(seconds)
        offset[0] += seconds

    monkeypatch.setattr(auth, "_sleep", sleep)
    start = time.monotonic()  # the throttle's clock moves only when it sleeps
    monkeypatch.setattr(auth, "_clock", lambda: start + offset[0])
    auth._throttle.clear()
    return delays


@pytest.fixture
def app() -> Callable[..., AppTest]:
    """Run the dashboard; ``app("alice")`` signs in first."""

    def run(username: str | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=30)
        at.run()
        if username is not None:
            sign_in(at, username, PASSWORD)
        return at

    return run


@pytest.fixture
def rich(db_path: Path) -> dict[str, int]:
    """The seeded database plus history (past leads, crawl runs, labels)."""
    return seed(db_path, rich=True)


@pytest.fixture
def rich_db(db_path: Path, rich: dict[str, int]) -> Iterator[Database]:
    conn = mdb.open_db(db_path)
    yield conn
    conn.close()
