"""The lead page's rights estimate (OpenFisca in its own process)."""

from __future__ import annotations

import time

import pytest

from dashboard.widgets import simulation_parts
from maraude.config import PROJECT_ROOT
from tests.dashboard.dashboard_seed import elements

OPENFISCA = PROJECT_ROOT / ".venv-openfisca" / "bin" / "python"


def open_lead(at, lead_id: int) -> None:
    at.session_state["lead_id"] = lead_id
    at.switch_page("pages/lead.py")
    at.run()


def expander(at):
    found = [e for e in at.expander if e.label == simulation_parts.TITLE]
    assert len(found) == 1
    return found[0]


def test_without_the_simulator_the_page_tells_an_admin_how_to_install_it(app, leads):
    at = app("ada")  # only an admin can install it
    open_lead(at, leads["rights"])  # a lead about the RSA
    assert not at.exception
    infos = [i.value for i in expander(at).info]
    assert len(infos) == 1
    assert "non installé" in infos[0]
    assert "make simulation" in infos[0]
    assert ".venv-openfisca/bin/python" in infos[0]
    assert not expander(at).button  # no form to fill


def test_no_install_notice_for_workers_nor_on_a_crisis_lead(app, leads):
    """The notice is for whoever can act on it, where it matters (#16)."""
    for who, lead in (("alice", "rights"), ("ada", "crisis")):
        at = app(who)
        open_lead(at, leads[lead])
        assert not at.exception
        assert not [e for e in at.expander if e.label == simulation_parts.TITLE]
        page = " ".join(text for _, text in elements(at))
        assert "non installé" not in page


@pytest.mark.slow
@pytest.mark.skipif(
    not OPENFISCA.exists(),
    reason="OpenFisca-France is not installed: run `make simulation`",
)
def test_the_estimate_runs_in_the_worker_never_blocking_the_page(
    app, leads, tmp_path, monkeypatch
):
    config = tmp_path / "config.toml"
    config.write_text(f'[simulation]\npython = "{OPENFISCA}"\n', encoding="utf-8")
    monkeypatch.setenv("MARAUDE_CONFIG", str(config))
    simulation_parts.client.clear()
    at = app("alice")
    open_lead(at, leads["rights"])
    assert not at.exception
    assert "en cours de démarrage" in expander(at).info[0].value
    deadline = time.monotonic() + 120
    while not expander(at).number_input and time.monotonic() < deadline:
        time.sleep(1)
        at.run()
    box = expander(at)
    inputs = {w.label: w for w in [*box.number_input, *box.text_input]}
    inputs["Loyer mensuel (€)"].set_value(500.0)
    inputs["Code postal ou département"].input("75011")
    inputs["Mois (AAAA-MM)"].input("2025-06")
    box.button[0].click()
    at.run(timeout=60)
    assert not at.exception
    metrics = {m.label: m.value for m in expander(at).metric}
    assert metrics["RSA"] == "568,94 €"
    assert metrics["Aide au logement"] == "343 €"
    page = " ".join(text for _, text in elements(at))
    assert "estimation indicative, à vérifier sur mesdroitssociaux.gouv.fr" in page
    simulation_parts.client(str(OPENFISCA)).close()
    simulation_parts.client.clear()


def test_a_moderator_who_cannot_reply_gets_no_estimate(app, leads):
    at = app("mod")
    open_lead(at, leads["rights"])
    assert not at.exception
    assert not [e for e in at.expander if e.label == simulation_parts.TITLE]
