"""Queue query speed: the dashboard's queue on 1,000,000 posts / 100,000 leads.

Builds the database once in a temporary folder (bulk inserts), then times
``maraude.db.list_leads`` (the shared queue order), the status counts, a
full-text search, ``claim_next``, and the priority refresh: the former full
``UPDATE`` against the incremental ``refresh_priorities``, with its longest
transaction (:func:`refresh_figures`).

    python -m benchmarks.queue [--posts 1000000] [--leads 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from maraude import db as mdb
from maraude.db.leads import PRIORITY_AT_SQL

# A vocabulary of 5,000 made-up words: a search term matches ~0.6 % of posts,
# as a real word would, instead of most of them.
_rng = random.Random(0)
WORDS = [
    "".join(_rng.choices("abcdefghijklmnopqrstuvwxyz", k=_rng.randint(3, 9)))
    for _ in range(5000)
]


#: Rows per ``executemany`` while building (memory stays flat at any size).
CHUNK = 50_000


def build(path: Path | str, n_posts: int, n_leads: int) -> None:
    """Seed ``n_posts`` posts (0–30 days old) and ``n_leads`` leads, 70 % open
    (new or claimed), 2 % of them crises (sure or possible), into the database
    at ``path`` (a SQLite file or a PostgreSQL URL). Leads carry their post's
    date, so the priority refresh has ages to move, as in production."""
    database = mdb.open_db(path)
    rng = random.Random(1)
    now = time.time()
    created = [
        time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - rng.random() * 30 * 86400)
        )
        for _ in range(n_posts)
    ]
    for start in range(0, n_posts, CHUNK):
        with database.atomic():
            database.conn.executemany(
                "INSERT INTO posts (platform, site, source, native_id, url, text, "
                "created_at, fetched_at, content_hash) VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (
                        "reddit",
                        "www.reddit.com",
                        "bench",
                        str(i),
                        f"https://x/{i}",
                        " ".join(rng.choices(WORDS, k=30)),
                        created[i],
                        "2026-11-25T00:00:00Z",
                        str(i),
                    )
                    for i in range(start, min(start + CHUNK, n_posts))
                ],
            )
    # Post ids follow the insertion order, from 1 on both engines.
    first = database.execute("SELECT min(id) FROM posts").fetchone()[0]
    lead_posts = rng.sample(range(n_posts), n_leads)
    statuses = ["new"] * 6 + ["claimed", "replied", "not_relevant", "closed"]

    def lead(i: int) -> tuple:
        level = rng.choice(["sure", "possible"]) if rng.random() < 0.02 else None
        return (
            first + i,
            rng.choice(statuses),
            int(level is not None),
            level,
            rng.random(),
            '["distress"]',
            '["rsa"]',
            "bench",
            "2026-11-25T00:00:00Z",
            "2026-11-25T00:00:00Z",
            created[i],
        )

    for start in range(0, n_leads, CHUNK):
        with database.atomic():
            database.conn.executemany(
                "INSERT INTO leads (post_id, status, crisis, crisis_level, score, "
                "labels, rights_topics, model_version, created_at, updated_at, "
                "post_created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [lead(i) for i in lead_posts[start : start + CHUNK]],
            )
    database.execute("ANALYZE")
    database.close()


def timed(func, repeat: int = 7) -> float:
    """Median wall time in milliseconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        func()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def refresh_figures(database: Any) -> dict[str, float]:
    """The priority refresh at this size, in ms: the former full refresh (one
    ``UPDATE`` of every open lead in one transaction) as of ten minutes ago,
    then the incremental ``refresh_priorities`` now (every dated lead has aged
    ten minutes, so nearly every open lead is rewritten: its usual work), with
    its longest single transaction (the longest a lock is held)."""
    ago = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
    began = time.perf_counter()
    with database.atomic():
        database.execute(
            f"UPDATE leads SET priority = {PRIORITY_AT_SQL} "  # noqa: S608
            "WHERE status IN ('new', 'claimed', 'escalated')",
            [ago, ago],
        )
    full = (time.perf_counter() - began) * 1000
    transactions: list[float] = []
    atomic = database.atomic

    @contextmanager
    def timed_atomic() -> Iterator[Any]:
        start = time.perf_counter()
        with atomic():
            yield database
        transactions.append((time.perf_counter() - start) * 1000)

    database.atomic = timed_atomic
    try:
        began = time.perf_counter()
        mdb.refresh_priorities(database, force=True)
        incremental = (time.perf_counter() - began) * 1000
    finally:
        database.atomic = atomic
    return {
        "refresh, full (one transaction) ms": full,
        "refresh, incremental ms": incremental,
        "refresh, incremental: longest transaction ms": max(transactions),
        "refresh, incremental: transactions": len(transactions),
    }


def run(n_posts: int, n_leads: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "queue.db"
        t = time.perf_counter()
        build(path, n_posts, n_leads)
        print(
            f"built {n_posts:,} posts / {n_leads:,} leads in "
            f"{time.perf_counter() - t:.0f} s"
        )
        database = mdb.open_db(path)
        refresh = refresh_figures(database)
        figures = {
            "queue first page (50)": timed(lambda: mdb.list_leads(database, limit=50)),
            "queue page 20 (50)": timed(
                lambda: mdb.list_leads(database, limit=50, offset=950)
            ),
            "queue filtered by right": timed(
                lambda: mdb.list_leads(database, limit=50, right="rsa")
            ),
            "status counts": timed(lambda: mdb.status_counts(database)),
            "full-text search": timed(
                lambda: mdb.list_leads(database, limit=50, search=WORDS[42])
            ),
            "claim next": timed(lambda: mdb.claim_next(database, "bench")),
        }
        hits = len(mdb.list_leads(database, limit=50, search=WORDS[42]))
        print(f"(the search term matches {hits} of the first 50 leads asked for)")
    for name, ms in figures.items():
        print(
            f"{name:46} {ms:7.1f} ms (median)  target 100 ms: "
            f"{'ok' if ms < 100 else 'MISSED'}"
        )
    for name, value in refresh.items():
        print(f"{name:46} {value:9.1f}")
    return {**figures, **refresh}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=100_000)
    args = parser.parse_args()
    print(json.dumps(run(args.posts, args.leads)))


if __name__ == "__main__":
    main()
