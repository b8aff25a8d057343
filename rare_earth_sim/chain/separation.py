"""Separation / smelting: concentrate (t REO) into separated oxides by ore composition."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .allocation import allocate
from .base import Sim
from .quota import QuotaSchedule

if TYPE_CHECKING:
    from .lane import Dispatcher

__all__ = ["SeparationPlant", "OxideOrder"]


class OxideOrder:
    __slots__ = ("customer", "component", "qty", "t")

    def __init__(self, customer: Any, component: str, qty: float, t: float) -> None:
        self.customer, self.component, self.qty, self.t = customer, component, qty, t


class SeparationPlant:
    """A separation plant (or a country's plants) with capacity and, in China, a smelting quota.

    Every campaign it processes feed up to capacity: quota-exempt feed (imported ore
    before August 2025) first, then quota-counted feed within the paced smelting
    allowance. Output is split by each ore's composition into NdPr oxide, Dy/Tb oxide
    and by-products (sold on at once). Recycled oxide is added; magnet plants' oxide
    orders are served next, then other uses (catalysts, alloys...) take what they want.
    """

    stage = "separation"

    def __init__(self, sim: Sim, spec: dict[str, Any], ores: dict[str, dict[str, float]],
                 quota: QuotaSchedule | None, dispatcher: Dispatcher, initial: dict[str, float]) -> None:
        self.sim, self.id, self.country = sim, spec["id"], spec["country"]
        self.capacity = spec["capacity_t_per_year"] / 365.0
        self.quota = quota if spec["quota"] else None
        self.ores = ores
        self.recycling = {c: v / 365.0 for c, v in spec["recycling_t_per_year"].items()}
        self.other_uses = {c: v / 365.0 for c, v in spec["other_uses_t_per_year"].items()}
        self.dispatcher = dispatcher
        self.feed: dict[tuple[str, bool], float] = {}
        self.oxide = {"ndpr": 0.0, "dytb": 0.0, "other": 0.0}
        self.orders: list[OxideOrder] = []
        self.processed = 0.0
        self.node = sim.ledger.node(f"separation:{self.id}", self.stage, self._stocks)
        for comp, q in initial.items():
            sim.ledger.flow(0.0, "opening", self.node, f"oxide_{comp}", q)
            self.oxide[comp] += q

    def _stocks(self) -> dict[str, float]:
        out = {f"oxide_{c}": q for c, q in self.oxide.items()}
        for (mat, _counts), q in self.feed.items():
            out[mat] = out.get(mat, 0.0) + q
        return out

    def receive_feed(self, material: str, qty: float, counts: bool) -> None:
        key = (material, counts and self.quota is not None)
        self.feed[key] = self.feed.get(key, 0.0) + qty

    def order(self, customer: Any, component: str, qty: float) -> None:
        """A magnet plant orders ``qty`` t of oxide ``component``; served at the next campaign."""
        if qty > 0.0:
            self.orders.append(OxideOrder(customer, component, qty, self.sim.env.now))

    def campaign(self, t: float, days: float) -> None:
        sim = self.sim
        cap = self.capacity * days
        exempt = [(k, q) for k, q in self.feed.items() if not k[1] and q > 0.0]
        counted = [(k, q) for k, q in self.feed.items() if k[1] and q > 0.0]
        take: list[tuple[tuple[str, bool], float]] = []
        tot_ex = sum(q for _, q in exempt)
        if tot_ex > 0.0:
            f = min(1.0, cap / tot_ex)
            take += [(k, q * f) for k, q in exempt]
            cap -= tot_ex * f
        tot_c = sum(q for _, q in counted)
        if tot_c > 0.0 and cap > 0.0 and self.quota is not None:
            allowed = min(cap, tot_c, self.quota.allowance("smelting", t, days))
            if allowed > 0.0:
                self.quota.use("smelting", t, allowed)
                take += [(k, q * allowed / tot_c) for k, q in counted]
        for key, q in take:
            if q <= 0.0:
                continue
            self.feed[key] -= q
            mat = key[0]
            sim.flow(t, self.node, "transformed", mat, q)
            self.processed += q
            for comp, share in self.ores[mat[4:]].items():
                out = q * share
                sim.flow(t, "separated", self.node, f"oxide_{comp}", out)
                self.oxide[comp] += out
        for comp, rate in self.recycling.items():
            q = rate * days
            sim.flow(t, "recycled", self.node, f"oxide_{comp}", q)
            self.oxide[comp] += q
        # By-products (Ce, La, ...) are sold on at once: they do not feed magnets.
        sim.flow(t, self.node, "byproducts", "oxide_other", self.oxide["other"])
        self.oxide["other"] = 0.0
        self._serve(t)
        for comp, rate in self.other_uses.items():
            q = min(rate * days, self.oxide[comp])
            sim.flow(t, self.node, "other_uses", f"oxide_{comp}", q)
            self.oxide[comp] -= q

    def _serve(self, t: float) -> None:
        if not self.orders:
            return
        keep: list[OxideOrder] = []
        for comp in ("ndpr", "dytb"):
            orders = [o for o in self.orders if o.component == comp]
            if not orders:
                continue
            given = allocate([o.qty for o in orders], self.oxide[comp], "fifo")
            for o, g in zip(orders, given, strict=True):
                if g > 0.0:
                    self.oxide[comp] -= g
                    o.qty -= g
                    self.dispatcher.dispatch(t, self, o.customer, f"oxide_{comp}", g)
                if o.qty > 1e-9:
                    keep.append(o)
        keep.sort(key=lambda o: o.t)
        self.orders = keep
