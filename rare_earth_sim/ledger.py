"""The event ledger: every flow of material and every state change, as records.

Components book flows here as they happen (plain tuples appended to lists: this is the
simulation's hot path). Everything users see — daily shortfall, monthly exports,
stockouts, the mass balance — is derived from these records afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Ledger", "SOURCE", "SINK"]

SOURCE = "source"
SINK = "sink"


class Ledger:
    """Records of one replication.

    Attributes
    ----------
    flows : list of tuple
        ``(t_days, from_node, to_node, material, tonnes)``.
    nodes : dict
        node name -> (stage, stocks callable returning {material: t}) for stock-holding
        nodes, or (``"source"``/``"sink"``, None) for boundaries.
    segments : list of tuple
        Automaker state changes, see :class:`rare_earth_sim.chain.automaker.Automaker`.
    shipments, applications, quota_events, sector_orders : list
        Domain records.
    """

    def __init__(self) -> None:
        self.flows: list[tuple[float, str, str, str, float]] = []
        self.nodes: dict[str, tuple[str, Callable[[], dict[str, float]] | None]] = {}
        self.segments: list[tuple[Any, ...]] = []
        self.shipments: list[Any] = []
        self.applications: list[tuple[Any, ...]] = []
        self.quota_events: list[tuple[Any, ...]] = []
        self.sector_records: list[tuple[Any, ...]] = []
        self.events = 0

    def node(self, name: str, stage: str, stocks: Callable[[], dict[str, float]] | None = None) -> str:
        """Register a node (a stage's stock holder, or a source/sink boundary)."""
        if name in self.nodes:
            raise ValueError(f"node {name!r} registered twice")
        self.nodes[name] = (stage, stocks)
        return name

    def flow(self, t: float, src: str, dst: str, material: str, qty: float) -> None:
        """Book ``qty`` tonnes of ``material`` moving from ``src`` to ``dst`` at time ``t``."""
        if qty > 0.0:
            self.flows.append((t, src, dst, material, qty))

    # -- derived tables ---------------------------------------------------------------
    def flows_frame(self) -> pd.DataFrame:
        """All flows as a DataFrame (t_days, src, dst, material, t)."""
        return pd.DataFrame(self.flows, columns=["t_days", "src", "dst", "material", "t"])

    def balance(self) -> pd.DataFrame:
        """Per stage, node and material: inflow - outflow - stock at the end (all t).

        Each stock-holding node starts empty (opening stocks are booked as flows from the
        ``opening`` source at time 0), so the residual must be ~0 when every flow the
        component made was booked and its own stock agrees with the ledger.
        """
        inflow: dict[tuple[str, str], float] = defaultdict(float)
        outflow: dict[tuple[str, str], float] = defaultdict(float)
        for _t, src, dst, mat, q in self.flows:
            outflow[(src, mat)] += q
            inflow[(dst, mat)] += q
        rows = []
        for name, (stage, stocks) in self.nodes.items():
            if stocks is None:
                continue
            held = stocks()
            mats = {m for (n, m) in inflow if n == name} | {m for (n, m) in outflow if n == name} | set(held)
            for mat in sorted(mats):
                i, o, s = inflow.get((name, mat), 0.0), outflow.get((name, mat), 0.0), held.get(mat, 0.0)
                res = i - o - s
                rows.append((stage, name, mat, i, o, s, res, abs(res) / max(i, o, 1e-12)))
        return pd.DataFrame(rows, columns=["stage", "node", "material", "inflow_t", "outflow_t",
                                           "stock_end_t", "residual_t", "relative_residual"])

    def check_balance(self, tol: float = 1e-9) -> None:
        """Raise ``AssertionError`` if any node's relative residual exceeds ``tol``."""
        b = self.balance()
        bad = b[~(b["relative_residual"] <= tol)]
        if len(bad):
            raise AssertionError("mass balance violated:\n" + bad.to_string())
        neg = b[b["stock_end_t"] < -1e-9 * np.maximum(b["inflow_t"], 1.0)]
        if len(neg):
            raise AssertionError("negative stock at the end:\n" + neg.to_string())
