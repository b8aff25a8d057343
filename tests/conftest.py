"""Shared fixtures: one replication of each built-in scenario (seed 0), drawn with Agg."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot: tests never open windows

import pytest  # noqa: E402

import rare_earth_sim as res  # noqa: E402


@pytest.fixture(scope="session")
def halt_result() -> res.SimulationResult:
    """``export-halt-2025``, seed 0."""
    return res.simulate(res.load_scenario("export-halt-2025"), seed=0)


@pytest.fixture(scope="session")
def baseline_result() -> res.SimulationResult:
    """``baseline-2024``, seed 0."""
    return res.simulate(res.load_scenario("baseline-2024"), seed=0)


# Property-based tests: random examples locally, a fixed derandomised set on CI so that a
# run there cannot fail on an example nobody can reproduce (set CI=true to get the same).
import os  # noqa: E402

from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    _hypothesis_settings.load_profile("ci")
