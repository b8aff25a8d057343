"""Material flows through the chain for a period, as a balanced Sankey diagram.

Oxide becomes magnet at the magnet plants, and a tonne of oxide is not a tonne of
magnet (the alloy adds iron and boron). So the figure has two diagrams, each balanced
in its own unit: the upper one in t REO (ore, then separated oxides) from the mines to
the magnet plants, the lower one in t magnet from the magnet plants to the automakers.
The magnet plants appear in both, and their labels state the conversion.

Every stage node balances for the period: what flows in equals what flows out plus
the change in its stocks (drawn as a flow "stock build" out, or "stock draw" in).
:func:`sankey_flows` returns the numbers the diagram is drawn from.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.sankey import Sankey

from ._style import horizon, new_axes

if TYPE_CHECKING:
    from ..results import SimulationResult

__all__ = ["material_flows", "sankey_flows", "period_bounds", "CHAINS"]

#: The two diagrams: (name, unit, [(node label, ledger stages)...]) in chain order.
CHAINS: dict[str, tuple[str, list[tuple[str, tuple[str, ...]]]]] = {
    "oxide": ("t REO", [("Mines", ("mining",)), ("Ore trade", ("ore_trade",)), ("Separation", ("separation",)),
                        ("Oxide shipping", ("export", "transport")), ("Magnet plants", ("magnet_plant",))]),
    "magnet": ("t magnet", [("Magnet plants", ("magnet_plant",)), ("Export customs", ("export",)),
                            ("Transport", ("transport",)), ("Automakers", ("automaker",))]),
}

_BOUNDARY_LABELS = {
    "ground": "mined", "opening": "opening stock", "recycled": "recycled oxide",
    "byproducts": "by-product oxides", "other_uses": "other uses", "transformed": "made into magnets",
    "produced": "made from oxide", "consumed": "used in production", "diverted": "diverted",
    "sector": "other sectors", "separated": "separated",
}
# Ore is separated into oxides in the same instant, tonne of REO for tonne of REO: inside
# the separation node the pair is internal and netted.
_INTERNAL_PAIRS = {("separated", "transformed")}


def _diagram(material: str) -> str:
    return "magnet" if material.startswith("magnet") else "oxide"


def period_bounds(result: SimulationResult, period: Any = None) -> tuple[float, float]:
    """A period as simulation times ``[t0, t1)`` in days.

    Parameters
    ----------
    result : SimulationResult
        Gives the calendar (``result.t``).
    period : None, "run", str, pandas.Period or (start, end)
        ``None``: the reported horizon (scenario start to end); ``"run"``: everything
        booked, warm-up included; a string pandas reads as a period (``"2025-05"``,
        ``"2025Q2"``, ``"2025"``) or a :class:`pandas.Period`; or a pair of dates
        ``(start, end)`` with ``end`` excluded.

    Returns
    -------
    tuple of float
        ``(t0, t1)`` in days since the result's origin.
    """
    if period is None:
        lo, hi = horizon(result)
        return result.t(lo), result.t(hi)
    if isinstance(period, str) and period == "run":
        return -math.inf, math.inf
    if isinstance(period, (str, pd.Period)):
        p = pd.Period(period) if isinstance(period, str) else period
        return result.t(p.start_time), result.t((p + 1).start_time)
    start, end = period
    return result.t(pd.Timestamp(start)), result.t(pd.Timestamp(end))


def _node_flows_of(totals: dict[tuple[str, str, str], float], diagram: str,
                   chain: list[tuple[str, tuple[str, ...]]]) -> list[dict[tuple[str, str], float]]:
    """Per node of one diagram: {(role, label): t}, balanced by a stock row."""
    where = {s: i for i, (_label, stages) in enumerate(chain) for s in stages}
    labels = [label for label, _ in chain]
    nodes: list[dict[tuple[str, str], float]] = [{} for _ in chain]

    def book(i: int, role: str, label: str, q: float) -> None:
        nodes[i][(role, label)] = nodes[i].get((role, label), 0.0) + q

    for (dg, src, dst), q in totals.items():
        i, j = where.get(src), where.get(dst)
        if dg != diagram or (i is not None and i == j):
            continue  # another diagram's material, or a move inside a node made of several stages
        if i is not None:
            if j == i + 1:
                book(i, "chain_out", f"to {labels[j]}", -q)
            else:
                book(i, "side", f"to {labels[j]}" if j is not None else _BOUNDARY_LABELS.get(dst, dst), -q)
        if j is not None:
            if i == j - 1:
                book(j, "chain_in", f"from {labels[i]}", q)
            else:
                book(j, "side", f"from {labels[i]}" if i is not None else _BOUNDARY_LABELS.get(src, src), q)
    for flows in nodes:
        scale = max(1.0, sum(v for v in flows.values() if v > 0))
        for a, b in _INTERNAL_PAIRS:
            la, lb = _BOUNDARY_LABELS[a], _BOUNDARY_LABELS[b]
            if ("side", la) in flows and ("side", lb) in flows:
                net = flows.pop(("side", la)) + flows.pop(("side", lb))
                if abs(net) > 1e-9 * scale:
                    flows[("side", "separation yield difference")] = net
        change = sum(flows.values())
        if abs(change) > 1e-9 * scale:  # below that, rounding: no stock arrow
            flows[("stock", "stock build" if change > 0 else "stock draw")] = -change
    return nodes


def sankey_flows(result: SimulationResult, period: Any = None) -> pd.DataFrame:
    """The flows of :func:`material_flows`, one row per arrow, balanced per node.

    Parameters
    ----------
    result : SimulationResult
        One replication.
    period : see :func:`period_bounds`

    Returns
    -------
    DataFrame
        diagram (``oxide``/``magnet``), unit, node_index, node, flow (label), role
        (``chain_in``, ``chain_out``, ``side``, ``stock``), t (positive into the node,
        negative out of it). For every (diagram, node) the ``t`` sum to ~0: the
        ``stock`` row is inflow minus outflow over the period, which is the change of
        the node's stocks because every stock starts empty and every change is a flow.

    Notes
    -----
    Continuous use (an automaker's consumption) is booked day by day, so over whole
    days (any period given as dates) the stock rows are the change of the stock
    levels; over the whole run (``period="run"``) they equal the stocks the
    components report.
    """
    t0, t1 = period_bounds(result, period)
    stage_of = {name: stage for name, (stage, _fn) in result.ledger.nodes.items()}
    totals: dict[tuple[str, str, str], float] = {}
    for t, src, dst, mat, q in result.ledger.flows:
        if t0 <= t < t1:
            key = (_diagram(mat), stage_of.get(src, src), stage_of.get(dst, dst))
            totals[key] = totals.get(key, 0.0) + q
    rows = []
    for diagram, (unit, chain) in CHAINS.items():
        labels = [label for label, _ in chain]
        for i, flows in enumerate(_node_flows_of(totals, diagram, chain)):
            rows += [(diagram, unit, i, labels[i], label, role, q) for (role, label), q in flows.items()]
    df = pd.DataFrame(rows, columns=["diagram", "unit", "node_index", "node", "flow", "role", "t"])
    df.attrs["units"] = {"t": "t (see column unit)"}
    df.attrs["period"] = (t0, t1)
    return df


def _shift(diagram: Any, dx: float, dy: float) -> None:
    """Move one Sankey sub-diagram (patch, labels, tips) by (dx, dy) in data units."""
    path = diagram.patch.get_path()
    path.vertices = path.vertices + np.array([dx, dy])
    for text in [diagram.text, *diagram.texts, *getattr(diagram, "joint_labels", [])]:
        x, y = text.get_position()
        text.set_position((x + dx, y + dy))
    diagram.tips = diagram.tips + np.array([dx, dy])


def _extent(diagrams: list[Any]) -> tuple[float, float, float, float]:
    """Bounding box of sub-diagrams: outlines and (non-empty) label positions."""
    pts = [d.patch.get_path().vertices for d in diagrams]
    pts += [np.array([t.get_position() for t in d.texts if t.get_text()]).reshape(-1, 2) for d in diagrams]
    a = np.vstack(pts)
    return float(a[:, 0].min()), float(a[:, 0].max()), float(a[:, 1].min()), float(a[:, 1].max())


def _fmt(q: float) -> str:
    return f"{abs(q):,.0f}"


def _arrows(g: pd.DataFrame, first: bool, last: bool) -> tuple[list[float], list[int], list[str], int, int]:
    """Flows, orientations and labels of one node; indices of its chain input and output.

    Order: chain input (left), side inputs (top), side outputs (bottom), chain output
    (right). The first node's largest input and the last node's largest output are
    drawn horizontally, so each diagram reads left to right.
    """
    g = g.reindex(g["t"].abs().sort_values(ascending=False).index)
    chain_in, chain_out = g[g["role"] == "chain_in"], g[g["role"] == "chain_out"]
    side = g[g["role"].isin(["side", "stock"])]
    flows: list[float] = []
    orient: list[int] = []
    labels: list[str] = []

    def add(q: float, o: int, label: str) -> None:
        flows.append(float(q))
        orient.append(o)
        labels.append(label)

    for r in chain_in.itertuples():
        add(r.t, 0, "")
    for n, r in enumerate(side[side["t"] > 0].itertuples()):
        add(r.t, 0 if (first and n == 0 and chain_in.empty) else 1, f"{r.flow}\n{_fmt(r.t)}")
    outs = side[side["t"] < 0]
    for n, r in enumerate(outs.itertuples()):
        add(r.t, 0 if (last and n == 0 and chain_out.empty) else -1, f"{r.flow}\n{_fmt(r.t)}")
    for r in chain_out.itertuples():
        add(r.t, 0, "")
    return flows, orient, labels, (0 if not chain_in.empty else -1), (len(flows) - 1 if not chain_out.empty else -1)


def _draw_chain(ax: Axes, df: pd.DataFrame, colour: str) -> list[Any]:
    """One diagram: a row of nodes joined by their chain flows, left to right."""
    nodes = [g for _i, g in df.groupby("node_index", sort=True)]
    if not nodes:
        return []
    big = max((float(g["t"].clip(lower=0).sum()) for g in nodes), default=0.0)
    tol = 1e-9 * max(big, 1.0)
    sk = Sankey(ax=ax, scale=1.0 / max(big, 1e-12), unit=None, tolerance=tol, gap=0.35, radius=0.05,
                shoulder=0.02, offset=0.25, head_angle=120)
    style = {"facecolor": colour, "edgecolor": "black", "lw": 0.5, "alpha": 0.9}
    prev_out = -1
    for k, g in enumerate(nodes):
        flows, orient, labels, i_in, i_out = _arrows(g, k == 0, k == len(nodes) - 1)
        thru = sum(q for q in flows if q > 0)
        name = f"{g['node'].iloc[0]}\n{thru:,.0f}"
        common = {"flows": flows, "orientations": orient, "labels": labels, "pathlengths": 0.45,
                  "trunklength": 3.0, "patchlabel": name, **style}
        if k > 0 and prev_out >= 0 and i_in >= 0 and abs(flows[i_in]) >= tol:
            sk.add(prior=k - 1, connect=(prev_out, i_in), **common)
            tip = sk.diagrams[-1].tips[i_in]
            joint = ax.text(tip[0], tip[1], _fmt(flows[i_in]), ha="center", va="center", fontsize="x-small",
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
                            zorder=5)
            sk.diagrams[-1].joint_labels = [joint]
        else:
            sk.add(**common)
            if k > 0:  # nothing flowed along the chain: place the node right of the previous one
                x1 = _extent([sk.diagrams[-2]])[1]
                cx = _extent([sk.diagrams[-1]])[0]
                _shift(sk.diagrams[-1], x1 + 0.6 - cx, float(sk.diagrams[-2].tips[:, 1].mean()))
        prev_out = i_out
    for d in sk.diagrams:
        d.text.set_fontweight("bold")
        d.text.set_fontsize("small")
        for t in d.texts:
            t.set_fontsize("x-small")
    _declutter(sk.diagrams)
    return list(sk.diagrams)


def _declutter(diagrams: list[Any], dx: float = 0.9, dy: float = 0.34) -> None:
    """Move side-arrow labels apart (outwards) and horizontal end labels off the arrows."""
    placed: list[tuple[float, float]] = []
    side = []
    for d in diagrams:
        for text, angle, q in zip(d.texts, d.angles, d.flows, strict=True):
            if not text.get_text() or angle is None:
                continue
            x, y = text.get_position()
            if angle == 0:  # a horizontal end arrow: its label beside the tip, not on it
                text.set_position((x - 0.08, y) if q > 0 else (x + 0.08, y))
                text.set_horizontalalignment("right" if q > 0 else "left")
                continue
            up = (angle == 1 and q < 0) or (angle == 3 and q > 0)
            side.append((x, y, 1.0 if up else -1.0, text))
    for x, y, direction, text in sorted(side, key=lambda s: (s[0], -s[2])):
        while any(abs(x - px) < dx and abs(y - py) < dy for px, py in placed):
            y += direction * dy
        text.set_position((x, y))
        placed.append((x, y))


def material_flows(result: SimulationResult, period: Any = None, ax: Axes | None = None,
                   **kwargs: Any) -> Axes:
    """Sankey of tonnes through mine -> separation -> magnets -> exports -> automakers.

    Parameters
    ----------
    result : SimulationResult
        One replication.
    period : None, "run", str, pandas.Period or (start, end)
        What to total (see :func:`period_bounds`): default the reported horizon;
        e.g. ``"2025-05"`` or ``("2025-04-04", "2025-06-10")``.
    ax : Axes, optional
        Where to draw; a new figure (14 x 8 in) if omitted.
    **kwargs
        ``oxide_colour``, ``magnet_colour``: fill colours of the two diagrams.

    Returns
    -------
    Axes
        Upper diagram in t REO (ores and oxides), lower in t magnet. Every node
        balances: inflows = outflows + stock build (or + stock draw on the inflow side).
        Arrow labels give tonnes for the period.
    """
    ax = new_axes(ax, figsize=(14.0, 8.0))
    df = sankey_flows(result, period)
    t0, t1 = df.attrs["period"]
    colours = {"oxide": kwargs.pop("oxide_colour", "#9ecae1"), "magnet": kwargs.pop("magnet_colour", "#fdae6b")}
    if kwargs:
        raise TypeError(f"unexpected keyword arguments {sorted(kwargs)}")
    rows = [_draw_chain(ax, df[df["diagram"] == diagram], colours[diagram]) for diagram in CHAINS]
    rows = [r for r in rows if r]
    ax.set_axis_off()
    if not rows:
        ax.text(0.5, 0.5, "no material flowed in this period", ha="center", va="center", transform=ax.transAxes)
    else:
        if len(rows) == 2:  # the magnet diagram under the oxide diagram, left-aligned
            ux0, _ux1, uy0, _uy1 = _extent(rows[0])
            lx0, _lx1, _ly0, ly1 = _extent(rows[1])
            for d in rows[1]:
                _shift(d, ux0 - lx0, uy0 - ly1 - 0.6)
        x0, x1, y0, y1 = _extent([d for row in rows for d in row])
        ax.set_xlim(x0 - 1.6, x1 + 1.6)
        ax.set_ylim(y0 - 0.4, y1 + 0.4)
        ax.set_aspect("equal", adjustable="box")
    oxide_in = abs(float(df[(df["diagram"] == "oxide") & (df["flow"] == "made into magnets")]["t"].sum()))
    magnet_out = float(df[(df["diagram"] == "magnet") & (df["flow"] == "made from oxide")]["t"].sum())
    if math.isinf(t0):
        span = "whole run (warm-up included)"
    else:
        span = f"{result.date(t0):%d %b %Y} to {result.date(t1) - pd.Timedelta(days=1):%d %b %Y}"
    ax.set_title(f"{result.scenario.name}: material flows, {span} (seed {result.seed})\n"
                 f"upper: {CHAINS['oxide'][0]} (ore, then separated oxides); lower: {CHAINS['magnet'][0]}. "
                 f"Magnet plants made {magnet_out:,.0f} t magnet from {oxide_in:,.0f} t oxide "
                 "(plus iron, boron and other metals).", fontsize="medium")
    return ax
