"""One lead: crisis protocol first, then the post as plain text, rights, actions."""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from dashboard import queries
from dashboard.widgets import followup_parts, french, parts, simulation_parts, wording
from maraude.db import now_iso
from maraude.ops import desk
from maraude.protocols import protocols_for
from maraude.templates import organisation_missing, render_reply

#: This page, for the sidebar (dashboard/navigation.py reads it, never runs it).
PAGE = {
    "title": "Signalement",
    "icon": ":material/article:",
    "action": "view",
    "order": 20,
}

logger = logging.getLogger(__name__)

db_path, db, user, config = queries.session()

raw_id: Any = st.session_state.get("lead_id") or st.query_params.get("lead")
try:
    lead_id = int(raw_id)
except (TypeError, ValueError):
    st.info("Choisissez un signalement dans la file d'attente.")
    st.stop()
st.session_state["lead_id"] = lead_id
st.query_params["lead"] = str(lead_id)

first_view = st.session_state.get("viewed_lead") != lead_id
lead = parts.attempt(desk.view_lead, db, user, lead_id, record=first_view)
if lead is None:
    st.error(f"Le signalement {lead_id} n'existe pas (ou plus).")
    st.stop()
st.session_state["viewed_lead"] = lead_id

is_crisis = bool(lead["crisis"]) or "crisis" in lead["labels"]
protocols = protocols_for(lead)  # what this post's situation calls for (#16)
crisis_box = wording.crisis_protocol(
    [f"**{p.title}**\n\n{p.box}\n" for p in protocols],
    {n for p in protocols for n in p.numbers},
)
if is_crisis and lead.get("crisis_level") == "possible":
    st.warning(wording.CRISIS_REVIEW + "\n\n" + crisis_box, icon=":material/emergency:")
elif is_crisis:
    st.error(crisis_box, icon=":material/emergency:")
if lead["minor"]:
    st.warning(wording.MINOR_PROTOCOL, icon=":material/child_care:")

st.title(f"Signalement {lead_id}")
parts.flash()

status = wording.STATUSES.get(lead["status"], lead["status"])
held_by_me = lead["status"] == "claimed" and lead["claimed_by"] == user["username"]
if (
    desk.can_act(user)
    and not held_by_me
    and st.button(
        "Signalement suivant",
        icon=":material/skip_next:",
        shortcut="n",
        help="Prend en charge le premier signalement de la file et l'ouvre.",
    )
):  # one click per lead, as from the queue
    next_id = parts.attempt(desk.next_lead, db, user, config.dashboard.claim_minutes)
    if next_id is None:
        st.info("Aucun signalement à prendre pour l'instant.")
    else:
        queries.clear()
        st.session_state["lead_id"] = next_id
        st.session_state["flash"] = "Signalement pris en charge."
        st.rerun()
if lead["status"] == "claimed" and not held_by_me:
    until = french.clock(lead["claim_expires_at"]) if lead["claim_expires_at"] else ""
    status += f" par {lead['claimed_by']}" + (f" jusqu'à {until}" if until else "")
st.text(
    f"{lead['platform']} · {lead['site']} · source {lead['source']} · "
    f"{wording.age(lead['post_created_at'])} · {status}"
)

# The post, as inert plain text: never markdown, never HTML.
if lead["thread_title"]:
    st.text(f"Fil : {lead['thread_title']}")
if lead["title"] and lead["title"] != lead["thread_title"]:  # never twice
    st.text(lead["title"])
if lead.get("quoted"):  # other people's words: shown apart, never scored (#15)
    st.caption("Message cité (d'autres personnes) :")
    st.code(lead["quoted"], language=None, wrap_lines=True)
    st.caption("Sa réponse :")
st.code(lead["text"], language=None, wrap_lines=True)
if wording.is_web_url(lead["url"]):
    st.link_button(
        "Voir le message d'origine", lead["url"], icon=":material/open_in_new:"
    )
