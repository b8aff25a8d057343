"""Transport lanes and the dispatcher that moves every consignment between nodes.

A consignment (a :class:`Shipment`) leaves a separation or magnet plant, crosses the
origin's export control if it crosses China's border, departs (this is when customs
records an export), travels its lane, and is received by its customer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Sampler, Sim

if TYPE_CHECKING:
    from .export_control import ExportControl

__all__ = ["Shipment", "Lane", "Dispatcher"]


class Shipment:
    """One consignment: a product, a quantity (t), an origin and a customer."""

    __slots__ = ("id", "product", "qty", "origin", "origin_country", "customer", "dest_country",
                 "t_ready", "t_released", "t_departed", "t_arrived", "status", "attempts", "licence")

    def __init__(self, sid: int, product: str, qty: float, origin: Any, customer: Any, t: float) -> None:
        self.id, self.product, self.qty = sid, product, qty
        self.origin, self.origin_country = origin.id, origin.country
        self.customer, self.dest_country = customer, customer.country
        self.t_ready = t
        self.t_released = self.t_departed = self.t_arrived = float("nan")
        self.status = "ready"
        self.attempts = 0
        self.licence = "none"


class Lane:
    """A transport lane between two countries with a transit-time distribution (days)."""

    stage = "transport"

    def __init__(self, sim: Sim, lane_id: str, origin: str, destination: str, transit: Sampler) -> None:
        self.sim, self.id, self.origin, self.destination = sim, lane_id, origin, destination
        self.transit = transit
        self.in_transit: dict[str, float] = {}
        self.node = sim.ledger.node(f"lane:{lane_id}", self.stage, lambda: dict(self.in_transit))
        self.node_id = sim.ledger.id(self.node)


class Dispatcher:
    """Routes shipments: domestic hand-over, export control, departure, lane, receipt."""

    customs_stage = "export"

    def __init__(self, sim: Sim, lanes: dict[tuple[str, str], Lane], controls: ExportControl | None,
                 domestic: Any) -> None:
        self.sim, self.lanes, self.controls = sim, lanes, controls
        self.domestic_spec = domestic
        self.n = 0
        self.held: dict[str, float] = {}
        self.customs_node = sim.ledger.node("customs", self.customs_stage, lambda: dict(self.held))
        led = sim.ledger
        self._book, self._id, self._customs_id = led.book, led.id, led.id(self.customs_node)
        self._ids: dict[str, int] = {}  # node or product name -> ledger id

    def _nid(self, name: str) -> int:
        i = self._ids.get(name)
        if i is None:
            i = self._ids[name] = self._id(name)
        return i

    def lane(self, origin: str, destination: str) -> Lane:
        key = (origin, destination)
        lane = self.lanes.get(key)
        if lane is None:  # only domestic lanes are made on demand; validation checks the rest
            assert origin == destination, key
            lane = Lane(self.sim, f"{origin}>{origin}", origin, origin,
                        self.sim.sampler(self.domestic_spec, f"lane:{origin}>{origin}"))
            self.lanes[key] = lane
        return lane

    def dispatch(self, t: float, origin: Any, customer: Any, product: str, qty: float) -> Shipment:
        """Send ``qty`` t of ``product`` from ``origin`` (a plant) to ``customer``."""
        self.n += 1
        s = Shipment(self.n, product, qty, origin, customer, t)
        self.sim.ledger.shipments.append(s)
        if self.controls is not None and s.origin_country == self.controls.origin and \
                s.dest_country != s.origin_country:
            self._book((t, self._nid(origin.node), self._customs_id, self._nid(product), qty))
            self.held[product] = self.held.get(product, 0.0) + qty
            self.controls.declare(s)
        else:
            self._depart(s, origin.node, t)
        return s

    # -- called by the export control ---------------------------------------------------
    def release(self, s: Shipment, customs_days: float) -> None:
        """Licensed (or free): the shipment clears customs and departs after ``customs_days``.

        Nothing happens in between, so the departure is booked now with its own date
        and only the arrival is an event — unless it would depart after the run ends.
        """
        t_dep = self.sim.env.now + customs_days
        if t_dep >= self.sim.until:
            s.status = "customs"
            self.sim.after(customs_days, self._leave_customs, s)
            return
        self.held[s.product] -= s.qty
        self._depart(s, self.customs_node, t_dep)

    def _leave_customs(self, s: Shipment) -> None:
        self.held[s.product] -= s.qty
        self._depart(s, self.customs_node, self.sim.env.now)

    def divert(self, s: Shipment) -> None:
        """Licence refused for good: the goods are sold in the origin's domestic market."""
        t = self.sim.env.now
        self.held[s.product] -= s.qty
        s.status = "diverted"
        self.sim.ledger.flow(t, self.customs_node, "diverted", s.product, s.qty)
        s.customer.cancel(s.product, s.qty)

    # -- moving ------------------------------------------------------------------------
    def _depart(self, s: Shipment, src: str, t: float) -> None:
        lane = self.lanes.get((s.origin_country, s.dest_country)) or self.lane(s.origin_country, s.dest_country)
        s.t_departed = t
        s.status = "in_transit"
        self._book((t, self._nid(src), lane.node_id, self._nid(s.product), s.qty))
        lane.in_transit[s.product] = lane.in_transit.get(s.product, 0.0) + s.qty
        self.sim.after(t - self.sim.env.now + lane.transit(), self._arrive, s, lane)

    def _arrive(self, s: Shipment, lane: Lane) -> None:
        t = self.sim.env.now
        s.t_arrived = t
        s.status = "delivered"
        lane.in_transit[s.product] -= s.qty
        self._book((t, lane.node_id, self._nid(s.customer.node), self._nid(s.product), s.qty))
        s.customer.receive(s.product, s.qty)
