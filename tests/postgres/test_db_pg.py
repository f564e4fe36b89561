"""The database tests of tests/maraude/test_db.py, run again on PostgreSQL.

Only the tests written against the ``db`` fixture are imported: the others
open SQLite files on purpose (WAL, file errors, migrating an old file).
"""

from __future__ import annotations

from tests.maraude.test_db import (  # noqa: F401
    test_a_crisis_from_an_older_model_keeps_its_review_flag,
    test_a_crisis_level_may_rise_but_never_fall,
    test_a_sure_crisis_tops_the_queue_and_a_possible_one_comes_next,
    test_an_expired_claim_can_be_taken,
    test_claims_are_exclusive,
    test_crawl_runs_and_source_state,
    test_foreign_keys_are_enforced,
    test_full_text_search_follows_updates,
    test_posts_are_unique_on_platform_site_native_id,
    test_queue_order_crisis_then_score_then_freshness,
    test_rescoring_never_reopens_a_touched_lead,
    test_schema_has_the_contract_tables,
    test_stored_priorities_follow_the_age_of_posts,
    test_unscored_posts_pages_through_and_skips_scored,
)