parts.also_seen(lead)  # copies of the post elsewhere: one lead (#15)

with st.expander("Pourquoi ce message est remonté"):
    scores = lead["scores"]
    cols = st.columns(3)
    for col, key in zip(cols, ("distress", "crisis", "rights"), strict=True):
        col.metric(wording.LABELS[key], wording.percent(scores.get(key, 0)))
    names = {r: right.short_name for r, right in queries.catalogue().items()}
    lines = french.explanation_sentences(lead["explanation"], names)
    if lines:
        st.text("\n".join(lines))

catalogue = queries.catalogue()
rights = [catalogue[r] for r in lead["rights_topics"] if r in catalogue]
if rights:
    st.subheader("Droits possibles")
    for right in rights:
        parts.right_card(right)
if desk.can_act(user) and not is_crisis:  # a tool for those who reply
    admin = user["role"] == "admin"  # only they can install it
    simulation_parts.estimate(lead_id, lead["rights_topics"], config, admin=admin)

st.subheader("Agir")
if organisation_missing(config.organisation.name) and user["role"] == "admin":
    st.warning(wording.ORGANISATION_MISSING_ADMIN, icon=":material/domain:")
if protocols and not is_crisis and not held_by_me:  # e.g. 115 for any lead
    parts.protocol_boxes(protocols)
if lead["note"]:
    st.text(f"Notes :\n{lead['note']}")
if not desk.can_act(user):
    st.info("Votre rôle permet de lire ce lead, pas d'y répondre.")
    st.stop()

minutes = config.dashboard.claim_minutes
claimable = lead["status"] == "new" or (
    lead["status"] == "claimed"
    and lead["claim_expires_at"] is not None  # a senior's hold never expires
    and lead["claim_expires_at"] < now_iso()
)
if (
    claimable
    and not held_by_me
    and st.button(
        "Prendre en charge", type="primary", icon=":material/front_hand:", shortcut="p"
    )
):
    parts.run_action(
        "Signalement pris en charge.", desk.claim, db, user, lead_id, minutes
    )
    st.rerun()

if held_by_me:
    draft = render_reply(
        lead,
        {"name": user["username"], "role": wording.REPLY_ROLE},
        {"name": config.organisation.name, "url": config.organisation.url},
    )
    if organisation_missing(config.organisation.name):
        st.warning(wording.ORGANISATION_MISSING_WORKER, icon=":material/domain:")
    draft_col, box_col = st.columns([3, 2]) if protocols else (st, None)
    text = draft_col.text_area(
        "Votre réponse", value=draft, height=320, key=f"reply_{lead_id}"
    )
    if box_col is not None:  # each protocol a box beside the draft (#16)
        parts.protocol_boxes(protocols, box_col)
    st.caption("Copiez-la, publiez-la vous-même sur la plateforme, puis confirmez ici.")
    cols = st.columns(3)
    if cols[0].button(
        "J'ai répondu", type="primary", icon=":material/check:", shortcut="ctrl+enter"
    ):
        parts.run_action("Réponse enregistrée.", desk.reply, db, user, lead_id, text)
        st.rerun()
    if cols[1].button("Non pertinent", icon=":material/block:", shortcut="x"):
        parts.run_action("Classé non pertinent.", desk.not_relevant, db, user, lead_id)
        st.rerun()
    if cols[2].button("Relâcher", icon=":material/undo:", shortcut="l"):
        parts.run_action(
            "Signalement remis dans la file.", desk.release, db, user, lead_id
        )
        st.rerun()
followup_parts.lead_actions(db, user, lead)  # transmit, seniors, outcome (#16)

with st.form("note", clear_on_submit=True):
    note = st.text_input("Ajouter une note")
    if st.form_submit_button("Enregistrer la note") and note.strip():
        parts.run_action("Note ajoutée.", desk.note, db, user, lead_id, note)
        st.rerun()
