"""Adjudication: where two moderators disagree, a third person decides."""

from __future__ import annotations

import logging

import streamlit as st

from dashboard import queries
from dashboard.widgets import label_parts, parts, wording
from maraude.ops import labels

#: This page, for the sidebar (dashboard/navigation.py reads it, never runs it).
PAGE = {
    "title": "Arbitrage",
    "icon": ":material/balance:",
    "action": "adjudication_list",
    "order": 60,
}

logger = logging.getLogger(__name__)

db_path, db, user, config = queries.session()
catalogue = queries.catalogue()
short_names = {k: r.short_name for k, r in catalogue.items()}

st.title("Arbitrage")
parts.flash()

st.subheader("Accord entre modérateurs")
label_parts.agreement_table(parts.attempt(labels.agreement, db, user))

st.subheader("Désaccords à trancher")
found = parts.attempt(labels.disagreements, db, user)
if not found:
    st.success("Aucun désaccord en attente.")
    st.stop()

by_key = {d["item_key"]: d for d in found}
st.dataframe(
    [
        {
            "message": "supprimé" if d["post_id"] is None else str(d["post_id"]),
            "désaccord sur": ", ".join(wording.LABEL_NAMES[f] for f in d["fields"]),
            "modérateurs": " / ".join(x["username"] for x in d["labels"]),
        }
        for d in found
    ],
    hide_index=True,
)
key = st.selectbox(
    "Désaccord à trancher",
    list(by_key),
    format_func=lambda k: (
        f"message {by_key[k]['post_id'] or '(supprimé)'} : "
        + ", ".join(wording.LABEL_NAMES[f] for f in by_key[k]["fields"])
    ),
)
first_view = st.session_state.get("adjudication_viewed") != key
item = parts.attempt(labels.view_disagreement, db, user, key, record=first_view)
if item is None:
    st.info("Ce désaccord vient d'être tranché.")
    st.stop()
st.session_state["adjudication_viewed"] = key

# Masked text, inert.
st.code(item["text"], language=None, wrap_lines=True)
for label in item["labels"]:
    st.text(f"{label['username']} : {wording.label_summary(label, short_names)}")

if user["username"] in {x["username"] for x in item["labels"]}:
    st.info("Vous avez étiqueté ce message : une autre personne doit trancher.")
    st.stop()

st.markdown("**Votre décision**")
choice = label_parts.label_form(f"adj_{key}", catalogue, shortcuts=False)
if st.button("Enregistrer la décision", type="primary", icon=":material/gavel:"):
    parts.run_action("Décision enregistrée.", labels.adjudicate, db, user, key, choice)
    st.rerun()
