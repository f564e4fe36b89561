"""Sessions that survive a reload and a new tab: a signed, expiring cookie.

Streamlit forgets ``st.session_state`` when the page is reloaded or opened in a
new tab. After signing in, the browser keeps a cookie (:data:`COOKIE`) holding
``username | issued | last active``, signed with HMAC-SHA256 under a random key
kept in the database's ``meta`` table (so every server on one database accepts
it, and a restart keeps sessions). Streamlit reads cookies
(``st.context.cookies``) but cannot set one from the server: a one-line script
(``st.html`` with JavaScript, our own text only) writes it, without ``HttpOnly``
therefore; ``SameSite=Strict``, and ``Secure`` behind HTTPS.

A token is refused when its signature is wrong, when it was last active more
than the idle timeout ago (the idle timeout is still enforced across reloads),
when it is older than :data:`MAX_HOURS`, or when its user signed out after it
was issued (signing out ends every tab of that user). The user's row (enabled,
role) is re-read at every run by :mod:`dashboard.auth`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass

import streamlit as st
from sqlite_utils import Database

from maraude import db as mdb

logger = logging.getLogger(__name__)

COOKIE = "maraude_session"
#: A session ends this long after signing in, active or not.
MAX_HOURS = 12
#: The cookie's "last active" time is refreshed at most this often.
REFRESH_SECONDS = 60
KEY_META = "dashboard_session_key"
SIGNED_OUT_META = "dashboard_signed_out:"
_WRITTEN = "_session_cookie"

_clock = time.time  # tests replace it


@dataclass(frozen=True)
class Token:
    username: str
    issued: float
    active: float


def _key(db: Database) -> bytes:
    key = mdb.get_meta(db, KEY_META)
    if key is None:
        mdb.set_meta(db, KEY_META, secrets.token_hex(32))
        key = mdb.get_meta(db, KEY_META) or ""
    return bytes.fromhex(key)


def _sign(db: Database, payload: bytes) -> str:
    return hmac.new(_key(db), payload, hashlib.sha256).hexdigest()


def issue(db: Database, username: str, issued: float | None = None) -> str:
    """A signed token for ``username``, active now (``issued`` kept on refresh)."""
    now = _clock()
    payload = f"{username}|{issued if issued is not None else now:.3f}|{now:.3f}"
    encoded = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{encoded}.{_sign(db, payload.encode())}"


def read(db: Database, token: str | None, idle_minutes: int) -> Token | None:
    """The token's contents if it is genuine and still valid, else None."""
    if not token or token.count(".") != 1:
        return None
    encoded, signature = token.split(".")
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        username, issued_s, active_s = payload.decode().rsplit("|", 2)
        issued, active = float(issued_s), float(active_s)
    except ValueError:
        return None
    if not hmac.compare_digest(signature, _sign(db, payload)):
        logger.warning("session cookie with a bad signature refused")
        return None
    now = _clock()
    if now - active > idle_minutes * 60 or now - issued > MAX_HOURS * 3600:
        return None
    signed_out = mdb.get_meta(db, SIGNED_OUT_META + username)
    if signed_out is not None and issued <= float(signed_out):
        return None
    return Token(username, issued, active)


def revoke(db: Database, username: str) -> None:
    """End every session of ``username`` issued until now (signing out)."""
    mdb.set_meta(db, SIGNED_OUT_META + username, f"{_clock():.3f}")


def cookie() -> str | None:
    """The session cookie sent by the browser with this page, if any."""
    try:
        return st.context.cookies.get(COOKIE)
    except Exception:  # outside a browser session (AppTest, bare mode)
        return None


def _write(value: str, max_age: int) -> None:
    # Our own token (base64url and hex) and constants only: nothing outside.
    st.html(
        "<script>document.cookie = "
        f"'{COOKIE}={value}; path=/; max-age={max_age}; SameSite=Strict' + "
        "(location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )


def keep(db: Database, username: str, idle_minutes: int) -> None:
    """Write a fresh cookie for ``username`` unless a recent one is in place
    (written by this session, or sent by the browser with this page)."""
    state = st.session_state
    now = _clock()
    written = state.get(_WRITTEN)  # (username, issued, written at)
    current = None if written else read(db, cookie(), idle_minutes)
    if written and written[0] == username:
        if now - written[2] < REFRESH_SECONDS:
            return
        issued = written[1]
    elif current is not None and current.username == username:
        if now - current.active < REFRESH_SECONDS:
            state[_WRITTEN] = (username, current.issued, current.active)
            return
        issued = current.issued
    else:
        issued = now
    state[_WRITTEN] = (username, issued, now)
    _write(issue(db, username, issued), MAX_HOURS * 3600)


def forget() -> None:
    """Delete the browser's cookie (signed out, or no longer valid)."""
    _write("", 0)
