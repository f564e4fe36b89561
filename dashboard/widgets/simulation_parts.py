"""The lead page's optional rights estimate (RSA, prime d'activité, housing aid).

OpenFisca runs in its own process (:mod:`maraude.simulation`): this page never
imports it and never waits for it to start. Only the figures the worker types
in the form are sent, never the post.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard.widgets.wording import number
from maraude.config import Config
from maraude.simulation import INSTALL_HINT, SimulationClient, SimulationError

TITLE = "Estimer les droits (simulateur OpenFisca)"
RIGHTS = ("rsa", "prime_activite", "aides_logement")
AMOUNTS = {
    "rsa": "RSA",
    "prime_activite": "Prime d'activité",
    "aides_logement": "Aide au logement",
}
CAPTION = (
    "Montants mensuels pour le mois choisi : estimation indicative, à vérifier sur "
    "mesdroitssociaux.gouv.fr (la personne y fait sa propre simulation)."
)
#: Seconds the page waits for one household (the worker is already warm).
TIMEOUT = 20.0


@st.cache_resource(show_spinner=False)
def client(python: str) -> SimulationClient:
    """One worker per server, started on first use (in the background)."""
    return SimulationClient(python)


def estimate(
    lead_id: int, rights_topics: list[str], config: Config, *, admin: bool = True
) -> None:
    """The expander: open by default when the lead concerns one of these rights.

    Not installed, it is shown only to an ``admin`` (who can install it), and
    only on a lead about one of these rights: not a notice on every lead.
    """
    relevant = any(r in RIGHTS for r in rights_topics)
    python = config.simulation.python
    calculator = client(str(config.path(python)) if python else "")
    status = calculator.status()
    if status == "unavailable" and not (admin and relevant):
        return
    with st.expander(TITLE, expanded=relevant, icon=":material/calculate:"):
        if status == "unavailable":
            st.info(
                f"Simulateur non installé ({calculator.reason}). {INSTALL_HINT}",
                icon=":material/info:",
            )
        elif status == "starting":
            st.info(
                "Le calculateur est en cours de démarrage (quelques secondes).",
                icon=":material/hourglass_top:",
            )
            st.button("Actualiser", key="simulation_refresh")
        else:
            _form(lead_id, calculator)


def _form(lead_id: int, calculator: SimulationClient) -> None:
    with st.form(f"simulation_{lead_id}"):
        cols = st.columns(2)
        adults = cols[0].number_input("Adultes", min_value=1, max_value=2, value=1)
        children = cols[1].number_input("Enfants", min_value=0, max_value=12, value=0)
        salary = cols[0].number_input(
            "Salaire brut mensuel (€)", min_value=0.0, value=0.0, step=50.0
        )
        rent = cols[1].number_input(
            "Loyer mensuel (€)", min_value=0.0, value=0.0, step=50.0
        )
        place = cols[0].text_input(
            "Code postal ou département", placeholder="75011 ou 93"
        )
        month = cols[1].text_input("Mois (AAAA-MM)", value=f"{date.today():%Y-%m}")
        submitted = st.form_submit_button("Estimer", icon=":material/calculate:")
    if not submitted:
        return
    if not place.strip():
        st.warning("Indiquez un code postal ou un numéro de département.")
        return
    situation = {
        "adults": int(adults),
        "children": int(children),
        "salary_gross_monthly": float(salary),
        "rent_monthly": float(rent),
        "zone": place.strip(),
        "month": month.strip(),
    }
    try:
        with st.spinner("Calcul en cours…"):
            result = calculator.estimate(situation, timeout=TIMEOUT)
    except SimulationError as e:
        st.warning(str(e))
        return
    amounts = st.columns(3)
    for col, (key, label) in zip(amounts, AMOUNTS.items(), strict=True):
        col.metric(label, f"{number(result[key])} €")
    st.caption(f"Zone de logement {result.get('zone', '?')}. {CAPTION}")
