"""Backtest figure: observed monthly magnet exports against the simulated band."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from ._style import date_axis, legend_outside, new_axes

if TYPE_CHECKING:
    from ..backtest import BacktestResult

__all__ = ["backtest"]

_SIM = "#2166ac"
_OBS = "#222222"
_CUT = "#d62728"


def backtest(bt: BacktestResult, ax: Axes | None = None, series: str = "total") -> Axes:
    """Observed against simulated monthly exports, with the band and the cutoff marked.

    Parameters
    ----------
    bt : BacktestResult
        From :func:`rare_earth_sim.backtest`.
    ax : Axes, optional
        Where to draw; a new figure if not given.
    series : str
        ``"total"`` or an observed destination (``"United States"``).

    Returns
    -------
    Axes
        Simulated mean (line), median (dashed) and band (shaded) over the whole horizon;
        observed months as dots (hollow where inferred); a vertical line at the cutoff.
    """
    sim = bt.simulated[bt.simulated["series"] == series]
    if sim.empty:
        raise ValueError(f"series {series!r} is not in the backtest; available: "
                         + ", ".join(map(str, bt.simulated["series"].unique())))
    ax = new_axes(ax)
    g = sim.groupby("period")["simulated_t"]
    lo, hi = bt.band
    stats = pd.DataFrame({"mean": g.mean(), "median": g.median(), "low": g.quantile(lo),
                          "high": g.quantile(hi)}).sort_index()
    x = pd.DatetimeIndex(stats.index)
    ax.fill_between(x, stats["low"], stats["high"], color=_SIM, alpha=0.2, lw=0, step=None,
                    label=f"simulated {lo:.0%}-{hi:.0%} band ({bt.replications} replications)")
    ax.plot(x, stats["mean"], color=_SIM, lw=1.8, label="simulated mean")
    ax.plot(x, stats["median"], color=_SIM, lw=1.0, ls="--", label="simulated median")
    obs = bt.table[bt.table["series"] == series]
    rep = obs[~obs["inferred"].astype(bool)]
    inf = obs[obs["inferred"].astype(bool)]
    ax.plot(rep["period"], rep["observed_t"], "o", color=_OBS, ms=6, label="observed (reported)", zorder=4)
    if len(inf):
        ax.plot(inf["period"], inf["observed_t"], "o", mfc="white", mec=_OBS, ms=6,
                label="observed (inferred)", zorder=4)
    if bt.cutoff is not None:
        ax.axvline(bt.cutoff, color=_CUT, ls=":", lw=1.5, label=f"cutoff {bt.cutoff:%Y-%m-%d}", zorder=3)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    ax.set_ylabel("t per month (HS 8505111000)")
    what = "magnet exports from China" + ("" if series == "total" else f" to {series}")
    ax.set_title(f"{bt.scenario}: {what}" if bt.scenario else what, fontsize="medium")
    date_axis(ax)
    legend_outside(ax)
    return ax
