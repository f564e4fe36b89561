"""Optional rights estimate with OpenFisca-France, in a separate process.

OpenFisca-France pins old versions (openfisca-core < 45, numpy < 2.4), so it
lives in its own virtual environment (``make simulation``) and runs
:mod:`maraude.simulation.worker` there; Maraude talks to it through
:class:`~maraude.simulation.client.SimulationClient` and never imports OpenFisca.
"""

from maraude.simulation.client import (
    INSTALL_HINT,
    SimulationClient,
    SimulationError,
)

__all__ = ["INSTALL_HINT", "SimulationClient", "SimulationError"]
