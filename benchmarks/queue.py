"""Queue query speed: the dashboard's queue on 1,000,000 posts / 100,000 leads.

Builds the database once in a temporary folder (bulk inserts), then times
``maraude.db.list_leads`` (the shared queue order), the status counts, a
full-text search, and ``claim_next``.

    python -m benchmarks.queue [--posts 1000000] [--leads 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from maraude import db as mdb

# A vocabulary of 5,000 made-up words: a search term matches ~0.6 % of posts,
# as a real word would, instead of most of them.
_rng = random.Random(0)
WORDS = [
    "".join(_rng.choices("abcdefghijklmnopqrstuvwxyz", k=_rng.randint(3, 9)))
    for _ in range(5000)
]


def build(path: Path, n_posts: int, n_leads: int) -> None:
    database = mdb.open_db(path)
    rng = random.Random(1)
    now = time.time()
    with database.atomic():
        database.conn.executemany(
            "INSERT INTO posts (platform, site, source, native_id, url, text, "
            "created_at, fetched_at, content_hash) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                (
                    "reddit",
                    "www.reddit.com",
                    "bench",
                    str(i),
                    f"https://x/{i}",
                    " ".join(rng.choices(WORDS, k=30)),
                    time.strftime(
                        "%Y-%m-%dT%H:%M:%SZ",
                        time.gmtime(now - rng.random() * 30 * 86400),
                    ),
                    "2026-11-25T00:00:00Z",
                    str(i),
                )
                for i in range(n_posts)
            ),
        )
        lead_posts = rng.sample(range(1, n_posts + 1), n_leads)
        statuses = ["new"] * 6 + ["claimed", "replied", "not_relevant", "closed"]
        database.conn.executemany(
            "INSERT INTO leads (post_id, status, crisis, score, labels, rights_topics,"
            " model_version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                (
                    pid,
                    rng.choice(statuses),
                    int(rng.random() < 0.02),
                    rng.random(),
                    '["distress"]',
                    '["rsa"]',
                    "bench",
                    "2026-11-25T00:00:00Z",
                    "2026-11-25T00:00:00Z",
                )
                for pid in lead_posts
            ),
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
        refresh = timed(lambda: mdb.refresh_priorities(database, force=True), 3)
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
        figures["priority refresh (every 10 min, not per read)"] = refresh
    for name, ms in figures.items():
        print(
            f"{name:46} {ms:7.1f} ms (median)  target 100 ms: "
            f"{'ok' if ms < 100 else 'MISSED'}"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=100_000)
    args = parser.parse_args()
    print(json.dumps(run(args.posts, args.leads)))


if __name__ == "__main__":
    main()
