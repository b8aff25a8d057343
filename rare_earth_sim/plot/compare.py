"""One metric across scenarios side by side (e.g. baseline vs halt, or a what-if)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from ._style import automaker_colours, automaker_names, date_axis, horizon, new_axes, shade_disruptions

if TYPE_CHECKING:
    from ..results import SimulationResult

__all__ = ["compare", "SERIES_METRICS"]

#: Metrics drawn as one line per scenario against date: label, unit.
SERIES_METRICS: dict[str, tuple[str, str]] = {
    "cum_vehicles_lost": ("cumulative vehicles lost, all automakers", "vehicles"),
    "exports": ("China's magnet exports", "t per month"),
    "licences_waiting": ("licence applications waiting", "applications"),
}
_METRIC_LABELS = {
    "vehicles_lost": "vehicles lost", "vehicles_lost_pct": "vehicles lost (% of planned)",
    "tts_days": "time to survive, TTS", "ttr_days": "time to recover, TTR", "stockout_days": "days in stockout",
    "stockouts": "number of stockouts", "fill_rate": "fill rate", "vehicles_planned": "vehicles planned",
    "peak_shortfall_t_per_day": "peak shortfall",
}
_SCENARIO_LINES = ["-", "--", ":", "-."]
_SCENARIO_COLOURS = ["#222222", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b"]
_HATCHES = [None, "///", "...", "xxx", "\\\\\\", "ooo"]


def _series(r: SimulationResult, metric: str) -> pd.Series:
    if metric == "cum_vehicles_lost":
        return r.shortfall("D").groupby("date")["vehicles_lost"].sum().cumsum()
    if metric == "exports":
        ex = r.exports("MS")
        ex = ex[ex["product"].str.startswith("magnet")]
        return ex.groupby("period")["quantity_t"].sum()
    from .timeline import licence_counts

    c = licence_counts(r)
    return pd.Series(c["waiting"].to_numpy(), index=c["date"])


def compare(results_by_name: Mapping[str, SimulationResult], metric: str = "vehicles_lost",
            ax: Axes | None = None, **kwargs: Any) -> Axes:
    """The same metric for several scenarios, side by side.

    Parameters
    ----------
    results_by_name : mapping of str to SimulationResult
        Label -> result, e.g. ``{"baseline": r0, "halt": r1}`` (drawn in this order).
    metric : str
        A column of :meth:`SimulationResult.metrics` (``vehicles_lost``,
        ``vehicles_lost_pct``, ``stockout_days``, ``fill_rate``, ``tts_days``,
        ``ttr_days``, ``peak_shortfall_t_per_day``...): grouped bars per automaker,
        one bar per scenario (automaker colour; scenarios told apart by hatching), a
        non-finite value (TTS with no stockout) marked "∞". Or one of
        :data:`SERIES_METRICS` (``cum_vehicles_lost``, ``exports``,
        ``licences_waiting``): one line per scenario against date.
    ax : Axes, optional
        Where to draw; a new figure if omitted.
    **kwargs
        Passed to :meth:`Axes.bar` or :meth:`Axes.plot`.

    Returns
    -------
    Axes
    """
    if not results_by_name:
        raise ValueError("compare needs at least one result")
    ax = new_axes(ax)
    names = list(results_by_name)
    results = list(results_by_name.values())
    if metric in SERIES_METRICS:
        label, unit = SERIES_METRICS[metric]
        shade_disruptions(ax, results)
        for k, (name, r) in enumerate(results_by_name.items()):
            s = _series(r, metric)
            opts = {"color": _SCENARIO_COLOURS[k % len(_SCENARIO_COLOURS)],
                    "ls": _SCENARIO_LINES[k % len(_SCENARIO_LINES)], "lw": 1.8, "label": name}
            if metric == "licences_waiting":
                opts["drawstyle"] = "steps-post"
            opts.update(kwargs)
            x = pd.DatetimeIndex(s.index)
            if metric == "exports":
                x = x + pd.Timedelta(days=14)  # a month's value at mid-month
                opts.setdefault("marker", "o")
                opts.setdefault("ms", 3)
            ax.plot(x.to_numpy(), s.to_numpy(dtype=float), **opts)
        lo = min(horizon(r)[0] for r in results)
        hi = max(horizon(r)[1] for r in results)
        date_axis(ax, lo, hi)
        ax.set_ylim(bottom=0.0)
        ax.set_ylabel(f"{label} ({unit})")
        ax.set_xlabel("date")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    else:
        tables = [r.metrics() for r in results]
        if metric not in tables[0].columns or metric in ("automaker", "name", "region", "first_stockout"):
            allowed = [c for c in tables[0].columns if c not in ("automaker", "name", "region", "first_stockout")]
            raise ValueError(f"unknown metric {metric!r}; allowed: {allowed + list(SERIES_METRICS)}")
        automakers = list(dict.fromkeys(a for t in tables for a in t["automaker"]))
        colours = automaker_colours(automakers)
        labels = {}
        for r in results:
            labels.update(automaker_names(r))
        n = len(results)
        width = 0.8 / n
        x = np.arange(len(automakers))
        top = 0.0
        for k, (t, name) in enumerate(zip(tables, names, strict=True)):
            v = t.set_index("automaker")[metric].reindex(automakers).to_numpy(dtype=float)
            finite = np.isfinite(v)
            top = max(top, float(np.nanmax(np.where(finite, v, np.nan))) if finite.any() else 0.0)
            xs = x - 0.4 + width * (k + 0.5)
            opts = {"width": width, "color": [colours[a] for a, f in zip(automakers, finite, strict=True) if f],
                    "edgecolor": "black",
                    "linewidth": 0.4, "hatch": _HATCHES[k % len(_HATCHES)], "alpha": 1.0 if k == 0 else 0.6}
            opts.update(kwargs)
            bars = ax.bar(xs[finite], v[finite], **opts)
            for b in bars:
                b.set_gid(f"compare:{name}")
            for xi, vi in zip(xs, v, strict=True):
                if math.isinf(vi):
                    ax.annotate("∞", xy=(xi, 0.0), xytext=(0, 2), textcoords="offset points", ha="center",
                                va="bottom", fontsize="small")
        unit = tables[0].attrs.get("units", {}).get(metric, "")
        ax.set_xticks(x, [labels.get(a, a) for a in automakers], rotation=35, ha="right", fontsize="small")
        ax.set_xlim(-0.6, len(automakers) - 0.4)
        ax.set_ylim(0.0, max(top, 1e-9) * 1.1 if top > 0 else 1.0)
        what = _METRIC_LABELS.get(metric, metric.replace("_", " "))
        ax.set_ylabel(f"{what} ({unit})" if unit else what)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v_, _p: f"{v_:,.0f}" if top >= 100 else f"{v_:,.2g}"))
        handles = [Patch(facecolor="#bbbbbb", edgecolor="black", hatch=_HATCHES[k % len(_HATCHES)],
                         alpha=1.0 if k == 0 else 0.6, label=nm) for k, nm in enumerate(names)]
        ax.legend(handles=handles, title="scenario", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  fontsize="small", frameon=False)
        ax.grid(True, axis="y", alpha=0.3)
    if metric in SERIES_METRICS:
        ax.legend(title="scenario", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
        ax.grid(True, alpha=0.3)
    title = SERIES_METRICS[metric][0] if metric in SERIES_METRICS else _METRIC_LABELS.get(metric, metric)
    ax.set_title(f"{title}: " + " vs ".join(names))
    return ax
