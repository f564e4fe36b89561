"""Incremental, resumable walks of newest-first paged feeds.

Most sources list posts newest first, a page at a time, with a cursor to the
next (older) page: Reddit's ``after``, Discourse's ``before``, Mastodon's
``max_id``, Bluesky's ``cursor``. A :class:`FeedWalk` reads such a feed so that

* a run stops at the **high-water mark**, the newest post of the last complete
  walk: a second run of an unchanged feed reads one page and stores nothing;
* a walk cut short (``max_pages`` reached, or the process killed) leaves a
  **pending** mark ``{head, cursor}``: the next run reads the new posts from the
  top, and when it reaches the old ``head`` it jumps to ``cursor`` and finishes
  the backlog, instead of skipping it because its newest posts are stored.

State is saved only when it is safe: the cursor of page *N* is recorded when
page *N + 1* arrives (page *N*'s posts were stored long before), and the final
mark when the spider closes (after every item went through the pipelines). A
SIGKILL at any point therefore loses nothing; at worst a page is read twice, and
the database's unique key makes that harmless.

Order keys must grow with time within one feed (numeric ids, base-36 ids,
ISO timestamps): the spider gives them through ``order``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FeedWalk:
    """One feed's walk in one run; ``state`` is that feed's saved JSON state.

    ``state`` = ``{"high": H, "gaps": [{"head": h, "cursor": c}, …]}``, gaps
    newest first: everything from ``h`` down to the page at ``c`` is stored, and
    reading must go on at ``c``.
    """

    state: dict[str, Any] = field(default_factory=dict)
    head: Any = None  # newest post seen in this run
    done: bool = False  # reached the high-water mark or the end of the feed
    gaps: list[dict[str, Any]] = field(default_factory=list)
    cursor: Any = None  # cursor of the page being read (None: the top)
    next_cursor: Any = None  # cursor chosen after the last page

    def __post_init__(self) -> None:
        self.gaps = [dict(g) for g in self.state.get("gaps", [])]

    @property
    def high(self) -> Any:
        return self.state.get("high")

    def page(self, orders: list[Any], next_cursor: Any) -> tuple[list[bool], Any]:
        """Judge one page: which posts to keep, and the cursor to read next.

        ``orders`` are the page's order keys (newest first); ``next_cursor`` is
        the feed's own cursor to the next page (None at the end). Returns one
        flag per post (True: newer than the high-water mark) and the cursor to
        request next, or None when the walk is over.
        """
        keep: list[bool] = []
        reached_high = False
        jump_to = None
        for order in orders:
            if self.head is None or order > self.head:
                self.head = order
            old = self.high is not None and order <= self.high
            reached_high = reached_high or old
            if jump_to is None and self.gaps and order <= self.gaps[0]["head"]:
                jump_to = self.gaps.pop(0)["cursor"]
            keep.append(not old)
        if reached_high:
            self.next_cursor = None
        elif jump_to is not None:
            self.next_cursor = jump_to
        else:
            self.next_cursor = next_cursor
        self.done = self.next_cursor is None
        return keep, self.next_cursor

    def requested(self, cursor: Any) -> None:
        """Record that the page at ``cursor`` is being read."""
        self.cursor = cursor

    def checkpoint(self) -> dict[str, Any] | None:
        """State to save when the page at ``requested`` has arrived.

        Everything newer than that page is stored by then, so a restart may
        jump straight to it once it reaches this run's head.
        """
        if self.cursor is None or self.head is None:
            return None
        gaps = [{"head": self.head, "cursor": self.cursor}, *self.gaps]
        return {"high": self.high, "gaps": gaps}

    def final(self) -> dict[str, Any]:
        """State to save when the spider closes (all items are stored)."""
        if self.head is None:
            return dict(self.state)
        if self.done:  # read down to the mark or the end: nothing left behind
            high = self.head if self.high is None else max(self.head, self.high)
            return {"high": high}
        gaps = list(self.gaps)
        if self.next_cursor is not None:
            gaps.insert(0, {"head": self.head, "cursor": self.next_cursor})
        return {"high": self.high, "gaps": gaps}
