"""Automaker figures over time: shortfall curves and magnet stock in days of cover."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from ._style import (automaker_colours, automaker_names, date_axis, horizon, legend_outside, new_axes,
                     shade_disruptions)

if TYPE_CHECKING:
    from ..results import SimulationResult

__all__ = ["shortfall_curves", "stock_levels"]


def _select(result: SimulationResult, automakers: Sequence[str] | None) -> list[str]:
    ids = result.automakers
    if automakers is None:
        return ids
    unknown = [a for a in automakers if a not in ids]
    if unknown:
        raise ValueError(f"unknown automaker(s) {unknown}; this result has {ids}")
    return [a for a in ids if a in set(automakers)]


def _thousands(x: float, _pos: int) -> str:
    return f"{x:,.0f}"


def shortfall_curves(result: Any, percent: bool = False, automakers: Sequence[str] | None = None,
                     ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Cumulative vehicles lost per automaker against date (the shortfall curves).

    Parameters
    ----------
    result : SimulationResult
        One replication. An ensemble (an object with ``shortfall_bands``) is passed on
        to :func:`rare_earth_sim.plot.fan_chart`.
    percent : bool
        Plot cumulative vehicles lost as % of the output planned since the start of the
        reported horizon instead of as vehicles.
    automakers : sequence of str, optional
        Automaker ids to draw (default: all, in scenario order).
    ax : Axes, optional
        Where to draw; a new figure if omitted.
    **kwargs
        Passed to :meth:`Axes.plot` for every line (e.g. ``lw``).

    Returns
    -------
    Axes
        One line per automaker (legend: name and total lost), the scenario's
        disruption windows shaded; x: date, y: vehicles or %.
    """
    if not hasattr(result, "stockouts") and hasattr(result, "shortfall_bands"):
        from . import ensemble

        fan = getattr(ensemble, "fan_chart", None)
        if fan is None or percent:
            raise TypeError("an ensemble's shortfall curves are drawn by rare_earth_sim.plot.fan_chart "
                            "(in vehicles)")
        return fan(result, automakers=automakers, ax=ax, **kwargs)  # type: ignore[no-any-return]
    ax = new_axes(ax)
    df = result.shortfall("D")
    col = "cum_vehicles_lost_pct" if percent else "cum_vehicles_lost"
    colours = automaker_colours(result)
    names = automaker_names(result)
    shade_disruptions(ax, result)
    for a in _select(result, automakers):
        d = df[df["automaker"] == a]
        total = float(d[col].iloc[-1]) if len(d) else 0.0
        what = f"{total:.1f} %" if percent else f"{total:,.0f}"
        opts = {"lw": 1.6, "color": colours[a], "label": f"{names[a]}: {what}"}
        opts.update(kwargs)
        ax.plot(d["date"].to_numpy(), d[col].to_numpy(), **opts)
    date_axis(ax, *horizon(result))
    ax.set_ylim(bottom=0.0)
    if percent:
        ax.set_ylabel("cumulative vehicles lost\n(% of planned output since start)")
    else:
        ax.set_ylabel("cumulative vehicles lost (vehicles)")
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.set_xlabel("date")
    what = "cumulative vehicles lost, % of planned output" if percent else "cumulative vehicles lost"
    ax.set_title(f"{result.scenario.name}: {what} (seed {result.seed})")
    ax.grid(True, alpha=0.3)
    legend_outside(ax, title="automaker: lost by end")
    return ax


def stock_levels(result: SimulationResult, grade: str | None = None, automakers: Sequence[str] | None = None,
                 ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Each automaker's magnet stock in days of cover against date.

    Parameters
    ----------
    result : SimulationResult
        One replication.
    grade : str, optional
        ``"high_temp"`` or ``"standard"``. Default: for each day the grade with the
        least cover, i.e. the one that stops production first.
    automakers : sequence of str, optional
        Automaker ids to draw (default: all).
    ax : Axes, optional
        Where to draw; a new figure if omitted.
    **kwargs
        Passed to :meth:`Axes.plot`.

    Returns
    -------
    Axes
        x: date; y: days of full-production use the stock covers (0 = stockout).
    """
    ax = new_axes(ax)
    df = result.stock_levels("D")
    if grade is not None:
        if grade not in set(df["grade"]):
            raise ValueError(f"grade {grade!r} not in {sorted(set(df['grade']))}")
        df = df[df["grade"] == grade]
    cover = df.groupby(["automaker", "date"], sort=False)["cover_days"].min().reset_index()
    colours = automaker_colours(result)
    names = automaker_names(result)
    shade_disruptions(ax, result)
    for a in _select(result, automakers):
        d = cover[cover["automaker"] == a]
        opts = {"lw": 1.0, "color": colours[a], "label": names[a]}
        opts.update(kwargs)
        ax.plot(d["date"].to_numpy(), d["cover_days"].to_numpy(dtype=float), **opts)
    ax.axhline(0.0, color="black", lw=0.8)
    date_axis(ax, *horizon(result))
    top = float(np.nanmax(cover["cover_days"].to_numpy(dtype=float))) if len(cover) else 1.0
    ax.set_ylim(-0.02 * top, 1.05 * top)
    what = "the scarcer grade" if grade is None else f"{grade} magnets"
    ax.set_ylabel(f"magnet stock (days of cover, {what})")
    ax.set_xlabel("date")
    ax.set_title(f"{result.scenario.name}: automakers' magnet stock (seed {result.seed})")
    ax.grid(True, alpha=0.3)
    legend_outside(ax, title="automaker")
    return ax
