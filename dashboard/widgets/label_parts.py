"""Pieces of the Label and Adjudication pages: the batch, the label form, kappa.

The post is shown by the pages with ``st.code`` (inert text); this module only
builds widgets from our own wording and the committed rights catalogue.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlite_utils import Database

from dashboard.widgets import parts, wording
from maraude.ops import labels
from maraude.rights import Right

BATCH = "label_batch"
SKIPPED = "label_skipped"
#: The shortcut buttons stay (a keyboard shortcut belongs to a button) but are
#: not drawn: the checkbox's label gives the key ("Détresse (1)").
HIDE_TOGGLES = '<style>[class*="st-key-toggle_"] { display: none; }</style>'


def current_post(db: Database, user: dict[str, Any]) -> int | None:
    """The post to label now: the head of this session's batch, refilled when
    empty (uncertain and diverse, see :mod:`maraude.db.labelling`)."""
    batch: list[int] = st.session_state.setdefault(BATCH, [])
    skipped: list[int] = st.session_state.setdefault(SKIPPED, [])
    while batch and not parts.attempt(labels.still_to_label, db, user, batch[0]):
        batch.pop(0)
    if not batch:
        batch[:] = parts.attempt(labels.next_batch, db, user, 10, skipped)
    return batch[0] if batch else None


def done(post_id: int, *, skipped: bool = False) -> None:
    """Drop a post from the batch (labelled, skipped or gone)."""
    batch: list[int] = st.session_state.get(BATCH, [])
    if post_id in batch:
        batch.remove(post_id)
    if skipped:
        st.session_state.setdefault(SKIPPED, []).append(post_id)


def _toggle(key: str) -> None:
    st.session_state[key] = not st.session_state.get(key, False)


def label_form(
    scope: str, catalogue: dict[str, Right], *, shortcuts: bool = True
) -> dict[str, Any]:
    """Every label of one post; ``scope`` keeps each post's widgets apart."""
    keys = {name: f"{scope}_{name}" for name in wording.LABEL_KEYS}
    cols = st.columns(len(keys))
    if shortcuts:
        st.html(HIDE_TOGGLES)  # style only: drawn nowhere, takes no room
    for col, (name, key) in zip(cols, keys.items(), strict=True):
        title = wording.LABEL_NAMES[name].capitalize()
        hint = f" ({wording.LABEL_KEYS[name]})" if shortcuts else ""
        col.checkbox(title + hint, key=key)
        if shortcuts:
            col.button(
                f"{title} : cocher ou décocher",
                key=f"toggle_{key}",
                type="tertiary",
                shortcut=wording.LABEL_KEYS[name],
                on_click=_toggle,
                args=(key,),
            )
    st.caption("Une crise compte aussi comme détresse ; un droit coché, comme droits.")
    topics = st.multiselect(
        "Droits concernés",
        list(catalogue),
        format_func=lambda r: catalogue[r].short_name,
        key=f"{scope}_topics",
        placeholder="aucun",
        select_all=False,
    )
    form = st.radio(
        "Forme de non-recours",
        list(wording.FORMS),
        format_func=lambda f: wording.FORMS[f],
        horizontal=True,
        help=wording.FORMS_HELP,
        key=f"{scope}_form",
    )
    choice = {name: st.session_state.get(key, False) for name, key in keys.items()}
    return {**choice, "rights_topics": topics, "non_recours_form": form}


def agreement_table(agreement: dict[str, dict[str, Any]]) -> None:
    """Cohen's kappa per label over the double-labelled posts."""
    rows = [
        {
            "étiquette": wording.LABEL_NAMES[name],
            "messages comparés": figures["n"],
            "accord brut": wording.percent(figures["agreement"]),
            "kappa de Cohen": wording.kappa(figures["kappa"]),
        }
        for name, figures in agreement.items()
    ]
    st.dataframe(rows, hide_index=True)
    st.caption(
        "Un message sur dix est étiqueté par deux personnes. Kappa : 1 = accord "
        "parfait, 0 = pas mieux que le hasard ; n/d quand une seule réponse a été "
        "donnée partout."
    )
