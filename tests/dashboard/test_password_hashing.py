"""Password hashing (maraude.auth) and the dashboard's sign-in checks."""

from __future__ import annotations

import json

import pytest

from dashboard import auth
from maraude import db as mdb
from maraude.auth import hash_password, needs_rehash, verify_password
from maraude.errors import InputError

PASSWORD = "une phrase de passe"  # noqa: S105 (a test password)


def test_a_hash_verifies_its_password_only():
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "!")
    assert not needs_rehash(stored)


def test_missing_or_broken_hashes_never_match():
    assert not verify_password(None, PASSWORD)
    assert not verify_password("", PASSWORD)
    assert not verify_password("not-a-hash", PASSWORD)


def test_short_passwords_are_refused():
    with pytest.raises(InputError, match="at least"):
        hash_password("court")


def test_the_wait_doubles_with_each_failure_up_to_a_cap():
    assert [auth.delay_for(n) for n in range(5)] == [0.0, 0.5, 1.0, 2.0, 4.0]
    assert auth.delay_for(1000) == auth.MAX_DELAY


def test_check_credentials(db, leads, sleeps):
    assert auth.check_credentials(db, "nobody", "x") is None
    assert auth.check_credentials(db, "alice", "wrong password") is None
    assert sleeps == []  # counted per username: one name's failure costs no other
    user = auth.check_credentials(db, " alice ", "correct horse battery")
    assert user == {"username": "alice", "role": "worker"}
    assert sleeps == [0.5]  # the next attempt on alice waited its turn
    assert auth.check_credentials(db, "alice", "wrong again") is None
    assert sleeps == [0.5]  # a success resets the count
    failed = [r for r in mdb.audit_entries(db) if r["action"] == "sign_in_failed"]
    assert {json.loads(r["detail"])["reason"] for r in failed} == {"bad_credentials"}
    assert [r["username"] for r in failed] == ["alice", "alice", "?"]  # not "nobody"
    assert all("wrong" not in (r["detail"] or "") for r in mdb.audit_entries(db))
