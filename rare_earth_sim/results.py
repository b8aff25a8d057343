"""SimulationResult: tidy tables derived on demand from one replication's ledger.

Every table is long-format pandas with units in ``df.attrs["units"]``. Only dates from
the scenario's start to its end are reported (the warm-up is not).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .metrics import time_to_recover, time_to_survive

if TYPE_CHECKING:
    from .engine import Model
    from .scenario.model import Scenario

__all__ = ["SimulationResult"]


_PERIODS = {"D": "D", "W": "W", "MS": "M", "M": "M", "ME": "M", "QS": "Q", "YS": "Y"}


_METRIC_UNITS = {"tts_days": "days", "ttr_days": "days", "stockout_days": "days", "fill_rate": "share",
                 "vehicles_planned": "vehicles", "vehicles_lost": "vehicles", "vehicles_lost_pct": "%",
                 "peak_shortfall_t_per_day": "t magnet/day"}
_METRIC_COLUMNS = ("automaker", "name", "region", "first_stockout", "tts_days", "ttr_days", "stockouts",
                   "stockout_days", "fill_rate", "vehicles_planned", "vehicles_lost", "vehicles_lost_pct",
                   "peak_shortfall_t_per_day")


@functools.lru_cache(maxsize=64)
def _periods(start: dt.date, end: dt.date, origin: dt.date, t_start: float,
             alias: str) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Start of each reporting period and the period boundaries in simulation days (read-only).

    Cached: every replication of a scenario has the same periods, and pandas' period
    arithmetic costs about a millisecond.
    """
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    starts = pd.period_range(lo, pd.Timestamp(end), freq=alias).start_time
    # a shipment counts in the period of its departure
    t_hi = float((pd.Timestamp(hi) - pd.Timestamp(origin)) / pd.Timedelta(days=1))
    edges = np.append((starts - pd.Timestamp(origin)) / pd.Timedelta(days=1), t_hi)
    edges[0] = t_start
    edges.flags.writeable = False
    return starts, edges


def _units(df: pd.DataFrame, **units: str) -> pd.DataFrame:
    df.attrs["units"] = units
    return df


