"""The queue's status counters follow its filters (#16)."""

from __future__ import annotations

from maraude import db as mdb
from tests.dashboard.dashboard_seed import POSTS


def test_counters_count_only_the_filtered_leads(db, leads):
    everything = mdb.status_counts(db)
    assert sum(everything.values()) == len(POSTS)
    crises = mdb.status_counts(db, label="crisis")
    assert 1 <= sum(crises.values()) < len(POSTS)
    listed = mdb.list_leads(db, label="crisis", limit=None)
    assert sum(crises.values()) == len(listed)  # the same filter as the list
    assert mdb.status_counts(db, platform="no-such-platform") == {}


def test_the_queue_page_shows_filtered_counters(app, leads):
    at = app("alice")
    new = next(m for m in at.metric if m.label == "nouveau")
    assert new.value == str(len(POSTS))
    at.selectbox[0].select("crisis").run()  # Catégorie: crise
    assert not at.exception
    new = next(m for m in at.metric if m.label == "nouveau")
    assert 1 <= int(new.value) < len(POSTS)
