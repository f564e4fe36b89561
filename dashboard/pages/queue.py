"""The queue: open leads by priority (sure crises, then possible ones, then the
rest); "Next lead" claims the top one."""

from __future__ import annotations

import logging

import streamlit as st

from dashboard import auth, queries
from dashboard.widgets import french, parts, wording
from maraude.db import LEAD_STATUSES, now_iso
from maraude.db.users import user_territories
from maraude.ops import desk
from maraude.targets import overdue_hours, target_hours

#: This page, for the sidebar (dashboard/navigation.py reads it, never runs it).
PAGE = {
    "title": "File d'attente",
    "icon": ":material/inbox:",
    "action": "view",
    "order": 10,
}

logger = logging.getLogger(__name__)

LEAD_PAGE = "pages/lead.py"
#: Roles that see the red banner of sure crises nobody has claimed in time.
ALERT_ROLES = ("senior", "admin")

db_path, db, user, config = queries.session()
catalogue = queries.catalogue()
#: Reply-time targets per level ([targets]): an open lead past its own is late.
TARGETS = target_hours(config.targets)
territories = tuple(user_territories(db, user["username"]))

st.title("File d'attente")
parts.flash()

if desk.can_act(user) and st.button(
    "Signalement suivant", type="primary", icon=":material/play_arrow:", shortcut="n"
):
    minutes = config.dashboard.claim_minutes
    lead_id = parts.attempt(desk.next_lead, db, user, minutes)
    if lead_id is None:
        st.info("Aucun signalement à prendre pour l'instant.")
    else:
        queries.clear()
        st.session_state["lead_id"] = lead_id
        st.session_state["flash"] = "Signalement pris en charge."
        st.switch_page(LEAD_PAGE)

with st.expander("Filtres et recherche", icon=":material/filter_list:"):
    cols = st.columns(3)
    label = cols[0].selectbox(
        "Catégorie",
        [None, *wording.LABELS],
        format_func=lambda x: wording.LABELS.get(x, "toutes"),
    )
    right = cols[1].selectbox(
        "Droit",
        [None, *catalogue],
        format_func=lambda x: catalogue[x].short_name if x else "tous",
    )
    platform = cols[2].selectbox(
        "Plateforme",
        [None, *queries.platforms(db_path)],
        format_func=lambda x: x or "toutes",
    )
    search = st.text_input("Rechercher dans les messages", placeholder="mots exacts")
    page = st.number_input("Page", min_value=1, value=1, step=1)


def row(lead: dict) -> None:
    """One lead: priority and marker, facts, a plain-text excerpt, an Open button."""
    with st.container(border=True):
        left, right_col = st.columns([5, 1], vertical_alignment="center")
        with left:
            parts.crisis_badges(lead)
            if (late := overdue_hours(lead, TARGETS)) is not None:
                st.badge(
                    "délai de réponse dépassé de "
                    + (
                        f"{int(late)} h"
                        if late >= 1
                        else f"{max(1, round(late * 60))} min"
                    ),
                    icon=":material/schedule:",
                    color="violet",
                )
            status = wording.STATUSES.get(lead["status"], lead["status"])
            if lead["status"] == "claimed":
                until = lead["claim_expires_at"] or ""
                status += f" par {lead['claimed_by']}"
                if until:  # a senior's hold of an escalated lead never expires (#16)
                    expired = until < now_iso()
                    status += (
                        " (expiré)" if expired else f" jusqu'à {french.clock(until)}"
                    )
            facts = [
                *wording.lead_topics(lead, catalogue),
                f"{lead['platform']} · {lead['source']}",
                f"dépt {lead['departement']}" if lead.get("departement") else "",
                wording.age(lead["created_at"]),
                status,
            ]
            st.text(" | ".join(f for f in facts if f))
            st.text(wording.excerpt(lead))
        if right_col.button("Ouvrir", key=f"open_{lead['id']}"):
            st.session_state["lead_id"] = lead["id"]
            st.switch_page(LEAD_PAGE)


@auth.live_fragment("30s")  # re-checks the user (enabled, not idle) every run
def live_queue() -> None:
    if user["role"] in ALERT_ROLES:
        minutes = config.alerts.crisis_unclaimed_minutes
        if crises := queries.unclaimed_crises(db_path, minutes):
            st.error(wording.alert_line(crises), icon=":material/emergency:")
        escalated = queries.escalated_leads(db_path)  # the seniors' view (#16)
        if waiting := sum(x["status"] == "escalated" for x in escalated):
            st.warning(
                f"{waiting} signalement(s) transmis à prendre : page « Transmis ».",
                icon=":material/priority_high:",
            )
    counts = queries.status_counts(  # the counters follow the filters
        db_path, label=label, right=right, platform=platform, search=search
    )
    for col, status in zip(st.columns(len(LEAD_STATUSES)), LEAD_STATUSES, strict=True):
        col.metric(wording.STATUSES[status], counts.get(status, 0))
    size = config.dashboard.page_size
    leads = queries.leads(
        db_path,
        label=label,
        right=right,
        platform=platform,
        search=search,
        limit=size,
        offset=(int(page) - 1) * size,
        territories=territories,
    )
    if not leads:
        st.info("Aucun signalement ouvert ne correspond.")
    for lead in leads:
        row(lead)


live_queue()
