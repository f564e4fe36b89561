"""``db_path`` as a new PostgreSQL database, for test modules run again on
PostgreSQL: import it last, after the star import of the module it reruns."""

from __future__ import annotations

import pytest

from maraude.config import DatabaseUrl


@pytest.fixture
def db_path(pg_url, monkeypatch):
    """The seeded database is a new PostgreSQL database; the app reads MARAUDE_DB."""
    monkeypatch.setenv("MARAUDE_DB", pg_url)
    monkeypatch.delenv("MARAUDE_CONFIG", raising=False)
    return DatabaseUrl(pg_url)
