"""Label: one post at a time, the most uncertain first, every label, keyboard-first."""

from __future__ import annotations

import logging

import streamlit as st

from dashboard import queries
from dashboard.widgets import label_parts, parts, wording
from maraude.ops import labels

#: This page, for the sidebar (dashboard/navigation.py reads it, never runs it).
PAGE = {
    "title": "Étiqueter",
    "icon": ":material/label:",
    "action": "label",
    "order": 50,
}

logger = logging.getLogger(__name__)

db_path, db, user, config = queries.session()
catalogue = queries.catalogue()

st.title("Étiqueter")
parts.flash()
st.caption(
    "Les messages sur lesquels le modèle hésite le plus, sans doublons. "
    "Raccourcis : 1 détresse · 2 crise · 3 droits · 4 mineur·e · "
    "S enregistrer · X passer."
)

post_id = label_parts.current_post(db, user)
if post_id is None:
    st.info(
        "Rien à étiqueter pour l'instant : tout ce que le modèle a noté est "
        "étiqueté ou réservé. Revenez après la prochaine collecte."
    )
    st.stop()

first_view = st.session_state.get("label_viewed") != post_id
item = parts.attempt(labels.view_item, db, user, post_id, record=first_view)
if item is None:  # purged or opted out since the batch was chosen
    label_parts.done(post_id)
    st.rerun()
st.session_state["label_viewed"] = post_id

facts = [f"message {post_id}", item["platform"]]
if item["margin"] is not None:
    facts.append(f"écart à 0,5 : {wording.number(item['margin'])}")
if item["double"]:
    facts.append("étiqueté par deux personnes")
st.text(" · ".join(facts))
# The post, masked (e-mails, phones, @mentions) and inert: never markdown.
st.code(item["text"], language=None, wrap_lines=True)

choice = label_parts.label_form(f"label_{post_id}", catalogue)

left, right = st.columns(2)
if left.button("Enregistrer", type="primary", icon=":material/check:", shortcut="S"):
    parts.run_action(
        "Étiquette enregistrée.", labels.save_label, db, user, post_id, choice
    )
    label_parts.done(post_id)
    st.rerun()
if right.button("Passer", icon=":material/skip_next:", shortcut="X"):
    parts.run_action("Message passé.", labels.skip, db, user, post_id)
    label_parts.done(post_id, skipped=True)
    st.rerun()

with st.expander("Accord entre modérateurs", icon=":material/group:"):
    label_parts.agreement_table(parts.attempt(labels.agreement, db, user))
