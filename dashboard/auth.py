"""Signing in to the dashboard: who is using this session, and with which role.

Nothing is shown without signing in, except a database made by ``maraude demo``,
which opens signed in as the outreach worker ``demo``. Roles come from our own
``users`` table and are re-read at every run, so disabling an account takes
effect at once. Failed attempts are audited and slowed down: each consecutive
failure for a username doubles the wait, up to :data:`MAX_DELAY` seconds.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

import streamlit as st
from sqlite_utils import Database

from maraude import db as mdb
from maraude.auth import verify_password
from maraude.errors import InputError

logger = logging.getLogger(__name__)

DEMO_USER = "demo"
SESSION_KEY = "username"
ACTIVE_KEY = "last_active"
MAX_DELAY = 30.0
FIRST_DELAY = 0.5

_failures: dict[str, int] = {}
_lock = threading.Lock()
_sleep = time.sleep  # tests replace it


def delay_for(failures: int) -> float:
    """Seconds to wait after the n-th consecutive failure (0.5, 1, 2, 4 … 30)."""
    if failures <= 0:
        return 0.0
    return min(MAX_DELAY, FIRST_DELAY * 2 ** min(failures - 1, 16))


def _count_failure(key: str) -> int:
    with _lock:
        if len(_failures) > 10_000:  # a flood of made-up names: start over
            _failures.clear()
        _failures[key] = _failures.get(key, 0) + 1
        return _failures[key]


def check_credentials(
    db: Database, username: str, password: str
) -> dict[str, Any] | None:
    """The user if the password matches an enabled account, else None (audited)."""
    username = username.strip()
    row = mdb.get_user(db, username) if username else None
    matches = verify_password(row["password_hash"] if row else None, password)
    if row is not None and matches and not row["disabled"]:
        with _lock:
            _failures.pop(username.lower(), None)
        mdb.audit(db, username, "sign_in", "user", username)
        logger.info("user signed in")
        return {"username": row["username"], "role": row["role"]}
    n = _count_failure(username.lower())
    reason = "disabled" if row is not None and matches else "bad_credentials"
    # An unknown name is not recorded: it may be a password typed in the wrong box.
    who = row["username"] if row is not None else "?"
    detail = {"reason": reason, "consecutive": n, "known_user": row is not None}
    mdb.audit(db, who, "sign_in_failed", "user", who, detail)
    logger.warning("failed sign-in (%d in a row for this name)", n)
    _sleep(delay_for(n))
    return None


def _demo_user(db: Database) -> str:
    if mdb.get_user(db, DEMO_USER) is None:
        with contextlib.suppress(InputError):  # another session made it first
            mdb.add_user(db, DEMO_USER, "worker")
    mdb.audit(db, DEMO_USER, "sign_in", "user", DEMO_USER, {"demo": True})
    return DEMO_USER


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
    if name is None and mdb.is_demo(db):
        name = st.session_state[SESSION_KEY] = _demo_user(db)
    if name is None:
        return None
    row = mdb.get_user(db, name)
    if row is None or row["disabled"]:
        del st.session_state[SESSION_KEY]
        return None
    return {"username": row["username"], "role": row["role"]}


def sign_in_form(db: Database) -> None:
    """The sign-in form; on success, remember the user and run the app again."""
    st.title("Maraude")
    st.subheader("Connexion")
    if st.session_state.pop("expired", False):
        st.warning("Votre session a expiré après une période d'inactivité.")
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
    user = check_credentials(db, username, password)
    if user is None:
        st.error("Identifiant ou mot de passe incorrect, ou compte désactivé.")
        return
    st.session_state[SESSION_KEY] = user["username"]
    st.rerun()


def sign_out(db: Database, user: dict[str, Any]) -> None:
    mdb.audit(db, user["username"], "sign_out", "user", user["username"])
    st.session_state.clear()
    st.rerun()
