"""Signing in to the dashboard: who is using this session, and with which role.

Nothing is shown without signing in, except a database made by ``maraude demo``,
which opens signed in as the outreach worker ``demo`` and offers a role switcher
(:func:`switch_demo_role`, refused on any other database). A signed cookie
(:mod:`dashboard.sessions`) carries the session across a reload or a new tab.
Roles come from our own ``users`` table and are re-read at every run, so
disabling an account takes effect at once; the queue's auto-refresh (a
fragment, which does not run ``app.py``) re-checks through
:func:`live_fragment` before it shows anything.

Failed attempts are audited and throttled per username and per client: each
consecutive failure doubles the wait before the next attempt, up to
:data:`MAX_DELAY` seconds, whichever session makes it (attempts are spaced, not
just the attacker's own session slowed); past that the attempt is refused
without checking the password. The counters live in a bounded table
(:class:`Throttle`) that never forgets an entry whose wait is still running, so
a flood of made-up names cannot reset a victim's delay.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st
from sqlite_utils import Database

from dashboard import sessions
from maraude import db as mdb
from maraude.auth import verify_password
from maraude.errors import InputError, MaraudeError

logger = logging.getLogger(__name__)

DEMO_USER = "demo"
#: The demo's account for each role (created on first use, demo databases only).
DEMO_USERS = {
    "worker": DEMO_USER,
    "senior": "demo-responsable",
    "moderator": "demo-moderation",
    "admin": "demo-admin",
}
SESSION_KEY = "username"
ACTIVE_KEY = "last_active"
#: Set by signing out: this tab neither resumes a cookie nor enters the demo.
SIGNED_OUT_KEY = "signed_out"
MAX_DELAY = 30.0
FIRST_DELAY = 0.5
#: Seconds after its last failure when a counter may be forgotten.
FORGET_AFTER = 15 * 60.0
#: Most counters kept (per username and per client together).
MAX_ENTRIES = 10_000

_sleep = time.sleep  # tests replace it
_clock = time.monotonic  # tests replace it


class SignInThrottled(MaraudeError):
    """Too many failed attempts for this name or this client: wait, then retry."""

    def __init__(self, wait: float) -> None:
        self.wait = wait
        super().__init__(
            "Trop de tentatives de connexion : réessayez dans "
            f"{math.ceil(wait)} secondes."
        )


def delay_for(failures: int) -> float:
    """Seconds to wait after the n-th consecutive failure (0.5, 1, 2, 4 … 30)."""
    if failures <= 0:
        return 0.0
    return min(MAX_DELAY, FIRST_DELAY * 2 ** min(failures - 1, 16))


@dataclass
class _Entry:
    failures: int = 0
    next_allowed: float = 0.0  # when the next attempt may be checked
    last_failure: float = 0.0


class Throttle:
    """Failure counters by key, bounded, shared by every session of the server.

    :meth:`reserve` gives each attempt its turn: attempts on one key are spaced
    by :func:`delay_for` of its failures, whatever the number of sessions. When
    the table is full, only entries whose wait is over are evicted (those
    forgotten for :data:`FORGET_AFTER` first, then the ones with the fewest
    failures); if every entry is still waiting, a new key is refused rather
    than any victim's counter dropped.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def failures(self, key: str) -> int:
        entry = self._entries.get(key)
        return entry.failures if entry else 0

    def _make_room(self, now: float) -> bool:
        over = [k for k, e in self._entries.items() if e.next_allowed <= now]
        if not over:
            return False
        old = [k for k in over if now - self._entries[k].last_failure > FORGET_AFTER]
        victim = old[0] if old else min(over, key=lambda k: self._entries[k].failures)
        del self._entries[victim]
        return True

    def reserve(self, keys: list[str]) -> float:
        """Seconds this attempt must wait for its turn; raises
        :class:`SignInThrottled` when that is more than :data:`MAX_DELAY`."""
        now = _clock()
        with self._lock:
            entries = []
            for key in keys:
                entry = self._entries.get(key)
                if entry is None:
                    if len(self._entries) >= self.max_entries and not self._make_room(
                        now
                    ):
                        raise SignInThrottled(MAX_DELAY)
                    entry = self._entries[key] = _Entry()
                entries.append(entry)
            start = max([now, *(e.next_allowed for e in entries)])
            if start - now > MAX_DELAY:
                raise SignInThrottled(start - now)
            for entry in entries:
                entry.next_allowed = start + delay_for(entry.failures + 1)
            return start - now

    def failed(self, keys: list[str]) -> int:
        """Count a failure on each key; the username's count (the first key)."""
        now = _clock()
        with self._lock:
            for key in keys:
                entry = self._entries.setdefault(key, _Entry())
                entry.failures += 1
                entry.last_failure = now
            return self._entries[keys[0]].failures

    def succeeded(self, keys: list[str]) -> None:
        """The right password: this name's counter is dropped; the client's
        attempt is no longer reserved."""
        with self._lock:
            self._entries.pop(keys[0], None)
            for key in keys[1:]:
                entry = self._entries.get(key)
                if entry is not None and entry.failures == 0:
                    del self._entries[key]
                elif entry is not None:  # give back the turn this attempt held
                    entry.next_allowed = entry.last_failure + delay_for(entry.failures)


