"""Activity: leads (signalements) per day, reply delays, precision as workers see
it, crawl health. Times in Europe/Paris, dates JJ/MM/AAAA."""

from __future__ import annotations

import logging

import streamlit as st

from dashboard import queries
from dashboard.widgets import charts, followup_parts, french, parts, wording
from maraude import vocab
from maraude.ops import desk

#: This page, for the sidebar (dashboard/navigation.py reads it, never runs it).
PAGE = {
    "title": "Activité",
    "icon": ":material/monitoring:",
    "action": "activity_view",
    "order": 70,
}

logger = logging.getLogger(__name__)

db_path, db, user, config = queries.session()
catalogue = queries.catalogue()

if not st.session_state.get("activity_viewed"):
    parts.attempt(desk.page_view, db, user, "activity")
    st.session_state["activity_viewed"] = True

st.title("Activité")
if vocab.allowed(user["role"], "report_view"):  # the report page's action
    st.page_link(
        "pages/report.py",
        label="Rapport mensuel (CSV, version imprimable)",
        icon=":material/summarize:",
    )
days = st.segmented_control(
    "Période",
    [7, 30, 90],
    default=30,
    format_func=lambda d: f"{d} jours",
    required=True,
)
summary = queries.outcome_summary(db_path, days)

cols = st.columns(4)
cols[0].metric("Signalements", summary["leads"])
cols[1].metric("Réponses", summary["replies"])
median = summary["median_reply_hours"]
cols[2].metric(
    "Délai médian",
    "—" if median is None else f"{wording.number(round(median, 1))} h",
    help="Temps médian avant la première réponse, de la création du signalement "
    "à la réponse, pour les signalements de la période.",
)
cols[3].metric(
    "Non pertinents",
    wording.percent(summary["not_relevant_share"]),
    help="Part des signalements traités (répondus, transmis, clos, non "
    "pertinents) que les équipes ont marqués non pertinents.",
)
retention = (
    f"Les signalements clos sont supprimés au bout de "
    f"{config.privacy.closed_leads_days} jours et ne comptent plus ensuite."
)
if summary["decided"]:
    st.caption(
        f"Précision vue par les équipes : {wording.percent(summary['precision'])} "
        f"des {summary['decided']} signalements traités étaient pertinents. "
        + retention
    )
else:
    st.caption(
        "Aucun signalement traité sur la période : la précision vue par les "
        "équipes n'est pas encore mesurable. " + retention
    )
followup_parts.outcome_metrics(summary["outcomes"], summary["replies"])  # #16


def names(by: str, value: str) -> str:
    if by == "label":
        return wording.LABELS.get(value, value)
    if by == "right":
        return catalogue[value].short_name if value in catalogue else value
    return value


st.subheader("Signalements par jour")
tabs = st.tabs(["Par catégorie", "Par droit", "Par plateforme"])
for tab, by, legend in zip(
    tabs,
    ("label", "right", "platform"),
    ("catégorie", "droit", "plateforme"),
    strict=True,
):
    rows = queries.leads_per_day(db_path, by, days)
    with tab:
        if not rows:
            st.info("Aucun signalement sur la période.")
            continue
        frame = [
            {
                "jour": r["day"],
                legend: names(by, r["group"]),
                "signalements": r["leads"],
            }
            for r in rows
        ]
        charts.daily(frame, y="signalements", color=legend)

st.subheader("Santé des collectes (7 jours)")
health = queries.crawl_health(db_path, 7)
if not health:
    st.info("Aucune collecte enregistrée.")
    st.stop()
st.dataframe(
    [
        {
            "source": h["source"],
            "dernière collecte": french.date_time(h["last_run_at"]),
            "état": wording.RUN_STATUSES.get(h["last_status"], h["last_status"]),
            "nouveaux (dernière)": h["last_new_posts"],
            "erreurs (dernière)": h["last_errors"],
            "collectes": h["runs"],
            "échouées": h["failed_runs"],
            "nouveaux (7 j)": h["new_posts"],
            "erreurs (7 j)": h["errors"],
        }
        for h in health
    ],
    hide_index=True,
)
runs = queries.crawl_per_day(db_path, 7)
crawl = [
    {
        "jour": r["day"],
        "source": r["source"],
        "nouveaux messages": r["new_posts"],
        "erreurs": r["errors"],
    }
    for r in runs
]
left, right = st.columns(2)
with left:
    charts.daily(crawl, y="nouveaux messages", color="source", height=180)
with right:
    charts.daily(crawl, y="erreurs", color="source", height=180)
