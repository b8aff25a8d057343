"""Engine: a realised scenario -> a SimPy environment of chain components -> a ledger.

Data flows one way: the scenario is read, never written; components book into the
ledger; :class:`~rare_earth_sim.results.SimulationResult` derives every table from it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from .chain.automaker import Automaker
from .chain.base import Sim
from .chain.export_control import ExportControl
from .chain.lane import Dispatcher
from .chain.magnet_plant import MagnetPlant
from .chain.mine import Mine
from .chain.ore_trade import OreLane
from .chain.quota import QuotaSchedule
from .chain.sectors import Sector
from .chain.separation import SeparationPlant
from .chain.workdays import WorkingCalendar
from .results import SimulationResult
from .scenario.model import Scenario

__all__ = ["simulate", "build", "Model", "seed_sequence"]

_COMPONENTS = ("ndpr", "dytb")


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector inside the block; restore its state after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def seed_sequence(seed: int | np.random.SeedSequence | None) -> np.random.SeedSequence:
    """The replication's root seed sequence (an int, a SeedSequence, or None for fresh entropy)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    return np.random.SeedSequence(seed)


class Model:
    """The run-time components of one replication, built from a realised scenario tree."""

    def __init__(self, d: dict[str, Any], seed_seq: np.random.SeedSequence) -> None:
        sc = d["scenario"]
        self.start, self.end = sc["start"], sc["end"]
        origin = self.start - dt.timedelta(days=sc["warmup_days"])
        self.sim = sim = Sim(origin, seed_seq)
        self.until = sim.t(self.end) + 1.0  # the end date is reported in full
        sim.until = self.until
        days = d["simulation"]["campaign_days"]
        cal = d["calendar"]
        self.calendar = WorkingCalendar(origin, int(self.until) + 3 * 366, cal["weekmask"],
                                        cal["holidays"], cal["makeup_workdays"])

        # transport and export control
        self.dispatcher = Dispatcher(sim, d["lanes"], None, d["simulation"]["domestic_transit_days"])
        self.controls = ExportControl(sim, d["export_controls"], self.calendar, self.dispatcher)

        # expected use per magnet plant, from the demand that names it (for opening stocks)
        recipes = {g: {"ndpr": r["ndpr"], "dytb": r["dytb"]} for g, r in d["grades"].items()}
        kg = d["demand"]["powertrains"]
        plant_grade: dict[str, dict[str, float]] = {p["id"]: {} for p in d["magnet_plants"]}
        for a in d["demand"]["automakers"]:
            for p, v in a["vehicles_per_year"].items():
                for g, k in kg[p].items():
                    for s in a["suppliers"]:
                        pg = plant_grade[s["plant"]]
                        pg[g] = pg.get(g, 0.0) + v * k / 1000.0 / 365.0 * s["share"]
        for sec in d["demand"]["sectors"]:
            for g, share in sec["grade_shares"].items():
                for s in sec["suppliers"]:
                    pg = plant_grade[s["plant"]]
                    pg[g] = pg.get(g, 0.0) + sec["demand_t_per_year"] / 365.0 * share * s["share"]
        plant_use = {pid: {c: sum(q * recipes[g][c] for g, q in pg.items()) for c in _COMPONENTS}
                     for pid, pg in plant_grade.items()}
        sep_use: dict[str, dict[str, float]] = {s["id"]: {c: 0.0 for c in _COMPONENTS} for s in d["separation"]}
        for p in d["magnet_plants"]:
            for c in _COMPONENTS:
                for src in p["oxide_sources"][c]:
                    sep_use[src["separation"]][c] += plant_use[p["id"]][c] * src["share"]

        quota_mines = [m for m in d["mines"] if m["quota"] != "none"]
        cap_kind = {k: sum(m["capacity_t_per_year"] for m in quota_mines if m["quota"] == k)
                    for k in ("rock", "ionic")}
        total_q = sum(cap_kind.values())
        self.quota = QuotaSchedule(sim, d["quota"], {k: v / total_q for k, v in cap_kind.items()}
                                   if total_q > 0 else {})

        self.separation = {
            s["id"]: SeparationPlant(sim, s, d["ores"], self.quota, self.dispatcher,
                                     {c: sep_use[s["id"]][c] * s["initial_stock_days"] for c in _COMPONENTS})
            for s in d["separation"]
        }
        self.plants = {
            p["id"]: MagnetPlant(sim, p, recipes,
                                 {c: [(self.separation[x["separation"]], x["share"]) for x in p["oxide_sources"][c]]
                                  for c in _COMPONENTS},
                                 self.dispatcher, plant_use[p["id"]])
            for p in d["magnet_plants"]
        }
        self.automakers = [
            Automaker(sim, a, kg, [(self.plants[s["plant"]], s["share"]) for s in a["suppliers"]], i)
            for i, a in enumerate(d["demand"]["automakers"])
        ]
        self.sectors = [Sector(sim, s, [(self.plants[x["plant"]], x["share"]) for x in s["suppliers"]])
                        for s in d["demand"]["sectors"]]

        ore_lane_spec = {x["id"]: x for x in d["ore_lanes"]}
        self.mines = []
        self.ore_lanes: dict[tuple[str, str], OreLane] = {}
        for m in d["mines"]:
            to = self.separation[m["to"]]
            key = (m["lane"] or f"{m['id']}>{m['to']}", m["to"])
            lane = self.ore_lanes.get(key)
            if lane is None:
                spec = ore_lane_spec[m["lane"]] if m["lane"] else None
                name = key[0] if spec is None else f"{key[0]}>{m['to']}"
                lane = self.ore_lanes[key] = OreLane(sim, spec, to, d["simulation"]["domestic_transit_days"], name)
            kind_cap = cap_kind.get(m["quota"], 0.0)
            share = m["capacity_t_per_year"] / kind_cap if kind_cap > 0.0 else (1.0 if m["quota"] == "none" else 0.0)
            self.mines.append(Mine(sim, m, lane, self.quota if m["quota"] != "none" else None, share))

        # Periodic decisions, each at its own random phase so they do not all fall on one day.
        phase = sim.rng("phases")
        until = self.until
        for mine in self.mines:
            sim.every(phase.uniform(0, days), days, mine.campaign, until, days)
        for sep in self.separation.values():
            sim.every(phase.uniform(0, days), days, sep.campaign, until, days)
        for plant, spec in zip(self.plants.values(), d["magnet_plants"], strict=True):
            sim.every(phase.uniform(0, days), days, plant.campaign, until, days)
            r = spec["oxide_review_days"]
            sim.every(phase.uniform(0, r), r, plant.review_oxide, until)
        for a in self.automakers:
            sim.every(phase.uniform(0, a.review_days), a.review_days, a.review, until)
        for sec in self.sectors:
            n = sec.order_days
            sim.every(phase.uniform(0, n), n, sec.order, until, n)

    def run(self) -> None:
        # The run allocates many small, acyclic records; the cyclic garbage collector
        # would only re-scan them (40 % of the run time). Refcounting frees everything
        # the run discards, so the collector is paused for the run.
        with collector_paused():
            self.sim.env.run(until=self.until)
        # Count what was processed, as a bare SimPy loop does: events scheduled past the
        # end (consignments still in transit...) stay in SimPy's queue, which has no
        # public length; the until-event SimPy added itself was never counted.
        self.sim.events -= len(self.sim.env._queue)  # noqa: SLF001
        for a in self.automakers:
            a.close(self.until)
        ledger = self.sim.ledger
        ledger.applications.extend(self.controls.office.pending())
        self.dispatcher.book_legs()
        self.dispatcher.freeze()
        ledger.close()
        # The components form reference cycles (through the SimPy queue, orders, the
        # export office...); keep the ledger out of them so that a result is freed by
        # reference counting when dropped. The model's own cycles are small.
        self.ledger, self.sim.ledger = ledger, None  # type: ignore[assignment]


def build(scenario: Scenario, seed: int | np.random.SeedSequence | None = 0) -> Model:
    """Realise ``scenario`` for ``seed`` and build its components (not yet run)."""
    ss = seed_sequence(seed)
    return Model(scenario.realize(ss), ss)


def simulate(scenario: Scenario, seed: int | np.random.SeedSequence | None = 0,
             check: bool = True) -> SimulationResult:
    """Run one replication of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        From :func:`rare_earth_sim.load_scenario`.
    seed : int or numpy.random.SeedSequence
        Root of every random stream of this replication. Same scenario and seed give
        identical results.
    check : bool
        Check the mass balance of every node after the run (relative residual 1e-9).

    Returns
    -------
    SimulationResult
    """
    ss = seed_sequence(seed)
    realized = scenario.realize(ss)
    t0 = time.perf_counter()
    model = Model(realized, ss)
    model.run()
    elapsed = time.perf_counter() - t0
    if check:
        model.ledger.check_balance()
    return SimulationResult(scenario, seed if not isinstance(seed, np.random.SeedSequence) else None,
                            ss, realized, model, elapsed)
