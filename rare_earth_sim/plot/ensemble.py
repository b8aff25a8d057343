"""Ensemble figures: shortfall fan chart, stockout-probability heat strip, TTS vs TTR.

Each function takes an :class:`~rare_earth_sim.EnsembleResult` and an optional ``ax``,
draws, and returns the Axes. Plots never run simulations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from ._style import automaker_colours, date_axis, legend_outside, new_axes, shade_disruptions

if TYPE_CHECKING:
    from ..ensemble_result import EnsembleResult

__all__ = ["fan_chart", "stockout_probability", "tts_ttr"]

_DISRUPTION_LINE = "#d62728"


def _select(ens: EnsembleResult, automakers: Sequence[str] | None) -> list[str]:
    ids = ens.automakers
    if automakers is None:
        return ids
    unknown = [a for a in automakers if a not in ids]
    if unknown:
        raise ValueError(f"unknown automaker(s) {unknown}; this ensemble has {ids}")
    chosen = set(automakers)
    return [a for a in ids if a in chosen]


def _thousands(x: float, _pos: int) -> str:
    return f"{x:,.0f}"


def _horizon(ens: EnsembleResult) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(ens.start), pd.Timestamp(ens.end) + pd.Timedelta(days=1)


def fan_chart(ens: EnsembleResult, automakers: Sequence[str] | None = None,
              quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95), top: int | None = 6,
              ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Cumulative vehicles lost per automaker as bands over the replications.

    Parameters
    ----------
    ens : EnsembleResult
        An ensemble run with ``keep="series"``.
    automakers : sequence of str, optional
        Automaker ids to draw. Default: the ``top`` automakers with the largest median
        loss by the end of the horizon (those that lose nothing in 95 % of replications
        are left out).
    quantiles : sequence of float
        Quantiles in [0, 1]: pairs ``q``, ``1 - q`` are shaded as nested bands (darker
        inside), the median (0.5, if given) drawn as a line.
    top : int, optional
        How many automakers to draw by default (None: all).
    ax : Axes, optional
        Where to draw; a new figure if omitted.
    **kwargs
        Passed to :meth:`Axes.plot` for the median lines.

    Returns
    -------
    Axes
        x: date; y: cumulative vehicles lost since the start of the horizon
        (vehicles); the disruption windows shaded.
    """
    qs = sorted({float(q) for q in quantiles})
    bands_df = ens.shortfall_bands(qs)
    ax = new_axes(ax)
    colours = automaker_colours(ens)
    names = ens.names
    final = bands_df[bands_df["date"] == bands_df["date"].max()].pivot(
        index="automaker", columns="quantile", values="cum_vehicles_lost")
    if automakers is None:
        mid = final[0.5] if 0.5 in final.columns else final.mean(axis=1)
        outer = final[max(qs)]
        ranked = [a for a in mid[outer > 0].sort_values(ascending=False).index]
        chosen = ranked if top is None else ranked[:top]
        ids = [a for a in ens.automakers if a in set(chosen)]
    else:
        ids = _select(ens, automakers)
    pairs = [(q, 1.0 - q) for q in qs if q < 0.5 and any(abs(p - (1.0 - q)) < 1e-12 for p in qs)]
    shade_disruptions(ax, ens)  # type: ignore[arg-type]
    for a in ids:
        d = bands_df[bands_df["automaker"] == a].pivot(index="date", columns="quantile", values="cum_vehicles_lost")
        x = d.index.to_numpy()
        for k, (lo, hi) in enumerate(pairs):
            hi_key = min(d.columns, key=lambda c, h=hi: abs(c - h))
            ax.fill_between(x, d[lo].to_numpy(), d[hi_key].to_numpy(), color=colours[a], lw=0,
                            alpha=0.12 + 0.13 * k, label="_nolegend_")
        f = final.loc[a]
        spread = f" [{f[pairs[0][0]]:,.0f}-{f[min(final.columns, key=lambda c: abs(c - pairs[0][1]))]:,.0f}]" \
            if pairs else ""
        if 0.5 in d.columns:
            opts = {"lw": 1.8, "color": colours[a], "label": f"{names[a]}: {f[0.5]:,.0f}{spread}"}
            opts.update(kwargs)
            ax.plot(x, d[0.5].to_numpy(), **opts)
        else:
            ax.fill_between([], [], [], color=colours[a], label=f"{names[a]}{spread}")
    date_axis(ax, *_horizon(ens))
    ax.set_ylim(bottom=0.0)
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.set_ylabel("cumulative vehicles lost (vehicles)")
    ax.set_xlabel("date")
    shown = ", ".join(f"{100 * lo:g}-{100 * hi:g} %" for lo, hi in pairs)
    ax.set_title(f"{ens.scenario.name}: cumulative vehicles lost\n{len(ens):,} replications"
                 + (f"; median and bands {shown}" if shown else ""), fontsize="medium")
    ax.grid(True, alpha=0.3)
    legend_outside(ax, title="automaker: median lost by end" + (" [band]" if pairs else ""))
    return ax


