"""Mines: produce concentrate (t REO) in campaigns, limited by capacity, outages and quota."""

from __future__ import annotations

from typing import Any

from .base import Sim
from .ore_trade import OreLane
from .quota import QuotaSchedule

__all__ = ["Mine"]


class Mine:
    """A mine (or a country's mines) of one ore type.

    Every campaign (``simulation.campaign_days``) it mines ``capacity x days`` less
    outages, capped by its share of the quota allowance if it is quota-controlled, and
    sends the concentrate down its ore lane (or straight to its separation plant).

    Parameters
    ----------
    spec : dict
        A realised ``[[mines]]`` entry.
    quota : QuotaSchedule or None
    quota_share : float
        This mine's share of its quota kind's allowance (by capacity).
    """

    stage = "mining"

    def __init__(self, sim: Sim, spec: dict[str, Any], lane: OreLane, quota: QuotaSchedule | None,
                 quota_share: float) -> None:
        self.sim, self.id, self.ore = sim, spec["id"], spec["ore"]
        self.country = spec["country"]
        self.capacity = spec["capacity_t_per_year"] / 365.0  # t REO/day
        self.kind = spec["quota"]
        self.quota = quota if self.kind != "none" else None
        self.quota_share = quota_share
        self.outages = [(sim.t(o["start"]), sim.t(o["end"]), o["share"]) for o in spec["outages"]]
        self.lane = lane
        self.material = f"ore:{self.ore}"
        self.node = sim.ledger.node(f"mine:{self.id}", self.stage, lambda: {self.material: self.stock})
        self.stock = 0.0  # concentrate held at the mine (a cut lane strands it here)
        led = sim.ledger
        self._put, self._ground, self._nid, self._mat = led.put, led.id("ground"), led.id(self.node), led.id(self.material)
        self.mined = 0.0

    def available_share(self, t: float) -> float:
        share = 1.0
        for a, b, lost in self.outages:
            if a <= t < b:
                share -= lost
        return max(share, 0.0)

    def campaign(self, t: float, days: float) -> None:
        qty = self.capacity * days * self.available_share(t)
        if self.quota is not None:
            qty = min(qty, self.quota.allowance(self.kind, t, days) * self.quota_share)
            self.quota.use(self.kind, t, qty)
        if qty > 0.0:
            self._put([t, self._ground, self._nid, self._mat, qty])
        self.mined += qty
        self.stock += qty
        self.stock -= self.lane.send(t, self._nid, self.material, self._mat, self.stock)
