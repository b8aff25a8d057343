"""Backtest: observed series checks, scores on a hand-made example, the API, plot and CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import rare_earth_sim as res
from rare_earth_sim.backtest import ObservedDataError, compare, read_observed
from rare_earth_sim.cli import main
from rare_earth_sim.plot.backtest import backtest as plot_backtest


@pytest.fixture(scope="module")
def short_halt() -> res.Scenario:
    """export-halt-2025 from 2025-01-01 (60 d warm-up): cheap, still spans the halt."""
    sc = res.load_scenario("export-halt-2025")
    return sc.with_overrides({"scenario.start": "2025-01-01", "scenario.warmup_days": 60,
                              "quota.batches": sc.raw["quota"]["batches"][2:]})


def _csv(tmp_path: Path, text: str, name: str = "observed.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- observed series -----------------------------------------------------------------------
def test_packaged_exports_are_a_valid_observed_series() -> None:
    obs = read_observed(res.data.magnet_exports())
    assert list(obs.columns) == ["period", "total_t", "to_us_t", "inferred"]
    assert obs.attrs["destinations"] == {"to_us_t": "United States"}
    assert obs["period"].is_monotonic_increasing and (obs["period"].dt.day == 1).all()
    row = obs.set_index("period").loc["2025-05-01"]
    assert (row["total_t"], row["to_us_t"], bool(row["inferred"])) == (1238.0, 46.0, False)


def test_the_package_csv_file_itself_reads_and_skips_its_annual_rows() -> None:
    path = Path(res.data.__file__).parent / "china_magnet_exports_monthly.csv"
    obs = read_observed(path)
    assert len(obs) == 13 and obs.attrs["source"] == str(path)  # "2024" and "2025-H1" rows left out
    assert obs["total_t"].sum() == read_observed(res.data.magnet_exports())["total_t"].sum()


def test_csv_with_dates_months_and_extra_columns(tmp_path: Path) -> None:
    path = _csv(tmp_path, "period,total_t,to_us_t,to_eu_t,note\n2025-05,1238,46,,reported\n"
                          "2025-06-01,3188,353,900,\n")
    obs = read_observed(path)
    assert obs["period"].tolist() == [pd.Timestamp("2025-05-01"), pd.Timestamp("2025-06-01")]
    assert obs.attrs["destinations"] == {"to_us_t": "United States", "to_eu_t": "European Union"}
    assert np.isnan(obs.loc[0, "to_eu_t"]) and obs.loc[1, "to_eu_t"] == 900.0
    assert not obs["inferred"].any()


@pytest.mark.parametrize("text, column, words", [
    ("month,total_t\n2025-05,1238\n", "period", "missing column"),
    ("period,exports\n2025-05,1238\n", "total_t", "missing column"),
    ("period,total_t\n2025-05,1238\nMay 2025,3188\n", "period", "not a month"),
    ("period,total_t\n2025-13,1238\n", "period", "not a month"),
    ("period,total_t\n2025-05,1238\n2025-05-01,1300\n", "period", "duplicate month"),
    ("period,total_t\n2025-05,-5\n", "total_t", "negative"),
    ("period,total_t\n2025-05,\n", "total_t", "empty cell"),
    ("period,total_t,to_us_t\n2025-05,1238,about 40\n", "to_us_t", "not a number"),
    ("period,total_t,to_us_t\n2025-05,1238,-1\n", "to_us_t", "negative"),
    ("period,total_t,to_mars_t\n2025-05,1238,4\n", "to_mars_t", "unknown destination"),
    ("period,total_t,inferred\n2025-05,1238,maybe\n", "inferred", "true or false"),
])
def test_malformed_observed_file_names_file_and_column(tmp_path: Path, text: str, column: str, words: str) -> None:
    path = _csv(tmp_path, text, "exports_bad.csv")
    with pytest.raises(ObservedDataError) as err:
        read_observed(path)
    msg = str(err.value)
    assert isinstance(err.value, ValueError)
    assert str(path) in msg and repr(column) in msg and words in msg
    assert err.value.column == column


def test_malformed_dataframe_is_named_too() -> None:
    df = pd.DataFrame({"period": ["2025-05"], "total_t": ["n/a"]})
    with pytest.raises(ObservedDataError, match=r"<DataFrame>: column 'total_t': not a number"):
        read_observed(df)


# -- scores on a hand-made example ------------------------------------------------------------
def _hand_example() -> tuple[pd.DataFrame, pd.DataFrame]:
    observed = pd.DataFrame({"period": ["2025-01", "2025-02", "2025-03"], "total_t": [100.0, 200.0, 400.0],
                             "to_us_t": [10.0, None, 50.0], "inferred": [False, True, False]})
    # five replications per month; totals 80..120 / 150..250 / 200..300, US 5..15 / - / 10..20
    months = pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"])
    total = {months[0]: [80, 90, 100, 110, 120], months[1]: [150, 175, 200, 225, 250],
             months[2]: [200, 225, 250, 275, 300]}
    us = {months[0]: [5, 7.5, 10, 12.5, 15], months[1]: [0, 0, 0, 0, 0], months[2]: [10, 12.5, 15, 17.5, 20]}
    rows = [{"replication": r, "period": m, "series": s, "simulated_t": float(v[m][r])}
            for s, v in (("total", total), ("United States", us)) for m in months for r in range(5)]
    return observed, pd.DataFrame(rows)


def test_scores_of_a_hand_made_example() -> None:
    observed, simulated = _hand_example()
    bt = compare(observed, simulated, cutoff="2025-02-28")
    t = bt.table.set_index(["series", "period"])
    tot = t.loc["total"]
    assert tot["sim_mean_t"].tolist() == [100.0, 200.0, 250.0]
    assert tot["sim_median_t"].tolist() == [100.0, 200.0, 250.0]
    # linear-interpolated 5 % / 95 % quantiles of five equally spaced values
    assert tot["sim_low_t"].tolist() == pytest.approx([82.0, 155.0, 205.0])
    assert tot["sim_high_t"].tolist() == pytest.approx([118.0, 245.0, 295.0])
    assert tot["error_t"].tolist() == [0.0, 0.0, -150.0]
    assert tot["error_pct"].tolist() == [0.0, 0.0, -37.5]
    assert tot["inside_band"].tolist() == [True, True, False]
    assert tot["out_of_sample"].tolist() == [False, False, True]
    us = t.loc["United States"]  # February has no US observation: not a row
    assert list(us.index) == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-03-01")]
    assert us["error_t"].tolist() == [0.0, -35.0] and us["inside_band"].tolist() == [True, False]

    s = bt.scores.set_index(["series", "sample"])
    assert s.loc[("total", "all"), "n"] == 3
    assert s.loc[("total", "all"), "mape_pct"] == pytest.approx(37.5 / 3)
    assert s.loc[("total", "all"), "bias_t"] == pytest.approx(-50.0)
    assert s.loc[("total", "all"), "bias_pct"] == pytest.approx(-12.5)
    assert s.loc[("total", "all"), "rmse_t"] == pytest.approx(np.sqrt(150.0 ** 2 / 3))
    assert s.loc[("total", "all"), "coverage"] == pytest.approx(2 / 3)
    assert s.loc[("total", "in_sample"), ["n", "mape_pct", "bias_t", "coverage"]].tolist() == [2, 0.0, 0.0, 1.0]
    assert s.loc[("total", "out_of_sample"), ["n", "mape_pct", "bias_t", "coverage"]].tolist() == [1, 37.5, -150.0, 0.0]
    assert s.loc[("United States", "out_of_sample"), "mape_pct"] == pytest.approx(70.0)
    assert s.loc[("United States", "all"), "coverage"] == pytest.approx(0.5)
    assert bt.scores["nominal_coverage"].tolist() == pytest.approx([0.9] * 6)


def test_without_cutoff_only_all_and_months_outside_are_dropped() -> None:
    observed, simulated = _hand_example()
    observed = pd.concat([observed, pd.DataFrame({"period": ["2026-01"], "total_t": [1.0]})])
    bt = compare(observed, simulated)
    assert set(bt.scores["sample"]) == {"all"}
    assert not bt.table["out_of_sample"].any()
    assert bt.dropped == [pd.Timestamp("2026-01-01")]


# -- API, plot, command line ------------------------------------------------------------------
def test_backtest_of_a_scenario(short_halt: res.Scenario) -> None:
    bt = res.backtest(short_halt, res.data.magnet_exports(), replications=3, seed=1, cutoff="2025-03-31")
    assert bt.replications == 3 and bt.scenario == "export-halt-2025"
    assert set(bt.table["series"]) == {"total", "United States"}
    assert bt.table["period"].min() == pd.Timestamp("2025-01-01")  # 2024 months lie outside this run
    assert len(bt.dropped) == 7
    assert bt.table.loc[bt.table["period"] >= "2025-04-01", "out_of_sample"].all()
    assert {"all", "in_sample", "out_of_sample"} == set(bt.scores["sample"])
    assert (bt.table["sim_low_t"] <= bt.table["sim_median_t"]).all()
    assert (bt.table["sim_median_t"] <= bt.table["sim_high_t"]).all()
    ax = plot_backtest(bt, ax=Figure().add_subplot())
    assert isinstance(ax, Axes) and ax.get_ylabel().startswith("t per month")
    assert any(line.get_label().startswith("cutoff") for line in ax.get_lines())
    with pytest.raises(ValueError, match="series 'Japan'"):
        plot_backtest(bt, ax=Figure().add_subplot(), series="Japan")


def test_cli_writes_table_scores_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    obs = _csv(tmp_path, "period,total_t,to_us_t\n2024-07,5278,\n2025-05,1238,46\n2025-06,3188,353\n")
    out = tmp_path / "out"
    rc = main(["backtest", "export-halt-2025", "--observed", str(obs), "--cutoff", "2025-05-31",
               "--replications", "2", "--out", str(out)])
    assert rc == 0
    assert {p.name for p in out.iterdir()} == {"backtest_table.csv", "backtest_scores.csv", "backtest.png"}
    table = pd.read_csv(out / "backtest_table.csv")
    assert len(table) == 5 and table["out_of_sample"].sum() == 2
    assert "out_of_sample" in capsys.readouterr().out


def test_cli_malformed_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    obs = _csv(tmp_path, "period,total_t\n2025-05,lots\n", "broken.csv")
    rc = main(["backtest", "export-halt-2025", "--observed", str(obs), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and "broken.csv" in err and "'total_t'" in err and "Traceback" not in err
