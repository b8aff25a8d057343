"""Scenario specification: schema, TOML loading, validation, distributions, overrides."""

from .distributions import ALLOWED_DISTS, Distribution, Fixed, make_distribution
from .errors import ScenarioError
from .fields import Uncertain
from .model import Scenario, list_scenarios, load_scenario, stream
from .schema import SCHEMA, field_table

__all__ = [
    "ALLOWED_DISTS", "Distribution", "Fixed", "make_distribution", "ScenarioError", "Uncertain",
    "Scenario", "list_scenarios", "load_scenario", "stream", "SCHEMA", "field_table",
]
