"""Calibration: parameter specifications, the objective, and recovery of known parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rare_earth_sim as res
from rare_earth_sim.backtest import _ensemble_exports, simulated_series
from rare_earth_sim.calibration import _parameter

APPROVAL = "export_controls.office.approval.default"
REVIEW = "export_controls.office.review_working_days"


@pytest.fixture(scope="module")
def halt() -> res.Scenario:
    """export-halt-2025 with fixed starting distributions (independent of the shipped fit)."""
    return res.load_scenario("export-halt-2025").with_overrides({
        APPROVAL: {"dist": "uniform", "loc": 0.12, "scale": 0.2},                  # mean 0.22
        REVIEW: {"dist": "triang", "c": 0.7, "loc": 15, "scale": 30},              # mean 32 working days
        "export_controls.office.reviewers": {"dist": "triang", "c": 0.5, "loc": 60, "scale": 80},
    })


@pytest.fixture(scope="module")
def short_halt(halt: res.Scenario) -> res.Scenario:
    """export-halt-2025 for March-September 2025 (60 d warm-up): cheap, spans the halt."""
    return halt.with_overrides({"scenario.start": "2025-03-01", "scenario.end": "2025-09-30",
                                "scenario.warmup_days": 60, "quota.batches": halt.raw["quota"]["batches"][2:]})


def _observed_from_model(sc: res.Scenario, replications: int, seed: int) -> pd.DataFrame:
    """The model's own monthly magnet exports (ensemble mean), as an observed series."""
    sim = simulated_series(_ensemble_exports(sc, replications, seed), ["United States"])
    m = sim.groupby(["period", "series"])["simulated_t"].mean().unstack()
    return pd.DataFrame({"period": m.index, "total_t": m["total"].to_numpy(),
                         "to_us_t": m["United States"].to_numpy()})


# -- parameter specifications -----------------------------------------------------------------
def test_parameter_modes(halt: res.Scenario) -> None:
    # a distribution table: shifted so that its mean is the fitted number (width kept)
    p = _parameter(halt, REVIEW, (18, 45), None)
    assert (p.mode, p.initial) == ("shift", pytest.approx(32.0))  # triang(c=0.7, loc=15, scale=30)
    assert p.override(26.0) == {"dist": "triang", "c": 0.7, "loc": pytest.approx(9.0), "scale": 30}
    # ... or scaled (relative spread kept)
    p = _parameter(halt, "export_controls.office.reviewers", (50, 300, "scale"), None)
    assert p.override(150.0) == {"dist": "triang", "c": 0.5, "loc": pytest.approx(90.0), "scale": pytest.approx(120.0)}
    # a parameter of a distribution, by its path
    p = _parameter(halt, REVIEW + ".loc", (3, 30), None)
    assert (p.mode, p.initial, p.integer, p.override(7.6)) == ("value", 15.0, False, 7.6)
    # a whole-number field given as a number is rounded; the initial value is clipped to the bounds
    sc = halt.with_overrides({"export_controls.office.reviewers": 80})
    p = _parameter(sc, "export_controls.office.reviewers", (100, 200), None)
    assert (p.integer, p.initial, p.override(123.6)) == (True, 100.0, 124)


@pytest.mark.parametrize("spec, words", [
    ((0.3, 0.1), "low < high"),
    ((0.1,), "expected (low, high)"),
    ((0.1, 0.5, "stretch"), "mode 'stretch'"),
    ((0.1, 0.5, "value"), "fit its mean with mode 'shift' or 'scale'"),
    ((0.01, 0.5), "bound 0.01 gives an invalid scenario"),  # uniform of width 0.2 around 0.01 < 0
])
def test_bad_parameter_specifications_fail_before_simulating(halt: res.Scenario, spec: tuple, words: str) -> None:
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        res.calibrate(halt, res.data.magnet_exports(), {APPROVAL: spec}, cutoff="2025-06-30")


def test_unknown_path_and_empty_parameters(halt: res.Scenario) -> None:
    with pytest.raises(ValueError, match="no such field"):
        res.calibrate(halt, res.data.magnet_exports(), {"demand.automakers.nobody.stock_days": (10, 90)})
    with pytest.raises(ValueError, match="parameters is empty"):
        res.calibrate(halt, res.data.magnet_exports(), {})


