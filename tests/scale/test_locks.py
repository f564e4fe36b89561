"""The per-source lease in the database (``maraude.locks``, ``maraude.db.locks``).

"Machines" are processes whose host name is set by hand: a lease of another
host is only ever taken over when it expires, one of this host when its
process is gone.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from maraude import db as mdb
from maraude.db import locks
from maraude.locks import LEASE_ENV, source_lock

# A child "machine": holds `src` whenever it can, and writes down when.
HOLDER = """
import json, socket, sys, time
from pathlib import Path
socket.gethostname = lambda: sys.argv[2]
from maraude.locks import source_lock
path = sys.argv[1] if "://" in sys.argv[1] else Path(sys.argv[1])
out, rounds = Path(sys.argv[3]), int(sys.argv[4])
spans = []
deadline = time.time() + 30
while len(spans) < rounds and time.time() < deadline:
    with source_lock(path, "src") as held:
        if held:
            start = time.time(); time.sleep(0.05); spans.append((start, time.time()))
    time.sleep(0.01)
out.write_text(json.dumps(spans))
"""

# A child that takes `src`, says so, then crawls "forever" (until killed).
STUCK = """
import socket, sys, time
from pathlib import Path
socket.gethostname = lambda: sys.argv[2]
from maraude.locks import source_lock
with source_lock(Path(sys.argv[1]), "src") as held:
    print(held, flush=True)
    time.sleep(120)
"""


def child(code: str, *args: object, lease: float = 120.0) -> subprocess.Popen[str]:
    env = dict(os.environ, **{LEASE_ENV: str(lease)})
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path):
    """The shared database of the "machines": a SQLite file, or PostgreSQL."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_url")
    return tmp_path / "m.db"


def test_two_machines_never_hold_one_source_at_once(target, tmp_path):
    mdb.open_db(target).close()  # migrations applied once, before the race
    outs = [tmp_path / "a.json", tmp_path / "b.json"]
    procs = [
        child(HOLDER, target, f"machine-{i}", out, 15) for i, out in enumerate(outs)
    ]
    for proc in procs:
        assert proc.wait(60) == 0
    a, b = (json.loads(out.read_text()) for out in outs)
    assert len(a) == len(b) == 15  # both got their turns
    overlaps = [(x, y) for x in a for y in b if x[0] < y[1] and y[0] < x[1]]
    assert overlaps == []
    assert locks.lock_holders(mdb.open_db(target)) == []  # every lease given back


def test_a_killed_machine_s_lease_expires_then_the_source_is_taken_over(
    tmp_path, monkeypatch
):
    path = tmp_path / "m.db"
    proc = child(STUCK, path, "crawl-machine-1", lease=2)
    assert proc.stdout.readline().strip() == "True"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    with source_lock(path, "src") as held:  # its lease still runs: refused
        assert not held
    time.sleep(2.2)
    with source_lock(path, "src") as held:
        assert held
        row = locks.lock_holder(mdb.open_db(path), "src")
        assert row.host == socket.gethostname()
        assert row.pid == os.getpid()


def test_a_running_crawl_keeps_its_lease_fresh(tmp_path, monkeypatch):
    monkeypatch.setenv(LEASE_ENV, "1")
    path = tmp_path / "m.db"
    with source_lock(path, "src") as held:
        assert held
        first = locks.lock_holder(mdb.open_db(path), "src").expires_at
        time.sleep(2.5)  # over twice the lease: only refreshes keep it
        again = locks.lock_holder(mdb.open_db(path), "src")
        assert again.expires_at > first
        proc = child(STUCK, path, "crawl-machine-2", lease=1)
        assert proc.stdout.readline().strip() == "False"
        proc.kill()
        proc.wait(10)
    assert locks.lock_holder(mdb.open_db(path), "src") is None


def test_an_expired_lease_is_taken_atomically_by_one(target):
    database = mdb.open_db(target)
    assert locks.acquire(database, "src", "h1", "a", 1, lease=-1)  # born expired
    assert locks.acquire(database, "src", "h2", "b", 2, lease=60)
    assert not locks.acquire(database, "src", "h3", "c", 3, lease=60)
    assert not locks.refresh(database, "src", "h1", 60)  # h1 lost it
    locks.release(database, "src", "h1")  # a stale release changes nothing
    assert locks.lock_holder(database, "src").holder == "h2"


