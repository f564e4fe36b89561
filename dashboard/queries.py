"""Reads for the pages: thin cached wrappers over :mod:`maraude.db`.

Every cached read is keyed on the database path, so two databases never share
results, and lives a few seconds only, so the queue stays live. Writes go through
:mod:`maraude.ops`, then :func:`clear`.

Every read is fetched whole (lists, never an open cursor), so the shared
connection holds no read transaction between refreshes: ``maraude purge``'s
WAL checkpoint can then empty the ``-wal`` file while the dashboard runs
(tests/reliability/test_purge_erases.py renders pages, then checks it).
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st
from sqlite_utils import Database

from maraude import db as mdb
from maraude.config import Config, load_config, resolve_db_path
from maraude.rights import Right, load_catalogue

logger = logging.getLogger(__name__)

#: Seconds a cached read lives.
TTL = 5


def db_path() -> str:
    """``MARAUDE_DB``, else ``./maraude.db`` (contracts.md)."""
    return str(resolve_db_path(None))


#: Each thread's own connection: Streamlit runs every session's script in a
#: thread of its own, and one connection shared by them would mix their
#: transactions (:mod:`maraude.db.threads`).
_CONNECTIONS = mdb.ThreadConnections(mdb.open_db)


def connect(path: str) -> Database:
    """This thread's connection to the database at ``path`` (opened on first use)."""
    return _CONNECTIONS.get(path)


def close_connections() -> None:
    """Close every connection this server opened (tests)."""
    _CONNECTIONS.close_all()


@st.cache_resource(show_spinner=False)
def config(path: str | None) -> Config:
    """The configuration (defaults, then ``path`` if given)."""
    return load_config(path)


@st.cache_resource(show_spinner=False)
def catalogue() -> dict[str, Right]:
    return load_catalogue()


def fts_query(text: str) -> str | None:
    """A safe FTS5 query: every word must appear (quoted, so no operator syntax)."""
    words = [w.replace('"', '""') for w in text.split()]
    return " ".join(f'"{w}"' for w in words) or None


@st.cache_data(ttl=TTL, show_spinner=False)
def platforms(path: str) -> list[str]:
    """The platforms of the stored posts, sorted (the queue's platform filter):
    a new platform's first posts add it, with no list to edit."""
    return sorted(mdb.stored_platforms(connect(path)))


@st.cache_data(ttl=TTL, show_spinner=False)
def status_counts(
    path: str,
    *,
    label: str | None = None,
    right: str | None = None,
    platform: str | None = None,
    search: str = "",
) -> dict[str, int]:
    """Leads per status, with the queue's filters."""
    return mdb.status_counts(
        connect(path),
        label=label,
        right=right,
        platform=platform,
        search=fts_query(search),
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def leads(
    path: str,
    *,
    label: str | None = None,
    right: str | None = None,
    platform: str | None = None,
    search: str = "",
    limit: int = 50,
    offset: int = 0,
    territories: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Open leads in queue order (crisis first; ``territories`` first within
    each level), filtered."""
    return mdb.list_leads(
        connect(path),
        label=label,
        right=right,
        platform=platform,
        search=fts_query(search),
        limit=limit,
        offset=offset,
        territories=territories,
    )


def clear() -> None:
    """Forget cached reads after a write, so the next render shows it."""
    status_counts.clear()
    leads.clear()
    unclaimed_crises.clear()
    escalated_leads.clear()
    my_leads.clear()
    outcome_summary.clear()


def session() -> tuple[str, Database, dict[str, Any], Config]:
    """For a page: the database path, its connection, the user and the config.

    ``app.py`` puts them in the session state after signing in.
    """
    state = st.session_state
    return state["db_path"], connect(state["db_path"]), state["user"], state["config"]


# -- figures (cached longer: they move slowly) -------------------------------------

FIGURES_TTL = 60


@st.cache_data(ttl=TTL, show_spinner=False)
def unclaimed_crises(path: str, minutes: int) -> list[dict[str, Any]]:
    """Crisis leads nobody has held for ``minutes`` (the seniors' red banner)."""
    return mdb.unclaimed_crises(connect(path), minutes)


@st.cache_data(ttl=FIGURES_TTL, show_spinner=False)
def leads_per_day(path: str, by: str, days: int) -> list[dict[str, Any]]:
    return mdb.leads_per_day(connect(path), by, days)


@st.cache_data(ttl=FIGURES_TTL, show_spinner=False)
def outcome_summary(path: str, days: int) -> dict[str, Any]:
    return mdb.outcome_summary(connect(path), days)


@st.cache_data(ttl=FIGURES_TTL, show_spinner=False)
def crawl_health(path: str, days: int) -> list[dict[str, Any]]:
    return mdb.crawl_health(connect(path), days)


@st.cache_data(ttl=FIGURES_TTL, show_spinner=False)
def crawl_per_day(path: str, days: int) -> list[dict[str, Any]]:
    return mdb.crawl_per_day(connect(path), days)


# -- escalation and follow-up (#16) -------------------------------------------------


@st.cache_data(ttl=TTL, show_spinner=False)
def escalated_leads(path: str) -> list[dict[str, Any]]:
    """The seniors' view: escalated leads, then those a senior has taken."""
    return mdb.escalated_leads(connect(path))


@st.cache_data(ttl=TTL, show_spinner=False)
def my_leads(path: str, username: str) -> list[dict[str, Any]]:
    """The worker's own view: leads they hold, replied to or escalated."""
    return mdb.my_leads(connect(path), username)
