"""Streamlit pieces the pages share: right cards and running actions.

Post content is only ever shown with ``st.text`` / ``st.code``: markdown is kept
for our own fixed wording and the committed rights catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from dashboard import queries
from dashboard.widgets.wording import is_web_url, latest_amounts
from maraude.errors import MaraudeError
from maraude.inert import md_escape
from maraude.protocols import Protocol
from maraude.rights import Right, format_amount


def right_card(right: Right) -> None:
    with st.container(border=True):
        st.markdown(f"**{right.name}**")
        st.write(right.summary)
        for amount in latest_amounts(right):
            # a stale figure reads "montant à vérifier (au JJ/MM/AAAA)" (#16)
            st.markdown(f"- {amount.label} : **{format_amount(amount)}**")
        with st.expander("Pour qui, et comment faire la demande"):
            st.markdown("\n".join(f"- {w}" for w in right.for_whom))
            st.write(right.how_to_apply)
        cols = st.columns(2)
        if right.links:
            cols[0].link_button(right.links[0].label, right.links[0].url)
        if right.simulators:
            cols[1].link_button(right.simulators[0].label, right.simulators[0].url)


def protocol_boxes(protocols: list[Protocol], where: Any = st) -> None:
    """One bordered box per protocol the lead calls for (#16), beside the draft:
    our own fixed wording, never the post's."""
    for protocol in protocols:
        with where.container(border=True):
            st.markdown(f"**{protocol.title}**")
            st.markdown(protocol.box)


def attempt(action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``action``; on an expected problem (a MaraudeError) show it and stop."""
    try:
        return action(*args, **kwargs)
    except MaraudeError as e:
        st.error(str(e))
        st.stop()


def run_action(done: str, action: Callable[..., Any], *args: Any) -> Any:
    """Run a write; on success forget cached reads and leave ``done`` to show."""
    result = attempt(action, *args)
    queries.clear()
    st.session_state["flash"] = done
    return result


def flash() -> None:
    """Show (once) the message left by the last action."""
    if message := st.session_state.pop("flash", None):
        st.success(message)


#: How a copy of the post is named in "Aussi vu à" (maraude.db.duplicates kinds).
COPY_KINDS = {
    "original": "première copie",
    "exact": "copie",
    "near": "copie proche",
    "retweet": "retweet",
}


def also_seen(lead: dict[str, Any]) -> None:
    """The other places the lead's post was seen (#15): one link each, its
    label made inert; a copy without a web address (or a known one) as text."""
    copies = lead.get("copies") or []
    if not copies:
        return
    st.text("Aussi vu à :")
    shown = {lead.get("url")}
    for copy in copies:
        place = (
            f"{copy['platform']} · {copy['site']} "
            f"({COPY_KINDS.get(copy['kind'], copy['kind'])})"
        )
        if is_web_url(copy["url"]) and copy["url"] not in shown:
            shown.add(copy["url"])
            st.link_button(md_escape(place), copy["url"], icon=":material/open_in_new:")
        else:
            st.text(place)


def crisis_badges(lead: dict[str, Any]) -> None:
    """The crisis level (sure, possible) and minor badges of a lead."""
    level = lead.get("crisis_level")
    if level == "sure":
        st.badge("CRISE", icon=":material/emergency:", color="red")
    elif level == "possible":
        st.badge("CRISE possible", icon=":material/help:", color="orange")
    if lead["minor"]:
        st.badge("mineur·e", color="orange")
