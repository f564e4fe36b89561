"""Soak: 20 simulated workers drive the operations the dashboard calls
(maraude.ops.desk: next lead, view, reply or not relevant, release) while a
real crawl writes new posts into the same database. Bounded (about 15 s,
loopback only).

No error may reach a worker, and no write may be lost: every reply and every
"not relevant" a worker made is in the database, with its audit line.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time

import pytest

from benchmarks.crawl import synthetic_posts
from maraude import db as mdb
from maraude.demo.server import DemoServer
from maraude.ops import desk

pytestmark = pytest.mark.slow

SECONDS = 15
WORKERS = 20


def seed(db_path, n=600):
    database = mdb.open_db(db_path)
    with database.atomic():
        for i in range(n):
            mdb.upsert_post(
                database,
                {
                    "platform": "reddit",
                    "site": "seed",
                    "source": "s",
                    "native_id": str(i),
                    "text": f"j'ai besoin d'aide {i}",
                    "content_hash": str(i),
                },
            )
    mdb.save_predictions(
        database,
        [
            {
                "post_id": i + 1,
                "distress": 0.5 + (i % 40) / 100,
                "crisis": 0.0,
                "rights": 0.0,
                "labels": ["distress"],
                "rights_topics": [],
                "non_recours_form": None,
                "minor": False,
                "explanation": {},
            }
            for i in range(n)
        ],
        "m1",
    )
    for k in range(WORKERS):
        mdb.add_user(database, f"w{k}", "worker")
    database.close()


def worker(db_path, name, stop, done, errors):
    database = mdb.open_db(db_path)
    user = {"username": name, "role": "worker"}
    rng = random.Random(name)
    while not stop.is_set():
        try:
            lead = desk.next_lead(database, user, 30)
            if lead is None:
                time.sleep(0.01)
                continue
            desk.view_lead(database, user, lead)
            choice = rng.random()
            if choice < 0.5:
                desk.reply(database, user, lead, f"Bonjour, {name} ici.")
                done.append(("reply", lead, name))
            elif choice < 0.7:
                desk.not_relevant(database, user, lead)
                done.append(("not_relevant", lead, name))
            else:
                desk.release(database, user, lead)
        except Exception as e:  # any error would reach a worker's screen
            errors.append(f"{name}: {type(e).__name__}: {e}")
    database.close()


def test_twenty_workers_and_a_crawl(db_path, tmp_path):
    seed(db_path)
    with DemoServer(page_size=100, posts=synthetic_posts(30_000)) as server:
        sources = tmp_path / "sources.toml"
        sources.write_text(
            '[[sources]]\nname = "soak"\nplatform = "reddit"\n'
            f'base_url = "{server.base_url}"\nsubreddits = ["bench"]\n'
            "max_pages = 1000\n",
            encoding="utf-8",
        )
        crawl = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "maraude",
                "crawl",
                "--db",
                str(db_path),
                "--sources",
                str(sources),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        stop, done, errors = threading.Event(), [], []
        threads = [
            threading.Thread(target=worker, args=(db_path, f"w{k}", stop, done, errors))
            for k in range(WORKERS)
        ]
        for t in threads:
            t.start()
        time.sleep(SECONDS)
        stop.set()
        for t in threads:
            t.join(30)
        crawl.terminate()
        crawl.wait(30)
    assert errors == []
    database = mdb.open_db(db_path)
    replies = {(lead, name) for kind, lead, name in done if kind == "reply"}
    stored = {
        (r["id"], r["claimed_by"])
        for r in database.query(
            "SELECT id, claimed_by FROM leads WHERE status = 'replied'"
        )
    }
    assert replies == stored
    not_relevant = {lead for kind, lead, _ in done if kind == "not_relevant"}
    marked = {
        r[0]
        for r in database.execute("SELECT id FROM leads WHERE status = 'not_relevant'")
    }
    assert not_relevant == marked
    assert database.execute(
        "SELECT count(*) FROM labels WHERE origin = 'not_relevant'"
    ).fetchone()[0] == len(not_relevant)
    audited = database.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'reply'"
    ).fetchone()[0]
    assert audited == len(replies)
    assert len(done) > 100  # the soak did work
    crawled = database.execute(
        "SELECT count(*) FROM posts WHERE source = 'soak'"
    ).fetchone()[0]
    assert crawled > 1000  # and the crawl wrote meanwhile
