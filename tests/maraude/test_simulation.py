"""The OpenFisca worker and its client.

Tests marked ``slow`` run the real OpenFisca-France, installed in its own venv by
``make simulation`` (CI does it); without it they skip and say so.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from maraude.config import PROJECT_ROOT
from maraude.simulation import SimulationClient, SimulationError
from maraude.simulation.client import WORKER
from maraude.simulation.worker import _months_before

OPENFISCA = PROJECT_ROOT / ".venv-openfisca" / "bin" / "python"
needs_openfisca = pytest.mark.skipif(
    not OPENFISCA.exists(),
    reason="OpenFisca-France is not installed: run `make simulation`",
)

#: A single adult with no income, 500 € rent in Paris, June 2025.
KNOWN = {
    "adults": 1,
    "children": 0,
    "salary_gross_monthly": 0,
    "rent_monthly": 500,
    "zone": "75011",
    "month": "2025-06",
}
WORKING = {**KNOWN, "salary_gross_monthly": 1400, "zone": "75"}
REQUESTS = [
    json.dumps({"id": "known", "situation": KNOWN}),
    "this is not JSON",
    json.dumps({"id": "bad", "situation": {**KNOWN, "adults": 3}}),
    json.dumps({"id": "working", "situation": WORKING}),
    json.dumps({"id": "zone1", "situation": {**KNOWN, "zone": "1"}}),
]


@pytest.fixture(scope="module")
def answers() -> list[dict[str, Any]]:
    """The worker's lines for :data:`REQUESTS`, fed in one go."""
    done = subprocess.run(
        [str(OPENFISCA), str(WORKER)],
        input="\n".join(REQUESTS) + "\n",
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture(scope="module")
def client() -> Any:
    client = SimulationClient(OPENFISCA)
    assert client.wait_ready(120), client.reason
    yield client
    client.close()


def test_months_before_crosses_the_year():
    assert _months_before("2025-02", 4) == ["2024-11", "2024-12", "2025-01", "2025-02"]


def test_no_python_configured_is_unavailable():
    client = SimulationClient("")
    assert client.status() == "unavailable"
    assert client.reason == "non configuré"
    with pytest.raises(SimulationError, match="pas prêt"):
        client.estimate(KNOWN)


def test_a_missing_venv_is_unavailable(tmp_path: Path):
    client = SimulationClient(tmp_path / "absent" / "bin" / "python")
    assert client.status() == "unavailable"
    assert "introuvable" in client.reason


def test_a_python_without_openfisca_ends_unavailable():
    """Our own venv has no OpenFisca: the worker dies, is retried, then given up."""
    client = SimulationClient(sys.executable)
    assert client.status() == "starting"
    deadline = time.monotonic() + 60
    while client.status() != "unavailable" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert client.status() == "unavailable"
    assert "openfisca" in client.reason.lower()


@pytest.mark.slow
@needs_openfisca
def test_the_worker_says_ready_first(answers):
    assert answers[0] == {"ready": True}
    assert len(answers) == 1 + len(REQUESTS)


@pytest.mark.slow
@needs_openfisca
def test_known_case_single_adult_no_income_paris_june_2025(answers):
    known = answers[1]
    assert known["id"] == "known"
    assert known["period"] == "2025-06"
    assert known["rsa"] == pytest.approx(568.94, abs=0.01)
    assert known["aides_logement"] == pytest.approx(343, abs=1)  # ALS
    assert known["prime_activite"] == 0
    assert known["zone"] == "1"


@pytest.mark.slow
@needs_openfisca
def test_malformed_requests_get_an_error_line_and_the_worker_goes_on(answers):
    not_json, bad = answers[2], answers[3]
    assert not_json["id"] is None
    assert "JSON" in not_json["error"]
    assert bad == {"id": "bad", "error": "ValueError: adults doit valoir 1 ou 2"}
    assert answers[4]["id"] == "working"
    assert "error" not in answers[4]


@pytest.mark.slow
@needs_openfisca
def test_a_working_single_adult_gets_the_prime_d_activite(answers):
    working = answers[4]
    assert working["prime_activite"] > 0
    assert working["rsa"] == 0


@pytest.mark.slow
@needs_openfisca
def test_a_zone_number_matches_the_postcode(answers):
    assert answers[5]["aides_logement"] == answers[1]["aides_logement"]


@pytest.mark.slow
@needs_openfisca
def test_the_client_estimates_once_ready(client):
    assert client.status() == "ready"
    result = client.estimate(KNOWN, timeout=60)
    assert result["rsa"] == pytest.approx(568.94, abs=0.01)
    assert result["aides_logement"] == pytest.approx(343, abs=1)


@pytest.mark.slow
@needs_openfisca
def test_the_client_raises_on_a_refused_situation_and_stays_ready(client):
    with pytest.raises(SimulationError, match="month"):
        client.estimate({**KNOWN, "month": "juin"}, timeout=60)
    assert client.status() == "ready"
    assert client.estimate(WORKING, timeout=60)["prime_activite"] > 0
