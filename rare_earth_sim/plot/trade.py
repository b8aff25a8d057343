"""Trade figures: China's magnet exports by month and destination, against customs data."""

from __future__ import annotations

import re
from os import PathLike
from typing import TYPE_CHECKING, Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from ._style import (date_axis, destination_colours, destination_order, horizon, legend_outside, new_axes,
                     shade_disruptions)

if TYPE_CHECKING:
    from ..results import SimulationResult

__all__ = ["exports", "observed_exports"]

_DATE_COLUMNS = ("period", "month", "date")
_VALUE_COLUMNS = ("total_t", "quantity_t", "value", "t")
_MONTH = re.compile(r"^\d{4}-\d{2}(-01)?$")


def observed_exports(observed: pd.DataFrame | str | PathLike[str]) -> pd.DataFrame:
    """Observed monthly exports as ``period, total_t[, to_us_t][, inferred]``.

    Parameters
    ----------
    observed : DataFrame or path to a CSV file
        Needs a date column (``period``, ``month`` or ``date``: month starts, or
        ``YYYY-MM`` text) and a tonnes column (``total_t``, ``quantity_t``, ``value``
        or ``t``). Optional ``to_us_t`` (exports to the United States, t) and
        ``inferred`` (bool) columns are kept. With a ``destination`` column, rows are
        summed per month. Rows that are not single months (``2024``, ``2025-H1``) are
        dropped. The format of :func:`rare_earth_sim.data.magnet_exports` and of its
        CSV file is accepted as is.

    Returns
    -------
    DataFrame
        One row per month, sorted; units in ``attrs["units"]``.
    """
    df = pd.read_csv(observed, dtype=str) if not isinstance(observed, pd.DataFrame) else observed.copy()
    dcol = next((c for c in _DATE_COLUMNS if c in df.columns), None)
    vcol = next((c for c in _VALUE_COLUMNS if c in df.columns), None)
    if dcol is None or vcol is None:
        raise ValueError(f"observed exports need a date column ({', '.join(_DATE_COLUMNS)}) and a tonnes "
                         f"column ({', '.join(_VALUE_COLUMNS)}); got {list(df.columns)}")
    dates = df[dcol]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        text = dates.astype(str).str.strip()
        keep = text.str.match(_MONTH)
        df, text = df[keep], text[keep]
        dates = pd.to_datetime(text.str.slice(0, 7), format="%Y-%m")
    out = pd.DataFrame({"period": pd.to_datetime(dates).dt.to_period("M").dt.start_time,
                        "total_t": pd.to_numeric(df[vcol], errors="coerce")})
    if "to_us_t" in df.columns:
        out["to_us_t"] = pd.to_numeric(df["to_us_t"], errors="coerce")
    if "inferred" in df.columns:
        out["inferred"] = df["inferred"].astype(str).str.lower().isin(["true", "1", "yes"])
    if "destination" in df.columns:
        agg = {c: ("max" if c == "inferred" else "sum") for c in out.columns if c != "period"}
        out = out.groupby("period", as_index=False).agg(agg)
    out = out.dropna(subset=["total_t"]).sort_values("period").reset_index(drop=True)
    out.attrs["units"] = {"total_t": "t per month", "to_us_t": "t per month"}
    return out


def exports(result: SimulationResult, observed: pd.DataFrame | str | PathLike[str] | None = None,
            products: str | list[str] = "magnet", origin: str = "China", ax: Axes | None = None,
            **kwargs: Any) -> Axes:
    """Monthly exports by destination (stacked bars), with an observed series overlaid.

    Parameters
    ----------
    result : SimulationResult
        One replication.
    observed : DataFrame or path to a CSV file, optional
        Customs data to compare with (see :func:`observed_exports`), e.g.
        ``rare_earth_sim.data.magnet_exports()``: drawn as a black line (hollow markers
        where the figure is inferred rather than reported), and exports to the United
        States, when given, as diamonds on the US bar.
    products : str or list of str
        ``"magnet"`` (both magnet grades, default), ``"oxide"``, or a list of products
        (``magnet_standard``, ``magnet_high_temp``, ``oxide_ndpr``, ``oxide_dytb``).
    origin : str
        Exporting country.
    ax : Axes, optional
        Where to draw; a new figure if omitted.
    **kwargs
        Passed to :meth:`Axes.bar`.

    Returns
    -------
    Axes
        x: month; y: t per month; bars stacked by destination.
    """
    ax = new_axes(ax)
    ex = result.exports("MS", origin=origin)
    if isinstance(products, str):
        chosen = [p for p in ex["product"].unique() if p.startswith(products)] or [products]
    else:
        chosen = list(products)
    ex = ex[ex["product"].isin(chosen)]
    lo, hi = horizon(result)
    months = pd.date_range(lo.to_period("M").start_time, hi - pd.Timedelta(days=1), freq="MS")
    table = (ex.pivot_table(index="period", columns="destination", values="quantity_t", aggfunc="sum")
             .reindex(months, fill_value=0.0).fillna(0.0))
    colours = destination_colours(table.columns)
    shade_disruptions(ax, result)
    x = mdates.date2num(months.to_pydatetime()) + 14.0  # bar centred mid-month
    bottom = np.zeros(len(months))
    for dest in destination_order(table.columns):
        y = table[dest].to_numpy(dtype=float)
        opts = {"width": 24.0, "color": colours[dest], "label": dest, "edgecolor": "white", "linewidth": 0.3}
        opts.update(kwargs)
        ax.bar(x, y, bottom=bottom, **opts)
        bottom += y
    if observed is not None:
        obs = observed_exports(observed)
        obs = obs[(obs["period"] >= months[0]) & (obs["period"] <= months[-1])]
        ox = mdates.date2num(obs["period"].dt.to_pydatetime()) + 14.0
        ax.plot(ox, obs["total_t"].to_numpy(), color="black", lw=1.2, zorder=4, label="observed total (customs)")
        inferred = obs["inferred"].to_numpy(dtype=bool) if "inferred" in obs else np.zeros(len(obs), bool)
        ax.scatter(ox[~inferred], obs["total_t"].to_numpy()[~inferred], color="black", s=22, zorder=5,
                   label="reported" if inferred.any() else "_nolegend_")
        if inferred.any():
            ax.scatter(ox[inferred], obs["total_t"].to_numpy()[inferred], facecolor="white", edgecolor="black",
                       s=22, zorder=5, label="inferred")
        if "to_us_t" in obs and obs["to_us_t"].notna().any():
            us = obs.dropna(subset=["to_us_t"])
            ax.scatter(mdates.date2num(us["period"].dt.to_pydatetime()) + 14.0, us["to_us_t"].to_numpy(),
                       marker="D", s=26, color=colours.get("United States", "grey"), edgecolor="black",
                       zorder=5, label="observed to United States")
    ax.xaxis_date()
    date_axis(ax, lo, hi)
    ax.set_ylim(bottom=0.0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    what = products if isinstance(products, str) else ", ".join(products)
    ax.set_ylabel(f"{origin}'s exports ({what}, t per month)")
    ax.set_xlabel("month of departure")
    ax.set_title(f"{result.scenario.name}: {origin}'s {what} exports by destination (seed {result.seed})")
    ax.grid(True, axis="y", alpha=0.3)
    legend_outside(ax, title="destination")
    return ax
