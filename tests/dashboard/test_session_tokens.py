"""The signed session cookie: genuine and recent tokens only, ended by signing out."""

from __future__ import annotations

import pytest

from dashboard import auth, sessions
from maraude import db as mdb
from maraude.errors import InputError


@pytest.fixture
def clock(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(sessions, "_clock", lambda: now[0])
    return now


def test_a_fresh_token_reads_back(db, clock):
    token = sessions.issue(db, "alice")
    read = sessions.read(db, token, idle_minutes=30)
    assert read == sessions.Token("alice", clock[0], clock[0])


def test_a_forged_or_altered_token_is_refused(db, clock):
    token = sessions.issue(db, "alice")
    payload, signature = token.split(".")
    other = sessions.issue(db, "admin").split(".")[0]
    assert sessions.read(db, f"{other}.{signature}", 30) is None
    assert sessions.read(db, f"{payload}.{'0' * len(signature)}", 30) is None
    assert sessions.read(db, "not a token", 30) is None
    assert sessions.read(db, None, 30) is None


def test_another_database_key_refuses_the_token(db, clock):
    token = sessions.issue(db, "alice")
    other = mdb.open_db(":memory:")
    assert sessions.read(other, token, 30) is None


def test_an_idle_token_expires_and_a_refreshed_one_lives_on(db, clock):
    start = clock[0]
    token = sessions.issue(db, "alice")
    clock[0] += 31 * 60
    assert sessions.read(db, token, 30) is None  # idle longer than the timeout
    clock[0] = start + 20 * 60
    refreshed = sessions.issue(db, "alice", issued=start)  # activity at 20 min
    clock[0] = start + 45 * 60
    assert sessions.read(db, refreshed, 30) == sessions.Token(
        "alice", start, start + 20 * 60
    )


def test_no_token_lives_past_the_maximum_age(db, clock):
    start = clock[0]
    clock[0] += sessions.MAX_HOURS * 3600 + 1
    token = sessions.issue(db, "alice", issued=start)  # active just now
    assert sessions.read(db, token, 30) is None


def test_signing_out_ends_earlier_tokens_only(db, clock):
    before = sessions.issue(db, "alice")
    bob = sessions.issue(db, "bob")
    clock[0] += 1
    sessions.revoke(db, "alice")
    assert sessions.read(db, before, 30) is None
    assert sessions.read(db, bob, 30) is not None
    clock[0] += 1
    assert sessions.read(db, sessions.issue(db, "alice"), 30) is not None


def test_the_role_switcher_is_refused_outside_a_demo_database(db):
    with pytest.raises(InputError, match="démonstration"):
        auth.switch_demo_role(db, "admin")
    assert mdb.get_user(db, "demo-admin") is None
