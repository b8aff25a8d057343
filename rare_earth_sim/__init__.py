"""rare_earth_sim: discrete-event supply-risk simulation of the rare-earth magnet chain.

>>> import rare_earth_sim as res
>>> sc = res.load_scenario("export-halt-2025")
>>> r = res.simulate(sc, seed=0)
>>> r.metrics()  # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

from . import data
from .backtest import backtest
from .calibration import calibrate
from .engine import simulate
from .ensemble import EnsembleResult, load_ensemble, run_ensemble
from .results import SimulationResult
from .scenario import Scenario, ScenarioError, field_table, list_scenarios, load_scenario


def __getattr__(name: str) -> object:
    # rare_earth_sim.plot imports matplotlib: load it on first use, not with the package.
    if name == "plot":
        import importlib

        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


try:
    __version__ = version("rare-earth-sim")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "backtest", "calibrate",
    "EnsembleResult", "Scenario", "ScenarioError", "SimulationResult", "data", "field_table", "list_scenarios",
    "load_ensemble", "load_scenario", "plot", "run_ensemble", "simulate", "__version__",
]
