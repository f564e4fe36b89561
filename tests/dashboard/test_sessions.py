"""Sessions and sign-in throttling under attack (#11, items 2 and 8).

* The queue's 30-second auto-refresh is a fragment: it does not run ``app.py``,
  so it must re-check the user itself (exists, enabled, not idle).
* Failed sign-ins are throttled per username and per client; a flood of
  made-up names never resets a victim's delay; parallel sessions do not
  multiply an attacker's attempts.
"""

from __future__ import annotations

import ast
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from dashboard import auth
from maraude import db as mdb

ROOT = Path(__file__).resolve().parents[2]


class _Rerun(Exception):
    """What the fake ``st.rerun`` raises."""


class _FakeSt:
    """The little of Streamlit that :func:`auth.live_fragment` touches."""

    def __init__(self, state: dict) -> None:
        self.session_state = state
        self.fragment_args: dict = {}

    def fragment(self, func, run_every=None):
        self.fragment_args = {"run_every": run_every}
        return func

    def rerun(self):
        raise _Rerun


@pytest.fixture
def live(monkeypatch, db_path, leads):
    """A signed-in session's state and a fragment that records its runs."""
    from dashboard import queries
    from maraude.config import load_config

    config = load_config(None)
    state = {
        "db_path": str(db_path),
        "config": config,
        "user": {"username": "alice", "role": "worker"},
        auth.SESSION_KEY: "alice",
        auth.ACTIVE_KEY: time.monotonic(),
    }
    fake = _FakeSt(state)
    monkeypatch.setattr(auth, "st", fake)
    runs: list[int] = []
    fragment = auth.live_fragment("30s")(lambda: runs.append(1))
    assert fake.fragment_args == {"run_every": "30s"}
    yield SimpleNamespace(state=state, fragment=fragment, runs=runs, config=config)
    queries.close_connections()


def test_the_auto_refresh_shows_leads_to_a_signed_in_user(live):
    live.fragment()
    assert live.runs == [1]


def test_the_auto_refresh_stops_for_a_disabled_user(live, db):
    mdb.set_user_disabled(db, "alice", True)
    with pytest.raises(_Rerun):
        live.fragment()
    assert live.runs == []


def test_the_auto_refresh_stops_for_a_deleted_user(live, db):
    db.execute("DELETE FROM users WHERE username = 'alice'")
    with pytest.raises(_Rerun):
        live.fragment()
    assert live.runs == []


def test_the_auto_refresh_stops_for_an_idle_session(live):
    minutes = live.config.dashboard.session_minutes
    live.state[auth.ACTIVE_KEY] = time.monotonic() - minutes * 60 - 1
    with pytest.raises(_Rerun):
        live.fragment()
    assert live.runs == []


def test_the_auto_refresh_is_not_activity(live):
    before = live.state[auth.ACTIVE_KEY]
    for _ in range(3):
        live.fragment()
    assert live.state[auth.ACTIVE_KEY] == before


def test_a_role_change_reruns_the_whole_app(live, db):
    mdb.set_user_role(db, "alice", "senior")
    with pytest.raises(_Rerun):
        live.fragment()


def test_every_fragment_of_the_dashboard_re_checks_the_user():
    """No page may use st.fragment directly: only auth.live_fragment."""
    offenders = []
    for path in (ROOT / "dashboard").rglob("*.py"):
        if path.name == "auth.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "fragment"
                and isinstance(node.value, ast.Name)
                and node.value.id == "st"
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


# -- throttling ---------------------------------------------------------------


def test_a_flood_of_made_up_names_never_resets_a_victims_delay(sleeps):
    throttle = auth.Throttle()
    victim = ["user:alice"]
    for _ in range(6):
        sleeps_before = auth._clock()
        auth._sleep(throttle.reserve(victim))
        throttle.failed(victim)
    assert auth._clock() > sleeps_before
    # 10,001 made-up names, each failing once, all at once.
    refused = 0
    for i in range(10_001):
        try:
            throttle.reserve([f"user:made-up-{i}"])
            throttle.failed([f"user:made-up-{i}"])
        except auth.SignInThrottled:
            refused += 1
    assert len(throttle) <= auth.MAX_ENTRIES
    assert throttle.failures("user:alice") == 6
    assert throttle.reserve(victim) >= auth.delay_for(6) - 0.01
    assert refused >= 1  # the table was full of waiting entries: new names wait


def test_when_time_has_passed_the_flood_is_evicted_before_the_victim(sleeps):
    throttle = auth.Throttle(max_entries=50)
    victim = ["user:alice"]
    for _ in range(4):
        auth._sleep(throttle.reserve(victim))
        throttle.failed(victim)
    for i in range(200):
        auth._sleep(throttle.reserve([f"user:x{i}"]))
        throttle.failed([f"user:x{i}"])
        auth._sleep(1.0)  # each made-up name's wait is over
    assert throttle.failures("user:alice") == 4
    assert len(throttle) <= 50


def test_parallel_sessions_wait_their_turn_on_one_username(sleeps):
    throttle = auth.Throttle()
    keys = ["user:alice"]
    waits = [throttle.reserve(keys) for _ in range(3)]  # three sessions at once
    assert waits[0] == 0
    assert waits[1] >= 0.5
    assert waits[2] >= 1.0


def test_past_the_cap_an_attempt_is_refused_without_checking_the_password(
    db, leads, sleeps, monkeypatch
):
    checked = []
    real = auth.verify_password
    monkeypatch.setattr(
        auth, "verify_password", lambda h, p: checked.append(1) or real(h, p)
    )
    # Many sessions hammering one name at the same instant.
    results = []
    for _ in range(12):
        try:
            auth._throttle.reserve(["user:alice"])
            auth._throttle.failed(["user:alice"])
            results.append("tried")
        except auth.SignInThrottled as e:
            results.append(e.wait)
    assert any(r != "tried" for r in results)
    checked.clear()
    with pytest.raises(auth.SignInThrottled, match="réessayez dans"):
        auth.check_credentials(db, "alice", "correct horse battery")
    assert checked == []
    rows = [r for r in mdb.audit_entries(db) if r["action"] == "sign_in_throttled"]
    assert rows
    assert rows[0]["username"] == "alice"


def test_one_client_trying_many_names_is_slowed(db, leads, sleeps):
    for i in range(5):
        assert auth.check_credentials(db, f"name{i}", "x", client="203.0.113.9") is None
    assert sleeps == [0.5, 1.0, 2.0, 4.0]
    # Another client is not slowed by the first one's failures.
    assert auth.check_credentials(db, "other", "x", client="198.51.100.7") is None
    assert sleeps == [0.5, 1.0, 2.0, 4.0]
