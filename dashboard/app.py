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
from dashboard.widgets import wording
from maraude import vocab
from maraude.config import resolve_db_path
from maraude.db import is_demo
from maraude.errors import MaraudeError

logger = logging.getLogger(__name__)

#: Served by this server (a material icon as favicon is fetched from a font CDN).
ICON = Path(__file__).parent / "static" / "icon.png"
st.set_page_config(page_title="Maraude", page_icon=str(ICON))

#: Every page, with the roles that see it. The actions behind each page check
#: the role again server-side (maraude.ops).
PAGES = (
    ("pages/queue.py", "File d'attente", ":material/inbox:", "queue"),
    ("pages/lead.py", "Signalement", ":material/article:", "lead"),
    ("pages/mine.py", "Mes signalements", ":material/assignment_ind:", "mine"),
    ("pages/escalated.py", "Transmis", ":material/priority_high:", "escalated"),
    ("pages/label.py", "Étiqueter", ":material/label:", "label"),
    ("pages/adjudication.py", "Arbitrage", ":material/balance:", "adjudication"),
    ("pages/activity.py", "Activité", ":material/monitoring:", "activity"),
    ("pages/report.py", "Rapport mensuel", ":material/summarize:", "report"),
    ("pages/admin.py", "Administration", ":material/settings:", "admin"),
)
#: The roles that see each page: those allowed the action behind it
#: (maraude.vocab.PAGE_ACTION and PERMISSIONS).
ROLES_BY_PAGE = {slug: vocab.page_roles(slug) for *_, slug in PAGES}


def pages_for(role: str) -> list[st.Page]:
    return [
        st.Page(path, title=title, icon=icon, url_path=slug, default=slug == "queue")
        for path, title, icon, slug in PAGES
        if role in ROLES_BY_PAGE[slug]
    ]


def only(title: str, render: Callable[[], object]) -> NoReturn:
    """Show a single page and stop. Every run goes through st.navigation, so the
    files of pages/ are never offered as pages of their own."""
    # A page's return value is ignored: any callable will do.
    page = st.Page(cast(Callable[[], None], render), title=title, url_path="maraude")
    st.navigation([page], position="hidden").run()
    st.stop()


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

st.navigation(pages_for(user["role"])).run()
