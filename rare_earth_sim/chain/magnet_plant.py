"""Magnet plants: oxides into sintered NdFeB magnets of two grades, by recipe.

Every campaign a plant decides how much to make: its capacity over the campaign, cut
to what its oxide stock allows, split between open orders by its allocation rule.
Oxide is consumed at the start; the magnets are ready after the production lead time
and shipped to each customer. The plant keeps its oxide stock with an order-up-to
policy reviewed every ``oxide_review_days``, buying from its sources by share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .allocation import allocate
from .base import Sim

if TYPE_CHECKING:
    from .lane import Dispatcher
    from .separation import SeparationPlant

__all__ = ["MagnetPlant", "MagnetOrder"]


class MagnetOrder:
    """An open order line: ``qty`` t of ``grade`` for ``customer``, with its recipe (t oxide/t)."""

    __slots__ = ("customer", "grade", "qty", "t", "priority", "ndpr", "dytb", "product", "key", "live", "route")

    def __init__(self, customer: Any, grade: str, qty: float, t: float, priority: int,
                 recipe: dict[str, float], key: tuple[int, str]) -> None:
        self.customer, self.grade, self.qty, self.t, self.priority = customer, grade, qty, t, priority
        self.ndpr, self.dytb = recipe["ndpr"], recipe["dytb"]
        self.product = f"magnet_{grade}"
        self.key = key  # (id(customer), grade): one consignment per key per campaign
        self.live = True  # in the plant's open orders
        self.route: Any = None  # the dispatcher's route to the customer, looked up at the first shipment


def _placed(o: MagnetOrder) -> float:
    return o.t


class MagnetPlant:
    """A magnet plant (or a country's plants).

    Parameters
    ----------
    spec : dict
        A realised ``[[magnet_plants]]`` entry.
    recipes : dict
        grade -> {"ndpr": t/t, "dytb": t/t}.
    sources : dict
        component -> list of (SeparationPlant, share).
    expected_use : dict
        component -> expected oxide use (t/day), for the opening stock and the first
        order-up-to levels; replaced by a smoothed measured use as the run goes.
    """

    stage = "magnet_plant"

    def __init__(self, sim: Sim, spec: dict[str, Any], recipes: dict[str, dict[str, float]],
                 sources: dict[str, list[tuple[SeparationPlant, float]]], dispatcher: Dispatcher,
                 expected_use: dict[str, float]) -> None:
        self.sim, self.id, self.country = sim, spec["id"], spec["country"]
        self.capacity_changes = sorted((sim.t(c["date"]), c["capacity_t_per_year"] / 365.0)
                                       for c in spec["capacity_changes"])
        self.base_capacity = spec["capacity_t_per_year"] / 365.0
        self.lead = sim.sampler(spec["lead_time_days"], f"magnet_plant:{self.id}:lead")
        self.recipes = recipes
        self.sources = sources
        self.rule = spec["allocation"]
        self.dispatcher = dispatcher
        self.stock_days = spec["oxide_stock_days"]
        self.use_rate = dict(expected_use)
        self.oxide = {c: 0.0 for c in ("ndpr", "dytb")}
        self.on_order = {c: 0.0 for c in ("ndpr", "dytb")}
        self.fg: dict[str, float] = {g: 0.0 for g in recipes}
        self.orders: list[MagnetOrder] = []
        self.open: dict[tuple[int, str], MagnetOrder] = {}
        self.produced = {g: 0.0 for g in recipes}
        self.node = sim.ledger.node(f"magnet_plant:{self.id}", self.stage, self._stocks)
        for comp, rate in expected_use.items():
            q = rate * self.stock_days
            sim.ledger.flow(0.0, "opening", self.node, f"oxide_{comp}", q)
            self.oxide[comp] += q

    def _stocks(self) -> dict[str, float]:
        out = {f"oxide_{c}": q for c, q in self.oxide.items()}
        out.update({f"magnet_{g}": q for g, q in self.fg.items()})
        return out

    def capacity(self, t: float) -> float:
        """Capacity at time ``t`` (t magnet/day), after dated ramps."""
        cap = self.base_capacity
        for when, c in self.capacity_changes:
            if when <= t:
                cap = c
        return cap

    # -- customers ----------------------------------------------------------------------
    def order(self, customer: Any, grade: str, qty: float, priority: int, t: float) -> None:
        """Place an order for ``qty`` t of ``grade`` magnets at time ``t`` (days)."""
        if qty <= 0.0:
            return
        # An open order of the same customer and grade takes the new quantity: the backlog
        # stays one line per customer and grade (keeping the older order's place in line).
        key = (id(customer), grade)
        o = self.open.get(key)
        if o is not None:
            if not o.live:  # filled earlier: the same line re-opens at the back of the queue
                o.qty, o.t, o.priority, o.live = qty, t, priority, True
                self.orders.append(o)
                return
            if o.qty > 1e-9:
                o.qty += qty
                return
        o = self.open[key] = MagnetOrder(customer, grade, qty, t, priority, self.recipes[grade], key)
        self.orders.append(o)

    # -- oxide side ---------------------------------------------------------------------
    def receive(self, t: float, product: str, qty: float) -> None:
        comp = product[6:]
        self.oxide[comp] += qty
        self.on_order[comp] -= qty

    def cancel(self, product: str, qty: float) -> None:
        self.on_order[product[6:]] -= qty

    def review_oxide(self, t: float) -> None:
        for comp, srcs in self.sources.items():
            target = self.use_rate[comp] * self.stock_days
            need = target - self.oxide[comp] - self.on_order[comp]
            if need <= 1e-9:
                continue
            self.on_order[comp] += need
            for sep, share in srcs:
                sep.order(self, comp, need * share)

    # -- production ---------------------------------------------------------------------
    def campaign(self, t: float, days: float) -> None:
        orders = self.orders
        if not orders:
            self._smooth(0.0, 0.0, days)
            return
        if self.rule == "fifo":
            orders.sort(key=_placed)
        n = len(orders)
        prio = [o.priority for o in orders]
        give = allocate([o.qty for o in orders], self.capacity(t) * days, self.rule, prio)
        # Cut to the oxide in stock: Dy/Tb limits the grades that need it, NdPr all grades.
        # (Index loops over typed lists: compiled, they run as C loops over doubles.)
        need_ndpr = need_dytb = 0.0
        for i in range(n):
            o, g = orders[i], give[i]
            need_ndpr += g * o.ndpr
            need_dytb += g * o.dytb
        if need_dytb > self.oxide["dytb"] or need_ndpr > self.oxide["ndpr"]:
            self._cut_to_oxide(orders, give, prio)
        used_ndpr = used_dytb = 0.0
        made: dict[str, float] = {}
        # One consignment per customer and grade per campaign, however many orders it fills.
        lots: dict[tuple[int, str], list[Any]] = {}
        keep = []
        for i in range(n):
            o, g = orders[i], give[i]
            if g > 1e-12:
                used_ndpr += g * o.ndpr
                used_dytb += g * o.dytb
                made[o.grade] = made.get(o.grade, 0.0) + g
                o.qty -= g
                lot = lots.get(o.key)
                if lot is None:
                    lots[o.key] = [o, g]
                else:
                    lot[1] += g
            if o.qty > 1e-9:
                keep.append(o)
            else:
                o.live = False
        self.orders = keep
        if lots:
            self.sim.after(next(self.lead), self._ship_all, list(lots.values()))
        sim = self.sim
        for comp, q in (("ndpr", used_ndpr), ("dytb", used_dytb)):
            q = min(q, self.oxide[comp])  # guards against rounding below zero
            sim.flow(t, self.node, "transformed", f"oxide_{comp}", q)
            self.oxide[comp] -= q
        for grade, q in made.items():
            sim.flow(t, "produced", self.node, f"magnet_{grade}", q)
            self.fg[grade] += q
            self.produced[grade] += q
        self._smooth(used_ndpr, used_dytb, days)

    def _cut_to_oxide(self, orders: list[MagnetOrder], give: list[float], prio: list[int]) -> None:
        """Scale ``give`` down (in place) to what the oxide in stock can make, component by component."""
        for comp in ("dytb", "ndpr"):
            rec = [getattr(o, comp) for o in orders]
            if sum(g * r for g, r in zip(give, rec, strict=True)) > self.oxide[comp]:
                users = [i for i, r in enumerate(rec) if r > 0.0]
                reqs = [give[i] * rec[i] for i in users]
                ok = allocate(reqs, self.oxide[comp], self.rule, [prio[i] for i in users])
                for i, r, q in zip(users, reqs, ok, strict=True):
                    give[i] *= q / r if r > 0.0 else 0.0

    def _smooth(self, ndpr: float, dytb: float, days: float) -> None:
        # Exponential smoothing over ~8 campaigns: the plant plans on recent use (t/day).
        use = self.use_rate
        use["ndpr"] += 0.125 * (ndpr / days - use["ndpr"])
        use["dytb"] += 0.125 * (dytb / days - use["dytb"])

    def _ship_all(self, lots: list[list[Any]]) -> None:
        now = self.sim.env.now
        fg, send = self.fg, self.dispatcher.send
        for o, qty in lots:
            fg[o.grade] -= qty
            r = o.route
            if r is None:
                r = o.route = self.dispatcher.route(self, o.customer, o.product)
            send(now, r, qty)
