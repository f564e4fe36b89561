"""tests/reliability/test_concurrency.py again, on PostgreSQL."""

from __future__ import annotations

from tests.reliability.test_concurrency import *  # noqa: F403

# isort: split
from tests.postgres.swap import db_path  # noqa: F401 (last: PostgreSQL)
