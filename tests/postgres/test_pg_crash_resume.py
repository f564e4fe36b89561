"""tests/crawlers/test_crash_resume.py again, on PostgreSQL."""

from __future__ import annotations

from tests.crawlers.conftest import *  # noqa: F403
from tests.crawlers.test_crash_resume import *  # noqa: F403

# isort: split
from tests.postgres.swap import db_path  # noqa: F401 (last: PostgreSQL)
