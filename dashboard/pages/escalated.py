"""Transmis: the seniors' view of escalated leads (#16). A senior takes one
(held by them, no expiry), then answers, sends it back or closes it on its page."""

from __future__ import annotations

import logging

import streamlit as st

from dashboard import queries
from dashboard.widgets import followup_parts, parts, wording
from maraude.ops import desk

#: This page, for the sidebar (dashboard/navigation.py reads it, never runs it).
PAGE = {
    "title": "Transmis",
    "icon": ":material/priority_high:",
    "action": "view_escalated",
    "order": 40,
}

logger = logging.getLogger(__name__)

db_path, db, user, config = queries.session()
catalogue = queries.catalogue()

st.title("Signalements transmis")
parts.flash()
if not desk.is_senior(user):
    st.error("Cette page est réservée aux responsables.")
    st.stop()
if not st.session_state.get("escalated_viewed"):
    parts.attempt(desk.page_view, db, user, "escalated")
    st.session_state["escalated_viewed"] = True

leads = queries.escalated_leads(db_path)
waiting = [x for x in leads if x["status"] == "escalated"]
taken = [x for x in leads if x["status"] != "escalated"]
st.caption(
    "Prenez un signalement pour y répondre, le remettre dans la file avec une "
    "note, ou le clore."
)

st.subheader(f"À prendre ({len(waiting)})")
if not waiting:
    st.info("Aucun signalement transmis en attente.")
for lead in waiting:
    with st.container(border=True):
        followup_parts.badges(lead)
        st.text(followup_parts.facts(lead, catalogue))
        st.text(
            f"Transmis par {lead['escalated_by'] or '?'} "
            f"{wording.age(lead['escalated_at'])}"
        )
        if why := followup_parts.last_escalation(lead):
            st.text(why)
        cols = st.columns(2)
        if cols[0].button("Prendre", type="primary", key=f"take_{lead['id']}"):
            parts.run_action("Signalement pris.", desk.take, db, user, lead["id"])
            st.session_state["lead_id"] = lead["id"]
            st.switch_page(followup_parts.LEAD_PAGE)
        with cols[1]:
            followup_parts.open_button(lead, "open_waiting")

st.subheader(f"Pris par un·e responsable ({len(taken)})")
if not taken:
    st.info("Aucun.")
for lead in taken:
    with st.container(border=True):
        followup_parts.badges(lead)
        st.text(followup_parts.facts(lead, catalogue))
        followup_parts.open_button(lead, "open_taken")
