"""Purge erases for real (#11, item 3): no purged word left in any database file.

A reader is opened the way the dashboard opens it (one shared connection, cached
reads), the purge runs in another connection, and the raw bytes of the database,
its ``-wal`` and its ``-shm`` are searched for every purged word.
"""

from __future__ import annotations

import random
import sqlite3
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from maraude import db as mdb
from maraude.cli import cli
from maraude.db import retention
from maraude.db.core import wal_checkpoint
from maraude.errors import PurgeIncompleteError


def _ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _tokens(n: int, seed: int) -> list[str]:
    """Made-up words whose first three letters differ, so FTS5's prefix
    compression of neighbouring terms never hides their last eight letters."""
    rng = random.Random(seed)
    prefixes = rng.sample(
        [a + b + c for a in "bcdfg" for b in "hjklm" for c in "npqrs"], n
    )
    return [p + "".join(rng.choices(string.ascii_lowercase, k=8)) for p in prefixes]


def _post(native_id: str, title: str | None, text: str, days: int) -> dict:
    return {
        "platform": "reddit",
        "site": "www.reddit.com",
        "source": "s",
        "native_id": native_id,
        "title": title,
        "text": text,
        "content_hash": native_id,
        "fetched_at": _ago(days),
    }


def _seed(path: Path) -> tuple[list[str], list[str]]:
    """40 old posts (purged) and 5 fresh ones (kept); their distinct words."""
    words = _tokens(90, seed=11)
    purged, kept = words[:80], words[80:]
    database = mdb.open_db(path)
    rows = [
        _post(f"old{i}", purged[2 * i], f"{purged[2 * i + 1]} {purged[2 * i]}", 30)
        for i in range(40)
    ]
    for i in range(5):  # kept posts share the index segments of purged ones
        rows.insert(
            8 * i + 3, _post(f"new{i}", None, f"{kept[2 * i]} {kept[2 * i + 1]}", 1)
        )
    with database.atomic():
        for row in rows:
            mdb.upsert_post(database, row)
    database.close()
    return purged, kept


def _files_bytes(path: Path) -> bytes:
    parts = [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


def _dashboard_reader(path: Path):
    """A connection opened and used as the dashboard does (cached reads)."""
    from dashboard import queries

    conn = queries.connect(str(path))
    queries.status_counts(str(path))
    queries.leads(str(path), search="")
    assert not conn.conn.in_transaction
    return conn


def test_purge_leaves_no_purged_word_in_any_file(tmp_path):
    path = tmp_path / "m.db"
    purged, kept = _seed(path)
    reader = _dashboard_reader(path)
    before = _files_bytes(path)
    assert all(w[3:].encode() in before for w in purged)  # the search works

    result = CliRunner().invoke(cli, ["purge", "--db", str(path)])

    assert result.exit_code == 0, result.output
    assert "40 posts" in result.output
    data = _files_bytes(path)
    left = [w for w in purged if w[3:].encode() in data]
    assert left == [], f"{len(left)} purged words left in the files"
    assert all(w[3:].encode() in data for w in kept)  # kept posts are still there
    # The dashboard's connection still reads, and sees the purge.
    assert reader.execute("SELECT count(*) FROM posts").fetchone()[0] == 5


def test_purge_leaves_no_purged_word_in_the_full_text_index(tmp_path):
    path = tmp_path / "m.db"
    purged, kept = _seed(path)
    database = mdb.open_db(path)
    mdb.purge(database, mdb.Policy())
    blobs = b"".join(
        bytes(r[0] or b"") for r in database.execute("SELECT block FROM posts_fts_data")
    )
    database.close()
    assert [w for w in purged if w[3:].encode() in blobs] == []
    assert all(w[3:].encode() in blobs for w in kept)


def test_secure_delete_is_on_for_every_connection(tmp_path):
    database = mdb.open_db(tmp_path / "m.db")
    assert database.execute("PRAGMA secure_delete").fetchone()[0] == 1
    database.close()


def test_a_reader_holding_a_transaction_makes_purge_say_so(tmp_path, monkeypatch):
    path = tmp_path / "m.db"
    purged, _ = _seed(path)
    stuck = sqlite3.connect(path)
    stuck.execute("BEGIN")
    stuck.execute("SELECT count(*) FROM posts").fetchone()  # holds a read snapshot
    monkeypatch.setattr(retention, "CHECKPOINT_WAIT", 0.2)
    try:
        database = mdb.open_db(path)
        with pytest.raises(PurgeIncompleteError, match="-wal"):
            mdb.purge(database, mdb.Policy())
        # The deletion itself is committed: only the erasure is incomplete.
        assert database.execute("SELECT count(*) FROM posts").fetchone()[0] == 5
        result = CliRunner().invoke(cli, ["purge", "--db", str(path)])
        assert result.exit_code == 1
        assert "Traceback" not in result.output
        assert "-wal" in result.output
        database.close()
    finally:
        stuck.close()
    # Once the reader is gone, a purge completes the erasure.
    result = CliRunner().invoke(cli, ["purge", "--db", str(path)])
    assert result.exit_code == 0, result.output
    data = _files_bytes(path)
    assert [w for w in purged if w[3:].encode() in data] == []


def test_the_running_dashboard_holds_no_read_transaction_between_refreshes(
    tmp_path, monkeypatch
):
    """Render the queue and a lead page (AppTest, in this process, with the
    dashboard's shared connection), then purge from another connection: the
    checkpoint must complete at once."""
    from streamlit.testing.v1 import AppTest

    from dashboard import auth
    from tests.dashboard.dashboard_seed import APP, seed

    path = tmp_path / "dash.db"
    monkeypatch.setenv("MARAUDE_DB", str(path))
    leads = seed(path, rich=True)
    monkeypatch.setattr(auth, "_sleep", lambda s: None)
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    at.session_state[auth.SESSION_KEY] = "sam"
    at.run()
    at.session_state["lead_id"] = next(iter(leads.values()))
    at.switch_page("pages/lead.py").run()
    assert not at.exception
    database = mdb.open_db(path)
    database.execute("UPDATE posts SET text = 'x' WHERE id = 1")  # some WAL frames
    assert wal_checkpoint(database, 0.5)  # no reader in the way
    database.close()