def stockout_probability(ens: EnsembleResult, automakers: Sequence[str] | None = None, ax: Axes | None = None,
                         cmap: str = "Reds", **kwargs: Any) -> Axes:
    """Share of replications in stockout per automaker and day, as a heat strip.

    Parameters
    ----------
    ens : EnsembleResult
        Any ensemble (works with ``keep="summary"`` too).
    automakers : sequence of str, optional
        Rows to draw, in scenario order (default: all).
    ax : Axes, optional
        Where to draw; a new figure if omitted.
    cmap : str
        Matplotlib colour map for the probability (0 to 1).
    **kwargs
        Passed to :meth:`Axes.pcolormesh`.

    Returns
    -------
    Axes
        x: date; one row per automaker (labels in the automaker's colour); colour: share
        of replications losing output that day; disruption windows as dashed lines.
    """
    ax = new_axes(ax)
    ids = _select(ens, automakers)
    p = ens.stockout_probability().pivot(index="automaker", columns="date", values="p_stockout").loc[ids]
    dates = pd.DatetimeIndex(p.columns)
    edges = mdates.date2num(np.append(dates.to_numpy(), (dates[-1] + pd.Timedelta(days=1)).to_datetime64()))
    opts: dict[str, Any] = {"cmap": cmap, "vmin": 0.0, "vmax": 1.0, "shading": "flat"}
    opts.update(kwargs)
    mesh = ax.pcolormesh(edges, np.arange(len(ids) + 1), p.to_numpy(dtype=float), **opts)
    ax.xaxis_date()
    ax.set_yticks(np.arange(len(ids)) + 0.5)
    names = ens.names
    ax.set_yticklabels([names[a] for a in ids])
    colours = automaker_colours(ens)
    for label, a in zip(ax.get_yticklabels(), ids, strict=True):
        label.set_color(colours[a])
    ax.set_ylim(len(ids), 0)  # first automaker on top
    for w in ens.disruptions().itertuples(index=False):
        for when in (w.start, w.end):
            ax.axvline(mdates.date2num(pd.Timestamp(when)), color=_DISRUPTION_LINE, ls="--", lw=1.0)
    date_axis(ax)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel("date")
    ax.set_title(f"{ens.scenario.name}: share of replications in stockout\n{len(ens):,} replications; "
                 "dashed: disruption window", fontsize="medium")
    ax.figure.colorbar(mesh, ax=ax, label="P(stockout) that day", fraction=0.04, pad=0.01)
    return ax


def tts_ttr(ens: EnsembleResult, automakers: Sequence[str] | None = None, ax: Axes | None = None,
            **kwargs: Any) -> Axes:
    """Time to survive against time to recover, one point per replication and automaker.

    Parameters
    ----------
    ens : EnsembleResult
        Any ensemble of a scenario with a disruption.
    automakers : sequence of str, optional
        Automakers to draw (default: all that stock out in some replication).
    ax : Axes, optional
        Where to draw; a new figure if omitted.
    **kwargs
        Passed to :meth:`Axes.scatter`.

    Returns
    -------
    Axes
        x: TTS (days from the disruption's start to the first stockout); y: TTR (days
        from the disruption's end to full production). Points above the dashed diagonal
        (TTR > TTS) are replications in which the automaker could not bridge the
        disruption. Replications without a stockout (TTS infinite) are not drawn; those
        not recovered by the end (TTR infinite) are drawn at the top as triangles.
        Transparency falls with the number of points, so dense regions show darker.
    """
    ax = new_axes(ax)
    m = ens.metrics()
    ids = _select(ens, automakers)
    if automakers is None:
        hit = m.groupby("automaker", sort=False)["stockouts"].max()
        ids = [a for a in ids if hit.get(a, 0) > 0]
    colours = automaker_colours(ens)
    names = ens.names
    alpha = float(np.clip(8.0 / np.sqrt(max(len(ens), 1)), 0.03, 0.8))
    finite_max = 1.0
    for a in ids:
        d = m[m["automaker"] == a]
        tts, ttr = d["tts_days"].to_numpy(dtype=float), d["ttr_days"].to_numpy(dtype=float)
        ok = np.isfinite(tts) & ~np.isnan(ttr)
        if ok.any():
            finite_max = max(finite_max, float(np.nanmax(np.where(np.isfinite(ttr[ok]), ttr[ok], tts[ok]))),
                             float(tts[ok].max()))
    top = 1.05 * finite_max
    for a in ids:
        d = m[m["automaker"] == a]
        tts, ttr = d["tts_days"].to_numpy(dtype=float), d["ttr_days"].to_numpy(dtype=float)
        ok = np.isfinite(tts) & ~np.isnan(ttr)
        both = ~(np.isnan(tts) | np.isnan(ttr))
        p = float(np.mean(tts[both] < ttr[both])) if both.any() else float("nan")
        opts: dict[str, Any] = {"s": 14, "color": colours[a], "alpha": alpha, "lw": 0,
                                "label": f"{names[a]}: P(TTS<TTR) {p:.0%}, no stockout {np.mean(np.isinf(tts)):.0%}"}
        opts.update(kwargs)
        fin = ok & np.isfinite(ttr)
        ax.scatter(tts[fin], ttr[fin], **opts)
        stuck = ok & np.isinf(ttr)
        if stuck.any():
            ax.scatter(tts[stuck], np.full(stuck.sum(), top), marker="^", color=colours[a], alpha=alpha,
                       label="_nolegend_")
    ax.axline((0.0, 0.0), slope=1.0, color="black", ls="--", lw=1.0, label="TTS = TTR")
    ax.set_xlim(0.0, top)
    ax.set_ylim(0.0, top * 1.03)
    ax.text(0.02, 0.97, "TTR > TTS: runs out before it recovers", transform=ax.transAxes, ha="left", va="top",
            fontsize="small", color="0.3")
    ax.set_xlabel("TTS: days from disruption start to first stockout")
    ax.set_ylabel("TTR: days from disruption end to full production")
    ax.set_title(f"{ens.scenario.name}: time to survive (TTS) vs time to recover (TTR)\n{len(ens):,} "
                 "replications; triangles at the top: not recovered by the end", fontsize="medium")
    ax.grid(True, alpha=0.3)
    legend_outside(ax, title="automaker")
    return ax
