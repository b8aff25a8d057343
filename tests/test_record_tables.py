"""The ensemble record and the mass-balance check work on arrays; they must agree with the tables.

``ensemble._record`` skips building ``metrics()``, ``shortfall("D")`` and ``exports("MS")``
DataFrames (a few ms per replication), and ``Ledger.check_balance`` skips ``balance()``
unless it fails. Here each is compared, value for value and dtype for dtype, with what
the public tables give.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rare_earth_sim as res
from rare_earth_sim import ensemble as ens_mod


@pytest.fixture(scope="module", params=["export-halt-2025", "baseline-2024"])
def run(request: pytest.FixtureRequest) -> tuple[res.Scenario, res.SimulationResult]:
    sc = res.load_scenario(request.param)
    return sc, res.simulate(sc, seed=0)


def _from_tables(r: res.SimulationResult) -> dict[str, np.ndarray]:
    """The record's table-derived fields, computed from the public DataFrames."""
    m = r.metrics()
    ids = m["automaker"].to_numpy(dtype=str)
    sf = r.shortfall("D")
    na, nd = len(ids), len(sf) // len(ids)
    out = {"automaker": ids, "name": m["name"].to_numpy(dtype=str), "region": m["region"].to_numpy(dtype=str),
           "first_date": sf["date"].to_numpy()[0], "n_days": np.int64(nd),
           "stockout_bits": np.packbits(sf["vehicles_lost"].to_numpy().reshape(na, nd).T > 0.0, axis=None),
           "cum_vehicles_lost": sf["cum_vehicles_lost"].to_numpy().reshape(na, nd).T.copy()}
    names = [c for c in m.columns if c not in ("automaker", "name", "region")]
    out["metric_names"] = np.array(names, dtype=str)
    out["metric_units"] = np.array([m.attrs["units"].get(c, "") for c in names], dtype=str)
    for c in names:
        out["m__" + c] = m[c].to_numpy()
    ex = r.exports("MS")
    periods = pd.period_range(pd.Timestamp(r.start), pd.Timestamp(r.end), freq="M").start_time
    routes = sorted({(o, d, p) for o, d, p in zip(ex["origin"], ex["destination"], ex["product"], strict=True)},
                    key="\x1f".join)
    qty = np.zeros((len(routes), len(periods)))
    row = {k: i for i, k in enumerate(routes)}
    for o, d, p, t, q in zip(ex["origin"], ex["destination"], ex["product"], ex["period"], ex["quantity_t"],
                             strict=True):
        qty[row[(o, d, p)], periods.get_loc(t)] = q
    out["ex_period"] = periods.to_numpy()
    for j, c in enumerate(("origin", "destination", "product")):
        out["ex_" + c] = np.array([x[j] for x in routes], dtype=str)
    out["ex_quantity_t"] = qty
    return out


def test_record_matches_tables(run: tuple[res.Scenario, res.SimulationResult]) -> None:
    sc, r = run
    rec = ens_mod._record(r, 3, "series", list(sc.uncertain()["path"]))
    want = _from_tables(r)
    for key, value in want.items():
        got = np.asarray(rec[key])
        value = np.asarray(value)
        assert got.dtype == value.dtype and got.shape == value.shape, key
        if value.dtype.kind in "mM":
            assert np.array_equal(got.view("i8"), value.view("i8")), key
        else:
            assert np.array_equal(got, value, equal_nan=value.dtype.kind == "f"), key
    summary = ens_mod._record(r, 3, "summary", list(sc.uncertain()["path"]))
    assert "cum_vehicles_lost" not in summary and set(summary) == set(rec) - {"cum_vehicles_lost"}


def test_tables_do_not_share_cached_arrays(run: tuple[res.Scenario, res.SimulationResult]) -> None:
    # Tables are built from arrays cached on the result: changing one table must not change the next.
    _, r = run
    first = r.shortfall("D")
    first.loc[:, ["vehicles_lost", "cum_vehicles_lost"]] = -1.0
    m = r.metrics()
    m.loc[:, "vehicles_lost"] = -1.0
    assert (r.shortfall("D")[["vehicles_lost", "cum_vehicles_lost"]] >= 0.0).all().all()
    assert (r.metrics()["vehicles_lost"] >= 0.0).all()


def test_check_balance_reports_negative_end_stock() -> None:
    # Balanced books but a node that ends below zero: the array check must still catch it.
    r = res.simulate(res.load_scenario("baseline-2024"), seed=2)
    led = r.ledger
    name, (stage, stocks) = next((n, v) for n, v in led.nodes.items() if v[1] is not None and v[1]())
    assert stocks is not None
    material, held = next(iter(stocks().items()))
    led.nodes[name] = (stage, lambda: {**stocks(), material: -1.0})
    led.flow(11.0, name, "elsewhere", material, held + 1.0)
    with pytest.raises(AssertionError, match="negative stock at the end"):
        led.check_balance()
