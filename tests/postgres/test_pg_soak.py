"""tests/reliability/test_soak.py again, on PostgreSQL."""

from __future__ import annotations

from tests.reliability.test_soak import *  # noqa: F403

# isort: split
from tests.postgres.swap import db_path  # noqa: F401 (last: PostgreSQL)