# -- the objective ----------------------------------------------------------------------------
def test_objective_uses_only_months_up_to_the_cutoff(short_halt: res.Scenario) -> None:
    observed = pd.DataFrame({"period": ["2025-04", "2025-05", "2025-06", "2025-07"],
                             "total_t": [2626.0, 1238.0, 3188.0, 99999.0], "to_us_t": [None, 46.0, 353.0, 1.0],
                             "inferred": [True, False, False, False]})
    _, rep = res.calibrate(short_halt, observed, {REVIEW: (18, 45)}, cutoff="2025-06-30", replications=2,
                           seed=1, max_evaluations=0, sensitivity=False)
    r = rep.residuals
    assert r["period"].max() == pd.Timestamp("2025-06-01")  # July is after the cutoff: never used
    assert len(r) == 5 and rep.evaluations == 1
    assert r.loc[r["period"] == "2025-04-01", "weight"].tolist() == [0.5]  # inferred
    # J = weighted mean of squared errors relative to the month's observed total
    totals = r["period"].map({pd.Timestamp("2025-04-01"): 2626.0, pd.Timestamp("2025-05-01"): 1238.0,
                              pd.Timestamp("2025-06-01"): 3188.0})
    j = float((r["weight"] * ((r["simulated_t"] - r["observed_t"]) / totals) ** 2).sum() / r["weight"].sum())
    assert rep.objective == pytest.approx(j) == pytest.approx(rep.objective_initial)
    assert rep.residuals["contribution"].sum() == pytest.approx(1.0)
    assert "/ observed total of the month" in rep.objective_description
    with pytest.raises(ValueError, match="no observed month"):
        res.calibrate(short_halt, observed, {REVIEW: (18, 45)}, cutoff="2025-03-31", replications=1,
                      max_evaluations=0, sensitivity=False)


# -- recovery of known parameters -----------------------------------------------------------
def test_calibration_recovers_known_parameters(short_halt: res.Scenario) -> None:
    """Simulate with known halt approval rate and review time, fit both from other values.

    True means 0.40 (approval, uniform of width 0.2) and 26 working days (review,
    triangular); the fit starts from the scenario's 0.22 and 32. Observations are the
    model's own ensemble means (total and US, March-July 2025) over the seeds the fit
    uses, so the truth is an exact zero of the objective; what is left is Nelder-Mead
    on a surface that Monte Carlo makes slightly rough (6 replications). Tolerance: 15 %
    of each parameter's range, and the objective must fall by 95 %.
    """
    truth = {APPROVAL: 0.40, REVIEW: 26.0}
    bounds = {APPROVAL: (0.1, 0.6), REVIEW: (18.0, 45.0)}
    params = {p: _parameter(short_halt, p, b, None) for p, b in bounds.items()}
    true_sc = short_halt.with_overrides({p: params[p].override(x) for p, x in truth.items()})
    observed = _observed_from_model(true_sc, replications=6, seed=7)

    fitted, rep = res.calibrate(short_halt, observed, bounds, cutoff="2025-07-31", replications=6, seed=7,
                                max_evaluations=25, sensitivity=False)
    got = rep.parameters.set_index("path")["fitted"]
    for p, (lo, hi) in bounds.items():
        assert abs(got[p] - truth[p]) <= 0.15 * (hi - lo), (p, got[p], truth[p])
    assert rep.objective <= 0.05 * rep.objective_initial
    assert rep.evaluations <= 25 and rep.elapsed_s > 0 and not rep.warnings
    # the calibrated scenario holds the fitted distributions; nothing else changed
    office = short_halt.raw["export_controls"]["office"]
    assert fitted.raw["export_controls"]["office"]["approval"]["default"] == rep.overrides[APPROVAL]
    assert fitted.with_overrides({APPROVAL: office["approval"]["default"],
                                  REVIEW: office["review_working_days"]}) == short_halt
    hist = rep.history
    assert list(hist.columns[:3]) == ["evaluation", APPROVAL, REVIEW]
    assert hist["objective"].min() == pytest.approx(rep.objective)
    assert np.isfinite(rep.residuals["simulated_se_t"]).all()
