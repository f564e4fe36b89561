"""Maraude's dashboard: ``streamlit run dashboard/app.py`` (or ``maraude dashboard``).

The database is ``MARAUDE_DB`` (else ``./maraude.db``), the configuration
``MARAUDE_CONFIG`` (else the defaults). Nothing is visible before signing in,
except on a database made by ``maraude demo``. Pages are offered by role.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, cast

import streamlit as st

from dashboard import auth, queries, sessions
from dashboard.navigation import PageDeclaration, discover, offered
from dashboard.widgets import wording
from maraude.config import resolve_db_path
from maraude.db import is_demo
from maraude.errors import MaraudeError

logger = logging.getLogger(__name__)

#: Served by this server (a material icon as favicon is fetched from a font CDN).
ICON = Path(__file__).parent / "static" / "icon.png"
st.set_page_config(page_title="Maraude", page_icon=str(ICON))

#: Every page of pages/, as its PAGE literal declares it (dashboard/navigation.py).
#: The actions behind each page check the role again server-side (maraude.ops).
PAGES_DIR = Path(__file__).parent / "pages"


def pages_for(pages: list[PageDeclaration], role: str) -> list[st.Page]:
    """The st.Page of each page ``role`` sees; the first is its home page."""
    return [
        st.Page(
            str(page.path.relative_to(PAGES_DIR.parent)),
            title=page.title,
            icon=page.icon,
            url_path=page.slug,
            default=index == 0,
        )
        for index, page in enumerate(offered(pages, role))
    ]


def only(title: str, render: Callable[[], object]) -> NoReturn:
    """Show a single page and stop. Every run goes through st.navigation, so the
    files of pages/ are never offered as pages of their own."""
    # A page's return value is ignored: any callable will do.
    page = st.Page(cast(Callable[[], None], render), title=title, url_path="maraude")
    st.navigation([page], position="hidden").run()
    st.stop()


try:  # a page file without a valid PAGE literal: say which, and what to write
    pages = discover(PAGES_DIR)
except MaraudeError as e:
    problem = str(e)
    only("Maraude", lambda: st.error(problem))

db_path = queries.db_path()
if not resolve_db_path(db_path).is_file():  # a postgresql:// URL counts as one
    only(
        "Maraude",
        lambda: st.error(
            f"La base {db_path} n'existe pas. Indiquez-la avec MARAUDE_DB, ou créez "
            "une base de démonstration avec `maraude demo`."
        ),
    )
try:
    config = queries.config(os.environ.get("MARAUDE_CONFIG"))
    db = queries.connect(db_path)
except MaraudeError as e:
    message = str(e)
    only("Maraude", lambda: st.error(message))

idle_minutes = config.dashboard.session_minutes
user = auth.current_user(db, idle_minutes)
if user is None:
    if sessions.cookie():  # expired, signed out or forged: delete it
        sessions.forget()
    only("Connexion", lambda: auth.sign_in_form(db))

st.session_state["db_path"] = db_path
st.session_state["user"] = user
st.session_state["config"] = config

with st.sidebar:
    st.text(f"{user['username']} ({wording.ROLES.get(user['role'], user['role'])})")
    if is_demo(db):
        st.caption("Base de démonstration : messages inventés.")
        roles = list(auth.DEMO_USERS)
        role = st.selectbox(
            "Rôle de démonstration",
            roles,
            index=roles.index(user["role"]) if user["role"] in roles else 0,
            format_func=lambda r: wording.ROLES[r],
            key=f"demo_role_{user['role']}",
            help="Changez de rôle pour voir les pages de chacun.",
        )
        if role != user["role"]:
            auth.switch_demo_role(db, role)
            st.rerun()
    if st.button("Se déconnecter", icon=":material/logout:"):
        auth.sign_out(db, user)
    sessions.keep(db, user["username"], idle_minutes)

st.navigation(pages_for(pages, user["role"])).run()
