"""Properties every run must have: mass balance, non-negative stocks, determinism.

Mass balance is checked on both built-ins (full horizon) and, with hypothesis, on valid
variants of baseline-2024 made with ``Scenario.with_overrides``: capacities, stocks,
review periods, vehicles, supplier shares, campaign length, export rules with random
dates and regimes, approval rates, reviewer counts (including none for a while),
allocation rules, ore-lane cuts and quota batches. To keep each example fast the
variants run a short horizon (2024-01-01 .. 2024-06-30, 30 warm-up days).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rare_earth_sim as res
from rare_earth_sim.scenario.schema import ALLOCATION_RULES, REGIMES

BASE = res.load_scenario("baseline-2024")
HALT = res.load_scenario("export-halt-2025")


def _assert_balanced(r: res.SimulationResult) -> None:
    b = r.balance()
    assert len(b) > 0
    assert set(b.columns) >= {"stage", "node", "material", "residual_t", "relative_residual", "stock_end_t"}
    assert (b["relative_residual"] <= 1e-9).all(), b[b["relative_residual"] > 1e-9].to_string()
    scale = np.maximum(b["inflow_t"].to_numpy(), 1.0)
    assert (b["stock_end_t"].to_numpy() >= -1e-9 * scale).all(), b[b["stock_end_t"] < 0].to_string()
    # Every flow in the ledger is a positive quantity at a time inside the run.
    fl = r.ledger.flows_frame()
    assert (fl["t"] > 0).all()
    assert fl["t_days"].between(0.0, r.until + 1e-9).all()
    # Automaker stocks never go below zero at any recorded event.
    seg = np.array([s for rec in r.ledger.segments for s in rec[2]], dtype=float)
    assert (seg >= -1e-9).all()


def _assert_stages_present(r: res.SimulationResult) -> None:
    stages = set(r.balance()["stage"])
    assert {"mining", "ore_trade", "separation", "magnet_plant", "transport", "automaker"} <= stages


# ---------------------------------------------------------------- built-ins, full horizon


@pytest.fixture(scope="module")
def builtin_runs() -> dict[str, res.SimulationResult]:
    return {name: res.simulate(res.load_scenario(name), seed=3) for name in res.list_scenarios()}


@pytest.mark.parametrize("name", ["baseline-2024", "export-halt-2025"])
def test_builtin_mass_balance(builtin_runs: dict[str, res.SimulationResult], name: str) -> None:
    r = builtin_runs[name]
    _assert_balanced(r)
    _assert_stages_present(r)


def test_check_balance_detects_a_leak() -> None:
    # The balance check can fail: book one flow into an automaker that its stock never saw.
    r = res.simulate(BASE.with_overrides(SHORT), seed=1)
    r.ledger.check_balance()
    r.ledger.flow(10.0, "nowhere", "automaker:ford", "magnet_high_temp", 1.0)
    with pytest.raises(AssertionError, match="mass balance violated"):
        r.ledger.check_balance()
    b = r.balance()
    bad = b[b["relative_residual"] > 1e-9]
    assert list(bad["node"]) == ["automaker:ford"] and list(bad["material"]) == ["magnet_high_temp"]
    assert bad["residual_t"].iloc[0] == pytest.approx(1.0)


def test_halt_run_books_licences_and_customs(builtin_runs: dict[str, res.SimulationResult]) -> None:
    r = builtin_runs["export-halt-2025"]
    b = r.balance()
    assert "export" in set(b["stage"])  # the customs node holds shipments under review
    lic = r.licences()
    assert len(lic) > 0 and set(lic["outcome"]) >= {"approved", "refused"}
    assert (lic["submitted"] >= pd.Timestamp("2025-04-04")).all()


# ---------------------------------------------------------------- hypothesis: valid variants

_RAW = BASE.raw
START, END = dt.date(2024, 1, 1), dt.date(2024, 6, 30)
FIRST = START - dt.timedelta(days=30)
# What a short horizon needs besides its dates: every dated item inside it.
SHORT: dict[str, Any] = {
    "scenario.end": END,
    "scenario.warmup_days": 30,
    "quota.batches": [_RAW["quota"]["batches"][0]],
    "ore_lanes": [{k: v for k, v in x.items() if k != "under_quota_from"} for x in _RAW["ore_lanes"]],
    "magnet_plants.eu_magnets.capacity_changes": [],
    "magnet_plants.us_magnets.capacity_changes": [],
}
AUTOMAKERS = [a["id"] for a in _RAW["demand"]["automakers"]]
# Suppliers an automaker may use (plants with a lane to its country, or in it).
_LANES = {(x["origin"], x["destination"]) for x in _RAW["lanes"]}
_PLANT_COUNTRY = {p["id"]: p["country"] for p in _RAW["magnet_plants"]}
REACHABLE = {
    a["id"]: [p for p, c in _PLANT_COUNTRY.items() if c == a["country"] or (c, a["country"]) in _LANES]
    for a in _RAW["demand"]["automakers"]
}
COUNTRIES = sorted({a["country"] for a in _RAW["demand"]["automakers"]} - {"China"})
PRODUCTS = ["magnet_standard", "magnet_high_temp", "oxide_ndpr", "oxide_dytb"]

_days = st.integers(0, (END - FIRST).days)


def _date(n: int) -> dt.date:
    return FIRST + dt.timedelta(days=n)


@st.composite
def _window(draw: st.DrawFn) -> tuple[dt.date, dt.date | None]:
    a = draw(_days)
    length = draw(st.one_of(st.none(), st.integers(1, 120)))
    return _date(a), (None if length is None else _date(a) + dt.timedelta(days=length))


@st.composite
def _shares(draw: st.DrawFn, n: int) -> list[float]:
    w = draw(st.lists(st.integers(0, 10), min_size=n, max_size=n).filter(lambda x: sum(x) > 0))
    return [x / sum(w) for x in w]


@st.composite
def _rule(draw: st.DrawFn, i: int) -> dict[str, Any]:
    start, end = draw(_window())
    rule: dict[str, Any] = {
        "name": f"rule{i}", "start": start,
        "products": draw(st.lists(st.sampled_from(PRODUCTS), min_size=1, max_size=4, unique=True)),
        "regime": draw(st.sampled_from(REGIMES)),
    }
    if end is not None:
        rule["end"] = end
    if draw(st.booleans()):
        rule["destinations"] = draw(st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=3, unique=True))
    return rule


_prob = st.floats(0.0, 1.0)


@st.composite
def variants(draw: st.DrawFn) -> dict[str, Any]:
    ov: dict[str, Any] = dict(SHORT)
    if draw(st.booleans()):
        ov["simulation.campaign_days"] = draw(st.floats(0.5, 21.0))
    for m in draw(st.lists(st.sampled_from(["china_rock", "china_ionic", "myanmar", "mountain_pass_export",
                                            "mt_weld", "mountain_pass_domestic"]), max_size=3, unique=True)):
        ov[f"mines.{m}.capacity_t_per_year"] = draw(st.floats(0.0, 400000.0))
    for s in draw(st.lists(st.sampled_from(["china_separation", "lynas_malaysia", "mp_separation"]),
                           max_size=2, unique=True)):
        ov[f"separation.{s}.capacity_t_per_year"] = draw(st.floats(0.0, 500000.0))
        ov[f"separation.{s}.initial_stock_days"] = draw(st.floats(0.0, 120.0))
    for p in draw(st.lists(st.sampled_from(list(_PLANT_COUNTRY)), max_size=3, unique=True)):
        ov[f"magnet_plants.{p}.capacity_t_per_year"] = draw(st.floats(0.0, 400000.0))
        ov[f"magnet_plants.{p}.allocation"] = draw(st.sampled_from(ALLOCATION_RULES))
        ov[f"magnet_plants.{p}.oxide_stock_days"] = draw(st.floats(0.0, 120.0))
        ov[f"magnet_plants.{p}.oxide_review_days"] = draw(st.floats(1.0, 30.0))
    for a in draw(st.lists(st.sampled_from(AUTOMAKERS), max_size=4, unique=True)):
        ov[f"demand.automakers.{a}.stock_days"] = draw(st.floats(0.0, 90.0))
        ov[f"demand.automakers.{a}.review_days"] = draw(st.floats(0.5, 30.0))
        ov[f"demand.automakers.{a}.lead_time_days"] = draw(st.floats(0.0, 90.0))
        ov[f"demand.automakers.{a}.priority"] = draw(st.integers(1, 3))
        if draw(st.booleans()):
            ov[f"demand.automakers.{a}.vehicles_per_year"] = {
                "ice": draw(st.floats(0.0, 4e6)), "bev": draw(st.floats(0.0, 2e6))}
        if draw(st.booleans()):
            plants = draw(st.lists(st.sampled_from(REACHABLE[a]), min_size=1, max_size=3, unique=True))
            shares = draw(_shares(len(plants)))
            ov[f"demand.automakers.{a}.suppliers"] = [{"plant": p, "share": s}
                                                      for p, s in zip(plants, shares, strict=True) if s > 0]
    rules = draw(st.lists(st.integers(0), min_size=0, max_size=4))
    ov["export_controls.rules"] = [draw(_rule(i)) for i in range(len(rules))]
    office: dict[str, Any] = {
        "reviewers": draw(st.integers(0, 40)),
        "review_working_days": draw(st.one_of(st.floats(0.0, 40.0),
                                              st.just({"dist": "triang", "c": 0.7, "loc": 15, "scale": 30}))),
        "approval": {"default": draw(_prob), "United States": draw(_prob)},
        "max_attempts": draw(st.integers(1, 4)),
        "reapply_days": draw(st.floats(0.0, 20.0)),
        "licence_valid_days": draw(st.sampled_from([0.0, 30.0, 182.0])),
    }
    changes = []
    for _ in range(draw(st.integers(0, 3))):
        ch: dict[str, Any] = {"date": _date(draw(_days))}
        if draw(st.booleans()):
            ch["reviewers"] = draw(st.integers(0, 60))  # 0: nobody reviews for a while
        if draw(st.booleans()):
            ch["approval"] = {"default": draw(_prob)}
        if draw(st.booleans()):
            ch["review_working_days"] = draw(st.floats(0.0, 30.0))
        if draw(st.booleans()):
            ch["licence_valid_days"] = draw(st.floats(0.0, 365.0))
        changes.append(ch)
    office["changes"] = changes
    ov["export_controls.office"] = office
    if draw(st.booleans()):
        lane = draw(st.sampled_from(["myanmar_china", "us_china", "australia_malaysia", "africa_china"]))
        cuts = []
        for _ in range(draw(st.integers(1, 2))):
            a, b = draw(_window())
            cut: dict[str, Any] = {"start": a, "share_blocked": draw(_prob)}
            if b is not None:
                cut["end"] = b
            cuts.append(cut)
        ov[f"ore_lanes.{lane}.cuts"] = cuts
    if draw(st.booleans()):
        ov["quota.batches.2024-1.mining_t"] = draw(st.floats(0.0, 200000.0))
        ov["quota.batches.2024-1.smelting_t"] = draw(st.floats(0.0, 200000.0))
        ov["quota.batches.2024-1.issued"] = _date(draw(_days))
    if draw(st.booleans()):
        ov["quota.provisional_t_per_year"] = draw(st.floats(0.0, 400000.0))
    return ov


def test_short_horizon_base_is_valid_and_balanced() -> None:
    r = res.simulate(BASE.with_overrides(SHORT), seed=0)
    assert r.end == END
    _assert_balanced(r)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ov=variants(), seed=st.integers(0, 2**32 - 1))
def test_mass_balance_of_valid_variants(ov: dict[str, Any], seed: int) -> None:
    sc = BASE.with_overrides(ov)
    r = res.simulate(sc, seed=seed)  # check=True: raises if a node leaks
    _assert_balanced(r)
    m = r.metrics()
    assert ((m["fill_rate"].dropna() >= -1e-9) & (m["fill_rate"].dropna() <= 1 + 1e-9)).all()
    sf = r.shortfall("D")
    assert (sf["unmet_t"] >= -1e-9).all()
    assert (sf["unmet_t"] <= sf["demand_t"] * (1 + 1e-9) + 1e-12).all()


def test_office_without_reviewers_holds_files_until_staffed() -> None:
    # Licences for high-temperature magnets from 1 Feb 2024, nobody to review them until
    # 1 Mar 2024 (a Friday), then 40 reviewers taking 5 working days each.
    ov = dict(SHORT)
    ov["export_controls.rules"] = [{"name": "licensing", "start": dt.date(2024, 2, 1),
                                    "products": ["magnet_high_temp"], "regime": "licence"}]
    ov["export_controls.office"] = {"reviewers": 0, "review_working_days": 5.0, "approval": {"default": 1.0},
                                    "changes": [{"date": dt.date(2024, 3, 1), "reviewers": 40}]}
    r = res.simulate(BASE.with_overrides(ov), seed=2)
    _assert_balanced(r)
    lic = r.licences()
    staffed = pd.Timestamp("2024-03-01")
    feb = lic[lic["submitted"] < staffed]
    assert len(feb) > 40
    assert (lic["review_started"].dropna() >= staffed).all()
    assert (feb["review_started"] == staffed).sum() == 40  # one file per reviewer on the first day
    assert (lic.loc[lic["review_started"] == staffed, "decided"] == pd.Timestamp("2024-03-08")).all()
    sh = r.shipments()
    held = sh[(sh["product"] == "magnet_high_temp") & (sh["origin_country"] == "China")
              & (sh["destination"] != "China") & (sh["ready"] >= pd.Timestamp("2024-02-01"))]
    assert len(held) > 0
    assert (held["departed"].dropna() > pd.Timestamp("2024-03-08")).all()


@pytest.mark.parametrize("mine", ["china_rock", "china_ionic"])
def test_quota_mine_with_zero_capacity_runs(mine: str) -> None:
    r = res.simulate(BASE.with_overrides({**SHORT, f"mines.{mine}.capacity_t_per_year": 0.0}), seed=0)
    _assert_balanced(r)
    fl = r.ledger.flows_frame()
    assert fl.loc[(fl["src"] == "ground") & (fl["dst"] == f"mine:{mine}"), "t"].sum() == 0.0


# ---------------------------------------------------------------- determinism

TABLES = ("exports", "shortfall", "stockouts", "metrics", "licences", "balance", "stock_levels", "shipments")


def _tables(r: res.SimulationResult) -> dict[str, pd.DataFrame]:
    return {name: getattr(r, name)() for name in TABLES}


@pytest.fixture(scope="module")
def halt_seed7() -> res.SimulationResult:
    return res.simulate(HALT, seed=7)


def test_same_seed_gives_identical_tables(halt_seed7: res.SimulationResult) -> None:
    # Run another seed in between: no state may leak from one run to the next.
    res.simulate(HALT, seed=8)
    again = res.simulate(HALT, seed=7)
    a, b = _tables(halt_seed7), _tables(again)
    for name in TABLES:
        pdt.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)
    assert halt_seed7.parameters == again.parameters
    assert halt_seed7.ledger.flows == again.ledger.flows


def test_seed_sequence_and_int_seed_agree(halt_seed7: res.SimulationResult) -> None:
    via_ss = res.simulate(HALT, seed=np.random.SeedSequence(7))
    pdt.assert_frame_equal(halt_seed7.exports(), via_ss.exports(), check_exact=True)
    pdt.assert_frame_equal(halt_seed7.licences(), via_ss.licences(), check_exact=True)


def test_different_seeds_differ(halt_seed7: res.SimulationResult) -> None:
    other = res.simulate(HALT, seed=123)
    assert halt_seed7.parameters != other.parameters  # uncertain inputs drawn per replication
    a, b = halt_seed7.exports(), other.exports()
    assert not a.equals(b)
    ta = a.groupby("period")["quantity_t"].sum()
    tb = b.groupby("period")["quantity_t"].sum()
    assert (ta - tb).abs().max() > 1.0  # tonnes, not rounding
    assert not halt_seed7.licences()["decided"].equals(other.licences()["decided"])


def test_no_global_random_state_is_used_or_changed() -> None:
    np.random.seed(12345)
    before = np.random.get_state()
    r1 = res.simulate(BASE.with_overrides(SHORT), seed=5)
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]
    np.random.seed(999)  # a different global state must not change the run
    r2 = res.simulate(BASE.with_overrides(SHORT), seed=5)
    pdt.assert_frame_equal(r1.exports(), r2.exports(), check_exact=True)


def test_adding_an_automaker_does_not_shift_other_streams() -> None:
    # Streams are keyed by component name: a new automaker leaves the licensing office's
    # review-time draws alone (same review times for the first applications).
    sc = BASE.with_overrides(SHORT)
    new = dict(_RAW["demand"]["automakers"][0], id="gm_clone", vehicles_per_year={"ice": 1.0})
    sc2 = sc.with_overrides({"demand.automakers": _RAW["demand"]["automakers"] + [new]})
    p1, p2 = sc.realize(np.random.SeedSequence(4)), sc2.realize(np.random.SeedSequence(4))
    assert p1["simulation"] == p2["simulation"]
    assert p1["demand"]["automakers"] == p2["demand"]["automakers"][:-1]


def test_a_dropped_result_is_freed_without_the_cycle_collector(builtin_runs: dict[str, res.SimulationResult]) -> None:
    """Ledger.close() keeps the ledger out of the components' reference cycles, so an
    ensemble worker (collector paused) frees each run's records as soon as it drops them."""
    import gc
    import weakref

    was = gc.isenabled()
    gc.disable()
    try:
        r = res.simulate(HALT, seed=5)
        ledger = weakref.ref(r.ledger)
        del r
        assert ledger() is None, [type(x).__name__ for x in gc.get_referrers(ledger())]
    finally:
        if was:
            gc.enable()


