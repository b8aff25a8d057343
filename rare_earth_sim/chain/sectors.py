"""Other magnet-using sectors (wind, electronics, industry, ...) as aggregate demand.

A sector orders its demand every ``order_days`` from its suppliers and uses what it
receives at once; what it does not receive is its shortfall. It competes with the
automakers for plant capacity, oxide and licences.
"""

from __future__ import annotations

from typing import Any

from .base import Sim

__all__ = ["Sector"]


class Sector:
    """Aggregate demand of one sector in one country.

    Parameters
    ----------
    spec : dict
        A realised ``[[demand.sectors]]`` entry.
    suppliers : list of (MagnetPlant, share)
    """

    stage = "sector"

    def __init__(self, sim: Sim, spec: dict[str, Any], suppliers: list[tuple[Any, float]]) -> None:
        self.sim, self.id, self.country = sim, spec["id"], spec["country"]
        self.name = spec["name"] or spec["id"]
        self.priority = spec["priority"]
        self.rate = spec["demand_t_per_year"] / 365.0
        self.order_days = float(spec["order_days"])
        self.shares = {g: s for g, s in spec["grade_shares"].items() if s > 0.0}
        self.suppliers = suppliers
        led = sim.ledger
        self.node = led.node(f"sector:{self.id}", self.stage, lambda: {})
        self._put, self._nid, self._sink = led.put, led.id(self.node), led.id("consumed")
        self._mat = {f"magnet_{g}": led.id(f"magnet_{g}") for g in self.shares}
        self._records = led.sector_records
        self.ordered = self.received = self.cancelled = 0.0

    def order(self, t: float, days: float) -> None:
        for grade, share in self.shares.items():
            q = self.rate * days * share
            self.ordered += q
            self.sim.ledger.sector_records.append((self.id, t, f"magnet_{grade}", q, "ordered"))
            for plant, s in self.suppliers:
                plant.order(self, grade, q * s, self.priority, t)

    def receive(self, t: float, product: str, qty: float) -> None:
        self.received += qty
        self._put([t, self._nid, self._sink, self._mat[product], qty])
        self._records.append((self.id, t, product, qty, "received"))

    def cancel(self, product: str, qty: float) -> None:
        self.cancelled += qty
        self.sim.ledger.sector_records.append((self.id, self.sim.env.now, product, qty, "cancelled"))
