"""Ore trade lanes: concentrate from a mine to a separation plant, across a border or not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Sim

if TYPE_CHECKING:
    from .separation import SeparationPlant

__all__ = ["OreLane"]


class OreLane:
    """A lane with a transit-time distribution that can be cut on dated windows.

    A cut holds ``share_blocked`` of what is offered at the origin (it stays in the
    mine's stock). From ``under_quota_from`` the ore counts against China's smelting
    quota (the interim measures of 22 August 2025).

    Parameters
    ----------
    spec : dict or None
        A realised ``[[ore_lanes]]`` entry; None for a domestic hand-over.
    """

    stage = "ore_trade"

    def __init__(self, sim: Sim, spec: dict[str, Any] | None, to: SeparationPlant, domestic_days: Any,
                 name: str) -> None:
        self.sim, self.to = sim, to
        self.id = spec["id"] if spec else name
        self.imported = spec is not None
        dist = spec["transit_days"] if spec else domestic_days
        self.transit = sim.sampler(dist, f"ore_lane:{self.id}")
        self.cuts = [(sim.t(c["start"]), sim.t(c["end"]) if c["end"] else float("inf"), c["share_blocked"])
                     for c in (spec["cuts"] if spec else [])]
        self.quota_from = sim.t(spec["under_quota_from"]) if spec and spec["under_quota_from"] else float("inf")
        self.in_transit: dict[str, float] = {}
        led = sim.ledger
        self.node = led.node(f"ore_lane:{self.id}", self.stage, lambda: dict(self.in_transit))
        self._put, self._nid, self._to = led.put, led.id(self.node), led.id(to.node)

    def blocked_share(self, t: float) -> float:
        share = 0.0
        for a, b, s in self.cuts:
            if a <= t < b:
                share = max(share, s)
        return share

    def send(self, t: float, src: int, material: str, mat: int, offered: float) -> float:
        """Ship what the cut lets through from node ``src`` (ledger ids); return tonnes that left."""
        qty = offered * (1.0 - self.blocked_share(t))
        if qty <= 0.0:
            return 0.0
        self._put([t, src, self._nid, mat, qty])
        self.in_transit[material] = self.in_transit.get(material, 0.0) + qty
        self.sim.after(next(self.transit), self._arrive, material, mat, qty)
        return qty

    def _arrive(self, material: str, mat: int, qty: float) -> None:
        t = self.sim.env.now
        self.in_transit[material] -= qty
        counts = (not self.imported) or t >= self.quota_from
        self._put([t, self._nid, self._to, mat, qty])
        self.to.receive_feed(material, qty, counts)
