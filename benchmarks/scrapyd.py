"""Two scrapyd crawl machines on one database: every post stored once.

Serves N synthetic French posts as four Reddit subreddits (pages of 100) on
127.0.0.1, starts two scrapyd servers (two processes on loopback, as two crawl
machines), deploys the project to both and sends every source to **both**
(8 jobs for 4 sources, as two schedulers that disagree would): the database
lease lets one job per source crawl it, the other refuses (or, if it starts
after the first ended, stores 0 new). The database is a throwaway PostgreSQL
cluster (shape 2 of docs/deployment.md), else a SQLite file.

    python -m benchmarks.scrapyd [--posts 20000] [--sqlite]
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

from benchmarks.crawl import synthetic_posts
from maraude import db as mdb
from maraude.demo.server import DemoServer

SUBREDDITS = 4
ELAPSED = re.compile(r"'elapsed_time_seconds': ([0-9.]+)")


def _database(tmp: Path, sqlite: bool) -> tuple[str, object | None]:
    if not sqlite:
        from tests.postgres.cluster import Cluster, ClusterUnavailable

        try:
            cluster = Cluster().start()
            return cluster.create_database("bench"), cluster
        except ClusterUnavailable as e:
            print(f"PostgreSQL unavailable ({e}): SQLite instead")
    return str(tmp / "maraude.db"), None


def run(n: int, sqlite: bool = False) -> dict[str, float]:
    """Crawl ``n`` posts with two scrapyd servers; its figures."""
    posts = synthetic_posts(n)
    for i, post in enumerate(posts):
        post["subreddit"] = f"bench{i % SUBREDDITS}"
    server = DemoServer(page_size=100, posts=posts)
    with server, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        target, cluster = _database(tmp, sqlite)
        try:
            figures = _crawl(n, tmp, target, server.base_url)
        finally:
            if cluster is not None:
                cluster.stop()  # type: ignore[attr-defined]
    figures["postgresql"] = float(cluster is not None)
    print(
        f"{'PostgreSQL' if cluster is not None else 'SQLite'}, 2 scrapyd, "
        f"{figures['jobs']:.0f} jobs for {SUBREDDITS} sources: "
        f"{figures['posts']:.0f} of {n} posts stored once "
        f"({figures['duplicates']:.0f} duplicates, {figures['refused']:.0f} jobs "
        f"refused by the lease, {figures['unfinished']:.0f} unfinished) in "
        f"{figures['seconds']:.1f} s: {figures['posts_per_s']:,.0f} posts/s "
        f"(the slowest job crawled for {figures['slowest_job_s']:.1f} s)"
    )
    return figures


def _crawl(n: int, tmp: Path, target: str, base_url: str) -> dict[str, float]:
    from crawlers.egg import build_egg
    from maraude.scrapyd import Pool
    from tests.scale.scrapyd_server import Scrapyd, scrapyd_env

    sources = tmp / "sources.toml"
    sources.write_text(
        "".join(
            f'[[sources]]\nname = "bench{k}"\nplatform = "reddit"\n'
            f'base_url = "{base_url}"\nsubreddits = ["bench{k}"]\n'
            "max_pages = 100000\n\n"
            for k in range(SUBREDDITS)
        ),
        encoding="utf-8",
    )
    mdb.open_db(target).close()  # migrations, before the jobs race
    env = scrapyd_env(
        MARAUDE_DB=target, MARAUDE_SOURCES=str(sources), MARAUDE_SECRET="b" * 32
    )
    with Scrapyd(tmp / "a", env) as first, Scrapyd(tmp / "b", env) as second:
        version, egg = build_egg()
        Pool.of([first.url, second.url]).deploy(version, egg)
        jobs = [("reddit", f"bench{k}") for k in range(SUBREDDITS)]
        start = time.perf_counter()
        sent = []
        for url in (first.url, second.url):  # every source on both machines
            pool = Pool.of([url])
            pool.version = version
            sent += pool.send(jobs)
        left = Pool.of([first.url, second.url]).wait(sent, 900, poll=0.5)
        seconds = time.perf_counter() - start
        logs = [
            log.read_text(errors="replace")
            for folder in (first.folder, second.folder)
            for log in sorted((folder / "logs").rglob("*.log"))
        ]
    database = mdb.open_db(target)
    stored = database.execute("SELECT count(*) FROM posts").fetchone()[0]
    distinct = database.execute(
        "SELECT count(*) FROM (SELECT DISTINCT platform, site, native_id FROM posts) t"
    ).fetchone()[0]
    database.close()
    return {
        "posts": float(stored),
        "duplicates": float(stored - distinct),
        "jobs": float(len(sent)),
        "refused": float(sum("Another crawl of source" in log for log in logs)),
        "slowest_job_s": max(
            (float(x) for log in logs for x in ELAPSED.findall(log)), default=0.0
        ),
        "unfinished": float(len(left)),
        "seconds": seconds,
        "posts_per_s": stored / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20000)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    print(json.dumps(run(args.posts, args.sqlite)))


if __name__ == "__main__":
    main()
