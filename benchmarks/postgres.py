"""SQLite and PostgreSQL side by side: crawl inserts, the queue, 8 claimers.

Starts a throwaway PostgreSQL cluster on 127.0.0.1 (``tests/postgres/cluster.py``,
fsync on: durable commits, as in production) and, in the same run on the same
machine, measures on a SQLite file and on PostgreSQL:

* crawl inserts: posts/s through ``upsert_post`` in transactions of 500, as the
  crawl pipeline stores them; and the whole crawl end to end (the Reddit spider
  and every pipeline, from ``benchmarks.crawl``'s replay server);
* the queue (the figures of ``benchmarks.queue``) on the same built data;
* claims/s with 8 concurrent claimers (threads, one connection each) calling
  ``claim_next`` until the free leads run out, and the double claims (must be 0).

    python -m benchmarks.postgres [--posts 20000] [--leads 2000] [--crawl 5000]
    python -m benchmarks.postgres --full --queue-only

The defaults are small (a minute); the issue's targets are stated at
``--posts 1000000 --leads 100000`` (``--full``). ``--queue-only`` measures only
the queue (page, "next lead", the priority refresh full against incremental
and its longest transaction), without the crawls and the 8 claimers (which at
100,000 leads claim every free lead, minutes on SQLite).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import crawl
from benchmarks.queue import WORDS, build, refresh_figures, timed
from maraude import db as mdb
from tests.postgres.cluster import Cluster


def crawl_inserts(target: str, n: int) -> float:
    """Posts/s stored through ``upsert_post``, 500 per transaction."""
    database = mdb.open_db(target)
    rows = [
        {
            "platform": "reddit",
            "site": "www.reddit.com",
            "source": "bench",
            "native_id": f"c{i}",
            "url": f"https://x/c{i}",
            "author_hash": f"h{i % 977}",
            "title": None,
            "text": " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(30)),
            "lang": "fr",
            "created_at": "2026-11-25T00:00:00Z",
            "fetched_at": None,
            "content_hash": f"c{i}",
        }
        for i in range(n)
    ]
    began = time.perf_counter()
    for start in range(0, n, 500):
        with database.atomic():
            for row in rows[start : start + 500]:
                mdb.upsert_post(database, row)
    elapsed = time.perf_counter() - began
    database.close()
    return n / elapsed


# benchmarks.crawl's child process, with the database named by a path or a URL.
CHILD = crawl.CHILD.replace(
    "Path(sys.argv[2])", "resolve_db_path(sys.argv[2])"
).replace(
    "from maraude.config import load_config",
    "from maraude.config import load_config, resolve_db_path",
)


def crawl_end_to_end(target: str, n: int) -> float:
    """Posts/s of the real crawl (spider, pipelines, storage) from a replay server."""
    server = crawl.DemoServer(page_size=100, posts=crawl.synthetic_posts(n))
    with server:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, server.base_url, target, "1"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    return n / float(out[0])


def claimers(target: str, workers: int = 8) -> dict[str, float]:
    """Claims/s of ``workers`` concurrent claimers until no lead is free."""
    claimed: list[list[int]] = [[] for _ in range(workers)]
    errors: list[str] = []
    start = threading.Barrier(workers + 1)

    def work(k: int) -> None:
        database = mdb.open_db(target)
        start.wait()
        try:
            while (lead := mdb.claim_next(database, f"w{k}")) is not None:
                claimed[k].append(lead)
        except Exception as e:  # counted: a claimer that fails stops
            errors.append(type(e).__name__)
        database.close()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(workers)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    every = [lead for ids in claimed for lead in ids]
    return {
        "claims": len(every),
        "claims/s": len(every) / elapsed,
        "double claims": len(every) - len(set(every)),
        "claimers that failed": len(errors),
    }


def queue_figures(target: str) -> dict[str, float]:
    """The queue's reads, as ``benchmarks.queue`` times them (median ms), after
    the priority refresh (:func:`benchmarks.queue.refresh_figures`)."""
    database = mdb.open_db(target)
    figures = refresh_figures(database)
    figures |= {
        "queue first page (50) ms": timed(lambda: mdb.list_leads(database, limit=50)),
        "queue page 20 (50) ms": timed(
            lambda: mdb.list_leads(database, limit=50, offset=950)
        ),
        "status counts ms": timed(lambda: mdb.status_counts(database)),
        "full-text search ms": timed(
            lambda: mdb.list_leads(database, limit=50, search=WORDS[42])
        ),
        "next lead ms": timed(lambda: mdb.claim_next(database, "bench")),
    }
    database.close()
    return figures


def _both(
    make: Callable[[str], str], measure: Callable[[str], object]
) -> dict[str, object]:
    return {name: measure(make(name)) for name in ("sqlite", "postgresql")}


def run(
    n_posts: int, n_leads: int, n_crawl: int, *, queue_only: bool = False
) -> dict[str, dict[str, object]]:
    """Measure both engines (see the module docstring); the figures by name."""
    cluster = Cluster(fsync=True).start()
    results: dict[str, dict[str, object]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            count = iter(range(1000))

            def fresh(engine: str) -> str:
                name = f"b{next(count)}"
                if engine == "sqlite":
                    return str(Path(tmp) / f"{name}.db")
                return cluster.create_database(name)

            if not queue_only:
                results["crawl posts/s"] = _both(
                    fresh, lambda target: crawl_inserts(target, n_crawl)
                )
                results["end-to-end crawl posts/s"] = _both(
                    fresh, lambda target: crawl_end_to_end(target, n_crawl)
                )
            built = {}
            for engine in ("sqlite", "postgresql"):
                target = fresh(engine)
                began = time.perf_counter()
                build(target, n_posts, n_leads)
                print(f"{engine}: built in {time.perf_counter() - began:.0f} s")
                built[engine] = target
            results["queue"] = {e: queue_figures(t) for e, t in built.items()}
            if not queue_only:
                results["8 claimers"] = {e: claimers(t) for e, t in built.items()}
    finally:
        cluster.stop()
    for name, by_engine in results.items():
        for engine, value in by_engine.items():
            shown: object = value
            if isinstance(value, dict):
                shown = {k: round(v, 1) for k, v in value.items()}
            elif isinstance(value, float):
                shown = round(value)
            print(f"{name:12} {engine:10} {shown}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--leads", type=int, default=2_000)
    parser.add_argument("--crawl", type=int, default=5_000)
    parser.add_argument(
        "--full",
        action="store_true",
        help="the issue's size: 1,000,000 posts, 100,000 leads, 20,000 crawled",
    )
    parser.add_argument(
        "--queue-only",
        action="store_true",
        help="only the queue and the priority refresh (no crawl, no claimers)",
    )
    args = parser.parse_args()
    if args.full:
        args.posts, args.leads, args.crawl = 1_000_000, 100_000, 20_000
    results = run(args.posts, args.leads, args.crawl, queue_only=args.queue_only)
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
