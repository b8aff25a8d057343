"""China's mining and smelting quotas: dated batches, paced over the year.

Chinese producers work at an expected (provisional) annual pace while the allowance issued
so far lasts, and speed up to use what is left by the year's end: the allowed rate is the
larger of the provisional rate and (issued - used) / days left, never more than is left.
Before the year's first batch they run at the provisional rate (2025: the first batch came
in June and was kept secret, yet mines kept working); what they produce counts against the
year. A late batch therefore stops producers once the earlier allowance is used up.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from .base import Sim

__all__ = ["QuotaSchedule", "Batch"]


@dataclass
class Batch:
    id: str
    year: int
    t_issued: float
    mining_t: float
    rock_share: float
    smelting_t: float
    disclosed: bool


@dataclass
class _Year:
    issued: dict[str, float] = field(default_factory=lambda: {"rock": 0.0, "ionic": 0.0, "smelting": 0.0})
    used: dict[str, float] = field(default_factory=lambda: {"rock": 0.0, "ionic": 0.0, "smelting": 0.0})
    any_issued: bool = False


class QuotaSchedule:
    """Allowances per calendar year and kind (``rock``, ``ionic`` mining; ``smelting``).

    Parameters
    ----------
    sim : Sim
    spec : dict
        The realised ``[quota]`` table (batches with sampled amounts and delays).
    provisional_share : dict
        Share of the provisional mining rate per kind (by quota-mine capacity).
    """

    def __init__(self, sim: Sim, spec: dict[str, Any], provisional_share: dict[str, float]) -> None:
        self.sim = sim
        self.provisional = {
            "rock": spec["provisional_t_per_year"] * provisional_share.get("rock", 0.0),
            "ionic": spec["provisional_t_per_year"] * provisional_share.get("ionic", 0.0),
            "smelting": spec["provisional_smelting_t_per_year"],
        }
        self.years: dict[int, _Year] = {}
        # simulation day of 1 January of each year from the origin's on (grown on demand)
        self._first_year = sim.origin.year
        self._year_starts = [sim.t(dt.date(sim.origin.year, 1, 1))]
        self.batches = [
            Batch(b["id"], b["year"], sim.t(b["issued"]) + b["delay_days"], b["mining_t"],
                  b["rock_share"], b["smelting_t"], b["disclosed"])
            for b in spec["batches"]
        ]
        for b in self.batches:
            sim.at(b.t_issued, self._issue, b)

    def _year(self, year: int) -> _Year:
        y = self.years.get(year)
        if y is None:
            y = self.years[year] = _Year()
        return y

    def _issue(self, b: Batch) -> None:
        y = self._year(b.year)
        y.issued["rock"] += b.mining_t * b.rock_share
        y.issued["ionic"] += b.mining_t * (1.0 - b.rock_share)
        y.issued["smelting"] += b.smelting_t
        y.any_issued = True
        self.sim.ledger.quota_events.append(
            (self.sim.env.now, b.id, b.year, b.mining_t, b.rock_share, b.smelting_t, b.disclosed))

    def _calendar_year(self, t: float) -> int:
        """The calendar year of simulation time ``t`` (days), by bisection on year starts."""
        if t < self._year_starts[0]:  # before the origin's year: never in a run, but be right
            return (self.sim.origin + dt.timedelta(days=math.floor(t))).year
        while t >= self._year_starts[-1]:  # extend the table as the run goes on
            self._year_starts.append(self.sim.t(dt.date(self._first_year + len(self._year_starts), 1, 1)))
        return self._first_year + bisect_right(self._year_starts, t) - 1

    def allowance(self, kind: str, t: float, dt_days: float) -> float:
        """Tonnes of REO that ``kind`` may use in ``[t, t + dt_days)`` (paced)."""
        year = self._calendar_year(t)
        y = self._year(year)
        if not y.any_issued:
            return self.provisional[kind] * dt_days / 365.0
        end_of_year = self._year_starts[year + 1 - self._first_year]  # exists: _calendar_year grew the table
        left = max(end_of_year - t, dt_days)
        remaining = max(y.issued[kind] - y.used[kind], 0.0)
        # Producers keep their expected (provisional) pace while the issued allowance
        # lasts, and speed up to use what is left by the year's end.
        pace = max(self.provisional[kind] * dt_days / 365.0, remaining * min(dt_days / left, 1.0))
        return min(remaining, pace)

    def use(self, kind: str, t: float, qty: float) -> None:
        """Count ``qty`` t against the allowance of the year containing ``t``."""
        self._year(self._calendar_year(t)).used[kind] += qty
