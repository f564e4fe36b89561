"""Administration (admin role only): users and roles, sources, retention, opt-out."""

from __future__ import annotations

import logging

import streamlit as st

from dashboard import queries
from dashboard.widgets import admin_parts, parts, wording
from maraude.ops import admin
from maraude.ops import users as accounts
from maraude.templates import organisation_missing

#: This page, for the sidebar (dashboard/navigation.py reads it, never runs it).
PAGE = {
    "title": "Administration",
    "icon": ":material/settings:",
    "action": "admin_view",
    "order": 90,
}

logger = logging.getLogger(__name__)

db_path, db, user, config = queries.session()

# The role is checked server-side before anything is read.
if not st.session_state.get("admin_viewed"):
    parts.attempt(admin.view, db, user)
    st.session_state["admin_viewed"] = True
else:
    parts.attempt(accounts.users, db, user)  # re-checked at every run

st.title("Administration")
parts.flash()
if organisation_missing(config.organisation.name):  # every reply names it (#16)
    st.warning(wording.ORGANISATION_MISSING_ADMIN, icon=":material/domain:")

users, sources, retention, optout = st.tabs(
    ["Comptes et rôles", "Sources", "Conservation", "Désinscriptions"]
)
with users:
    admin_parts.users_section(db, user)
with sources:
    admin_parts.sources_section(db, user, config)
with retention:
    admin_parts.retention_section(config)
with optout:
    admin_parts.optout_section(db, user)
