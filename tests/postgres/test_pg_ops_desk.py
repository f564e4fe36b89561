"""tests/maraude/test_ops_desk.py again, its seeded database on PostgreSQL."""

from __future__ import annotations

from tests.maraude.test_ops_desk import *  # noqa: F403

# isort: split
from tests.postgres.swap import db_path  # noqa: F401 (last: PostgreSQL)
