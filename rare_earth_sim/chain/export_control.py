"""Export control: dated rules and the licensing office that reviews applications.

Rules name products, destinations and a regime: ``licence`` (an application per
shipment, reviewed by the office), ``halt`` (held until the rule ends), ``general``
(a general licence: no review) or ``free``. Where several rules match, the one listed
last wins, so a later rule can relax an earlier one.

The office is a first-come-first-served queue with ``reviewers`` servers; review times
are in *working days* of the office's calendar; each decision approves with a
probability per destination. An approved licence covers the same customer and product
for ``licence_valid_days`` (0: one licence per shipment). A refused shipment is applied for again after
``reapply_days``, at most ``max_attempts`` times, then sold in China instead.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from .base import Sim
from .lane import Dispatcher, Shipment
from .workdays import WorkingCalendar

__all__ = ["ExportControl", "LicensingOffice", "Rule", "Application"]


class Application(Protocol):
    """What the licensing office reads of the consignment it reviews (a :class:`Shipment`)."""

    @property
    def id(self) -> int: ...
    @property
    def attempts(self) -> int: ...
    @property
    def product(self) -> str: ...
    @property
    def origin(self) -> str: ...
    @property
    def customer(self) -> Any: ...
    @property
    def dest_country(self) -> str: ...
    @property
    def qty(self) -> float: ...



class Rule:
    __slots__ = ("name", "start", "end", "products", "destinations", "regime")

    def __init__(self, name: str, start: float, end: float, products: set[str],
                 destinations: set[str] | None, regime: str) -> None:
        self.name, self.start, self.end = name, start, end
        self.products, self.destinations, self.regime = products, destinations, regime

    def applies(self, t: float, product: str, destination: str) -> bool:
        return (self.start <= t < self.end and product in self.products
                and (self.destinations is None or destination in self.destinations))


_EPOCHS = itertools.count(1)  # periods between rule dates, numbered across all ExportControls
_NO_RULE = Rule("none", -float("inf"), float("inf"), set(), None, "free")  # what applies where no rule does


class LicensingOffice:
    """A c-server FCFS queue of licence applications, reviewed in working days.

    Parameters
    ----------
    sim : Sim
    calendar : WorkingCalendar
    reviewers : int
        Number of applications reviewed at once.
    review : Distribution
        Review time per application (working days).
    approval : dict
        Approval probability per destination country, with a ``"default"``.
    decide : callable
        ``decide(shipment, approved)`` called at each decision.
    """

    def __init__(self, sim: Sim, calendar: WorkingCalendar, reviewers: int, review: Any,
                 approval: dict[str, float], decide: Callable[[Any, bool], None]) -> None:
        self.sim, self.calendar = sim, calendar
        self.reviewers = reviewers
        self.rng = sim.rng("licensing_office")
        self.review = sim.sampler(review, "licensing_office:review")
        self.approval = dict(approval)
        self.decide = decide
        self.queue: deque[tuple[Application, float]] = deque()
        self.busy = 0
        self.in_review: dict[int, tuple[Application, float, float, float]] = {}
        self._u: list[float] = []
        self.records = sim.ledger.applications

    def _uniform(self) -> float:
        if not self._u:
            self._u = self.rng.random(256).tolist()
        return self._u.pop()

    def submit(self, s: Application) -> None:
        """An application for shipment ``s`` arrives now."""
        if self.busy < self.reviewers:
            self._start(s, self.sim.env.now)
        else:
            self.queue.append((s, self.sim.env.now))

    def _start(self, s: Application, submitted: float) -> None:
        now = self.sim.env.now
        self.busy += 1
        wd = next(self.review)
        done = self.calendar.add(now, wd)
        self.in_review[s.id] = (s, submitted, now, wd)
        self.sim.after(done - now, self._finish, s)

    def _finish(self, s: Application) -> None:
        now = self.sim.env.now
        _, submitted, started, wd = self.in_review.pop(s.id)
        p = self.approval.get(s.dest_country, self.approval["default"])
        approved = self._uniform() < p
        self.records.append((s.id, s.attempts, s.product, s.origin, s.customer.id, s.dest_country, s.qty,
                             submitted, started, now, wd, "approved" if approved else "refused"))
        self.busy -= 1
        self._next()
        self.decide(s, approved)

    def _next(self) -> None:
        while self.queue and self.busy < self.reviewers:
            s, submitted = self.queue.popleft()
            self._start(s, submitted)

    def change(self, reviewers: int | None, approval: dict[str, float] | None, review: Any) -> None:
        """A dated change: more (or fewer) reviewers, new approval rates, new review times."""
        if approval:
            self.approval.update(approval)
        if review is not None:
            self.review = self.sim.sampler(review, f"licensing_office:review@{self.sim.env.now:g}")
        if reviewers is not None:
            self.reviewers = reviewers  # busy reviewers finish their files; no new starts above the count
            self._next()

    def pending(self) -> list[tuple[Any, ...]]:
        """Applications not decided by now (queued or in review), as records."""
        out = []
        for s, submitted, started, wd in self.in_review.values():
            out.append((s.id, s.attempts, s.product, s.origin, s.customer.id, s.dest_country, s.qty,
                        submitted, started, float("nan"), wd, "in_review"))
        for s, submitted in self.queue:
            out.append((s.id, s.attempts, s.product, s.origin, s.customer.id, s.dest_country, s.qty,
                        submitted, float("nan"), float("nan"), float("nan"), "queued"))
        return out


class ExportControl:
    """China's export-control regime: rules, the licensing office, customs release."""

    def __init__(self, sim: Sim, spec: dict[str, Any], calendar: WorkingCalendar, dispatcher: Dispatcher) -> None:
        self.sim, self.origin, self.dispatcher = sim, spec["origin"], dispatcher
        self._env = sim.env
        self.customs = sim.sampler(spec["customs_days"], "export_control:customs")
        inf = float("inf")
        self.rules = [
            Rule(r["name"], sim.t(r["start"]), sim.t(r["end"]) if r["end"] else inf, set(r["products"]),
                 None if "*" in r["destinations"] else set(r["destinations"]), r["regime"])
            for r in spec["rules"]
        ]
        # Which rule applies only changes at a rule's start or end: a route looks it up once
        # between two such dates and keeps it (Route.rule) for that period (an epoch).
        self._bounds = sorted({r.start for r in self.rules} | {r.end for r in self.rules if r.end < inf})
        self._cache_lo = self._cache_hi = -inf
        self._epoch = 0  # the period between rule dates it is in
        office = spec["office"]
        self.max_attempts = office["max_attempts"]
        self.reapply = sim.sampler(office["reapply_days"], "export_control:reapply")
        self.office = LicensingOffice(sim, calendar, office["reviewers"], office["review_working_days"],
                                      office["approval"], self._decided)
        self.valid_days = office["licence_valid_days"]
        self.licences: dict[tuple[str, str], float] = {}  # (customer, product) -> expiry (days)
        for ch in office["changes"]:
            sim.at(sim.t(ch["date"]), self._change, ch)
        dispatcher.controls = self

    def _change(self, ch: dict[str, Any]) -> None:
        if ch["licence_valid_days"] is not None:
            self.valid_days = ch["licence_valid_days"]
        self.office.change(ch["reviewers"], ch["approval"], ch["review_working_days"])

    def _bracket(self, t: float) -> None:
        i = bisect_right(self._bounds, t)
        self._cache_lo = self._bounds[i - 1] if i > 0 else -float("inf")
        self._cache_hi = self._bounds[i] if i < len(self._bounds) else float("inf")
        self._epoch = next(_EPOCHS)

    def _lookup(self, t: float, key: tuple[str, str]) -> Rule:
        found = _NO_RULE
        for r in self.rules:
            if r.applies(t, *key):
                found = r
        return found

    def declare(self, s: Shipment, now: float) -> None:
        """Shipment ``s`` is declared for export now (``now``, days)."""
        route = s.route
        if not self._cache_lo <= now < self._cache_hi:
            self._bracket(now)
        if route.rule_epoch == self._epoch:
            r: Rule = route.rule
        else:
            r = self._lookup(now, route.rule_key)
            route.rule, route.rule_epoch = r, self._epoch
        regime = r.regime
        if regime == "licence":
            if self.licences.get(route.licence_key, -1.0) > now:
                s.licence = "held"  # a licence granted earlier still covers this customer
                self.dispatcher.release(s, next(self.customs), now)
            else:
                s.status = "licence_review"
                s.attempts += 1
                s.licence = "individual"
                self.office.submit(s)
        elif regime == "halt":
            s.status = "halted"
            if r.end < float("inf"):
                self.sim.at(r.end, self._redeclare, s)
        else:
            if regime == "general":
                s.licence = "general"
            self.dispatcher.release(s, next(self.customs), now)

    def _redeclare(self, s: Shipment) -> None:
        self.declare(s, self._env.now)

    def _decided(self, s: Shipment, approved: bool) -> None:
        if approved:
            if self.valid_days > 0.0:
                key = s.route.licence_key
                self.licences[key] = max(self.licences.get(key, -1.0), self._env.now + self.valid_days)
            self.dispatcher.release(s, next(self.customs), self._env.now)
        elif s.attempts < self.max_attempts:
            s.status = "refused"
            self.sim.after(next(self.reapply), self._redeclare, s)
        else:
            self.dispatcher.divert(s)