_throttle = Throttle()


def client_key(trust_proxy: bool = False) -> str | None:
    """Who is signing in, as far as the server can tell: the peer's address, or,
    with ``trust_proxy`` (``[dashboard] trust_proxy``, only behind a proxy that
    sets it), the first address of ``X-Forwarded-For``. Without a proxy the header
    is ignored: anyone can send it."""
    with contextlib.suppress(Exception):  # outside a Streamlit session: none
        if trust_proxy:
            forwarded = forwarded_client(st.context.headers.get("X-Forwarded-For"))
            if forwarded:
                return forwarded
        return st.context.ip_address
    return None


def forwarded_client(header: str | None) -> str | None:
    """The first address of an ``X-Forwarded-For`` header (bounded), or None."""
    if not header:
        return None
    return header.split(",")[0].strip()[:64] or None


def check_credentials(
    db: Database, username: str, password: str, client: str | None = None
) -> dict[str, Any] | None:
    """The user if the password matches an enabled account, else None (audited).

    Waits for this attempt's turn first (see :class:`Throttle`); raises
    :class:`SignInThrottled`, without checking the password, when the wait for
    this username or this ``client`` is longer than :data:`MAX_DELAY`.
    """
    username = username.strip()
    keys = [f"user:{username.lower()}"] + ([f"client:{client}"] if client else [])
    try:
        wait = _throttle.reserve(keys)
    except SignInThrottled:
        row = mdb.get_user(db, username) if username else None
        who = row["username"] if row is not None else "?"
        mdb.audit(db, who, "sign_in_throttled", "user", who, {"known_user": bool(row)})
        logger.warning("sign-in refused: too many failures for this name or client")
        raise
    if wait > 0:
        _sleep(wait)
    row = mdb.get_user(db, username) if username else None
    matches = verify_password(row["password_hash"] if row else None, password)
    if row is not None and matches and not row["disabled"]:
        _throttle.succeeded(keys)
        mdb.audit(db, username, "sign_in", "user", username)
        logger.info("user signed in")
        return {"username": row["username"], "role": row["role"]}
    n = _throttle.failed(keys)
    reason = "disabled" if row is not None and matches else "bad_credentials"
    # An unknown name is not recorded: it may be a password typed in the wrong box.
    who = row["username"] if row is not None else "?"
    detail = {"reason": reason, "consecutive": n, "known_user": row is not None}
    mdb.audit(db, who, "sign_in_failed", "user", who, detail)
    logger.warning("failed sign-in (%d in a row for this name)", n)
    return None


def _demo_user(db: Database, role: str = "worker") -> str:
    name = DEMO_USERS[role]
    if mdb.get_user(db, name) is None:
        with contextlib.suppress(InputError):  # another session made it first
            mdb.add_user(db, name, role)
    mdb.audit(db, name, "sign_in", "user", name, {"demo": True})
    return name


def switch_demo_role(db: Database, role: str) -> None:
    """Continue as the demo account of ``role`` (a database made by
    ``maraude demo`` only: anywhere else a role is changed by an admin)."""
    if not mdb.is_demo(db):
        raise InputError(
            "Le changement de rôle n'existe que sur une base de démonstration : "
            "demandez à un·e administrateur·rice de changer votre rôle."
        )
    if role not in DEMO_USERS:
        raise InputError(f"Rôle inconnu : {role}.")
    st.session_state[SESSION_KEY] = _demo_user(db, role)


