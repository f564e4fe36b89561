"""FeedWalk: incremental, resumable reading of newest-first paged feeds.

A simulated feed stands in for a platform: ids grow with time, pages of
``size`` posts, a cursor per page. Runs can stop after ``max_pages`` or be
"killed" (the final state is never saved, only the checkpoints).
"""

from __future__ import annotations

from crawlers.walk import FeedWalk


class Feed:
    def __init__(self, n: int, size: int = 5) -> None:
        self.ids = list(range(1, n + 1))
        self.size = size

    def add(self, k: int) -> None:
        top = self.ids[-1]
        self.ids += list(range(top + 1, top + k + 1))

    def page(self, cursor):
        newest_first = sorted(self.ids, reverse=True)
        start = 0 if cursor is None else newest_first.index(cursor) + 1
        page = newest_first[start : start + self.size]
        more = start + self.size < len(newest_first)
        return page, (page[-1] if more and page else None)


def run(feed, state, stored, *, max_pages=100, kill_after=None):
    """One crawl run; returns the saved state and the number of requests."""
    walk = FeedWalk(state=dict(state))
    saved = dict(state)
    cursor, pages = None, 0
    while True:
        pages += 1
        checkpoint = (walk.requested(cursor), walk.checkpoint())[1]
        if checkpoint is not None:
            saved = checkpoint
        ids, natural = feed.page(cursor)
        keep, cursor = walk.page(ids, natural)
        if kill_after is not None and pages == kill_after:
            stored.update(ids[: len(ids) // 2])  # killed while storing the page
            return saved, pages
        stored.update(i for i, k in zip(ids, keep, strict=True) if k)
        if cursor is None or pages >= max_pages:
            return walk.final(), pages


def test_first_run_reads_everything_then_a_second_run_one_page():
    feed, stored = Feed(23), set()
    state, pages = run(feed, {}, stored)
    assert stored == set(feed.ids)
    assert pages == 5
    assert state == {"high": 23}
    state, pages = run(feed, state, stored)
    assert pages == 1
    assert state == {"high": 23}


def test_new_posts_are_read_down_to_the_mark():
    feed, stored = Feed(23), set()
    state, _ = run(feed, {}, stored)
    feed.add(7)
    state, pages = run(feed, state, stored)
    assert stored == set(feed.ids)
    assert pages == 2
    assert state == {"high": 30}


def test_max_pages_leaves_a_gap_that_the_next_run_fills():
    feed, stored = Feed(40), set()
    state, pages = run(feed, {}, stored, max_pages=3)
    assert pages == 3
    assert len(stored) == 15
    assert state["gaps"] == [{"head": 40, "cursor": 26}]
    feed.add(4)
    state, _ = run(feed, state, stored, max_pages=100)
    assert stored == set(feed.ids)
    assert state == {"high": 44}


def test_a_killed_backlog_is_resumed_not_skipped():
    feed, stored = Feed(50), set()
    state, _ = run(feed, {}, stored, kill_after=4)  # killed on page 4
    assert "gaps" in state
    assert not set(feed.ids) <= stored
    feed.add(3)  # new posts meanwhile: the newest are stored, the backlog is not
    state, _ = run(feed, state, stored, kill_after=3)  # killed again
    state, _ = run(feed, state, stored)
    assert stored == set(feed.ids)
    assert state == {"high": 53}


def test_resume_jumps_over_what_was_stored():
    feed, stored = Feed(100, size=10), set()
    state, _ = run(feed, {}, stored, kill_after=6)
    _, pages = run(feed, state, stored)
    assert stored == set(feed.ids)
    assert pages == 1 + 5  # the top page, then the jump to page 6 and on


def test_every_kill_point_loses_nothing():
    for kill in range(1, 8):
        feed, stored = Feed(30), set()
        state, _ = run(feed, {}, stored, kill_after=kill)
        feed.add(2)
        state, _ = run(feed, state, stored)
        assert stored == set(feed.ids), kill
        assert state == {"high": 32}