class SimulationResult:
    """One replication: the scenario, its seed, the ledger and tables derived from it.

    Tables: :meth:`shortfall`, :meth:`stockouts`, :meth:`metrics`, :meth:`exports`,
    :meth:`licences`, :meth:`balance`, :meth:`stock_levels`, :meth:`shipments`,
    :meth:`sectors`, :meth:`disruptions`, :meth:`control_rules`.
    """

    def __init__(self, scenario: Scenario, seed: int | None, seed_seq: np.random.SeedSequence,
                 realized: dict[str, Any], model: Model, elapsed_s: float) -> None:
        self.scenario = scenario
        self.seed = seed
        self.seed_entropy = seed_seq.entropy
        self.seed_spawn_key = tuple(seed_seq.spawn_key)
        self.parameters = realized
        self.ledger = model.ledger
        self.origin: dt.date = model.sim.origin
        self.start: dt.date = model.start
        self.end: dt.date = model.end
        self.until: float = model.until
        self.t_start = float((self.start - self.origin).days)
        self.events = model.sim.events
        self.elapsed_s = elapsed_s
        self._automakers = [
            {"index": a.index, "automaker": a.id, "name": a.name, "region": a.region, "country": a.country,
             "grades": list(a.grades), "demand_t_per_day": list(a.demand), "vehicles_per_day": sum(a.vpd),
             "t_per_vehicle": [sum(r) for r in a.tpv], "vpd": list(a.vpd)}
            for a in model.automakers
        ]
        self._sectors = [{"sector": s.id, "name": s.name, "country": s.country} for s in model.sectors]

    # -- helpers -------------------------------------------------------------------------
    def date(self, t: Any) -> Any:
        """Simulation time (days, float or array) -> pandas Timestamp(s)."""
        base = pd.Timestamp(self.origin)
        if np.ndim(t) == 0:
            return pd.NaT if not math.isfinite(t) else base + pd.Timedelta(days=float(t))
        arr = np.asarray(t, dtype=float)
        return pd.DatetimeIndex(base + pd.to_timedelta(arr, unit="D"))

    def t(self, day: Any) -> float:
        return float((pd.Timestamp(day) - pd.Timestamp(self.origin)) / pd.Timedelta(days=1))

    @property
    def automakers(self) -> list[str]:
        """Automaker ids in scenario order."""
        return [a["automaker"] for a in self._automakers]

    @cached_property
    def _segments(self) -> dict[int, dict[str, np.ndarray]]:
        """Each automaker's segments as arrays t, lost, unmet (stocks: :attr:`_segment_stocks`).

        Views of the ledger's per-automaker segment arrays: no conversion.
        """
        return {idx: {"t": a[:, 0], "lost": a[:, -2], "unmet": a[:, -1]}
                for idx, (_g, a) in self.ledger.segment_arrays().items()}

    @cached_property
    def _segment_stocks(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Each automaker's stock and consumption rate per grade (segment, grade); only stock levels need them."""
        return {idx: (a[:, 1:1 + g], a[:, 1 + g:1 + 2 * g])
                for idx, (g, a) in self.ledger.segment_arrays().items()}

    def _day_bounds(self) -> np.ndarray:
        return np.arange(self.t_start, self.until + 0.5, 1.0)

    def _dates(self) -> np.ndarray:
        """The reported days (datetime64), as in :meth:`shortfall`."""
        return self.date(self._day_bounds()[:-1]).to_numpy()

    @cached_property
    def _daily(self) -> tuple[np.ndarray, np.ndarray]:
        """Vehicles lost and magnet demand unmet (t) per automaker (row, scenario order) and reported day.

        Shared by :meth:`shortfall`, :meth:`metrics` and the ensemble record, so the
        numbers have one code path and are computed once per result.
        """
        b = self._day_bounds()
        lost = np.empty((len(self._automakers), max(len(b) - 1, 0)))
        unmet = np.empty_like(lost)
        for i, a in enumerate(self._automakers):
            seg = self._segments[a["index"]]
            t = seg["t"]
            # integral of each piecewise-constant rate from time 0 to every day bound, differenced
            k = np.clip(np.searchsorted(t, b, side="right") - 1, 0, len(t) - 1)
            dt, since = np.diff(t), b - t[k]
            for out, key in ((lost, "lost"), (unmet, "unmet")):
                rate = seg[key]
                cum = np.concatenate([[0.0], np.cumsum(rate[:-1] * dt)])
                out[i] = np.diff(cum[k] + rate[k] * since)
        return lost, unmet

    def _cum_lost(self, planned: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """Cumulative vehicles lost (and planned) per automaker and reported day.

        A pandas grouped cumsum, like :meth:`shortfall` with other frequencies: it
        compensates rounding (Kahan), so a plain ``numpy.cumsum`` would differ in the last bits.
        """
        lost = self._daily[0]
        na, nd = lost.shape
        codes = np.repeat(np.arange(na), nd)
        cum = pd.Series(lost.ravel()).groupby(codes, sort=False).cumsum().to_numpy().reshape(na, nd)
        if not planned:
            return cum, None
        vpd = np.repeat(np.array([a["vehicles_per_day"] for a in self._automakers]), nd)
        return cum, pd.Series(vpd).groupby(codes, sort=False).cumsum().to_numpy().reshape(na, nd)

    # -- automaker tables ---------------------------------------------------------------
    def shortfall(self, freq: str = "D") -> pd.DataFrame:
        """Magnet demand not met and vehicles lost, per automaker and period.

        Parameters
        ----------
        freq : str
            A pandas frequency (``"D"``, ``"W"``, ``"MS"``...).

        Returns
        -------
        DataFrame
            date, automaker, demand_t, unmet_t, delivered_t, vehicles_planned,
            vehicles_lost, cum_vehicles_lost, cum_vehicles_lost_pct.
        """
        lost, unmet = self._daily
        na, nd = lost.shape
        ams = self._automakers
        dates = self._dates()
        # One block of days per automaker, in scenario order; built from whole columns
        # (a frame per automaker and a concat cost more than the numbers).
        demand = np.repeat(np.array([sum(a["demand_t_per_day"]) for a in ams]), nd)
        unmet_t = unmet.ravel()
        df = pd.DataFrame({"date": np.tile(dates, na),
                           "automaker": np.repeat(np.array([a["automaker"] for a in ams], dtype=object), nd),
                           "demand_t": demand, "unmet_t": unmet_t, "delivered_t": demand - unmet_t,
                           "vehicles_planned": np.repeat(np.array([a["vehicles_per_day"] for a in ams]), nd),
                           "vehicles_lost": lost.ravel()})
        if freq == "D":
            cum, cum_planned = self._cum_lost(planned=True)
            df["cum_vehicles_lost"] = cum.ravel()
            with np.errstate(divide="ignore", invalid="ignore"):  # no plan: NaN, as pandas gives
                df["cum_vehicles_lost_pct"] = 100.0 * cum.ravel() / cum_planned.ravel()  # type: ignore[union-attr]
        else:
            df = (df.groupby(["automaker", pd.Grouper(key="date", freq=freq)], sort=False)
                  .sum(numeric_only=True).reset_index()[["date", "automaker", "demand_t", "unmet_t",
                                                         "delivered_t", "vehicles_planned", "vehicles_lost"]])
            g = df.groupby("automaker", sort=False)
            df["cum_vehicles_lost"] = g["vehicles_lost"].cumsum()
            df["cum_vehicles_lost_pct"] = 100.0 * df["cum_vehicles_lost"] / g["vehicles_planned"].cumsum()
        return _units(df, demand_t="t magnet", unmet_t="t magnet", delivered_t="t magnet",
                      vehicles_planned="vehicles", vehicles_lost="vehicles", cum_vehicles_lost="vehicles",
                      cum_vehicles_lost_pct="% of planned output since start")

    def stock_levels(self, freq: str = "D") -> pd.DataFrame:
        """Each automaker's stock per grade at the start of each period (t and days of cover)."""
        b = self._day_bounds()[:-1]
        rows = []
        for a in self._automakers:
            seg = self._segments[a["index"]]
            stock, cons = self._segment_stocks[a["index"]]
            k = np.clip(np.searchsorted(seg["t"], b, side="right") - 1, 0, len(seg["t"]) - 1)
            for j, g in enumerate(a["grades"]):
                s = np.maximum(stock[k, j] - cons[k, j] * (b - seg["t"][k]), 0.0)
                d = a["demand_t_per_day"][j]
                rows.append(pd.DataFrame({"date": self.date(b), "automaker": a["automaker"], "grade": g,
                                          "stock_t": s, "cover_days": s / d if d > 0 else np.nan}))
        df = pd.concat(rows, ignore_index=True)
        if freq != "D":
            df = (df.groupby(["automaker", "grade", pd.Grouper(key="date", freq=freq)], sort=False)
                  .first().reset_index()[["date", "automaker", "grade", "stock_t", "cover_days"]])
        return _units(df, stock_t="t magnet", cover_days="days of full-production use")

    @cached_property
    def _stockout_spans(self) -> dict[int, list[tuple[float, float, float, float]]]:
        """Stockouts per automaker index as (start, end, vehicles_lost, unmet_t), in days."""
        return {a["index"]: self._find_intervals(a["index"]) for a in self._automakers}

    def _intervals(self, index: int) -> list[tuple[float, float, float, float]]:
        """Stockouts of one automaker as (start, end, vehicles_lost, unmet_t), in days."""
        return list(self._stockout_spans[index])

    def _find_intervals(self, index: int) -> list[tuple[float, float, float, float]]:
        seg = self._segments[index]
        t = np.append(seg["t"], self.until).tolist()
        lost, unmet = seg["lost"].tolist(), seg["unmet"].tolist()
        out: list[list[float]] = []
        # Only segments losing output (or NaN) can open or extend a stockout; the others
        # were skipped one by one before, so visiting just these gives the same intervals.
        for k in np.flatnonzero(~(seg["lost"] <= 0.0)).tolist():
            a, b = t[k], t[k + 1]
            if b <= a:
                continue
            lo, hi = max(a, self.t_start), b
            if hi <= lo:
                continue
            if out and abs(out[-1][1] - lo) < 1e-9:
                out[-1][1] = hi
                out[-1][2] += lost[k] * (hi - lo)
                out[-1][3] += unmet[k] * (hi - lo)
            else:
                out.append([lo, hi, lost[k] * (hi - lo), unmet[k] * (hi - lo)])
        return [(a, (math.inf if b >= self.until - 1e-9 else b), v, u) for a, b, v, u in out]

    def stockouts(self) -> pd.DataFrame:
        """Stockout timeline: every interval [start, end) in which an automaker loses output.

        ``end`` is NaT (and ``ongoing`` True) when the stockout lasts to the end of the run.
        """
        rows = []
        for a in self._automakers:
            for s, e, v, u in self._intervals(a["index"]):
                rows.append({"automaker": a["automaker"], "name": a["name"], "start": self.date(s),
                             "end": self.date(e), "ongoing": math.isinf(e),
                             "duration_days": (min(e, self.until) - s), "vehicles_lost": v, "unmet_t": u})
        cols = ["automaker", "name", "start", "end", "ongoing", "duration_days", "vehicles_lost", "unmet_t"]
        df = pd.DataFrame(rows, columns=cols)
        df["start"] = pd.to_datetime(df["start"])
        df["end"] = pd.to_datetime(df["end"])
        return _units(df, duration_days="days", vehicles_lost="vehicles", unmet_t="t magnet")

    def disruptions(self) -> pd.DataFrame:
        """The scenario's disruption windows (id, name, start, end)."""
        rows = [{"id": w["id"], "name": w["name"] or w["id"], "start": pd.Timestamp(w["start"]),
                 "end": pd.Timestamp(w["end"])} for w in self.parameters["disruptions"]]
        return pd.DataFrame(rows, columns=["id", "name", "start", "end"])

    def _metric_columns(self) -> dict[str, Any]:
        """The columns of :meth:`metrics` (lists, first_stockout as datetime64[ns]); also the ensemble record's."""
        windows = self.parameters["disruptions"]
        w = windows[0] if windows else None
        ds, de = (self.t(w["start"]), self.t(w["end"])) if w is not None else (math.nan, math.nan)
        lost_all, unmet_all = self._daily
        cols: dict[str, list[Any]] = {c: [] for c in _METRIC_COLUMNS}
        for i, a in enumerate(self._automakers):
            spans = [(s, e) for s, e, _, _ in self._stockout_spans[a["index"]]]
            lost, unmet = lost_all[i], unmet_all[i]
            days = len(lost)
            planned_t = sum(a["demand_t_per_day"]) * days
            planned_v = a["vehicles_per_day"] * days
            if w is not None:
                tts, ttr = time_to_survive(spans, ds), time_to_recover(spans, ds, de)
            else:
                tts = ttr = float("nan")
            lost_sum = float(lost.sum())
            for c, v in (
                ("automaker", a["automaker"]), ("name", a["name"]), ("region", a["region"]),
                ("first_stockout", self.date(spans[0][0]) if spans else pd.NaT),
                ("tts_days", tts), ("ttr_days", ttr),
                ("stockouts", len(spans)),
                ("stockout_days", float(sum(min(e, self.until) - s for s, e in spans))),
                ("fill_rate", 1.0 - float(unmet.sum()) / planned_t if planned_t > 0 else float("nan")),
                ("vehicles_planned", planned_v),
                ("vehicles_lost", lost_sum),
                ("vehicles_lost_pct", 100.0 * lost_sum / planned_v if planned_v > 0 else float("nan")),
                ("peak_shortfall_t_per_day", float(unmet.max()) if days else 0.0),
            ):
                cols[c].append(v)
        out: dict[str, Any] = dict(cols)
        out["first_stockout"] = pd.to_datetime(pd.Series(cols["first_stockout"], dtype=object)).to_numpy(
            dtype="datetime64[ns]")
        return out

    def metrics(self) -> pd.DataFrame:
        """Per automaker: first stockout, TTS, TTR, fill rate, vehicles lost, peak shortfall.

        TTS and TTR are measured against the scenario's first disruption window (NaN
        when it has none); ``inf`` means no stockout (TTS) or not recovered by the end (TTR).
        """
        df = pd.DataFrame(self._metric_columns())
        df.attrs["units"] = dict(_METRIC_UNITS)
        return df

    # -- trade and licences --------------------------------------------------------------
    def shipments(self) -> pd.DataFrame:
        """Every consignment with its dates (NaT where not reached) and status."""
        rows = [(s.id, s.product, s.qty, s.origin, s.origin_country, s.customer.id, s.dest_country,
                 s.t_ready, s.t_released, s.t_departed, s.t_arrived, s.status, s.attempts, s.licence)
                for s in self.ledger.shipments]
        df = pd.DataFrame(rows, columns=["shipment", "product", "quantity_t", "origin", "origin_country",
                                         "customer", "destination", "ready", "released", "departed",
                                         "arrived", "status", "attempts", "licence"])
        for c in ("ready", "released", "departed", "arrived"):
            df[c] = self.date(df[c].to_numpy(dtype=float))
        return _units(df, quantity_t="t")

    def _exports_grid(self, freq: str, origin: str | None) -> tuple[pd.DatetimeIndex, list[tuple[str, str, str]],
                                                                      np.ndarray]:
        """Period starts, routes (origin, destination, product; sorted) and tonnes (period, route).

        The numbers of :meth:`exports`, also used by the ensemble record without a DataFrame.
        """
        alias = _PERIODS.get(freq)
        if alias is None:
            raise ValueError(f"freq {freq!r} is not supported; allowed: {', '.join(_PERIODS)}")
        starts, edges = _periods(self.start, self.end, self.origin, self.t_start, alias)
        n_periods = len(starts)
        # A departure is the flow of a consignment onto its lane, so exports are the
        # ledger's flows onto cross-border lanes: whole-array work, no pass over shipments.
        t, _src, dst, mat, q = self.ledger._columns()
        ids, names = self.ledger._ids, self.ledger._names
        lanes = [(ids[node], o, d) for node, (o, d) in self.ledger.lanes.items()
                 if o != d and (origin is None or o == origin) and node in ids]
        lane_of = np.full(len(names) + 1, -1, dtype=np.int64)
        for k, (nid, _o, _d) in enumerate(lanes):
            lane_of[nid] = k
        which = lane_of[dst]
        pick = np.flatnonzero((which >= 0) & (edges[0] <= t) & (t < edges[-1]))
        which, m = which[pick], mat[pick]
        # routes: (lane, product) pairs, named (origin, destination, product), sorted by name below
        pair, at = np.unique(which * (len(names) + 1) + m, return_inverse=True)
        keys = [(lanes[k // (len(names) + 1)][1], lanes[k // (len(names) + 1)][2], names[k % (len(names) + 1)])
                for k in pair.tolist()]
        p = np.searchsorted(edges, t[pick], side="right") - 1
        grid = np.bincount(p * len(keys) + at.ravel(), weights=q[pick],
                           minlength=n_periods * len(keys)).reshape(n_periods, len(keys))
        order = sorted(range(len(keys)), key=keys.__getitem__)
        return starts, [keys[j] for j in order], grid[:, order]

    def exports(self, freq: str = "MS", origin: str | None = "China") -> pd.DataFrame:
        """Cross-border shipments by departure period, origin, destination and product (t).

        Comparable with customs data: a shipment counts when it departs (after its
        licence and customs). Periods with no shipment on a route show 0.
        """
        starts, order, grid = self._exports_grid(freq, origin)
        n = len(starts)
        df = pd.DataFrame({
            "period": np.repeat(starts, len(order)),
            "origin": [r[0] for r in order] * n,
            "destination": [r[1] for r in order] * n,
            "product": [r[2] for r in order] * n,
            "quantity_t": grid.ravel() if order else np.zeros(0),
        })
        return _units(df, quantity_t="t")

    def licences(self) -> pd.DataFrame:
        """Every licence application: submitted, review start, decision, outcome."""
        cols = ["shipment", "attempt", "product", "origin", "customer", "destination", "quantity_t",
                "submitted", "review_started", "decided", "review_working_days", "outcome"]
        df = pd.DataFrame(self.ledger.applications, columns=cols)
        df["wait_days"] = df["review_started"] - df["submitted"]
        df["days_to_decision"] = df["decided"] - df["submitted"]
        for c in ("submitted", "review_started", "decided"):
            df[c] = self.date(df[c].to_numpy(dtype=float))
        df = df.sort_values(["submitted", "shipment"], kind="stable").reset_index(drop=True)
        return _units(df, quantity_t="t", review_working_days="working days", wait_days="days",
                      days_to_decision="days")

    def sectors(self) -> pd.DataFrame:
        """Other sectors: ordered, received and cancelled tonnes per record."""
        df = pd.DataFrame(self.ledger.sector_records, columns=["sector", "t", "product", "quantity_t", "kind"])
        df.insert(1, "date", self.date(df["t"].to_numpy(dtype=float)))
        return _units(df.drop(columns="t"), quantity_t="t")

    def balance(self) -> pd.DataFrame:
        """Mass balance per stage, node and material over the whole run (t).

        ``residual_t = inflow_t - outflow_t - stock_end_t``; every node starts empty
        (opening stocks are inflows), so the residual must be ~0 (checked after
        each run at a relative 1e-9).
        """
        return _units(self.ledger.balance(), inflow_t="t", outflow_t="t", stock_end_t="t", residual_t="t",
                      relative_residual="share")

    def control_rules(self) -> pd.DataFrame:
        """The scenario's export-control rules with their dates (for plots and reports)."""
        rows = [{"name": r["name"], "start": pd.Timestamp(r["start"]),
                 "end": pd.Timestamp(r["end"]) if r["end"] else pd.NaT,
                 "products": ", ".join(r["products"]), "destinations": ", ".join(r["destinations"]),
                 "regime": r["regime"]} for r in self.parameters["export_controls"]["rules"]]
        return pd.DataFrame(rows, columns=["name", "start", "end", "products", "destinations", "regime"])

    def summary(self) -> str:
        """A short per-automaker text summary (what the CLI prints)."""
        m = self.metrics()
        lines = [f"{self.scenario.name} (seed {self.seed}): {self.start} .. {self.end}, "
                 f"{self.events} events in {self.elapsed_s * 1000:.0f} ms"]
        lines.append(f"{'automaker':<22}{'first stockout':>15}{'TTS d':>8}{'TTR d':>8}{'fill':>7}{'vehicles lost':>15}")
        for r in m.itertuples():
            fs = r.first_stockout.date().isoformat() if not pd.isna(r.first_stockout) else "-"
            lines.append(f"{r.name[:21]:<22}{fs:>15}{r.tts_days:>8.0f}{r.ttr_days:>8.0f}"
                         f"{r.fill_rate:>7.1%}{r.vehicles_lost:>15,.0f}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from .report import summary_html

        return summary_html(self)

    def __repr__(self) -> str:
        m = self.metrics()
        hit = int((m["stockouts"] > 0).sum())
        return (f"<SimulationResult {self.scenario.name!r} seed={self.seed} {self.start}..{self.end}: "
                f"{hit}/{len(m)} automakers stock out, {m['vehicles_lost'].sum():,.0f} vehicles lost>")
