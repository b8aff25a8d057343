"""Sourced public data on the rare-earth magnet chain, as tidy DataFrames.

The CSV files in this subpackage are copies of figures collected from news
agencies, USGS, IEA, industry bodies and company releases (see ``README.md``
in this directory). Every row keeps its ``source``. Rows whose figures were
derived, inferred, forecast, approximate or of low confidence carry
``inferred == True``: treat them as softer calibration targets.

Each loader reads its file afresh (nothing is cached or read at import time)
through :mod:`importlib.resources`, so the data also load from an installed
wheel. Every returned frame carries

- ``df.attrs["units"]``: a ``dict`` mapping column name to unit, and
- ``df.attrs["source"]``: the CSV file name it was read from.

A file that does not match its expected layout (missing column, a number
that does not parse, an unknown flag value, ...) raises :class:`ValueError`
whose message names the file and the column.

Units: t REO (tonnes of rare-earth oxide) for quotas and mining; product
tonnes for magnets (HS 8505111000, magnets and alloys).

Examples
--------
>>> from rare_earth_sim import data
>>> exports = data.magnet_exports()
>>> exports.attrs["units"]["total_t"]  # doctest: +SKIP
't (product tonnes, HS 8505111000) per month'
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ._demand import demand_by_sector, inventory_statements, vehicle_production
from ._process import coefficients, holidays_china, licensing_process
from ._supply import mine_production, ore_composition, quota_holders, quotas, supply_volumes
from ._trade import controls_timeline, exports_by_destination, magnet_exports

__all__ = [
    "coefficients",
    "controls_timeline",
    "demand_by_sector",
    "exports_by_destination",
    "holidays_china",
    "inventory_statements",
    "licensing_process",
    "list_datasets",
    "magnet_exports",
    "mine_production",
    "ore_composition",
    "quota_holders",
    "quotas",
    "supply_volumes",
    "vehicle_production",
]

_LOADERS: dict[str, Callable[..., pd.DataFrame]] = {
    "magnet_exports": magnet_exports,
    "quotas": quotas,
    "quota_holders": quota_holders,
    "mine_production": mine_production,
    "controls_timeline": controls_timeline,
    "holidays_china": holidays_china,
    "coefficients": coefficients,
    "vehicle_production": vehicle_production,
    "ore_composition": ore_composition,
    "supply_volumes": supply_volumes,
    "inventory_statements": inventory_statements,
    "licensing_process": licensing_process,
    "exports_by_destination": exports_by_destination,
    "demand_by_sector": demand_by_sector,
}

# The loaders are defined in private submodules (_trade, _supply, _demand,
# _process; the CSV readers and column parsers are in _read) but belong to
# this module's public API: name it as their home for help(), docs and pickle.
for _loader in _LOADERS.values():
    _loader.__module__ = __name__
del _loader


def list_datasets() -> list[str]:
    """Names of the dataset loaders in this module.

    Returns
    -------
    list of str
        Function names, e.g. ``"magnet_exports"``; each is callable as
        ``getattr(rare_earth_sim.data, name)()`` with default arguments.
    """
    return list(_LOADERS)
