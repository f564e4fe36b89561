"""Run every benchmark: ``python -m benchmarks`` (``make bench``).

Each one prints its figures and ratios; docs/benchmarks.md records them.
"""

from __future__ import annotations

from benchmarks import (
    classify,
    crawl,
    french,
    lang,
    postgres,
    quality,
    queue,
    render,
    schedule,
    scrapyd,
    twitch,
)


def main() -> None:
    print("== crawl ==")
    crawl.run(20_000)
    print("\n== one scheduler round (schedule --once, recorded sources) ==")
    schedule.run()
    print("\n== two scrapyd crawl machines, one database (20,000 posts) ==")
    scrapyd.run(20_000)
    print("\n== language identification ==")
    lang.run()
    print("\n== Twitch chat (50 messages/s) ==")
    twitch.run(50.0, 60.0)
    print("\n== French stand-ins ==")
    french.run()
    print("\n== quality (seed, blind, real dev, false alarms, Dreaddit) ==")
    quality.run(with_dreaddit=True)
    print("\n== classify ==")
    classify.run(2_000, 100_000)
    print("\n== queue ==")
    queue.run(1_000_000, 100_000)
    print("\n== queue page in a browser ==")
    render.run(1_000_000, 100_000)
    print("\n== SQLite and PostgreSQL: crawl inserts, queue, 8 claimers ==")
    postgres.run(1_000_000, 100_000, 20_000)


if __name__ == "__main__":
    main()
