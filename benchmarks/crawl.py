"""Crawl throughput: posts/s through the whole crawl from a local replay server.

Serves N synthetic French posts as Reddit listings (pages of 100) on 127.0.0.1
and crawls them with the real spider, once with the pipelines (normalise,
mask, pseudonymise, SQLite) and once without (parse only), each in a fresh
process. The ratio shows what the pipelines cost.

    python -m benchmarks.crawl [--posts 20000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from maraude.demo.server import DemoServer

CHILD = """
import sys, time
from pathlib import Path
from crawlers.run import run_crawl
from maraude.config import load_config
from maraude.sources import Source
base, db, store = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "1"
source = Source(name="bench", platform="reddit", max_pages=100000,
                settings={"base_url": base, "subreddits": ["bench"]})
t = time.perf_counter()
(r,) = run_crawl([source], load_config().crawl, db, "b" * 32, pipelines=store)
print(time.perf_counter() - t, r.requests, r.new, r.errors)
"""

TEXT = (
    "bonjour je sais pas si j ai droit au rsa la caf me demande encore des "
    "papiers mon loyer est en retard et le frigo est vide depuis lundi merci de "
    "vos conseils"
)
WORDS = TEXT.split()


def synthetic_posts(n: int) -> list[dict]:
    now = 1_764_000_000
    posts = []
    for i in range(n, 0, -1):
        words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(40 + i % 60)]
        posts.append(
            {
                "id": f"b{i:06d}",
                "name": f"t3_b{i:06d}",
                "subreddit": "bench",
                "title": f"Question {i}",
                "selftext": " ".join(words) + f" écrivez-moi à personne{i}@example.org",
                "author": f"auteur_{i % 500}",
                "created_utc": now - i,
                "permalink": f"/r/bench/comments/b{i:06d}/q/",
            }
        )
    return posts


def run(n: int) -> dict[str, float]:
    server = DemoServer(page_size=100, posts=synthetic_posts(n))
    figures: dict[str, float] = {}
    with server, tempfile.TemporaryDirectory() as tmp:
        for label, store in (("with storage", "1"), ("parse only", "0")):
            db = Path(tmp) / f"{label}.db"
            out = subprocess.run(
                [sys.executable, "-c", CHILD, server.base_url, str(db), store],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            seconds, requests = float(out[0]), int(out[1])
            figures[label] = n / seconds
            print(
                f"{label:13} {n} posts, {requests} requests in {seconds:.2f} s: "
                f"{n / seconds:,.0f} posts/s"
            )
    share = 1 - figures["with storage"] / figures["parse only"]
    print(
        f"pipelines + SQLite take {share:.0%} of the end-to-end time "
        f"(ratio parse-only / end-to-end = "
        f"{figures['parse only'] / figures['with storage']:.2f})"
    )
    figures["pipelines_share"] = share
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20000)
    args = parser.parse_args()
    print(json.dumps(run(args.posts)))


if __name__ == "__main__":
    main()
