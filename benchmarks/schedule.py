"""One scheduler round: ``maraude schedule --once`` over every recorded source.

Every recorded fixture of ``../shared/fixtures`` that a spider reads (Reddit
listings, Mastodon timelines, a Bluesky search, a Discourse forum, two RSS
feeds, four forum boards: 12 sources) is replayed on 127.0.0.1, and one
``maraude schedule --once`` runs in a subprocess: the due sources are crawled
in one process, then classified once with the shipped model, then the alerts,
recheck and purge jobs run, as a real round does. The recorded posts are in
English and German: ``[classifier] languages`` keeps them here, so that the
classifier has posts to read. Target (issue #18): ≤ 30 s (14 sources took
3 min 04 s when each source was crawled, then classified, on its own).

``--per-source`` times the old way for comparison (one ``maraude crawl
--source`` and one ``maraude classify`` per source): minutes of CPU.

    python -m benchmarks.schedule [--per-source]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from maraude import db as mdb
from tests.cassettes import MASTODON_HOST, cassette_reply
from tests.replay import ReplayServer, Reply, betamax_reply

SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
EMPTY_REDDIT = b'{"kind": "Listing", "data": {"after": null, "children": []}}'
FORUMS = {  # engine: (fixture, path, charset)
    "vbulletin": (
        "vbulletin_pocketpc.ch.auslieferung.html",
        "/f/122760-auslieferung-34.html",
        None,
    ),
    "xenforo": ("xenforo_katzen-forum.net-Pepe.html", "/threads/pepe.230143/", "utf-8"),
    "phpbb": ("phpbb_foren.myoos.de.html", "/viewtopic.php", "utf-8"),
    "forumotion": (
        "forumotion_wolfsrebellen-netz.forumieren.com.regeln.html",
        "/t7-forums-regeln",
        "utf-8",
    ),
}


def _reddit(server: ReplayServer) -> list[str]:
    listings = {
        "askreddit": ("praw_TestSubredditListings.test_new.json", "/r/askreddit/new"),
        "all": ("praw_TestSubredditStreams.test_submissions.json", "/r/all/new"),
    }
    sources = []
    for name, (cassette, uri) in listings.items():
        reply = betamax_reply(SHARED / "reddit" / cassette, uri)
        after = json.loads(reply.body)["data"].get("after")
        if after:
            server.add(uri, Reply(200, EMPTY_REDDIT), after=after)
        server.add(uri, reply)
        sources.append(f'platform = "reddit"\nsubreddits = ["{name}"]')
    return sources


def _mastodon(server: ReplayServer) -> list[str]:
    rewrite = {MASTODON_HOST: server.base_url}
    timelines = {
        "hoot": ("mastodonpy_test_hashtag_tl.yaml", "/api/v1/timelines/tag/hoot"),
        "aide": (
            "mastodonpy_test_public_tl_anonymous.yaml",
            "/api/v1/timelines/public",
        ),
    }
    sources = []
    for tag, (cassette, uri) in timelines.items():
        reply = cassette_reply(SHARED / "mastodon" / cassette, uri, rewrite=rewrite)
        path = f"/api/v1/timelines/tag/{tag}"
        link = reply.headers.get("link") or reply.headers.get("Link") or ""
        if "max_id=" in link:
            next_id = link.split("max_id=")[1].split(">")[0].split("&")[0]
            server.add(path, Reply(200, b"[]"), max_id=next_id)
        server.add(path, reply)
        sources.append(f'platform = "mastodon"\nhashtags = ["{tag}"]')
    return sources


def _bluesky(server: ReplayServer) -> list[str]:
    reply = cassette_reply(SHARED / "bluesky" / "bskyr_f_search.yml", "searchPosts")
    path = "/xrpc/app.bsky.feed.searchPosts"
    server.add(path, Reply(200, b'{"posts": []}'), cursor="25")
    server.add(path, reply)
    return ['platform = "bluesky"\nquery = "rsa"']


def _discourse(server: ReplayServer) -> list[str]:
    folder = SHARED / "discourse"
    server.add("/posts", Reply(200, b'{"latest_posts": []}'), before="20168")
    server.add(
        "/posts", Reply(200, (folder / "criticalfallibilism_posts.json").read_bytes())
    )
    server.add(
        "/t/2108/451",
        Reply(200, (folder / "criticalfallibilism_t_2108_post_452.json").read_bytes()),
    )
    server.add(
        "/t/2144",
        Reply(200, (folder / "criticalfallibilism_t_2144_posts.json").read_bytes()),
    )
    return ['platform = "discourse"']


def _rss(server: ReplayServer) -> list[str]:
    sources = []
    for i, name in enumerate(sorted((SHARED / "rss").glob("*.rss"))):
        path = f"/feed{i}.rss"
        headers = {"Content-Type": "application/rss+xml; charset=utf-8"}
        server.add(path, Reply(200, name.read_bytes(), headers))
        sources.append(f'platform = "rss"\nurl = "{server.base_url}{path}"')
    return sources


def _forums(server: ReplayServer) -> list[str]:
    sources = []
    for engine, (fixture, path, charset) in FORUMS.items():
        kind = f"text/html; charset={charset}" if charset else "text/html"
        body = (SHARED / "forums_html" / fixture).read_bytes()
        server.add(path, Reply(200, body, {"Content-Type": kind}))
        url = f"{server.base_url}{path}" + ("?t=167" if engine == "phpbb" else "")
        sources.append(
            f'platform = "forum"\nengine = "{engine}"\nstart_urls = ["{url}"]'
        )
    return sources


def serve_all(server: ReplayServer) -> str:
    """Route every recorded source on ``server``; their sources file (TOML)."""
    blocks = []
    for kind in (_reddit, _mastodon, _bluesky, _discourse, _rss, _forums):
        for i, body in enumerate(kind(server)):
            name = f"{kind.__name__.strip('_')}-{i}"
            needs_base = kind in (_reddit, _mastodon, _bluesky, _discourse)
            base = f'base_url = "{server.base_url}"\n' if needs_base else ""
            head = f'[[sources]]\nname = "{name}"\nschedule = "*/30 * * * *"\n'
            blocks.append(f"{head}{base}{body}\n")
    return "\n".join(blocks)


def _maraude(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARAUDE_")}
    env |= {
        "MARAUDE_SECRET": "b" * 32,
        "MARAUDE_CONFIG": str(folder / "config.toml"),
        "MARAUDE_DB": str(folder / "maraude.db"),
    }
    command = [
        sys.executable,
        "-m",
        "maraude",
        *args,
        "--sources",
        str(folder / "s.toml"),
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def _sources(folder: Path) -> list[str]:
    return ["--sources", str(folder / "s.toml")]


def run(
    per_source: bool = False, languages: tuple[str, ...] = ("fr", "en", "de")
) -> dict[str, float]:
    """Time one ``schedule --once`` round (and the old way, if asked).

    ``languages``: ``[classifier] languages``; with ``("fr",)`` the recorded
    posts (English, German) are counted, not stored, so nothing is classified.
    """
    if not SHARED.is_dir():
        print(f"skipped: {SHARED} is absent (clone the project next to shared/)")
        return {}
    figures: dict[str, float] = {}
    with ReplayServer() as server, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        toml = serve_all(server)
        (folder / "s.toml").write_text(toml, encoding="utf-8")
        (folder / "config.toml").write_text(
            f"[classifier]\nlanguages = {json.dumps(list(languages))}\n",
            encoding="utf-8",
        )
        names = [
            line.split('"')[1] for line in toml.splitlines() if line.startswith("name")
        ]
        start = time.perf_counter()
        result = _maraude(
            folder, "--log-level", "INFO", "schedule", "--once", *_sources(folder)
        )
        figures["round_s"] = time.perf_counter() - start
        database = mdb.open_db(folder / "maraude.db")
        counts = mdb.counts(database)
        runs = mdb.crawl_runs(database)
        print(
            f"schedule --once, {len(names)} sources, languages "
            f"{','.join(languages)}: {figures['round_s']:.1f} s "
            f"(exit {result.returncode}); {counts['posts']} posts stored, "
            f"{counts.get('predictions', 0)} classified, {len(runs)} crawl runs, "
            f"{sum(1 for r in runs if r['status'] != 'ok')} not ok"
        )
        for line in result.stderr.splitlines():
            if "round: " in line:
                print("  " + line.split("round: ", 1)[1])
        if result.returncode:
            print(result.stderr[-2000:])
        if per_source:
            figures["per_source_s"] = _per_source(folder, names)
            print(
                f"the old way (crawl + classify per source): "
                f"{figures['per_source_s']:.1f} s"
            )
    return figures


def _per_source(folder: Path, names: list[str]) -> float:
    (folder / "maraude.db").unlink()
    start = time.perf_counter()
    for name in names:
        _maraude(folder, "crawl", "--source", name, *_sources(folder))
        _maraude(folder, "classify")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-source", action="store_true")
    parser.add_argument(
        "--languages", default="fr,en,de", help="[classifier] languages (comma list)"
    )
    args = parser.parse_args()
    run(args.per_source, tuple(args.languages.split(",")))


if __name__ == "__main__":
    main()
