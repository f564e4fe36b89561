"""Mes signalements: the worker's own view (#16): the leads they hold, those
they replied to (with what came of it) and those they escalated."""

from __future__ import annotations

import logging

import streamlit as st

from dashboard import queries
from dashboard.widgets import followup_parts, parts
from maraude.ops import desk

#: This page, for the sidebar (dashboard/navigation.py reads it, never runs it).
PAGE = {
    "title": "Mes signalements",
    "icon": ":material/assignment_ind:",
    "action": "mine_view",
    "order": 30,
}

logger = logging.getLogger(__name__)

db_path, db, user, config = queries.session()
catalogue = queries.catalogue()

st.title("Mes signalements")
parts.flash()

leads = queries.my_leads(db_path, user["username"])
mine = user["username"]
held = [x for x in leads if x["status"] == "claimed" and x["claimed_by"] == mine]
replied = [x for x in leads if x["status"] == "replied" and x["claimed_by"] == mine]
escalated = [x for x in leads if x["escalated_by"] == mine and x not in held + replied]


def outcome_buttons(lead: dict) -> None:
    """What came of the reply: one click records it (it can be changed later)."""
    st.caption("Suite de la réponse :")
    cols = st.columns(len(desk.OUTCOME_NAMES))
    for col, (value, name) in zip(cols, desk.OUTCOME_NAMES.items(), strict=True):
        if col.button(
            name,
            key=f"outcome_{value}_{lead['id']}",
            type="primary" if lead["outcome"] == value else "secondary",
        ):
            parts.run_action(
                "Suite enregistrée.",
                desk.record_outcome,
                db,
                user,
                lead["id"],
                value,
            )
            st.rerun()


sections = (
    ("Pris en charge", held, "Aucun signalement pris en charge."),
    ("Répondus", replied, "Aucune réponse enregistrée."),
    ("Transmis", escalated, "Aucun signalement transmis."),
)
for title, rows, empty in sections:
    st.subheader(f"{title} ({len(rows)})")
    if not rows:
        st.info(empty)
    for lead in rows:
        with st.container(border=True):
            followup_parts.badges(lead)
            st.text(followup_parts.facts(lead, catalogue))
            if rows is replied and desk.can_act(user):
                outcome_buttons(lead)
            followup_parts.open_button(lead, f"open_{title}")
