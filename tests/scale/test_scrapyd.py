"""Crawls as scrapyd jobs: a real scrapyd on 127.0.0.1, the real project egg.

``maraude schedule --once --scrapyd URL`` deploys the project, sends one job
per source and waits for them; the jobs read their settings from scrapyd's
environment only.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from maraude import db as mdb
from tests.replay import ReplayServer, Reply
from tests.scale.scrapyd_server import Scrapyd, free_port, scrapyd_env

pytestmark = pytest.mark.slow

SUBREDDITS = {"entraide": ["e1", "e2", "e3"], "logement": ["l1", "l2"]}


def listing(subreddit: str, ids: list[str]) -> bytes:
    now = time.time()
    children = [
        {
            "kind": "t3",
            "data": {
                "id": native_id,
                "title": f"Question {native_id} sur les aides au logement",
                "selftext": "",
                "author": f"auteur_{native_id}",
                "created_utc": now - 60 * i,
                "permalink": f"/r/{subreddit}/comments/{native_id}/",
            },
        }
        for i, native_id in enumerate(ids)
    ]
    body = {"kind": "Listing", "data": {"after": None, "children": children}}
    return json.dumps(body).encode()


def sources_toml(base_url: str) -> str:
    return "".join(
        f'[[sources]]\nname = "src-{name}"\nplatform = "reddit"\n'
        f'schedule = "*/30 * * * *"\nbase_url = "{base_url}"\n'
        f'subreddits = ["{name}"]\n\n'
        for name in SUBREDDITS
    )


def serve_sources(
    server: ReplayServer, tmp_path: Path, db_path: Path
) -> dict[str, str]:
    """Serve the subreddits on ``server``; the jobs' environment naming their
    sources file and database."""
    for name, ids in SUBREDDITS.items():
        server.add(f"/r/{name}/new", Reply(200, listing(name, ids)))
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml(server.base_url), encoding="utf-8")
    return scrapyd_env(MARAUDE_DB=str(db_path), MARAUDE_SOURCES=str(sources))


def schedule_once(env: dict[str, str], *urls: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "maraude",
            "schedule",
            "--once",
            "--no-classify",
            "--wait",
            "90",
            "--sources",
            env["MARAUDE_SOURCES"],
            *[arg for url in urls for arg in ("--scrapyd", url)],
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_schedule_sends_each_source_as_a_scrapyd_job(tmp_path):
    db_path = tmp_path / "maraude.db"
    with ReplayServer() as server:
        env = serve_sources(server, tmp_path, db_path)
        with Scrapyd(tmp_path / "scrapyd", env) as scrapyd:
            dead = f"http://127.0.0.1:{free_port()}"  # nobody listens there
            first = schedule_once(env, f"{dead},{scrapyd.url}")
            assert first.returncode == 1, first.stderr  # one server was down
            assert f"Serveur scrapyd injoignable : {dead}" in first.stderr
            database = mdb.open_db(db_path)
            stored = mdb.counts(database)["posts"]
            # On failure, say why: the scheduler's stderr and the jobs' logs.
            assert stored == 5, f"{first.stderr[-2000:]}\n{scrapyd.job_logs()[-4000:]}"
            runs = {r["source"]: r for r in mdb.crawl_runs(database)}
            assert {s: (r["status"], r["new_posts"]) for s, r in runs.items()} == {
                "src-entraide": ("ok", 3),
                "src-logement": ("ok", 2),
            }
            jobs = scrapyd.get("listjobs.json?project=maraude")["finished"]
            assert sorted(j["spider"] for j in jobs) == ["reddit", "reddit"]

            again = schedule_once(env, scrapyd.url)
            assert again.returncode == 0, again.stderr
            launched = scrapyd.log()  # scrapyd logs every job's arguments
            logs = scrapyd.job_logs() + launched
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 5
    latest = {}
    for run in mdb.crawl_runs(database):  # newest first
        latest.setdefault(run["source"], run)
    assert {s: r["new_posts"] for s, r in latest.items()} == {
        "src-entraide": 0,
        "src-logement": 0,
    }
    assert "auteur_e1" not in logs  # handles never reach scrapyd's logs
    assert env["MARAUDE_SECRET"] not in logs  # settings come from the environment
    assert "'source=src-entraide'" in launched  # the one job argument
    assert str(db_path) not in launched


def test_no_reachable_scrapyd_server_is_a_clear_error(tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml("http://127.0.0.1:9"), encoding="utf-8")
    env = scrapyd_env(MARAUDE_SOURCES=str(sources))
    result = schedule_once(env, f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 1
    assert "Aucun serveur scrapyd joignable" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_job_never_crawls_a_source_another_machine_is_crawling(tmp_path):
    from crawlers.egg import build_egg
    from maraude.locks import source_lock
    from maraude.scrapyd import Pool

    db_path = tmp_path / "maraude.db"
    with ReplayServer() as server:
        env = serve_sources(server, tmp_path, db_path)
        with Scrapyd(tmp_path / "scrapyd", env) as scrapyd:
            pool = Pool.of([scrapyd.url])
            pool.deploy(*build_egg())
            with source_lock(db_path, "src-entraide") as held:  # "machine A"
                assert held
                sent = pool.send([("reddit", "src-entraide")])
                assert pool.wait(sent, 90, poll=0.3) == []
                assert mdb.counts(mdb.open_db(db_path))["posts"] == 0
            assert "Another crawl of source 'src-entraide' is running" in (
                scrapyd.job_logs()
            )
            sent = pool.send([("reddit", "src-entraide")])  # A is done: free
            assert pool.wait(sent, 90, poll=0.3) == []
    assert mdb.counts(mdb.open_db(db_path))["posts"] == 3