@pytest.mark.parametrize(("raw", "seconds"), [("5", 5.0), ("0.1", 1.0), ("x", 120.0)])
def test_the_lease_length_comes_from_the_environment(monkeypatch, raw, seconds):
    from maraude.locks import lease_seconds

    monkeypatch.setenv(LEASE_ENV, raw)
    assert lease_seconds() == seconds


def test_a_lost_lease_calls_back_and_turns_false(tmp_path, monkeypatch):
    monkeypatch.setenv(LEASE_ENV, "1")
    path = tmp_path / "m.db"
    called = []
    with source_lock(path, "src") as lease:
        lease.on_lost(lambda: called.append(True))
        database = mdb.open_db(path)
        with database.conn:  # another machine took it (its lease had expired)
            database.conn.execute("UPDATE source_locks SET holder = 'thief'")
        deadline = time.time() + 5
        while not called and time.time() < deadline:
            time.sleep(0.05)
        assert called == [True]
        assert not lease
    assert locks.lock_holder(mdb.open_db(path), "src").holder == "thief"


PAGES = 12


def reddit_page(n: int) -> bytes:
    now = time.time()
    children = [
        {
            "kind": "t3",
            "data": {
                "id": f"p{n}x{i}",
                "title": f"Question {n}-{i} sur le RSA et la CAF",
                "selftext": "",
                "author": f"auteur_{i}",
                "created_utc": now - 3600 * n - i,
                "permalink": f"/r/entraide/comments/p{n}x{i}/",
            },
        }
        for i in range(3)
    ]
    after = f"t3_p{n}x2" if n + 1 < PAGES else None
    return json.dumps(
        {"kind": "Listing", "data": {"after": after, "children": children}}
    ).encode()


@pytest.mark.slow
@pytest.mark.parametrize("runner", ["scrapy crawl", "maraude crawl"])
def test_a_crawl_that_loses_its_lease_stops(tmp_path, runner):
    from tests.replay import ReplayServer, Reply

    path = tmp_path / "m.db"
    with ReplayServer() as server:
        for n in range(PAGES - 1, 0, -1):  # specific routes first
            server.add(
                "/r/entraide/new", Reply(200, reddit_page(n)), after=f"t3_p{n - 1}x2"
            )
        server.add("/r/entraide/new", Reply(200, reddit_page(0)))
        sources = tmp_path / "sources.toml"
        sources.write_text(
            '[[sources]]\nname = "lente"\nplatform = "reddit"\ndelay = 1.0\n'
            f'base_url = "{server.base_url}"\nsubreddits = ["entraide"]\n',
            encoding="utf-8",
        )
        env = dict(
            os.environ,
            MARAUDE_DB=str(path),
            MARAUDE_SOURCES=str(sources),
            **{LEASE_ENV: "1"},
        )
        command = {
            "scrapy crawl": ["scrapy.cmdline", "crawl", "reddit", "-a", "source=lente"],
            "maraude crawl": ["maraude", "crawl", "--source", "lente"],
        }[runner] + (["--sources", str(sources)] if runner == "maraude crawl" else [])
        proc = subprocess.Popen(
            [sys.executable, "-m", *command],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.time() + 30
        while time.time() < deadline and len(server.requests) < 3:
            time.sleep(0.1)
        database = mdb.open_db(path)
        with database.conn:  # the lease goes to another machine
            database.conn.execute("UPDATE source_locks SET holder = 'thief'")
        _, stderr = proc.communicate(timeout=30)
    pages = [r for r in server.requests if r.startswith("/r/entraide")]
    assert len(pages) < PAGES  # it stopped before the end
    assert "its lease was lost" in stderr  # an error, in the crawl's log
    if runner == "scrapy crawl":  # Scrapy's INFO log names the reason
        assert "lease_lost" in stderr
