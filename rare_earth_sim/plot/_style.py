"""Shared look of the figures: colours, date axes, disruption shading, new Axes.

Nothing here changes matplotlib's global state: colours are looked up, not set in
``rcParams``; pyplot is imported only when a function is asked for a new figure.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.dates as mdates
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import to_hex

if TYPE_CHECKING:
    from ..results import SimulationResult

__all__ = ["FIGSIZE", "automaker_colours", "automaker_names", "date_axis", "destination_colours",
           "destination_order", "horizon", "legend_outside", "mark_control_events", "new_axes",
           "shade_disruptions"]

#: Default size of a new figure (inches); with dpi 100 a 1000 x 500 px PNG.
FIGSIZE: tuple[float, float] = (10.0, 5.0)

# tab20's strong colours first (tab10), then its light companions: twenty distinct
# colours, the first ten as familiar as matplotlib's defaults.
_TAB20 = [to_hex(c) for c in colormaps["tab20"].colors]  # type: ignore[attr-defined]
_AUTOMAKER_PALETTE = _TAB20[0::2] + _TAB20[1::2]
_DESTINATION_PALETTE = [to_hex(c) for c in colormaps["Set2"].colors]  # type: ignore[attr-defined]
_DESTINATION_ORDER = ["United States", "European Union", "Japan", "South Korea", "India", "Vietnam",
                      "Malaysia", "Other"]
DISRUPTION_COLOUR = "#d62728"
CONTROL_COLOUR = "#444444"


def automaker_colours(automakers: SimulationResult | Sequence[str]) -> dict[str, str]:
    """Colour of each automaker, stable across calls and figures.

    The i-th automaker of the scenario's list gets the i-th colour of a qualitative
    palette (tab20, strong tones first), so a scenario and its what-if variants (same
    automakers, same order) share colours in every plot.

    Parameters
    ----------
    automakers : SimulationResult or sequence of str
        A result (its ``automakers`` in scenario order) or automaker ids in order.

    Returns
    -------
    dict
        automaker id -> hex colour.
    """
    ids = list(getattr(automakers, "automakers", automakers))
    n = len(_AUTOMAKER_PALETTE)
    return {a: _AUTOMAKER_PALETTE[i % n] for i, a in enumerate(ids)}


def automaker_names(result: SimulationResult) -> dict[str, str]:
    """Automaker id -> display name (e.g. ``"ford"`` -> ``"Ford (N. America)"``)."""
    rows = getattr(result, "_automakers", None)
    if rows is not None:
        return {a["automaker"]: a["name"] for a in rows}
    m = result.metrics()
    return dict(zip(m["automaker"], m["name"], strict=True))


def destination_colours(destinations: Iterable[str]) -> dict[str, str]:
    """Colour of each export destination: known markets fixed, others after them in name order."""
    known = {d: _DESTINATION_PALETTE[i] for i, d in enumerate(_DESTINATION_ORDER)}
    extra = sorted(set(destinations) - set(known))
    grey = ["#7f7f7f", "#bcbd22", "#17becf", "#9467bd", "#8c564b"]
    known.update({d: grey[i % len(grey)] for i, d in enumerate(extra)})
    return known


def destination_order(destinations: Iterable[str]) -> list[str]:
    """Destinations in the fixed plotting order (known markets first, ``Other`` last)."""
    ds = set(destinations)
    first = [d for d in _DESTINATION_ORDER if d in ds and d != "Other"]
    rest = sorted(ds - set(_DESTINATION_ORDER))
    return first + rest + (["Other"] if "Other" in ds else [])


def new_axes(ax: Axes | None, figsize: tuple[float, float] | None = None) -> Axes:
    """``ax`` itself, or the Axes of a new pyplot figure with constrained layout.

    pyplot is imported here, at call time (never when the package is imported), so a
    notebook shows the new figure; callers who manage figures themselves pass ``ax``.
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize or FIGSIZE, layout="constrained")
    return fig.add_subplot()


def date_axis(ax: Axes, lo: Any = None, hi: Any = None) -> None:
    """Concise date ticks on the x axis, limited to ``[lo, hi]`` when given."""
    loc = mdates.AutoDateLocator(minticks=4, maxticks=12)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    if lo is not None and hi is not None:
        ax.set_xlim(pd.Timestamp(lo), pd.Timestamp(hi))


def horizon(result: SimulationResult) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last reported instants of a result (end is the day after ``end``)."""
    return pd.Timestamp(result.start), pd.Timestamp(result.end) + pd.Timedelta(days=1)


def _windows(results: Iterable[SimulationResult]) -> list[tuple[pd.Timestamp, pd.Timestamp, str]]:
    seen: dict[tuple[pd.Timestamp, pd.Timestamp], str] = {}
    for r in results:
        for w in r.disruptions().itertuples(index=False):
            seen.setdefault((pd.Timestamp(w.start), pd.Timestamp(w.end)), str(w.name))
    return [(s, e, n) for (s, e), n in seen.items()]


def shade_disruptions(ax: Axes, result: SimulationResult | Sequence[SimulationResult],
                      label: bool = True, colour: str = DISRUPTION_COLOUR) -> int:
    """Shade the disruption windows of a scenario (or several) on a date x axis.

    Parameters
    ----------
    ax : Axes
        Axes whose x axis holds dates.
    result : SimulationResult or sequence of them
        Where the windows come from (:meth:`SimulationResult.disruptions`); windows
        with the same dates are shaded once.
    label : bool
        Give the first window a legend label (``"disruption"``).
    colour : str
        Fill colour.

    Returns
    -------
    int
        Number of windows shaded.
    """
    results = [result] if not isinstance(result, Sequence) else list(result)
    windows = _windows(results)
    for i, (s, e, name) in enumerate(windows):
        text = textwrap.fill("disruption: " + name, 34) if len(windows) == 1 else "disruption windows"
        span = ax.axvspan(s, e, color=colour, alpha=0.12, lw=0, zorder=0,
                          label=text if (label and i == 0) else "_nolegend_")
        span.set_gid("disruption")
    return len(windows)


def mark_control_events(ax: Axes, result: SimulationResult, text: bool = True) -> int:
    """Dashed vertical lines at the export-control rules' start (and end) dates.

    Returns
    -------
    int
        Number of lines drawn.
    """
    n = 0
    lo, hi = horizon(result)
    for rule in result.control_rules().itertuples(index=False):
        for when, what in ((rule.start, "from"), (rule.end, "until")):
            if pd.isna(when) or not (lo <= pd.Timestamp(when) <= hi):
                continue
            line = ax.axvline(pd.Timestamp(when), color=CONTROL_COLOUR, ls="--", lw=1.0, zorder=3,
                              label="export control" if n == 0 else "_nolegend_")
            line.set_gid("control")
            if text:
                ax.annotate(f"{rule.name}\n{what} {pd.Timestamp(when):%d %b %Y}", xy=(pd.Timestamp(when), 1.0),
                            xycoords=("data", "axes fraction"), xytext=(3, -3), textcoords="offset points",
                            ha="left", va="top", fontsize="small", color=CONTROL_COLOUR)
            n += 1
    return n


def legend_outside(ax: Axes, **kwargs: Any) -> None:
    """A legend to the right of the Axes (so it never covers data), if anything is labelled."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        opts: dict[str, Any] = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "fontsize": "small",
                                "frameon": False}
        opts.update(kwargs)
        ax.legend(handles, labels, **opts)
