"""One connection per thread (maraude.db.threads), as the dashboard serves its
sessions: a shared connection mixes the transactions of concurrent threads."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from maraude import db as mdb

THREADS, ROUNDS = 4, 150


def _audit(database, who: str, i: int) -> None:
    database.execute(
        "INSERT INTO audit_log (at, username, action, object_type, object_id, detail)"
        " VALUES (?, ?, 'test', 'round', ?, '{}')",
        [mdb.now_iso(), who, str(i)],
    )


def _hammer(get_db) -> tuple[int, list[str]]:
    """Each thread writes ROUNDS transactions; thread 0 fails every 10th one,
    which must roll back that transaction only. Returns (rows kept, errors)."""
    errors: list[str] = []

    def work(k: int) -> None:
        database = get_db()
        for i in range(ROUNDS):
            try:
                with database.atomic():  # as maraude.db and maraude.ops write
                    _audit(database, f"t{k}", i)
                    database.execute("SELECT count(*) FROM audit_log").fetchone()
                    if k == 0 and i % 10 == 3:
                        raise LookupError("this transaction fails")
            except LookupError:
                pass
            except Exception as e:
                errors.append(e.__class__.__name__)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return get_db().execute("SELECT count(*) FROM audit_log").fetchone()[0], errors


EXPECTED = THREADS * ROUNDS - ROUNDS // 10


def test_per_thread_connections_keep_each_transaction_whole(db_path):
    connections = mdb.ThreadConnections(mdb.open_db)
    rows, errors = _hammer(lambda: connections.get(str(db_path)))
    assert errors == []
    assert rows == EXPECTED
    connections.close_all()


def _interleave(get_db) -> set[str]:
    """Session a's transaction is open when session b writes and commits; then
    a fails. Returns whose rows the database kept."""
    a_open, b_done = threading.Event(), threading.Event()

    def a() -> None:
        database = get_db()
        try:
            with database.atomic():
                _audit(database, "a", 1)
                a_open.set()
                b_done.wait(1.0)  # own connections: b waits for a's lock
                raise LookupError("a fails")
        except LookupError:
            pass

    def b() -> None:
        database = get_db()
        a_open.wait(5)
        with database.atomic():
            _audit(database, "b", 1)
        b_done.set()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = get_db().execute("SELECT username FROM audit_log").fetchall()
    return {r[0] for r in rows}


def test_one_sessions_failure_never_undoes_anothers_write(db_path):
    connections = mdb.ThreadConnections(mdb.open_db)
    assert _interleave(lambda: connections.get(str(db_path))) == {"b"}
    connections.close_all()


def test_a_shared_connection_is_what_went_wrong(db_path):
    """The hazard the dashboard had, one connection for every session: b's
    write joined a's open transaction and a's failure undid it."""
    shared = mdb.open_db(db_path)
    assert _interleave(lambda: shared) == set()


def _from_a_finished_thread(get):
    """What ``get()`` returns in another thread, once that thread has ended."""
    seen = []
    worker = threading.Thread(target=lambda: seen.append(get()))
    worker.start()
    worker.join()
    return seen[0]


def test_one_connection_per_thread_reused_and_closed_after_the_thread(db_path):
    connections = mdb.ThreadConnections(mdb.open_db)
    mine = connections.get(str(db_path))
    assert connections.get(str(db_path)) is mine
    theirs = _from_a_finished_thread(lambda: connections.get(str(db_path)))
    assert theirs is not mine
    assert len(connections) == 2
    connections.get(str(db_path) + "-other")  # any new open sweeps finished threads
    assert len(connections) == 2  # the worker's connection is gone, a new one came
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        theirs.execute("SELECT 1")
    connections.close_all()
    assert len(connections) == 0


def test_the_dashboard_gives_each_thread_its_own_connection(db_path):
    from dashboard import queries

    mine = queries.connect(str(db_path))
    assert queries.connect(str(db_path)) is mine
    assert _from_a_finished_thread(lambda: queries.connect(str(db_path))) is not mine
    queries.close_connections()
