"""Concurrency: 8 processes claiming leads at once, and a writer beside readers.

Each worker process claims the next lead, checks that it really holds it,
keeps it a moment, and releases or replies; it logs every holding interval.
No two intervals of different workers may overlap on one lead.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time

import pytest

from maraude import db as mdb

pytestmark = pytest.mark.slow

WORKER = r"""
import json, random, sys, time
from maraude import db as mdb
from maraude.errors import ClaimError
path, name, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
database = mdb.open_db(path)
random.seed(name)
log, errors = [], []
end = time.monotonic() + seconds
while time.monotonic() < end:
    try:
        lead = mdb.claim_next(database, name)
        if lead is None:
            time.sleep(0.01)
            continue
        start = time.time()
        holder = database.execute(
            "SELECT claimed_by FROM leads WHERE id = ?", [lead]).fetchone()[0]
        if holder != name:
            errors.append(f"{name} claimed {lead} but {holder} holds it")
        time.sleep(random.random() * 0.005)
        end_held = time.time()  # still held for sure: released just after
        if random.random() < 0.7:
            mdb.release_lead(database, lead, name)
            action = "released"
        else:
            mdb.mark_replied(database, lead, name, "ok")
            action = "replied"
        log.append((lead, start, end_held, action))
    except ClaimError as e:
        errors.append(f"{name}: unexpected {e}")
    except Exception as e:  # "database is locked" would land here
        errors.append(f"{name}: {type(e).__name__}: {e}")
print(json.dumps({"log": log, "errors": errors}))
"""


def seed(db_path, n):
    database = mdb.open_db(db_path)
    with database.atomic():
        for i in range(n):
            mdb.upsert_post(
                database,
                {
                    "platform": "reddit",
                    "site": "x",
                    "source": "s",
                    "native_id": str(i),
                    "text": f"post {i}",
                    "content_hash": str(i),
                },
            )
    mdb.save_predictions(
        database,
        [
            {
                "post_id": i + 1,
                "distress": 0.5 + (i % 50) / 100,
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
    database.close()


def test_eight_processes_never_hold_one_lead_together(db_path):
    seed(db_path, 400)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(db_path), f"w{i}", "4"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    results = {
        f"w{i}": json.loads(p.communicate(timeout=120)[0]) for i, p in enumerate(procs)
    }
    errors = [e for r in results.values() for e in r["errors"]]
    assert errors == []
    intervals: dict[int, list[tuple[float, float, str]]] = {}
    for name, r in results.items():
        for lead, start, end, _ in r["log"]:
            intervals.setdefault(lead, []).append((start, end, name))
    claims = sum(len(v) for v in intervals.values())
    assert claims > 200  # the test did exercise contention
    for lead, spans in intervals.items():
        spans.sort()
        for (_, end_a, a), (start_b, _, b) in itertools.pairwise(spans):
            assert start_b >= end_a, f"lead {lead}: {a} and {b} held it together"
    database = mdb.open_db(db_path)
    replies = sum(
        1 for r in results.values() for *_, act in r["log"] if act == "replied"
    )
    assert mdb.status_counts(database).get("replied", 0) == replies
    assert mdb.status_counts(database).get("claimed", 0) == 0


READER = r"""
import json, sys, time
from maraude import db as mdb
path, seconds = sys.argv[1], float(sys.argv[2])
database = mdb.open_db(path)
reads, errors = 0, []
end = time.monotonic() + seconds
while time.monotonic() < end:
    try:
        mdb.list_leads(database, limit=50)
        mdb.status_counts(database)
        reads += 1
    except Exception as e:
        errors.append(f"{type(e).__name__}: {e}")
print(json.dumps({"reads": reads, "errors": errors}))
"""


def test_a_writer_never_makes_readers_fail(db_path):
    seed(db_path, 50)
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(db_path), "3"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    writer = mdb.open_db(db_path)
    end, written = time.monotonic() + 3, 0
    while time.monotonic() < end:
        with writer.atomic():
            for _ in range(50):
                written += 1
                mdb.upsert_post(
                    writer,
                    {
                        "platform": "reddit",
                        "site": "y",
                        "source": "w",
                        "native_id": f"w{written}",
                        "text": "nouveau",
                        "content_hash": str(written),
                    },
                )
    results = [json.loads(r.communicate(timeout=60)[0]) for r in readers]
    assert [e for r in results for e in r["errors"]] == []
    assert all(r["reads"] > 10 for r in results)
    assert written > 500
