"""tests/dashboard/test_dashboard_app.py again, its seeded database on PostgreSQL."""

from __future__ import annotations

from tests.dashboard.conftest import *  # noqa: F403
from tests.dashboard.test_dashboard_app import *  # noqa: F403

# isort: split
from tests.postgres.swap import db_path  # noqa: F401 (last: PostgreSQL)

del test_a_missing_database_is_an_error_not_a_new_file  # a file-only check  # noqa: F821
