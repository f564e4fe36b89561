"""tests/maraude/test_refresh_incremental.py again, on PostgreSQL.

Only the tests written against the ``db`` fixture are imported: the others
count SQLite's written rows on purpose.
"""

from __future__ import annotations

from tests.maraude.test_refresh_incremental import (  # noqa: F401
    test_incremental_refresh_gives_the_queue_of_a_full_refresh,
    test_no_refresh_before_ten_minutes_unless_forced,
    test_the_queue_order_matches_after_leads_change_between_refreshes,
)
