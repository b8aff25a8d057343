"""Event timelines: automakers' stockouts (a Gantt chart) and the licence backlog."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from ._style import (automaker_colours, automaker_names, date_axis, horizon, legend_outside, mark_control_events,
                     new_axes, shade_disruptions)

if TYPE_CHECKING:
    from ..results import SimulationResult

__all__ = ["stockout_timeline", "licence_backlog", "licence_counts"]

#: Padding around the events a timeline zooms on.
_PAD = pd.Timedelta(days=30)


def _zoom(result: SimulationResult, times: Sequence[pd.Timestamp]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The reported horizon narrowed to ``times`` (plus padding); the horizon if none."""
    lo, hi = horizon(result)
    ts = [pd.Timestamp(t) for t in times if not pd.isna(t)]
    if not ts:
        return lo, hi
    return max(lo, min(ts) - _PAD), min(hi, max(ts) + _PAD)


def stockout_timeline(result: SimulationResult, automakers: Sequence[str] | None = None,
                      ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Gantt chart of stockouts: one row per automaker, one bar per stockout interval.

    Parameters
    ----------
    result : SimulationResult
        One replication.
    automakers : sequence of str, optional
        Automaker ids to show (default: all, in scenario order, top to bottom).
    ax : Axes, optional
        Where to draw; a new figure if omitted.
    **kwargs
        Passed to :meth:`Axes.barh` (e.g. ``height``).

    Returns
    -------
    Axes
        One bar per row of :meth:`SimulationResult.stockouts` (bars carry the gid
        ``"stockout"``; a stockout still going at the end of the run is hatched).
        Disruption windows are shaded and export-control rules marked (dashed lines).
        Right of each row: total stockout days and vehicles lost.
    """
    ax = new_axes(ax)
    so = result.stockouts()
    ids = result.automakers if automakers is None else [a for a in result.automakers if a in set(automakers)]
    so = so[so["automaker"].isin(ids)]
    colours = automaker_colours(result)
    names = automaker_names(result)
    row = {a: i for i, a in enumerate(ids)}
    _, hi = horizon(result)
    shade_disruptions(ax, result)
    for s in so.itertuples(index=False):
        end = hi if s.ongoing or pd.isna(s.end) else pd.Timestamp(s.end)
        left = mdates.date2num(pd.Timestamp(s.start))
        width = mdates.date2num(end) - left
        opts: dict[str, Any] = {"height": 0.6, "color": colours[s.automaker], "edgecolor": "black",
                                "linewidth": 0.4, "hatch": "//" if s.ongoing else None, "zorder": 2}
        opts.update(kwargs)
        bars = ax.barh(row[s.automaker], width, left=left, **opts)
        for b in bars:
            b.set_gid("stockout")
    mark_control_events(ax, result)
    ax.set_yticks(range(len(ids)), [names[a] for a in ids])
    ax.set_ylim(len(ids) - 0.5, -0.5)
    ax.xaxis_date()
    events = list(so["start"]) + [e for e in so["end"] if not pd.isna(e)]
    events += list(result.disruptions()["start"]) + list(result.disruptions()["end"])
    events += list(result.control_rules()["start"])
    date_axis(ax, *_zoom(result, events))
    total = so.groupby("automaker")[["duration_days", "vehicles_lost"]].sum()
    for a in ids:
        d, v = (total.loc[a, "duration_days"], total.loc[a, "vehicles_lost"]) if a in total.index else (0.0, 0.0)
        ax.annotate(f"{d:.0f} d, {v:,.0f} veh." if d > 0 else "no stockout", xy=(1.0, row[a]),
                    xycoords=("axes fraction", "data"), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize="small")
    ax.set_xlabel("date (bars: stockout intervals; right: stockout days, vehicles lost)")
    ax.set_title(f"{result.scenario.name}: stockout timeline ({len(so)} stockouts, seed {result.seed})")
    ax.grid(True, axis="x", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="lower left", fontsize="small", framealpha=0.9)
    return ax


def licence_counts(result: SimulationResult, weight: Literal["applications", "t"] = "applications") -> pd.DataFrame:
    """Licence applications waiting, approved and refused at each change (step series).

    Parameters
    ----------
    result : SimulationResult
        One replication.
    weight : {"applications", "t"}
        Count applications, or sum their tonnes.

    Returns
    -------
    DataFrame
        date, waiting, approved, refused: ``waiting`` applications submitted and not
        yet decided; ``approved``/``refused`` cumulative decisions, each from ``date``
        until the next row. Units in ``attrs["units"]``.
    """
    lic = result.licences()
    w = np.ones(len(lic)) if weight == "applications" else lic["quantity_t"].to_numpy(dtype=float)
    sub = pd.DataFrame({"date": lic["submitted"], "waiting": w, "approved": 0.0, "refused": 0.0})
    decided = lic["decided"].notna().to_numpy()
    dec = pd.DataFrame({"date": lic["decided"][decided], "waiting": -w[decided],
                        "approved": np.where(lic["outcome"][decided] == "approved", w[decided], 0.0),
                        "refused": np.where(lic["outcome"][decided] == "refused", w[decided], 0.0)})
    lo, hi = horizon(result)
    edges = pd.DataFrame({"date": [lo, hi], "waiting": 0.0, "approved": 0.0, "refused": 0.0})
    parts = [p for p in (edges, sub, dec) if len(p)]
    ev = pd.concat(parts, ignore_index=True)
    ev["date"] = pd.to_datetime(ev["date"])
    out = ev.groupby("date", sort=True).sum().cumsum().reset_index()
    unit = "applications" if weight == "applications" else "t"
    out.attrs["units"] = {"waiting": unit, "approved": unit, "refused": unit}
    return out


def licence_backlog(result: SimulationResult, weight: Literal["applications", "t"] = "applications",
                    ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Licence applications waiting for a decision, and cumulative approvals and refusals.

    Parameters
    ----------
    result : SimulationResult
        One replication.
    weight : {"applications", "t"}
        Count applications (default) or tonnes applied for.
    ax : Axes, optional
        Where to draw; a new figure if omitted.
    **kwargs
        Passed to :meth:`Axes.step`.

    Returns
    -------
    Axes
        Three step lines against date (waiting, approved, refused), the disruption
        windows shaded and export-control rules marked. Zoomed on the licensing
        period when there is one.
    """
    if weight not in ("applications", "t"):
        raise ValueError(f"weight must be 'applications' or 't', not {weight!r}")
    ax = new_axes(ax)
    c = licence_counts(result, weight)
    shade_disruptions(ax, result)
    styles = {"waiting": ("#ff7f0e", "waiting (submitted, not decided)"),
              "approved": ("#2ca02c", "approved (cumulative)"),
              "refused": ("#d62728", "refused (cumulative)")}
    for col, (colour, label) in styles.items():
        opts = {"where": "post", "color": colour, "lw": 1.8, "label": label}
        opts.update(kwargs)
        ax.step(c["date"].to_numpy(), c[col].to_numpy(dtype=float), **opts)
    mark_control_events(ax, result)
    lic = result.licences()
    rules = result.control_rules()
    lo, hi = horizon(result)
    if len(lic):
        zlo, _ = _zoom(result, list(rules["start"]) + [lic["submitted"].min()])
        date_axis(ax, zlo, hi)
    else:
        date_axis(ax, lo, hi)
        ax.text(0.5, 0.5, "no licence applications in this scenario", transform=ax.transAxes,
                ha="center", va="center", color="grey")
    ax.set_ylim(bottom=0.0, top=max(1.0, float(c[["waiting", "approved", "refused"]].to_numpy().max()) * 1.08))
    unit = "applications" if weight == "applications" else "t magnet or oxide applied for"
    ax.set_ylabel(f"licence applications ({unit})")
    if weight == "t":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:,.0f}"))
    ax.set_xlabel("date")
    ax.set_title(f"{result.scenario.name}: export-licence applications (seed {result.seed})")
    ax.grid(True, alpha=0.3)
    legend_outside(ax)
    return ax