@pytest.mark.parametrize("name", ["baseline-2024", "export-halt-2025"])
@pytest.mark.parametrize(("freq", "origin"), [("MS", "China"), ("W", None), ("QS", "Japan")])
def test_exports_equal_the_departed_shipments(builtin_runs: dict[str, res.SimulationResult], name: str,
                                              freq: str, origin: str | None) -> None:
    """exports() reads the ledger's flows onto cross-border lanes; recount it from the
    shipments themselves (departure date, countries, quantity), independently."""
    r = builtin_runs[name]
    ex = r.exports(freq, origin)
    starts = pd.DatetimeIndex(ex["period"].unique()).sort_values()
    edges = np.append(np.asarray([r.t(d.date()) for d in starts]), r.until)
    edges[0] = r.t_start
    want: dict[tuple[pd.Timestamp, str, str, str], float] = {}
    for s in r.ledger.shipments:
        if s.origin_country == s.dest_country or (origin is not None and s.origin_country != origin):
            continue
        if not edges[0] <= s.t_departed < edges[-1]:
            continue
        p = starts[int(np.searchsorted(edges, s.t_departed, side="right")) - 1]
        key = (p, s.origin_country, s.dest_country, s.product)
        want[key] = want.get(key, 0.0) + s.qty
    got = {(row.period, row.origin, row.destination, row.product): row.quantity_t
           for row in ex.itertuples() if row.quantity_t > 0.0}
    assert got.keys() == want.keys()
    assert all(got[k] == pytest.approx(want[k], rel=1e-12) for k in got)
