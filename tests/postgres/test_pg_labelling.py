"""tests/dashboard/test_labelling.py again, its seeded database on PostgreSQL."""

from __future__ import annotations

from tests.dashboard.conftest import *  # noqa: F403
from tests.dashboard.test_labelling import *  # noqa: F403

# isort: split
from tests.postgres.swap import db_path  # noqa: F401 (last: PostgreSQL)
