"""Transport lanes and the dispatcher that moves every consignment between nodes.

A consignment (a :class:`Shipment`) leaves a separation or magnet plant, crosses the
origin's export control if it crosses China's border, departs (this is when customs
records an export), travels its lane, and is received by its customer.

Each shipment keeps its own dates (ready, released, departed, arrived); the ledger flows
of its legs (plant -> customs -> lane -> customer) are booked from those dates when the
run closes (:meth:`Dispatcher.book_legs`), in one vectorised step instead of one call
per leg on the hot path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from .base import Sim

if TYPE_CHECKING:
    from .export_control import ExportControl

__all__ = ["Shipment", "Route", "Lane", "Dispatcher"]


_NAN = float("nan")
_AT_CUSTOMS = frozenset({"licence_review", "halted", "refused", "customs"})


class Route:
    """What every shipment of one product from one plant to one customer shares (made once)."""

    __slots__ = ("index", "controlled", "src", "lane", "lane_node", "transit", "mat", "dst", "origin",
                 "origin_country", "dest_country", "rule_key", "licence_key", "customer", "product", "rule",
                 "rule_epoch")

    def __init__(self, index: int, controlled: bool, src: int, lane: Lane, mat: int, dst: int, origin: str,
                 origin_country: str, dest_country: str, rule_key: tuple[str, str],
                 licence_key: tuple[str, str], customer: Any, product: str) -> None:
        self.index = index  # position in the dispatcher's route list (legs are booked by it)
        self.customer, self.product = customer, product
        self.controlled = controlled  # crosses the export control
        self.src, self.lane, self.mat, self.dst = src, lane, mat, dst  # ledger ids (node, node, material)
        self.lane_node, self.transit = lane.node_id, lane.transit  # read for every shipment
        self.origin, self.origin_country, self.dest_country = origin, origin_country, dest_country
        self.rule_key, self.licence_key = rule_key, licence_key  # (product, country), (customer, product)
        self.rule: Any = None  # the export rule that applies, kept by ExportControl.declare ...
        self.rule_epoch = -1  # ... for the period between rule dates it was looked up in


class Shipment:
    """One consignment: a product, a quantity (t), an origin and a customer.

    It is also its own arrival event: once it departs, the dispatcher schedules the
    shipment itself, so a consignment costs one object, not a shipment plus an event.
    SimPy's loop reads only ``callbacks`` and ``_ok`` of what it processes (``_value``
    if it failed); a plain class (not a subclass of ``simpy.Event``) compiles to a native
    one. What a shipment has not reached yet (release, departure, arrival) reads NaN.
    """

    __slots__ = ("id", "product", "qty", "customer", "t_ready", "route", "callbacks", "_ok", "_value",
                 "t_released", "t_departed", "t_due", "t_arrived", "status", "attempts", "licence")

    def __init__(self, sid: int, product: str, qty: float, customer: Any, t: float,
                 route: Route) -> None:
        self.id, self.product, self.qty, self.customer, self.t_ready, self.route = sid, product, qty, customer, t, route
        self.callbacks: Any = None  # the arrival's callbacks, set at departure
        self._ok = True  # a triggered event once scheduled (like a timeout)
        self._value: Any = None
        self.t_released = self.t_departed = self.t_due = self.t_arrived = _NAN
        self.status = "ready"
        self.attempts = 0
        self.licence = "none"

    @property
    def origin(self) -> str:
        return self.route.origin

    @property
    def origin_country(self) -> str:
        return self.route.origin_country

    @property
    def dest_country(self) -> str:
        return self.route.dest_country


class Lane:
    """A transport lane between two countries with a transit-time distribution (days)."""

    stage = "transport"

    def __init__(self, sim: Sim, lane_id: str, origin: str, destination: str, transit: Iterator[float],
                 stocks: Any) -> None:
        self.sim, self.id, self.origin, self.destination = sim, lane_id, origin, destination
        self.transit = transit
        self.node = sim.ledger.node(f"lane:{lane_id}", self.stage, lambda: stocks(self))
        sim.ledger.lanes[self.node] = (origin, destination)  # exports are flows onto these
        self.node_id = sim.ledger.id(self.node)


class Dispatcher:
    """Routes shipments: domestic hand-over, export control, departure, lane, receipt.

    What sits in customs or on a lane is not kept as running totals: it is read off the
    shipments' statuses when the mass balance asks (hot path: no per-shipment dict work).
    """

    customs_stage = "export"

    def __init__(self, sim: Sim, lane_specs: list[dict[str, Any]], controls: ExportControl | None,
                 domestic: Any) -> None:
        self.sim, self.controls = sim, controls
        self.lanes = {(x["origin"], x["destination"]): Lane(sim, x["id"], x["origin"], x["destination"],
                                                            sim.sampler(x["transit_days"], f"lane:{x['id']}"),
                                                            self._lane_stocks)
                      for x in lane_specs}
        self.domestic_spec = domestic
        self.n = 0
        self.customs_node = sim.ledger.node("customs", self.customs_stage, self._customs_stocks)
        led = sim.ledger
        self._customs_id = led.id(self.customs_node)
        self._ids: dict[str, int] = {}  # node or product name -> ledger id
        self._routes: dict[tuple[Any, Any, str], Route] = {}  # in creation order: Route.index
        self._legs_booked = False  # see book_legs()
        self._shipments: list[Shipment] = sim.ledger.shipments
        self._env = sim.env
        self._arrival = (self._arrive,)  # the callbacks of every shipment's arrival event
        self._frozen: dict[Any, dict[str, float]] | None = None  # stocks at the end, see freeze()

    # -- stocks for the mass balance ------------------------------------------------------
    def _stocks(self) -> dict[Any, dict[str, float]]:
        """What is at customs (key None) and on each lane, from one pass over the shipments."""
        if self._frozen is not None:
            return self._frozen
        out: dict[Any, dict[str, float]] = {None: {}}
        for s in self._shipments:
            if s.status == "in_transit":
                held = out.setdefault(s.route.lane, {})
            elif s.status in _AT_CUSTOMS:
                held = out[None]
            else:
                continue
            held[s.product] = held.get(s.product, 0.0) + s.qty
        return out

    def freeze(self) -> None:
        """The run is over: compute the stocks once for every lane and customs."""
        self._frozen = None
        self._frozen = self._stocks()

    def _customs_stocks(self) -> dict[str, float]:
        return dict(self._stocks()[None])

    def _lane_stocks(self, lane: Lane) -> dict[str, float]:
        return dict(self._stocks().get(lane, {}))

    def _nid(self, name: str) -> int:
        i = self._ids.get(name)
        if i is None:
            i = self._ids[name] = self.sim.ledger.id(name)
        return i

    def lane(self, origin: str, destination: str) -> Lane:
        key = (origin, destination)
        lane = self.lanes.get(key)
        if lane is None:  # only domestic lanes are made on demand; validation checks the rest
            assert origin == destination, key
            lane = Lane(self.sim, f"{origin}>{origin}", origin, origin,
                        self.sim.sampler(self.domestic_spec, f"lane:{origin}>{origin}"), self._lane_stocks)
            self.lanes[key] = lane
        return lane

    def route(self, origin: Any, customer: Any, product: str) -> Route:
        """The route of ``product`` from ``origin`` to ``customer`` (made once; hold it and :meth:`send`)."""
        return self._routes.get((origin, customer, product)) or self._route(origin, customer, product)

    def _route(self, origin: Any, customer: Any, product: str) -> Route:
        controlled = (self.controls is not None and origin.country == self.controls.origin
                      and customer.country != origin.country)
        r = self._routes[(origin, customer, product)] = Route(
            len(self._routes), controlled, self._nid(origin.node), self.lane(origin.country, customer.country),
            self._nid(product), self._nid(customer.node), origin.id, origin.country, customer.country,
            (product, customer.country), (customer.id, product), customer, product)
        return r

    def dispatch(self, t: float, origin: Any, customer: Any, product: str, qty: float) -> Shipment:
        """Send ``qty`` (> 0) t of ``product`` from ``origin`` (a plant) to ``customer``."""
        return self.send(t, self._routes.get((origin, customer, product)) or self._route(origin, customer, product),
                         qty)

    def send(self, t: float, r: Route, qty: float) -> Shipment:
        """Send ``qty`` (> 0) t along route ``r`` (from :meth:`route`) at time ``t``."""
        n = self.n = self.n + 1
        s = Shipment(n, r.product, qty, r.customer, t, r)
        self._shipments.append(s)
        if r.controlled:
            self.controls.declare(s, t)  # type: ignore[union-attr]
        else:
            self._depart(s, t, t)
        return s

    # -- called by the export control ---------------------------------------------------
    def release(self, s: Shipment, customs_days: float, now: float) -> None:
        """Licensed (or free): the shipment clears customs and departs after ``customs_days``.

        Nothing happens in between, so the departure is booked now with its own date
        and only the arrival is an event — unless it would depart after the run ends.
        """
        s.t_released = now
        t_dep = now + customs_days
        if t_dep >= self.sim.until:
            s.status = "customs"
            self.sim.after(customs_days, self._depart, s, t_dep, t_dep)
            return
        self._depart(s, t_dep, now)

    def divert(self, s: Shipment) -> None:
        """Licence refused for good: the goods are sold in the origin's domestic market."""
        s.status = "diverted"
        self.sim.ledger.flow(self._env.now, self.customs_node, "diverted", s.product, s.qty)
        s.customer.cancel(s.product, s.qty)

    # -- moving ------------------------------------------------------------------------
    def _depart(self, s: Shipment, t: float, now: float) -> None:
        r = s.route
        s.t_departed = t
        s.status = "in_transit"
        delay = t - now + next(r.transit)
        if not delay > 0.0:
            delay = 0.0
        # when it arrives: the sum Environment.schedule would make (on SimPy's own clock, so
        # a caller passing a wrong ``now`` cannot move the clock back)
        s.t_due = self._env._now + delay  # noqa: SLF001
        s.callbacks = self._arrival
        self.sim.push(s.t_due, s)

    def _arrive(self, s: Shipment) -> None:
        t = s.t_due
        s.t_arrived = t
        s.status = "delivered"
        s.customer.receive(t, s.product, s.qty)

    # -- the ledger ----------------------------------------------------------------------
    def book_legs(self) -> None:
        """Book every shipment's legs as ledger flows, from the dates it reached (end of run).

        A controlled shipment enters customs when it is ready; a shipment that departed
        moves from customs (or its plant) onto its lane; one that arrived moves from the
        lane to its customer. A diversion is booked when it happens (:meth:`divert`).
        """
        sh = self._shipments
        if self._legs_booked or not sh:
            return
        self._legs_booked = True  # once: the ledger would count them twice
        n, routes = len(sh), list(self._routes.values())
        ri = np.fromiter([s.route.index for s in sh], dtype=np.intp, count=n)
        qty = np.fromiter([s.qty for s in sh], dtype=float, count=n)
        controlled = np.array([r.controlled for r in routes], dtype=bool)[ri]
        src, lane, dst, mat = [np.array(col, dtype=float)[ri] for col in zip(
            *[(r.src, r.lane_node, r.dst, r.mat) for r in routes], strict=True)]
        customs = float(self._customs_id)
        t_ready = np.fromiter([s.t_ready for s in sh], dtype=float, count=n)
        t_dep = np.fromiter([s.t_departed for s in sh], dtype=float, count=n)
        t_arr = np.fromiter([s.t_arrived for s in sh], dtype=float, count=n)
        dep, arr = ~np.isnan(t_dep), ~np.isnan(t_arr)
        put = self.sim.ledger.put_many
        put(t_ready[controlled], src[controlled], customs, mat[controlled], qty[controlled])
        put(t_dep[dep], np.where(controlled, customs, src)[dep], lane[dep], mat[dep], qty[dep])
        put(t_arr[arr], lane[arr], dst[arr], mat[arr], qty[arr])
