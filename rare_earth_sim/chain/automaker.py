"""Automakers: magnet stock drawn down continuously, reviewed periodically, stockouts scheduled.

Between events an automaker's stocks fall linearly at its consumption rates, so nothing
needs to wake up daily: the stock is brought up to date only when an event touches it,
and the time the first grade reaches zero is computed and scheduled. A version counter
makes a wake-up stale (and harmless) once an earlier one has been scheduled.

A vehicle of powertrain *p* needs ``kg[p][g]`` of every grade *g*; while any grade it
needs is out, that powertrain's line stops and its vehicles are lost (vehicles lost =
unmet magnet demand / kg per vehicle). Lines that can run keep drawing stock.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Sim

__all__ = ["Automaker"]

_EPS = 1e-12
_INF = float("inf")


class Automaker:
    """An automaker (or its production in one region).

    Parameters
    ----------
    spec : dict
        A realised ``[[demand.automakers]]`` entry.
    kg : dict
        powertrain -> grade -> kg of magnet per vehicle.
    suppliers : list of (MagnetPlant, share)
    index : int
        Position in the scenario (used in the ledger's segment records).

    Notes
    -----
    Order-up-to policy with periodic review ``R`` (days) and expected lead time ``L``:
    at each review, per grade, order ``S - (on hand + on order)`` with
    ``S = d (stock_days + L + R/2)``, so that the average stock on hand is about
    ``stock_days`` of full-production use ``d`` when supply keeps its lead time.
    """

    stage = "automaker"

    def __init__(self, sim: Sim, spec: dict[str, Any], kg: dict[str, dict[str, float]],
                 suppliers: list[tuple[Any, float]], index: int) -> None:
        self.sim, self.id, self.index = sim, spec["id"], index
        self.name = spec["name"] or spec["id"]
        self.region, self.country = spec["region"], spec["country"]
        self.priority = spec["priority"]
        self.suppliers = suppliers
        self.review_days = spec["review_days"]
        self.lead = spec["lead_time_days"]
        self.stock_days = spec["stock_days"]
        vpy = spec["vehicles_per_year"]
        self.powertrains = [p for p in vpy if vpy[p] > 0.0]
        self.vpd = [vpy[p] / 365.0 for p in self.powertrains]  # vehicles/day
        grades = sorted({g for p in self.powertrains for g, k in kg[p].items() if k > 0.0})
        self.grades = grades
        # t of each grade per vehicle of each powertrain
        self.tpv = [[kg[p].get(g, 0.0) / 1000.0 for g in grades] for p in self.powertrains]
        self.n_grades = len(grades)
        self.demand = [sum(v * row[j] for v, row in zip(self.vpd, self.tpv, strict=True))
                       for j in range(len(grades))]  # t/day at full production
        self._eps = [_EPS * (1.0 + d) for d in self.demand]  # below this a grade counts as out
        self.needs = [[j for j, k in enumerate(row) if k > 0.0] for row in self.tpv]
        self.tpv_total = [sum(row) for row in self.tpv]
        self.vehicles_per_day = sum(self.vpd)
        self.target = [d * (self.stock_days + self.lead + self.review_days / 2.0) for d in self.demand]
        self.stock = [d * (self.stock_days + self.lead) for d in self.demand]
        self.on_order = [0.0] * len(grades)
        self.cons: list[float] = [0.0] * len(grades)  # consumption now (t/day); never mutated
        self.t_u = 0.0
        self.version = 0
        self.t_zero = self.t_wake = _INF  # next stock-out (days); time of the pending wake-up
        self.node = sim.ledger.node(f"automaker:{self.id}", self.stage,
                                    lambda: {f"magnet_{g}": s for g, s in zip(self.grades, self.stock, strict=True)})
        for g, s in zip(grades, self.stock, strict=True):
            sim.ledger.flow(0.0, "opening", self.node, f"magnet_{g}", s)
        led = sim.ledger
        self._nid, self._sink = led.id(self.node), led.id("consumed")
        self._mats = [led.id(f"magnet_{g}") for g in grades]
        self._grade_index = {f"magnet_{g}": j for j, g in enumerate(grades)}
        # Production plans (consumption per grade, built, lost, unmet) per out-of-stock
        # pattern; plan 0 is full production. A segment logs its plan's number, not the plan.
        self._plans: dict[tuple[bool, ...], tuple[float, list[float]]] = {}
        self._plan_rows: list[tuple[float, ...]] = [(*self.demand, self.vehicles_per_day, 0.0, 0.0)]
        self._log = led.segment_log(index, len(grades), self._plan_rows)
        self._recompute(0.0)

    # -- continuous state -----------------------------------------------------------------
    def _update(self, t: float) -> None:
        # Stocks fall at the consumption rates since the last update (never below zero).
        # What was consumed is not booked here: close() books it day by day from the log.
        # (Index loops over typed lists: compiled, these run as C loops over doubles.)
        dt = t - self.t_u
        if dt > 0.0:
            stock, cons = self.stock, self.cons
            for j in range(self.n_grades):
                c = cons[j]
                if c > 0.0:
                    q = c * dt
                    s = stock[j]
                    stock[j] = s - q if q < s else 0.0
        self.t_u = t

    def _recompute(self, t: float) -> None:
        stock, demand, eps = self.stock, self.demand, self._eps
        # The usual case, every grade in stock so every line runs: consumption is the full
        # demand and the next zero is the first grade to run out at that rate.
        tz = _INF
        for j in range(self.n_grades):
            s = stock[j]
            if s <= eps[j]:
                self._recompute_short(t)
                return
            x = s / demand[j]
            if x < tz:
                tz = x
        self.cons = demand
        log = self._log
        log.append(t)
        log.extend(stock)
        log.append(0.0)
        self.t_zero = t + tz
        if self.t_zero < self.t_wake:
            self._schedule(t, tz)

    def _recompute_short(self, t: float) -> None:
        """Some grade is out: stop the lines that need it, keep the others drawing stock."""
        out = tuple([s <= e for s, e in zip(self.stock, self._eps, strict=True)])
        plan = self._plans.get(out)
        if plan is None:
            row = self._plan(out)
            plan = self._plans[out] = (float(len(self._plan_rows)), list(row[0]))
            self._plan_rows.append((*row[0], *row[1:]))
        number, cons = plan
        self.cons = cons
        log = self._log
        log.append(t)
        log.extend(self.stock)
        log.append(number)
        tz = min((s / c for s, c in zip(self.stock, cons, strict=True) if c > 0.0), default=_INF)
        self.t_zero = t + tz
        if self.t_zero < self.t_wake:
            self._schedule(t, tz)

    def _plan(self, out: tuple[bool, ...]) -> tuple[tuple[float, ...], float, float, float]:
        """Consumption per grade (t/day) and vehicles built, lost, and unmet magnet demand
        (t/day) while the grades flagged in ``out`` are out of stock (one plan per pattern)."""
        cons = [0.0] * len(self.grades)
        built = lost = unmet = 0.0
        for v, row, needs, tot in zip(self.vpd, self.tpv, self.needs, self.tpv_total, strict=True):
            if any(out[j] for j in needs):
                lost += v
                unmet += v * tot
            else:
                built += v
                for j in needs:
                    cons[j] += v * row[j]
        return tuple(cons), built, lost, unmet

    def _schedule(self, t: float, tz: float) -> None:
        # One wake-up is pending at most. A delivery only moves the zero later: the pending
        # wake-up then finds itself early and sleeps again (lazily), so deliveries do not
        # each leave a stale event behind. Only an earlier zero needs a new event.
        self.t_wake = self.t_zero
        self.version += 1
        self.sim.after(tz, self._wake, self.version)

    def _wake(self, version: int) -> None:
        if version != self.version:
            return  # superseded by an earlier wake-up
        t = self.sim.env.now
        if self.t_zero > t + 1e-9:
            self.t_wake = self.t_zero
            if self.t_zero < _INF:
                self.sim.after(self.t_zero - t, self._wake, version)
            return
        self.t_wake = _INF
        self._update(t)
        # What is left is below what the clock can resolve at this time: it is used up now.
        # (Without this, a residue of ~1e-12 t could re-schedule a zero-delay wake-up forever.)
        for j, c in enumerate(self.cons):
            if c > 0.0 and 0.0 < self.stock[j] <= c * 1e-9 * (1.0 + t):
                self.stock[j] = 0.0
        self._recompute(t)

    # -- events -----------------------------------------------------------------------------
    def receive(self, t: float, product: str, qty: float) -> None:
        """A shipment of ``qty`` t of ``product`` arrives now (``t``, days)."""
        j = self._grade_index[product]
        self._update(t)
        self.stock[j] += qty
        self.on_order[j] -= qty
        self._recompute(t)

    def cancel(self, product: str, qty: float) -> None:
        """A shipment on order will never come (licence refused for good)."""
        self.on_order[self._grade_index[product]] -= qty

    def review(self, t: float) -> None:
        """Periodic review: order up to the target inventory position, per grade."""
        self._update(t)
        for j, g in enumerate(self.grades):
            q = self.target[j] - self.stock[j] - self.on_order[j]
            if q <= 1e-9:
                continue
            self.on_order[j] += q
            for plant, share in self.suppliers:
                plant.order(self, g, q * share, self.priority, t)

    def close(self, t: float) -> None:
        """Bring stocks up to the end of the run (``t``) and book what was consumed.

        Consumption is booked once, from the segment log, day by day: in each segment a
        grade is used at its rate until the segment ends or the grade runs out (all of it
        when the next segment finds it at zero: a stockout, or a residue the clock cannot
        resolve). What falls in day ``[d, d + 1)`` is booked at ``d``, so totals over whole
        days (any reporting period) are exact; the sum equals the stock drawn down between
        events (to rounding), which the mass balance checks against the running stock.
        """
        self._update(t)
        g = len(self.grades)
        if g == 0:  # makes nothing that needs magnets (e.g. no production in this variant)
            return
        log = self.sim.ledger.final_segments(self.index)
        t0, stock, cons = log[:, 0], log[:, 1:1 + g], log[:, 1 + g:1 + 2 * g]
        t1 = np.append(t0[1:], t)
        after = np.vstack([stock[1:], np.asarray(self.stock, dtype=float)[None, :]])
        used = np.where(after == 0.0, stock, np.minimum(cons * (t1 - t0)[:, None], stock))
        edges = np.append(np.arange(np.floor(t0[0]), t), t)  # day starts, then the end
        times, mats, qty = [], [], []
        for j in range(g):
            # cumulative use: rises at the rate from each segment's start until its use is done
            with np.errstate(divide="ignore", invalid="ignore"):
                done = np.where(cons[:, j] > 0.0, t0 + used[:, j] / cons[:, j], t0)
            done = np.clip(done, t0, t1)
            cum = np.concatenate([[0.0], np.cumsum(used[:, j])])
            x = np.column_stack([t0, done]).ravel()
            y = np.column_stack([cum[:-1], cum[1:]]).ravel()
            daily = np.diff(np.interp(edges, x, y))
            day = np.flatnonzero(daily > 0.0)
            times.append(edges[day])
            mats.append(np.full(len(day), float(self._mats[j])))
            qty.append(daily[day])
        # through sim.ledger, not a bound method kept on self: that would tie the ledger
        # into the components' reference cycles after the run
        self.sim.ledger.put_many(np.concatenate(times), self._nid, self._sink, np.concatenate(mats),
                                 np.concatenate(qty))
