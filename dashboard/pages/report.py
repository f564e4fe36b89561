"""Monthly report for funders and boards (#16): counts and delays, never a
post's text or an author; downloadable as CSV and as a printable page."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import streamlit as st

from dashboard import queries
from dashboard.widgets import parts, wording
from maraude.db import report
from maraude.ops import desk, require
from maraude.places import departement_names
from maraude.targets import target_hours

#: This page, for the sidebar (dashboard/navigation.py reads it, never runs it).
PAGE = {
    "title": "Rapport mensuel",
    "icon": ":material/summarize:",
    "action": "report_view",
    "order": 80,
}

logger = logging.getLogger(__name__)

HEADER = ("rubrique", "élément", "valeur")

db_path, db, user, config = queries.session()
catalogue = queries.catalogue()
parts.attempt(require, db, user, "report_view", None, "report")
if not st.session_state.get("report_viewed"):
    parts.attempt(desk.page_view, db, user, "report")
    st.session_state["report_viewed"] = True

st.title("Rapport mensuel")
st.caption(
    "Pour les financeurs et les conseils d'administration : des nombres et des "
    "délais, jamais le texte d'un message ni l'auteur. Les leads clos sont "
    f"supprimés au bout de {config.privacy.closed_leads_days} jours : exportez le "
    "rapport d'un mois avant ce délai."
)


def months(count: int = 12) -> list[str]:
    """This month and the ``count - 1`` before it, most recent first."""
    now = datetime.now(UTC)
    year, month = now.year, now.month
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out


MONTH_NAMES = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def month_name(month: str) -> str:
    year, mon = month.split("-")
    return f"{MONTH_NAMES[int(mon) - 1]} {year}"


month = st.selectbox("Mois", months(), format_func=month_name)
data = report.monthly_report(db, month, target_hours(config.targets))
deps = departement_names()
NAMES = {
    "totals": "Totaux",
    "label": "Leads par catégorie",
    "right": "Leads par droit",
    "form": "Leads par forme de non-recours",
    "platform": "Leads par plateforme",
    "territory": "Leads par territoire",
    "teams": "Réponses par équipe",
    "outcomes": "Suites des réponses",
    "times": "Délais de réponse",
    "leads": "leads entrés dans la file",
    "not_relevant": "non pertinents",
    "escalated": "transmis (en cours)",
    "crisis_sure": "crises sûres",
    "crisis_possible": "crises possibles",
    "replied": "réponses du mois",
    "median_hours": "délai médian (heures)",
    "p90_hours": "9 réponses sur 10 en moins de (heures)",
    "target": "cible",
    "crisis": "crise",
    "unknown": "suite non renseignée",
    **{k: v for k, v in wording.LABELS.items() if k != "crisis"},
    **{k: v for k, v in wording.FORMS.items() if k},
    **{k: r.short_name for k, r in catalogue.items()},
    **{k: f"{k} — {name}" for k, name in deps.items()},
    **desk.OUTCOME_NAMES,
}
rows = report.report_rows(data, NAMES)
if data["outcomes"] is None:
    st.caption("Les suites des réponses ne sont pas enregistrées dans cette base.")

total = dict(data["totals"])["leads"]
cols = st.columns(3)
cols[0].metric("Leads du mois", total)
cols[1].metric("Réponses du mois", data["times"]["replied"])
median = data["times"]["median_hours"]
cols[2].metric("Délai médian", "—" if median is None else f"{wording.number(median)} h")

title = f"Maraude — rapport de {month_name(month)}"
note = (
    f"{config.organisation.name} · établi le "
    f"{datetime.now(UTC).strftime('%d/%m/%Y')} · nombres et délais uniquement."
)
downloads = st.columns(2)
downloads[0].download_button(
    "Télécharger (CSV)",
    report.report_csv(rows, HEADER),
    file_name=f"maraude-rapport-{month}.csv",
    mime="text/csv",
    icon=":material/download:",
)
downloads[1].download_button(
    "Version imprimable (HTML)",
    report.report_html(title, rows, note),
    file_name=f"maraude-rapport-{month}.html",
    mime="text/html",
    icon=":material/print:",
)

section = None
for name, item, value in rows:
    if name != section:
        st.subheader(name)
        section = name
    st.text(f"{item} : {'—' if value is None else value}")
