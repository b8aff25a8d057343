"""Monte Carlo ensembles: reproducibility across executors, resumable stores, tables, files, plots, CLI.

Replication counts are small (6): what is tested is that replication *i* is the same
whatever runs it, not the statistics.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import rare_earth_sim as res
import rare_earth_sim.plot  # noqa: F401  (res.plot)
from rare_earth_sim import ensemble as ens_mod
from rare_earth_sim.ensemble import ReplicationError, replication_seed
from rare_earth_sim.ensemble_result import EnsembleBuilder, _quantiles
from rare_earth_sim.ensemble_store import JOURNAL, StoreMismatchError, decode_record, read_journal

R, SEED = 6, 7

# Python >= 3.12 warns when a process that runs threads (pytest's, a test's watcher, Dask's
# leftovers) forks the pool's workers; with the workers doing no threading of their own the
# warning is harmless here. run_ensemble leaves the start method to the platform.
fork_with_threads = pytest.mark.filterwarnings("ignore:.*use of fork\\(\\) may lead to deadlocks:DeprecationWarning")


@pytest.fixture(scope="module")
def scenario() -> res.Scenario:
    return res.load_scenario("export-halt-2025")


@pytest.fixture(scope="module")
def serial(scenario: res.Scenario) -> res.EnsembleResult:
    """The reference: R replications run one after the other in this process."""
    return res.run_ensemble(scenario, R, seed=SEED, progress=False)


def assert_same(a: res.EnsembleResult, b: res.EnsembleResult) -> None:
    """Every deterministic table of two ensembles is identical (bit for bit)."""
    pdt.assert_frame_equal(a.metrics(), b.metrics())
    pdt.assert_frame_equal(a.exports(), b.exports())
    pdt.assert_frame_equal(a.parameters(), b.parameters())
    pdt.assert_frame_equal(a.stockout_probability(), b.stockout_probability())
    pdt.assert_frame_equal(a.summary(), b.summary())
    if a.keep == b.keep == "series":
        pdt.assert_frame_equal(a.shortfall_bands(), b.shortfall_bands())


# -- seeds and per-replication results ------------------------------------------------------
def test_replication_seed_is_the_spawned_child() -> None:
    children = np.random.SeedSequence(SEED).spawn(50)
    for i in (0, 1, 17, 49):
        assert np.array_equal(replication_seed(SEED, i).generate_state(8), children[i].generate_state(8))


def test_replication_equals_a_single_simulation(scenario: res.Scenario, serial: res.EnsembleResult) -> None:
    i = 4
    r = res.simulate(scenario, np.random.SeedSequence(SEED).spawn(R)[i])
    got = serial.metrics().query("replication == @i").drop(columns="replication").reset_index(drop=True)
    want = r.metrics()
    want["first_stockout"] = want["first_stockout"].astype("datetime64[ns]")
    pdt.assert_frame_equal(got, want, check_exact=True)
    ex = serial.exports().query("replication == @i and quantity_t > 0").drop(columns="replication")
    want_ex = r.exports("MS").query("quantity_t > 0")
    pdt.assert_frame_equal(ex.reset_index(drop=True), want_ex.reset_index(drop=True))
    params = serial.parameters(wide=True).loc[i]
    assert params["demand.automakers[0].stock_days"] == r.parameters["demand"]["automakers"][0]["stock_days"]
    assert params["export_controls.office.reviewers"] == r.parameters["export_controls"]["office"]["reviewers"]
    assert list(params.index) == list(scenario.uncertain()["path"])
    sf = r.shortfall("D")
    bands = serial.simulation(i).shortfall("D")  # rerunning a replication reproduces it
    pdt.assert_frame_equal(sf, bands)


def test_uncertain_stock_on_hand_varies_between_replications(serial: res.EnsembleResult) -> None:
    p = serial.parameters(wide=True)
    stock = p[[c for c in p.columns if c.endswith("stock_days")]]
    assert stock.shape[1] == 11  # every automaker but BYD (not exposed to export licensing)
    assert stock.to_numpy().min() >= 28.0 and stock.to_numpy().max() <= 56.0
    assert stock.nunique().min() == R


# -- executors: same results whatever runs them ----------------------------------------------
@fork_with_threads
def test_processes_give_identical_results(scenario: res.Scenario, serial: res.EnsembleResult) -> None:
    ens = res.run_ensemble(scenario, R, seed=SEED, executor=2, progress=False)
    assert ens.info["executor"] == "processes" and ens.info["workers"] == 2
    assert_same(serial, ens)


def test_any_executor_gives_identical_results(scenario: res.Scenario, serial: res.EnsembleResult) -> None:
    with cf.ThreadPoolExecutor(max_workers=3) as pool:  # threads share one process: no hidden shared state
        ens = res.run_ensemble(scenario, R, seed=SEED, executor=pool, progress=False)
    assert_same(serial, ens)


def test_dask_cluster_gives_identical_results(scenario: res.Scenario, serial: res.EnsembleResult) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        ens = res.run_ensemble(scenario, R, seed=SEED, executor=client, progress=False)
    assert ens.info["executor"] == "dask"
    assert_same(serial, ens)


def test_fewer_replications_are_a_prefix(scenario: res.Scenario, serial: res.EnsembleResult,
                                         tmp_path: Path) -> None:
    small = res.run_ensemble(scenario, 2, seed=SEED, progress=False, keep="summary")
    want = serial.metrics().query("replication < 2").reset_index(drop=True)
    pdt.assert_frame_equal(small.metrics(), want)
    with pytest.raises(ValueError, match="keep='series'"):
        small.shortfall_bands()
    assert small.stockout_probability()["p_stockout"].between(0, 1).all()
    back = res.load_ensemble(small.save(tmp_path / "small"))
    assert back.keep == "summary" and not (tmp_path / "small" / "series.parquet").exists()
    assert_same(small, back)


def test_simulation_errors_are_raised_not_retried(scenario: res.Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def broken(*args: object) -> bytes:
        calls.append(args)
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(ens_mod, "replicate", broken)
    with cf.ThreadPoolExecutor(max_workers=1) as pool, pytest.raises(ReplicationError, match="replication 0 failed"):
        res.run_ensemble(scenario, 3, seed=SEED, executor=pool, progress=False)
    started = [args[2] for args in calls]
    assert sorted(set(started)) == sorted(started)  # each replication tried once: no retry
    calls.clear()
    with pytest.raises(ReplicationError, match="ZeroDivisionError: boom"):
        res.run_ensemble(scenario, 3, seed=SEED, progress=False)
    assert len(calls) == 1  # serial: stops at the first failure


def test_bad_arguments(scenario: res.Scenario) -> None:
    with pytest.raises(ValueError, match="replications"):
        res.run_ensemble(scenario, 0)
    with pytest.raises(ValueError, match="keep"):
        res.run_ensemble(scenario, 2, keep="everything")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="executor"):
        res.run_ensemble(scenario, 2, executor="cloud")
    with pytest.raises(ValueError, match="worker count"):
        res.run_ensemble(scenario, 2, executor=0)
    with pytest.raises(TypeError, match="executor"):
        res.run_ensemble(scenario, 2, executor=object())


# -- resumable stores ---------------------------------------------------------------------------
def test_interrupted_run_keeps_what_finished_and_resumes(scenario: res.Scenario, serial: res.EnsembleResult,
                                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "store"
    real = ens_mod.decode_record
    seen = []

    def ctrl_c_on_third(payload: bytes) -> dict[str, np.ndarray]:
        seen.append(1)
        if len(seen) == 3:
            raise KeyboardInterrupt  # what Ctrl-C does while the third record is handled
        return real(payload)

    monkeypatch.setattr(ens_mod, "decode_record", ctrl_c_on_third)
    with pytest.warns(RuntimeWarning, match="interrupted: 2 of 6"):
        part = res.run_ensemble(scenario, R, seed=SEED, progress=False, store=store)
    monkeypatch.undo()
    assert not part.complete and len(part) == 2 and part.info["interrupted"]
    records, _ = read_journal(store / JOURNAL)
    assert len(records) == 3  # the third was on disk before Ctrl-C: kept for the resume
    pdt.assert_frame_equal(res.load_ensemble(store).metrics(),
                           serial.metrics().query("replication < 3").reset_index(drop=True))
    full = res.run_ensemble(scenario, R, seed=SEED, progress=False, store=store)
    assert full.complete and full.info["resumed"] == 3
    assert_same(serial, full)
    # records assembled in any order give the same ensemble
    records = [decode_record(p) for p in read_journal(store / JOURNAL)[0]]
    builder = EnsembleBuilder(R, "series")
    for rec in sorted(records, key=lambda r: -int(r["replication"])):
        builder.add(rec)
    assert_same(serial, builder.result(scenario, SEED))


def test_store_keeps_a_fresh_seed(scenario: res.Scenario, tmp_path: Path) -> None:
    first = res.run_ensemble(scenario, 1, seed=None, progress=False, store=tmp_path / "s", keep="summary")
    again = res.run_ensemble(scenario, 1, seed=None, progress=False, store=tmp_path / "s", keep="summary")
    assert again.seed == first.seed and again.info["resumed"] == 1
    pdt.assert_frame_equal(first.metrics(), again.metrics())


def test_torn_journal_tail_is_cut_and_other_runs_rejected(scenario: res.Scenario, serial: res.EnsembleResult,
                                                          tmp_path: Path) -> None:
    store = tmp_path / "store"
    res.run_ensemble(scenario, 2, seed=SEED, progress=False, store=store)
    journal = store / JOURNAL
    good = journal.stat().st_size
    with open(journal, "ab") as f:  # a crash in the middle of writing a record
        f.write(b"RESJ\xff\x00\x00\x00\x00\x00\x00\x00garbage")
    ens = res.run_ensemble(scenario, 3, seed=SEED, progress=False, store=store)
    assert ens.info["resumed"] == 2 and len(read_journal(journal)[0]) == 3
    assert journal.stat().st_size > good
    pdt.assert_frame_equal(ens.metrics(), serial.metrics().query("replication < 3").reset_index(drop=True))
    with pytest.raises(StoreMismatchError, match="seed"):
        res.run_ensemble(scenario, 3, seed=SEED + 1, progress=False, store=store)
    with pytest.raises(StoreMismatchError, match="keep"):
        res.run_ensemble(scenario, 3, seed=SEED, progress=False, store=store, keep="summary")
    other = scenario.with_overrides({"demand.automakers.ford.stock_days": 60})
    with pytest.raises(StoreMismatchError, match="scenario"):
        res.run_ensemble(other, 3, seed=SEED, progress=False, store=store)


@fork_with_threads
def test_dead_worker_is_retried(scenario: res.Scenario, serial: res.EnsembleResult, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    # The first replication a worker starts kills that worker (SIGKILL, as the OOM killer
    # would). Worker processes are forked, so they inherit the patched function; the marker
    # file makes the death happen once, deterministically (no race with a watcher thread).
    marker = tmp_path / "worker-killed"
    original = ens_mod.replicate

    def dies_once(*args: object, **kwargs: object) -> bytes:
        if not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ens_mod, "replicate", dies_once)
    ens = res.run_ensemble(scenario, R, seed=SEED, executor=2, progress=False, store=tmp_path / "store")
    assert marker.exists()
    assert ens.info["retried"] >= 1
    assert ens.complete
    assert_same(serial, ens)


# -- tables ---------------------------------------------------------------------------------------
def test_quantiles_treat_inf_as_a_value() -> None:
    x = np.array([1.0, 2.0, np.inf, np.inf, np.nan])
    assert _quantiles(x, [0.0, 0.25, 0.5, 1.0]) == [1.0, 1.75, math.inf, math.inf]
    assert _quantiles(np.array([3.0]), [0.05, 0.95]) == [3.0, 3.0]
    assert all(math.isnan(v) for v in _quantiles(np.array([np.nan]), [0.5]))


def test_summary_agrees_with_metrics(serial: res.EnsembleResult) -> None:
    m, s = serial.metrics(), serial.summary(quantiles=(0.1, 0.5))
    assert list(s["automaker"]) == serial.automakers
    assert {"p_stockout", "tts_days_p10", "tts_days_p50", "ttr_days_p50", "vehicles_lost_p10",
            "vehicles_lost_mean", "p_tts_lt_ttr"} <= set(s.columns)
    for a in ("ford", "toyota"):
        ma, sa = m[m["automaker"] == a], s.set_index("automaker").loc[a]
        assert sa["p_stockout"] == (ma["stockouts"] > 0).mean()
        assert sa["p_tts_lt_ttr"] == (ma["tts_days"] < ma["ttr_days"]).mean()
        assert sa["vehicles_lost_p50"] == pytest.approx(np.median(ma["vehicles_lost"]))
    assert s.set_index("automaker").loc["byd", "tts_days_p50"] == math.inf  # never stocks out
    assert s.attrs["units"]["tts_days_p50"] == "days"


def test_shortfall_bands_and_stockout_probability(serial: res.EnsembleResult) -> None:
    b = serial.shortfall_bands((0.05, 0.5, 0.95))
    assert len(b) == len(serial.dates) * len(serial.automakers) * 3
    w = b.pivot_table(index=["automaker", "date"], columns="quantile", values="cum_vehicles_lost")
    assert (w[0.05] <= w[0.5]).all() and (w[0.5] <= w[0.95]).all()
    last = b[(b["date"] == b["date"].max()) & (b["quantile"] == 0.5)].set_index("automaker")["cum_vehicles_lost"]
    m = serial.metrics()
    for a in ("gm", "tata"):
        assert last[a] == pytest.approx(np.median(m.loc[m["automaker"] == a, "vehicles_lost"]), rel=1e-9)
    p = serial.stockout_probability()
    assert p["p_stockout"].between(0, 1).all()
    assert p.loc[p["automaker"] == "byd", "p_stockout"].max() == 0.0
    assert p.loc[p["automaker"] == "gm", "p_stockout"].max() > 0.0


def test_exports_and_parameters_are_tidy(serial: res.EnsembleResult, scenario: res.Scenario) -> None:
    ex = serial.exports()
    assert list(ex.columns) == ["replication", "period", "origin", "destination", "product", "quantity_t"]
    assert set(ex["replication"]) == set(range(R)) and (ex["origin"] == "China").all()
    assert ex.groupby("replication").size().nunique() == 1  # every replication lists every route
    assert ex.attrs["units"]["quantity_t"] == "t"
    p = serial.parameters()
    assert list(p.columns) == ["replication", "path", "value"]
    assert len(p) == R * len(scenario.uncertain())


# -- files -------------------------------------------------------------------------------------
def test_to_xarray_and_back(serial: res.EnsembleResult) -> None:
    ds = serial.to_xarray()
    assert ds["cum_vehicles_lost"].dims == ("replication", "date", "automaker")
    assert ds["tts_days"].dims == ("replication", "automaker") and ds["tts_days"].attrs["units"] == "days"
    assert ds["exports_t"].dims == ("replication", "period", "destination", "product")
    assert ds.sizes["replication"] == R and ds.sizes["date"] == len(serial.dates)
    assert float(ds["exports_t"].sum()) == pytest.approx(serial.exports()["quantity_t"].sum())
    assert_same(serial, res.EnsembleResult.from_xarray(ds))


def test_save_and_load(serial: res.EnsembleResult, tmp_path: Path) -> None:
    path = serial.save(tmp_path / "ens")
    assert (path / "metrics.parquet").is_file() and (path / "series.parquet").is_file()
    back = res.load_ensemble(path)
    assert back.seed == serial.seed and back.keep == "series" and back.scenario == serial.scenario
    assert_same(serial, back)
    pdt.assert_frame_equal(back.run_info(), serial.run_info())
    ford = pd.read_parquet(path / "metrics.parquet", filters=[("automaker", "==", "ford")])
    assert list(ford["vehicles_lost"]) == list(serial.metrics().query("automaker == 'ford'")["vehicles_lost"])
    serial.save(path)  # replaces a saved ensemble
    with pytest.raises(FileExistsError):
        serial.save(tmp_path)  # but never a folder that is something else


# -- plots -------------------------------------------------------------------------------------------
def test_plots_draw_on_the_given_axes(serial: res.EnsembleResult) -> None:
    for fn in (res.plot.fan_chart, res.plot.stockout_probability, res.plot.tts_ttr):
        fig = Figure()
        ax = fig.add_subplot()
        assert fn(serial, ax=ax) is ax
    ax = res.plot.fan_chart(serial, automakers=["ford", "toyota"], ax=Figure().add_subplot())
    assert len(ax.lines) == 2 and len(ax.collections) >= 4  # median lines; 2 bands each (+ disruption)
    ax = res.plot.tts_ttr(serial, ax=Figure().add_subplot())
    assert any(line.get_label() == "TTS = TTR" for line in ax.lines)
    assert all(a.get_label() and "P(TTS<TTR)" in a.get_label() for a in ax.collections)
    ax = res.plot.stockout_probability(serial, ax=Figure().add_subplot())
    assert [t.get_text() for t in ax.get_yticklabels()][0] == serial.names["gm"]
    with pytest.raises(ValueError, match="unknown automaker"):
        res.plot.fan_chart(serial, automakers=["trabant"], ax=Figure().add_subplot())
    assert isinstance(res.plot.shortfall_curves(serial, ax=Figure().add_subplot()), Axes)


# -- command line and imports ----------------------------------------------------------------
def test_cli_ensemble_writes_tables_and_figures(tmp_path: Path, serial: res.EnsembleResult,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from rare_earth_sim.cli import main

    out = tmp_path / "out"
    assert main(["run", "export-halt-2025", "--replications", "2", "--seed", str(SEED), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "P(stockout)" in text and "Ford" in text
    for name in ("ensemble_summary.csv", "ensemble_metrics.csv", "ensemble_shortfall_bands.csv",
                 "ensemble_stockout_probability.csv", "ensemble_parameters.csv", "ensemble_exports_monthly.csv",
                 "ensemble/ensemble.json", "ensemble_fan_chart.png", "ensemble_stockout_probability.png",
                 "ensemble_tts_ttr.png", "ensemble_report.html"):
        assert (out / name).stat().st_size > 0, name
    m = pd.read_csv(out / "ensemble_metrics.csv")
    assert np.allclose(m["vehicles_lost"], serial.metrics().query("replication < 2")["vehicles_lost"])
    # the same command again: everything is in the store, nothing is rerun; the figures
    # go into the single-run report.html when there is one
    (out / "report.html").write_text("<html><body><h1>one run</h1></body></html>", encoding="utf-8")
    assert main(["run", "export-halt-2025", "--replications", "2", "--seed", str(SEED), "--out", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<html><body><h1>one run</h1>") and page.count("data:image/png;base64") == 3
    assert main(["run", "export-halt-2025", "--replications", "2", "--seed", "8", "--out", str(out),
                 "--no-plots"]) == 2


def test_import_has_no_side_effects() -> None:
    code = ("import sys, multiprocessing as mp, rare_earth_sim\n"
            "heavy = [m for m in ('tqdm', 'dask', 'distributed', 'xarray', 'matplotlib.pyplot') if m in sys.modules]\n"
            "assert not heavy, heavy\n"
            "assert mp.get_start_method(allow_none=True) is None\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_record_bytes_round_trip_and_old_npz_records_still_read() -> None:
    """A record survives encoding exactly (every dtype the record uses, 0-d included), and
    journals written with .npz records by earlier versions still decode."""
    import io

    from rare_earth_sim.ensemble_store import encode_record

    rec = {"replication": np.int64(7), "automaker": np.array(["gm", "toyota"]),
           "first_date": np.datetime64("2024-01-01T00:00:00", "ns"), "bits": np.packbits([1, 0, 1]),
           "m__first_stockout": np.array(["2025-05-01", "NaT"], dtype="datetime64[ns]"),
           "series": np.arange(12.0).reshape(4, 3), "nan": np.array([np.nan, np.inf])}
    buf = io.BytesIO()
    np.savez_compressed(buf, **rec)
    for payload in (encode_record(rec), buf.getvalue()):
        back = decode_record(payload)
        assert list(back) == list(rec)
        for k, v in rec.items():
            a = np.asarray(v)
            assert back[k].dtype == a.dtype and back[k].shape == a.shape, k
            np.testing.assert_array_equal(back[k], a)
    with pytest.raises(TypeError, match="object or structured"):
        encode_record({"bad": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(TypeError, match="object or structured"):
        encode_record({"bad": np.zeros(2, dtype=[("a", "f8"), ("b", "i4")])})
