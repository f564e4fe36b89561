"""tests/maraude/test_ops_admin.py again, its seeded database on PostgreSQL."""

from __future__ import annotations

from tests.maraude.test_ops_admin import *  # noqa: F403

# isort: split
from tests.postgres.swap import db_path  # noqa: F401 (last: PostgreSQL)
