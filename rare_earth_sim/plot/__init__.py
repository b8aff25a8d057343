"""Figures of a simulation result (matplotlib).

Every function takes the result first, draws on ``ax`` (or on a new figure when ``ax``
is omitted) and returns the Axes; none calls ``plt.show()``. An automaker has the same
colour in every figure (:func:`automaker_colours`), time axes show dates, axis labels
give units, and the scenario's disruption windows are shaded.

Importing this package changes no matplotlib setting (backend, rcParams).

>>> import rare_earth_sim as res
>>> r = res.simulate(res.load_scenario("export-halt-2025"), seed=0)
>>> ax = res.plot.shortfall_curves(r)  # doctest: +SKIP
"""

from ._style import automaker_colours, destination_colours, shade_disruptions
from .backtest import backtest
from .compare import compare
from .flows import material_flows, sankey_flows
from .shortfall import shortfall_curves, stock_levels
from .timeline import licence_backlog, licence_counts, stockout_timeline
from .trade import exports, observed_exports

__all__ = [
    "automaker_colours", "backtest", "compare", "destination_colours", "exports", "licence_backlog", "licence_counts",
    "material_flows", "observed_exports", "sankey_flows", "shade_disruptions", "shortfall_curves",
    "stock_levels", "stockout_timeline",
]

from .ensemble import *  # noqa: E402,F401,F403  (ensemble plots)
from .ensemble import __all__ as _ensemble_all  # noqa: E402

__all__ += list(_ensemble_all)
