"""The event ledger: every flow of material and every state change, as records.

Components book flows here as they happen — and the dispatcher books every shipment's legs
from its dates when the run closes (numbers appended to flat lists: this is the
simulation's hot path). Everything users see — daily shortfall, monthly exports,
stockouts, the mass balance — is derived from these records afterwards.
"""

from __future__ import annotations

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
        ``(t_days, from_node, to_node, material, tonnes)``, built on demand.
    nodes : dict
        node name -> (stage, stocks callable returning {material: t}) for stock-holding
        nodes, or (``"source"``/``"sink"``, None) for boundaries.
    segments : list of tuple
        Automaker state changes, see :class:`rare_earth_sim.chain.automaker.Automaker`.
    shipments, applications, quota_events, sector_orders : list
        Domain records.
    """

    def __init__(self) -> None:
        # Flows are booked flat, five numbers per flow: t, from, to, material, tonnes
        # (names interned as ids), into a list that becomes a block of an (n, 5) array
        # whenever it is read; no per-flow Python object is made (the balance is a few
        # numpy reductions). A list takes a number for a pointer copy; array('d') parses
        # each one (~4x the cost) and numpy converts the whole list at once.
        self._flat: list[float] = []
        self._blocks: list[np.ndarray] = []  # flows already converted, in booking order
        # put([t, from_id, to_id, material_id, tonnes]) books a flow with one C call, for
        # hot paths; the caller ensures tonnes > 0.
        self.put: Callable[[list[float]], None] = self._flat.extend
        self._ids: dict[str, int] = {}
        self._names: list[str] = []
        self.nodes: dict[str, tuple[str, Callable[[], dict[str, float]] | None]] = {}
        # automaker -> (grades, flat log, plan rows), see segment_log()
        self._segment_logs: dict[int, tuple[int, list[float], list[tuple[float, ...]]]] = {}
        self._segments_closed: dict[int, np.ndarray] = {}  # the expanded segments, after close()
        self.shipments: list[Any] = []
        self.applications: list[tuple[Any, ...]] = []
        self.quota_events: list[tuple[Any, ...]] = []
        self.sector_records: list[tuple[Any, ...]] = []
        self.events = 0
        self.closed = False  # see close()
        self.lanes: dict[str, tuple[str, str]] = {}  # transport lane node -> (origin, destination country)

    def node(self, name: str, stage: str, stocks: Callable[[], dict[str, float]] | None = None) -> str:
        """Register a node (a stage's stock holder, or a source/sink boundary)."""
        if name in self.nodes:
            raise ValueError(f"node {name!r} registered twice")
        self.nodes[name] = (stage, stocks)
        return name

    def id(self, name: str) -> int:
        """The interned id of a node or material name (for :attr:`put` on hot paths)."""
        return self._id(name)

    def put_many(self, t: Any, src: Any, dst: Any, mat: Any, qty: Any) -> None:
        """Book many flows at once: arrays (or scalars, broadcast) of time, ids and tonnes (> 0)."""
        rows = np.empty((len(qty), 5))
        rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], rows[:, 4] = t, src, dst, mat, qty
        self._flush()  # keeps the booking order
        self._blocks.append(rows)

    def _flush(self) -> None:
        if self._flat:
            flat = self._flat  # (fromiter: the fastest way from a list of numbers to doubles)
            self._blocks.append(np.fromiter(flat, dtype=float, count=len(flat)).reshape(-1, 5))
            self._flat.clear()  # the same list: components hold its extend

    def _id(self, name: str) -> int:
        i = self._ids.get(name)
        if i is None:
            i = self._ids[name] = len(self._names)
            self._names.append(name)
        return i

    def flow(self, t: float, src: str, dst: str, material: str, qty: float) -> None:
        """Book ``qty`` tonnes of ``material`` moving from ``src`` to ``dst`` at time ``t``."""
        if qty > 0.0:
            ids = self._ids
            a, b, m = ids.get(src), ids.get(dst), ids.get(material)
            if a is None or b is None or m is None:
                a, b, m = self._id(src), self._id(dst), self._id(material)
            self._flat.extend((t, a, b, m, qty))

    def close(self) -> None:
        """The run is over: keep the records as data, out of the components' reference cycles.

        Each node's end stocks are read once and kept (``nodes`` then returns copies of
        them), and the record lists are handed over to new lists while the components'
        references to the old ones see them emptied. Records still point at components
        (a shipment at its customer and route), but after the model drops its ledger no
        component's reference cycle leads back to the ledger, so when a result is dropped
        its records are freed at once by reference counting instead of waiting for (and
        costing) a cyclic collection (tests/test_properties.py checks this).
        """
        self.nodes = {name: (stage, None if stocks is None else dict(stocks()).copy)
                      for name, (stage, stocks) in self.nodes.items()}
        for name in ("shipments", "applications", "quota_events", "sector_records"):
            records = getattr(self, name)
            setattr(self, name, list(records))
            records.clear()
        self._columns()  # the flows as one array
        for index in self._segment_logs:
            self.final_segments(index)
        self.closed = True

    # -- automaker segments ---------------------------------------------------------------
    def segment_log(self, index: int, n_grades: int, plans: list[tuple[float, ...]]) -> list[float]:
        """The log automaker ``index`` extends with one row per state change:
        ``t, stock per grade (t), plan number`` (a flat list of floats, made an array when
        read). ``plans`` (which the automaker extends) holds each plan's row: consumption
        per grade (t/day), built, lost (vehicles/day), unmet (t/day)."""
        log: list[float] = []
        self._segment_logs[index] = (n_grades, log, plans)
        return log

    @staticmethod
    def expand_segments(g: int, log: list[float], plans: list[tuple[float, ...]]) -> np.ndarray:
        """Segment rows ``t, stock per grade, consumption per grade, built, lost, unmet``
        from a log of ``t, stock per grade, plan number`` and its plans (a new array)."""
        rows = np.fromiter(log, dtype=float, count=len(log)).reshape(-1, g + 2)
        table = np.array(plans, dtype=float).reshape(-1, g + 3)
        return np.hstack([rows[:, :g + 1], table[rows[:, g + 1].astype(np.intp)]])

    def final_segments(self, index: int) -> np.ndarray:
        """The expanded segments of automaker ``index`` once its log is complete (the run
        is over), made once and kept read-only."""
        a = self._segments_closed.get(index)
        if a is None:
            g, log, plans = self._segment_logs[index]
            a = self._segments_closed[index] = self.expand_segments(g, log, plans)
            a.flags.writeable = False
        return a

    def segment_arrays(self) -> dict[int, tuple[int, np.ndarray]]:
        """Per automaker index: (number of grades, segments as rows
        ``t, stock per grade (t), consumption per grade (t/day), built, lost (vehicles/day), unmet (t/day)``).

        After :meth:`close`, read-only arrays the ledger keeps; before, new arrays.
        """
        if self.closed:
            return {i: (g, self._segments_closed[i]) for i, (g, _, _) in self._segment_logs.items()}
        return {i: (g, self.expand_segments(g, log, plans)) for i, (g, log, plans) in self._segment_logs.items()}

    @property
    def segments(self) -> list[tuple[Any, ...]]:
        """All segments as ``(automaker, t, stocks, consumption, built, lost, unmet)`` tuples,
        automaker by automaker in time order (a convenience view of :meth:`segment_arrays`)."""
        out = []
        for i, (g, a) in self.segment_arrays().items():
            for row in a.tolist():
                out.append((i, row[0], tuple(row[1:1 + g]), tuple(row[1 + g:1 + 2 * g]), *row[-3:]))
        return out

    def _columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        self._flush()
        if len(self._blocks) != 1:
            self._blocks = [np.concatenate(self._blocks) if self._blocks else np.zeros((0, 5))]
        f = self._blocks[0]
        return f[:, 0], f[:, 1].astype(np.int64), f[:, 2].astype(np.int64), f[:, 3].astype(np.int64), f[:, 4]

    @property
    def flows(self) -> list[tuple[float, str, str, str, float]]:
        """All flows as ``(t_days, from_node, to_node, material, tonnes)`` tuples."""
        t, a, b, m, q = self._columns()
        n = self._names
        return [(float(t[i]), n[a[i]], n[b[i]], n[m[i]], float(q[i])) for i in range(len(t))]

    @property
    def n_flows(self) -> int:
        return len(self._flat) // 5 + sum(len(b) for b in self._blocks)

    # -- derived tables ---------------------------------------------------------------
    def flows_frame(self) -> pd.DataFrame:
        """All flows as a DataFrame (t_days, src, dst, material, t)."""
        t, a, b, m, q = self._columns()
        names = np.array(self._names, dtype=object)
        return pd.DataFrame({"t_days": t, "src": names[a], "dst": names[b], "material": names[m], "t": q})

    def balance(self) -> pd.DataFrame:
        """Per stage, node and material: inflow - outflow - stock at the end (all t).

        Each stock-holding node starts empty (opening stocks are booked as flows from the
        ``opening`` source at time 0), so the residual must be ~0 when every flow the
        component made was booked and its own stock agrees with the ledger.
        """
        from .mass_balance import balance_columns  # the numbers, shared with check_balance

        cols = ["stage", "node", "material", "inflow_t", "outflow_t", "stock_end_t", "residual_t",
                "relative_residual"]
        rows, i, o, s = balance_columns(self)
        if not rows:
            return pd.DataFrame([], columns=cols)
        res = i - o - np.asarray(s, dtype=float)
        stage, node, material = (list(c) for c in zip(*rows, strict=True))
        # stock_end_t from the values as given: a column has the dtype the stocks have
        return pd.DataFrame(dict(zip(cols, (stage, node, material, i, o, s, res,
                                             np.abs(res) / np.maximum(np.maximum(i, o), 1e-12)), strict=True)))

    def check_balance(self, tol: float = 1e-9) -> None:
        """Raise ``AssertionError`` if any node's relative residual exceeds ``tol``."""
        from .mass_balance import balance_columns

        _, i, o, held = balance_columns(self)
        s = np.asarray(held, dtype=float)
        res = i - o - s
        # Arrays only: the DataFrame is built just to report a failure.
        if (~(np.abs(res) / np.maximum(np.maximum(i, o), 1e-12) <= tol)).any() or (
                s < -1e-9 * np.maximum(i, 1.0)).any():
            b = self.balance()
            bad = b[~(b["relative_residual"] <= tol)]
            if len(bad):
                raise AssertionError("mass balance violated:\n" + bad.to_string())
            neg = b[b["stock_end_t"] < -1e-9 * np.maximum(b["inflow_t"], 1.0)]
            if len(neg):
                raise AssertionError("negative stock at the end:\n" + neg.to_string())
