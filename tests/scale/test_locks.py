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
