"""In this folder ``db`` is a fresh PostgreSQL database with migrations applied,
so test modules imported here run the SQLite tests again on PostgreSQL."""

from __future__ import annotations

import pytest

from maraude import db as mdb


@pytest.fixture
def db(pg_url):
    """A new PostgreSQL database with migrations applied (instead of ``:memory:``)."""
    database = mdb.open_db(pg_url)
    yield database
    database.close()
