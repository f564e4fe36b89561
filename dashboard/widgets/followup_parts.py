"""Pieces of the follow-up pages (#16): one lead as a row of "Transmis" and
"Mes leads". Post content only ever goes through ``st.text`` (inert)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.widgets import parts, wording
from maraude.ops import desk
from maraude.ops.desk import OUTCOME_NAMES

LEAD_PAGE = "pages/lead.py"


def facts(lead: dict[str, Any], catalogue: dict[str, Any]) -> str:
    """One line: labels, rights, platform, status (with holder and outcome), age."""
    status = wording.STATUSES.get(lead["status"], lead["status"])
    if lead["status"] == "claimed" and lead["claimed_by"]:
        status += f" par {lead['claimed_by']}"
    if lead.get("outcome"):
        status += f" · suite : {OUTCOME_NAMES.get(lead['outcome'], lead['outcome'])}"
    parts = [
        *wording.lead_topics(lead, catalogue),
        f"{lead['platform']} · {lead['source']}",
        status,
        f"modifié {wording.age(lead['updated_at'])}",
    ]
    return " | ".join(p for p in parts if p)


def badges(lead: dict[str, Any]) -> None:
    parts.crisis_badges(lead)


def last_escalation(lead: dict[str, Any]) -> str | None:
    """The latest "(transmis)" line of the notes (our own users' words)."""
    lines = [x for x in (lead.get("note") or "").splitlines() if "(transmis) :" in x]
    return lines[-1] if lines else None


def open_button(lead: dict[str, Any], key: str, label: str = "Ouvrir") -> None:
    """A button that opens the lead page on this lead."""
    if st.button(label, key=f"{key}_{lead['id']}"):
        st.session_state["lead_id"] = lead["id"]
        st.switch_page(LEAD_PAGE)


def escalate_form(db: Any, user: dict[str, Any], lead_id: int) -> None:
    """ "Transmettre": the reason is required (the action refuses an empty one)."""
    with st.form("escalate", clear_on_submit=True):
        why = st.text_input("Transmettre à un·e responsable : pourquoi ?")
        if st.form_submit_button("Transmettre", icon=":material/priority_high:"):
            parts.run_action(
                "Signalement transmis.", desk.escalate, db, user, lead_id, why
            )
            st.rerun()


def senior_actions(db: Any, user: dict[str, Any], lead: dict[str, Any]) -> None:
    """A senior holding the lead: send it back with a note, close it, or give
    an escalated one back to the seniors."""
    lead_id = lead["id"]
    with st.form("send_back", clear_on_submit=True):
        back = st.text_input("Remettre dans la file : note pour la suite")
        if st.form_submit_button("Remettre dans la file", icon=":material/undo:"):
            parts.run_action(
                "Signalement remis dans la file.",
                desk.send_back,
                db,
                user,
                lead_id,
                back,
            )
            st.rerun()
    with st.form("close", clear_on_submit=True):
        why = st.text_input("Clore : note (facultative)")
        if st.form_submit_button("Clore", icon=":material/done_all:"):
            parts.run_action("Signalement clos.", desk.close, db, user, lead_id, why)
            st.rerun()
    if lead["escalated_at"] and st.button(
        "Rendre aux responsables", icon=":material/group:"
    ):
        parts.run_action(
            "Signalement rendu aux responsables.", desk.give_back, db, user, lead_id
        )
        st.rerun()


def lead_actions(db: Any, user: dict[str, Any], lead: dict[str, Any]) -> None:
    """Follow-up on the lead page (#16), after the worker's own actions."""
    me = user["username"]
    held = lead["status"] == "claimed" and lead["claimed_by"] == me
    mine_replied = lead["status"] == "replied" and lead["claimed_by"] == me
    senior = desk.is_senior(user)
    if lead["status"] == "escalated" and senior:
        st.info("Ce signalement a été transmis aux responsables.")
        if st.button(
            "Prendre (responsable)", type="primary", icon=":material/front_hand:"
        ):
            parts.run_action("Signalement pris.", desk.take, db, user, lead["id"])
            st.rerun()
    if held and senior:
        senior_actions(db, user, lead)
    if (held and not (senior and lead["escalated_at"])) or mine_replied:
        escalate_form(db, user, lead["id"])
    if lead["status"] == "replied" and (mine_replied or senior):
        outcome_form(db, user, lead)


def outcome_form(db: Any, user: dict[str, Any], lead: dict[str, Any]) -> None:
    """What came of the reply (answered, oriented, no_news), changeable."""
    names = desk.OUTCOME_NAMES
    current = lead.get("outcome")
    with st.form("outcome"):
        choice = st.radio(
            "Suite de la réponse",
            list(names),
            index=list(names).index(current) if current in names else None,
            format_func=names.__getitem__,
            horizontal=True,
        )
        if st.form_submit_button("Enregistrer la suite") and choice:
            parts.run_action(
                "Suite enregistrée.",
                desk.record_outcome,
                db,
                user,
                lead["id"],
                choice,
            )
            st.rerun()


def outcome_metrics(outcomes: dict[str, int], replies: int) -> None:
    """Activity: what came of the period's replies (#16), one metric each."""
    st.subheader("Suites des réponses")
    recorded = sum(outcomes.values())
    cols = st.columns(len(OUTCOME_NAMES) + 1)
    for col, (value, name) in zip(cols, OUTCOME_NAMES.items(), strict=False):
        col.metric(name.capitalize(), outcomes.get(value, 0))
    cols[-1].metric(
        "Sans suite notée",
        max(0, replies - recorded),
        help="Réponses de la période dont la suite n'a pas encore été notée "
        "(page « Mes signalements »).",
    )
