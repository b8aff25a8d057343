"""rare_earth_sim: discrete-event supply-risk simulation of the rare-earth magnet chain.

>>> import rare_earth_sim as res
>>> sc = res.load_scenario("export-halt-2025")
>>> r = res.simulate(sc, seed=0)
>>> r.metrics()  # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

from . import data
from .engine import simulate
from .results import SimulationResult
from .scenario import Scenario, ScenarioError, field_table, list_scenarios, load_scenario

try:
    __version__ = version("rare-earth-sim")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "Scenario", "ScenarioError", "SimulationResult", "data", "field_table", "list_scenarios",
    "load_scenario", "simulate", "__version__",
]