def current_user(db: Database, idle_minutes: int = 30) -> dict[str, Any] | None:
    """The signed-in user of this session (demo databases sign in by themselves).

    A session idle for more than ``idle_minutes`` is signed out (audited).
    """
    name = st.session_state.get(SESSION_KEY)
    now, last = time.monotonic(), st.session_state.get(ACTIVE_KEY)
    if name is not None and last is not None and now - last > idle_minutes * 60:
        mdb.audit(db, name, "session_expired", "user", name)
        st.session_state.clear()
        st.session_state["expired"] = True
        name = None
    st.session_state[ACTIVE_KEY] = now
    out = st.session_state.get(SIGNED_OUT_KEY, False)
    if name is None and not out:  # a reload or a new tab: the signed cookie
        token = sessions.read(db, sessions.cookie(), idle_minutes)
        if token is not None:
            name = st.session_state[SESSION_KEY] = token.username
            mdb.audit(db, name, "session_resumed", "user", name)
    if name is None and not out and mdb.is_demo(db):
        name = st.session_state[SESSION_KEY] = _demo_user(db)
    if name is None:
        return None
    row = mdb.get_user(db, name)
    if row is None or row["disabled"]:
        del st.session_state[SESSION_KEY]
        return None
    return {"username": row["username"], "role": row["role"]}


def recheck(db: Database, idle_minutes: int = 30) -> dict[str, Any] | None:
    """The session's user if it still exists, is enabled and is not idle.

    For runs the user did not start (a fragment's auto-refresh): unlike
    :func:`current_user` it never counts as activity and changes nothing.
    """
    name = st.session_state.get(SESSION_KEY)
    last = st.session_state.get(ACTIVE_KEY)
    if name is None or last is None or time.monotonic() - last > idle_minutes * 60:
        return None
    row = mdb.get_user(db, name)
    if row is None or row["disabled"]:
        return None
    return {"username": row["username"], "role": row["role"]}


def live_fragment(run_every: str) -> Callable[[Callable[[], None]], Any]:
    """``st.fragment(run_every=…)`` that re-checks the user before every run.

    A fragment's rerun does not go through ``app.py``: without this, a disabled
    or idle user's tab would keep receiving posts. When the check fails the
    whole app runs again, which signs the session out.
    """

    def decorate(body: Callable[[], None]) -> Any:
        @functools.wraps(body)
        def guarded() -> None:
            from dashboard import queries

            state = st.session_state
            database = queries.connect(state["db_path"])
            user = recheck(database, state["config"].dashboard.session_minutes)
            if user is None or user != state.get("user"):
                st.rerun()  # the whole app: signs out, or shows the new role
            body()

        return st.fragment(guarded, run_every=run_every)

    return decorate


def sign_in_form(db: Database) -> None:
    """The sign-in form; on success, remember the user and run the app again."""
    st.title("Maraude")
    st.subheader("Connexion")
    if st.session_state.pop("expired", False):
        st.warning("Votre session a expiré après une période d'inactivité.")
    if mdb.is_demo(db):
        st.info("Base de démonstration : entrez sans mot de passe.")
        if st.button("Entrer dans la démonstration", type="primary"):
            st.session_state.pop(SIGNED_OUT_KEY, None)
            st.rerun()
        return
    if mdb.counts(db)["users"] == 0:
        st.info(
            "Aucun compte n'existe encore. Créez-en un sur le serveur : "
            "`maraude user add NOM --role worker`."
        )
    with st.form("sign_in"):
        username = st.text_input("Identifiant")
        password = st.text_input("Mot de passe", type="password")
        submitted = st.form_submit_button("Se connecter", type="primary")
    if not submitted:
        return
    try:
        config = st.session_state.get("config")
        trust = bool(config is not None and config.dashboard.trust_proxy)
        user = check_credentials(db, username, password, client_key(trust))
    except SignInThrottled as e:
        st.error(str(e))
        return
    if user is None:
        st.error("Identifiant ou mot de passe incorrect, ou compte désactivé.")
        return
    st.session_state.pop(SIGNED_OUT_KEY, None)
    st.session_state[SESSION_KEY] = user["username"]
    st.rerun()


def sign_out(db: Database, user: dict[str, Any]) -> None:
    """Sign out this tab and end every session of this user (other tabs, the
    cookie); the next run shows the sign-in form and deletes the cookie."""
    mdb.audit(db, user["username"], "sign_out", "user", user["username"])
    sessions.revoke(db, user["username"])
    st.session_state.clear()
    st.session_state[SIGNED_OUT_KEY] = True
    st.rerun()
