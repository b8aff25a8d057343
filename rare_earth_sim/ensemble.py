"""Monte Carlo ensembles: :func:`run_ensemble`, its executors, resumable runs and the CLI.

Replication *i* of ``run_ensemble(scenario, R, seed)`` is ``simulate(scenario,
SeedSequence(seed).spawn(R)[i])``: its uncertain parameters are drawn from its own
streams (keyed by their paths, see :meth:`Scenario.realize`), so its results depend on
``(scenario, seed, i)`` only, never on the executor, the number of workers or the order
in which replications finish.

Workers send back a compact record per replication (never the ledger): per-automaker
metrics, the uncertain parameters' values, monthly China exports by destination and
product, daily in-stockout flags (bit-packed) and, with ``keep="series"``, daily
cumulative vehicles lost per automaker. The parent process alone assembles records (by
replication index) and, with ``store=``, appends them to a crash-safe journal
(:mod:`rare_earth_sim.ensemble_store`), so a rerun skips what is done.

Nothing heavy is imported with this module: tqdm, Dask and xarray are imported when used,
and no multiprocessing start method is set (the platform's default is used).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import functools
import json
import logging
import os
import pickle
import re
import signal
import sys
import time
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .ensemble_result import EnsembleBuilder, EnsembleResult, load_ensemble, quantile_label
from .ensemble_store import (FORMAT, META, EnsembleStore, StoreMismatchError, decode_record, encode_record,
                             scenario_digest, scenario_to_json)
from .results import _METRIC_UNITS
from .scenario.model import Scenario, load_scenario

__all__ = ["run_ensemble", "EnsembleResult", "load_ensemble", "replication_seed", "ReplicationError",
           "run_ensemble_cli"]

log = logging.getLogger(__name__)

Keep = Literal["summary", "series"]
#: Exceptions (by class name) that mean a Dask worker was lost, not that the replication failed.
_LOST_WORKER = frozenset({"KilledWorker", "CommClosedError", "WorkerLostError"})


class ReplicationError(RuntimeError):
    """A replication raised an exception in the simulation itself (not a lost worker)."""


def replication_seed(seed: int, index: int) -> np.random.SeedSequence:
    """The seed sequence of replication ``index`` of an ensemble with root ``seed``.

    Equal to ``SeedSequence(seed).spawn(R)[index]`` for any ``R > index``; pass it to
    :func:`rare_earth_sim.simulate` to rerun one replication with all its tables.
    """
    return np.random.SeedSequence(seed, spawn_key=(int(index),))


# -- one replication (runs in the worker) ----------------------------------------------------
_TOKEN = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")


@functools.lru_cache(maxsize=4096)
def _steps(path: str) -> tuple[str | int, ...]:
    """``"a.b[2].c"`` -> ``("a", "b", 2, "c")`` (the path syntax of :meth:`Scenario.uncertain`)."""
    return tuple(int(m[1]) if m[1] is not None else m[2] for m in _TOKEN.finditer(path))


def _walk_values(tree: Any, wanted: set[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")
        elif path in wanted:
            found[path] = node

    walk(tree, "")
    return found


def _values_at(tree: Any, paths: Sequence[str]) -> np.ndarray:
    """Values of a realised scenario tree at ``Scenario.uncertain()`` paths (NaN if absent)."""
    out = np.full(len(paths), np.nan)
    missing = []
    for j, path in enumerate(paths):
        node = tree
        try:
            for step in _steps(path):
                node = node[step]
            out[j] = float(node)
        except (KeyError, IndexError, TypeError, ValueError):
            missing.append(j)
    if missing:  # a key with "." or "[" in it: find the path by walking the whole tree
        found = _walk_values(tree, {paths[j] for j in missing})
        for j in missing:
            if paths[j] in found:
                out[j] = float(found[paths[j]])
    return out


def _record(r: Any, index: int, keep: str, paths: Sequence[str]) -> dict[str, np.ndarray]:
    """The compact record of one :class:`SimulationResult` (see the module docstring).

    Built from the arrays behind ``r.metrics()``, ``r.shortfall("D")`` and ``r.exports("MS")``
    (the same numbers, without building those DataFrames: a few ms per replication less).
    """
    m = r._metric_columns()
    ids = np.array(m["automaker"], dtype=str)
    na = len(ids)
    daily_lost = r._daily[0]  # (automaker, day)
    nd = daily_lost.shape[1]
    if daily_lost.shape[0] != na or nd == 0:
        raise RuntimeError("SimulationResult.shortfall('D') rows are not one block of days per automaker")
    lost = daily_lost.T  # (day, automaker)
    rec: dict[str, np.ndarray] = {
        "replication": np.int64(index),
        "automaker": ids, "name": np.array(m["name"], dtype=str), "region": np.array(m["region"], dtype=str),
        "first_date": r._dates()[0], "n_days": np.int64(nd),
        "stockout_bits": np.packbits(lost > 0.0, axis=None),
        "param_path": np.array(paths, dtype=str), "param_value": _values_at(r.parameters, paths),
        "events": np.int64(r.events), "elapsed_s": np.float64(r.elapsed_s),
    }
    names = [c for c in m if c not in ("automaker", "name", "region")]
    rec["metric_names"] = np.array(names, dtype=str)
    rec["metric_units"] = np.array([_METRIC_UNITS.get(c, "") for c in names], dtype=str)
    for c in names:
        rec["m__" + c] = np.asarray(m[c])  # the dtype the metrics() column has
    if keep == "series":
        rec["cum_vehicles_lost"] = r._cum_lost()[0].T.copy()
    periods, routes, tonnes = r._exports_grid("MS", "China")
    sep = "\x1f"  # routes in the order of their joined names, as records always had them
    perm = sorted(range(len(routes)), key=lambda j: sep.join(routes[j]))
    routes = [routes[j] for j in perm]
    qty = np.zeros((len(routes), len(periods)))
    qty += tonnes[:, perm].T
    rec["ex_period"] = periods.to_numpy().copy()  # the period index is cached and shared
    for j, c in enumerate(("origin", "destination", "product")):
        rec["ex_" + c] = np.array([x[j] for x in routes], dtype=str)
    rec["ex_quantity_t"] = qty
    return rec


def replicate(scenario: Scenario, seed: int, index: int, keep: Keep = "series",
              paths: Sequence[str] | None = None) -> bytes:
    """Simulate replication ``index`` and return its encoded record (what a worker sends back)."""
    from .engine import collector_paused, simulate

    if paths is None:
        paths = list(scenario.uncertain()["path"])
    # The cyclic collector would only re-scan the run's records while they are alive
    # (~20 ms a replication); once the result is dropped they are freed by reference
    # counting (see Ledger.close), so the collector stays paused until then.
    with collector_paused():
        r = simulate(scenario, replication_seed(seed, index))
        blob = encode_record(_record(r, index, keep, paths))
        del r
    return blob


_SCENARIOS: dict[str, Scenario] = {}  # per worker process: unpickling validates, so do it once


def _task(blob: bytes, digest: str, seed: int, index: int, keep: Keep, paths: tuple[str, ...]) -> bytes:
    sc = _SCENARIOS.get(digest)
    if sc is None:
        sc = pickle.loads(blob)  # noqa: S301 - pickled by our own parent process
        if len(_SCENARIOS) >= 4:
            _SCENARIOS.clear()
        _SCENARIOS[digest] = sc
    return replicate(sc, seed, index, keep, paths)


def _ignore_sigint() -> None:
    # Ctrl-C is the parent's to handle: it stops submitting and keeps what finished.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# -- executors -------------------------------------------------------------------------------
def _resolve(executor: Any) -> tuple[str, Any, int]:
    """(kind, executor object, workers) for the ``executor`` argument of :func:`run_ensemble`."""
    if executor is None or executor == "serial":
        return "serial", None, 1
    if executor == "processes":
        return "processes", None, os.cpu_count() or 1
    if isinstance(executor, bool) or isinstance(executor, str):
        raise ValueError(f"executor {executor!r}: expected None, 'serial', 'processes', a worker count, "
                         "a concurrent.futures.Executor or a dask.distributed.Client")
    if isinstance(executor, int | np.integer):
        if executor < 1:
            raise ValueError(f"executor: a worker count must be >= 1, got {executor}")
        return ("serial", None, 1) if executor == 1 else ("processes", None, int(executor))
    if type(executor).__module__.split(".")[0] == "distributed" and hasattr(executor, "get_executor"):
        threads = sum(executor.nthreads().values()) or 1
        return "dask", executor, threads
    if isinstance(executor, cf.Executor):
        return "executor", executor, int(getattr(executor, "_max_workers", None) or os.cpu_count() or 1)
    raise TypeError(f"executor of type {type(executor).__name__}: expected None, 'serial', 'processes', a worker "
                    "count, a concurrent.futures.Executor or a dask.distributed.Client")


def _lost_worker(exc: BaseException) -> bool:
    return isinstance(exc, cf.BrokenExecutor) or type(exc).__name__ in _LOST_WORKER


def _results(kind: str, executor: Any, workers: int, scenario: Scenario, seed: int, todo: Sequence[int],
             keep: Keep, paths: tuple[str, ...], retries: int, stats: Counter[str]) -> Iterator[bytes]:
    """Encoded records of the replications ``todo``, in the order they finish."""
    if kind == "serial":
        for i in todo:
            try:
                payload = replicate(scenario, seed, i, keep, paths)
            except Exception as exc:  # the same error, whichever executor ran it
                raise ReplicationError(f"replication {i} failed: {type(exc).__name__}: {exc}") from exc
            yield payload
        return
    blob = pickle.dumps(scenario)
    digest = scenario_digest(scenario.raw)
    own_pool = kind == "processes"

    def new_pool() -> cf.Executor:
        return cf.ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint)

    ex = new_pool() if own_pool else (executor.get_executor(pure=False) if kind == "dask" else executor)
    window = max(4, 2 * workers)  # tasks in flight: enough to keep workers busy, few to hold in memory
    queue = deque(todo)
    pending: dict[cf.Future[bytes], int] = {}
    attempts: Counter[int] = Counter()

    def lost(i: int, exc: BaseException) -> None:
        attempts[i] += 1
        stats["retried"] += 1
        if attempts[i] > retries:
            raise RuntimeError(f"replication {i}: its worker died {attempts[i]} times; giving up "
                               f"(finished replications are kept in the store, if any)") from exc
        log.warning("replication %d: worker lost (%s: %s); running it again", i, type(exc).__name__, exc)

    restarts = 0  # pool restarts since the last finished replication
    try:
        while queue or pending:
            broken, again = False, []
            while queue and len(pending) < window:
                try:
                    f = ex.submit(_task, blob, digest, seed, queue[0], keep, paths)
                except cf.BrokenExecutor:  # a worker died since the last check
                    broken = True
                    break
                pending[f] = queue.popleft()
            done = cf.wait(pending, return_when=cf.FIRST_COMPLETED).done if pending and not broken else set()
            for f in sorted(done, key=pending.__getitem__):
                i = pending.pop(f)
                exc = f.exception()
                if exc is None:
                    restarts = 0
                    yield f.result()
                    continue
                if not _lost_worker(exc):
                    raise ReplicationError(f"replication {i} failed: {type(exc).__name__}: {exc}") from exc
                lost(i, exc)
                again.append(i)
                broken = broken or isinstance(exc, cf.BrokenExecutor)
            if broken:  # the pool is dead: every other task in it fails too
                for f, i in sorted(pending.items(), key=lambda x: x[1]):
                    if f.done() and not f.cancelled() and f.exception() is None:
                        yield f.result()
                    else:
                        again.append(i)
                pending.clear()
                restarts += 1
                if not own_pool or restarts > retries + 1:
                    raise RuntimeError("the executor broke (a worker process died) and cannot be restarted "
                                       "from here; finished replications are kept in the store, if any")
                ex.shutdown(wait=True, cancel_futures=True)
                ex = new_pool()
            queue.extendleft(sorted(again, reverse=True))
    finally:
        for f in pending:
            f.cancel()
        if own_pool:
            ex.shutdown(wait=True, cancel_futures=True)
        elif kind == "dask":
            ex.shutdown(wait=False)


class _NoBar:
    """Stands in for a progress bar when progress is off (tqdm is then not even imported)."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(enabled: bool, total: int, initial: int, desc: str) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    class Bar(tqdm):  # type: ignore[misc, valid-type]
        monitor_interval = 0  # no monitor thread: worker processes may be forked later

    return Bar(total=total, initial=initial, desc=desc, unit="rep", disable=not enabled, smoothing=0.05)


# -- the entry point -------------------------------------------------------------------------
def run_ensemble(scenario: Scenario | str, replications: int, seed: int | None = 0, executor: Any = None,
                 progress: bool = True, *, store: str | Path | None = None, keep: Keep = "series",
                 retries: int = 3) -> EnsembleResult:
    """Run a Monte Carlo ensemble of a scenario.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or a built-in name / TOML path for :func:`load_scenario`.
    replications : int
        Number of replications ``R``.
    seed : int or None
        Root seed; replication *i* uses ``SeedSequence(seed).spawn(R)[i]``. None: fresh
        entropy (recorded in ``ens.seed``; with a ``store`` that already has a run, its
        seed is reused).
    executor : None, "serial", "processes", int, Executor or dask Client
        Where replications run: in this process (None, "serial" or 1); in a pool of
        local processes this call creates and closes ("processes": one per CPU, or a
        worker count > 1); on any :class:`concurrent.futures.Executor` you pass (not
        shut down); or on a Dask cluster (a ``distributed.Client``; install the
        ``dask`` extra). Results are identical whatever the choice.
    progress : bool
        Show a progress bar (``tqdm.auto``: a widget in notebooks, text in terminals).
    store : str or Path, optional
        Folder where each finished replication is recorded as it arrives. Rerunning
        with the same scenario, seed and ``keep`` (``replications`` may grow) skips the
        replications already there. See :mod:`rare_earth_sim.ensemble_store`.
    keep : {"series", "summary"}
        What is kept per replication. "summary": metrics, parameters, monthly exports
        and the daily count of replications in stockout (about 5 kB per replication:
        100,000 fit in memory). "series": also daily cumulative vehicles lost and
        stockout flags (about 80 kB per replication), needed by
        :meth:`EnsembleResult.shortfall_bands` and the fan chart.
    retries : int
        How often a replication whose worker died (process killed, Dask worker lost)
        is run again before giving up. An exception raised by the simulation itself is
        not retried: it raises :class:`ReplicationError` at once.

    Returns
    -------
    EnsembleResult
        If interrupted (Ctrl-C), the replications finished so far (``ens.complete`` is
        False) and a ``RuntimeWarning``; with a ``store`` they are on disk too.

    Raises
    ------
    StoreMismatchError
        ``store`` holds a run of another scenario, seed or ``keep``.
    ReplicationError
        A replication failed in the simulation.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if isinstance(replications, bool) or not isinstance(replications, int | np.integer) or replications < 1:
        raise ValueError(f"replications must be an integer >= 1, got {replications!r}")
    if keep not in ("summary", "series"):
        raise ValueError(f"keep must be 'summary' or 'series', got {keep!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an integer >= 0, got {retries!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")
    R = int(replications)
    kind, ex_obj, workers = _resolve(executor)
    if seed is None and store is not None and (Path(store) / META).is_file():
        seed = int(json.loads((Path(store) / META).read_text(encoding="utf-8"))["seed_entropy"])
    entropy = int(np.random.SeedSequence(seed).entropy)  # type: ignore[arg-type]
    paths = tuple(str(p) for p in sc.uncertain()["path"])
    builder = EnsembleBuilder(R, keep)
    st: EnsembleStore | None = None
    if store is not None:
        from . import __version__

        st = EnsembleStore(store, {
            "format": FORMAT, "scenario_digest": scenario_digest(sc.raw), "seed_entropy": entropy, "keep": keep,
            "scenario_name": sc.name, "scenario_source": sc.source, "scenario_json": scenario_to_json(sc.raw),
            "replications": R, "created": dt.datetime.now().isoformat(timespec="seconds"),
            "rare_earth_sim_version": __version__})
        for rec in st.records():
            builder.add(rec)
        if int(st.meta.get("replications", 0)) != R:
            st.update_meta(replications=R)
    resumed = builder.count
    if resumed:
        log.info("%s: %d of %d replications already in %s", sc.name, resumed, R, store)
    todo = np.flatnonzero(~builder.done).tolist()
    stats: Counter[str] = Counter()
    interrupted = False
    t0 = time.perf_counter()
    bar = _progress(progress, R, resumed, sc.name)
    try:
        with closing(_results(kind, ex_obj, workers, sc, entropy, todo, keep, paths, retries, stats)) as results:
            for payload in results:
                if st is not None:
                    st.append(payload)
                builder.add(decode_record(payload))
                bar.update(1)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
        if st is not None:
            st.close()
    info = {"retried": stats["retried"], "resumed": resumed, "interrupted": interrupted,
            "wall_s": time.perf_counter() - t0, "executor": kind, "workers": workers}
    if interrupted:
        if builder.count == 0:
            raise KeyboardInterrupt
        warnings.warn(f"ensemble interrupted: {builder.count} of {R} replications finished"
                      + (f" (kept in {store}; rerun with the same arguments to resume)" if store else ""),
                      RuntimeWarning, stacklevel=2)
    return builder.result(sc, entropy, info)


# -- command line ------------------------------------------------------------------------------
#: Largest ensemble the CLI keeps daily series for (about 80 kB per replication).
CLI_SERIES_LIMIT = 5000


def _summary_text(ens: EnsembleResult) -> str:
    def days(x: float) -> str:
        return f"{x:.0f}" if np.isfinite(x) else ("inf" if np.isinf(x) else "-")

    s = ens.summary()
    lines = [f"{ens.scenario.name}: {len(ens)}/{ens.replications} replications, seed {ens.seed}",
             f"{'automaker':<30}{'P(stockout)':>12}{'TTS p50 [p5-p95] d':>20}{'TTR p50 d':>11}"
             f"{'vehicles lost p50 [p5-p95]':>32}{'P(TTS<TTR)':>12}"]
    for r in s.itertuples(index=False):
        d = r._asdict()
        tts = ("no stockout" if np.isinf(d["tts_days_p5"]) else
               f"{days(d['tts_days_p50'])} [{days(d['tts_days_p5'])}-{days(d['tts_days_p95'])}]")
        lost = f"{d['vehicles_lost_p50']:,.0f} [{d['vehicles_lost_p5']:,.0f}-{d['vehicles_lost_p95']:,.0f}]"
        lines.append(f"{str(d['name'])[:29]:<30}{d['p_stockout']:>12.0%}{tts:>20}{days(d['ttr_days_p50']):>11}"
                     f"{lost:>32}{d['p_tts_lt_ttr']:>12.0%}")
    lines.append("TTS: days from the disruption's start to the first stockout (inf: none); "
                 "TTR: days from its end to full production")
    return "\n".join(lines)


def _exports_quantiles(ens: EnsembleResult, qs: Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
    ex = ens.exports()
    g = ex.groupby(["period", "origin", "destination", "product"], sort=True)["quantity_t"]
    out = g.mean().rename("quantity_t_mean").to_frame()
    for q in qs:
        out[f"quantity_t_{quantile_label(q)}"] = g.quantile(q)
    return out.reset_index()


def _figures(ens: EnsembleResult, out: Path) -> list[tuple[str, Path]]:
    from matplotlib.figure import Figure  # not pyplot: the CLI draws to files only

    from .plot.ensemble import fan_chart, stockout_probability, tts_ttr

    figs: list[tuple[str, Path]] = []
    jobs: list[tuple[str, str, Callable[..., Any]]] = [
        ("Stockout probability", "ensemble_stockout_probability.png", stockout_probability),
        ("TTS vs TTR", "ensemble_tts_ttr.png", tts_ttr)]
    if ens.keep == "series":
        jobs.insert(0, ("Shortfall fan chart", "ensemble_fan_chart.png", fan_chart))
    for title, name, fn in jobs:
        fig = Figure(figsize=(11, 5.5), layout="constrained")
        fn(ens, ax=fig.add_subplot())
        fig.savefig(out / name, dpi=100)
        figs.append((title, out / name))
    return figs


_SECTION = ("<!-- rare_earth_sim ensemble -->", "<!-- /rare_earth_sim ensemble -->")


def _html_section(ens: EnsembleResult, figs: list[tuple[str, Path]]) -> str:
    import base64
    import html

    s = ens.summary()
    imgs = "".join(f"<figure><img alt='{html.escape(t)}' style='max-width:100%' src='data:image/png;base64,"
                   f"{base64.b64encode(p.read_bytes()).decode('ascii')}'><figcaption>{html.escape(t)}</figcaption>"
                   "</figure>" for t, p in figs)
    return (f"{_SECTION[0]}<h2>Ensemble: {len(ens):,} replications (seed {ens.seed})</h2>"
            "<p class='note'>Per automaker over the replications: P(stockout), quantiles of TTS and TTR (days), "
            "vehicles lost, P(TTS &lt; TTR). Tables: the ensemble_*.csv files next to this page.</p>"
            + s.to_html(index=False, float_format=lambda x: f"{x:,.3g}", border=0) + imgs + _SECTION[1])


def _html_report(ens: EnsembleResult, out: Path, figs: list[tuple[str, Path]]) -> Path:
    """Add an ensemble section to ``report.html`` if there is one; else write ``ensemble_report.html``.

    Both are self-contained (figures embedded), like the single-run report. A rerun
    replaces the section it added before.
    """
    import html

    section = _html_section(ens, figs)
    report = out / "report.html"
    if report.is_file():
        page = report.read_text(encoding="utf-8")
        a, b = page.find(_SECTION[0]), page.find(_SECTION[1])
        if a >= 0 and b > a:
            page = page[:a] + page[b + len(_SECTION[1]):]
        at = page.rfind("</body>")
        if at >= 0:
            report.write_text(page[:at] + section + page[at:], encoding="utf-8")
            return report
    path = out / "ensemble_report.html"
    name = html.escape(ens.scenario.name)
    css = ("body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1150px;padding:0 1em}"
           "td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #ddd}.note{color:#555}")
    path.write_text(f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{name}: ensemble</title>"
                    f"<style>{css}</style></head><body><h1>{name}</h1>{section}</body></html>", encoding="utf-8")
    return path


def run_ensemble_cli(args: argparse.Namespace) -> int:
    """``rare-earth-sim run NAME --replications N [--workers W] [--seed S] [--out DIR]``.

    Writes ``ensemble_summary.csv``, ``ensemble_metrics.csv``, ``ensemble_parameters.csv``,
    ``ensemble_stockout_probability.csv``, ``ensemble_exports_monthly.csv`` (quantiles
    over replications), ``ensemble_shortfall_bands.csv`` (up to
    :data:`CLI_SERIES_LIMIT` replications), the folder ``ensemble/`` (Parquet, see
    :meth:`EnsembleResult.save`; with pyarrow installed) and,
    unless ``--no-plots``, the fan chart, stockout-probability and TTS-TTR figures (PNG),
    also added as a section to ``report.html`` when the folder has one (from a single
    run), else written to ``ensemble_report.html``. Replications are recorded in ``DIR/ensemble_store`` as they finish:
    rerunning the same command after a crash or Ctrl-C resumes.

    Returns
    -------
    int
        0; 130 if interrupted; 2 if the output folder holds another run.
    """
    sc = load_scenario(args.scenario)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    keep: Keep = "series" if args.replications <= CLI_SERIES_LIMIT else "summary"
    executor = args.workers if args.workers > 1 else None
    try:
        ens = run_ensemble(sc, args.replications, args.seed, executor=executor, progress=True,
                           store=out / "ensemble_store", keep=keep)
    except StoreMismatchError as exc:
        print(f"error: {exc}\n(delete {out / 'ensemble_store'} or choose another --out)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"interrupted before any replication finished; rerun to resume ({out / 'ensemble_store'})")
        return 130
    tables = {"ensemble_summary": ens.summary(), "ensemble_metrics": ens.metrics(),
              "ensemble_parameters": ens.parameters(), "ensemble_stockout_probability": ens.stockout_probability(),
              "ensemble_exports_monthly": _exports_quantiles(ens)}
    if keep == "series":
        tables["ensemble_shortfall_bands"] = ens.shortfall_bands()
    for name, df in tables.items():
        df.to_csv(out / f"{name}.csv", index=False)
    written = [n + ".csv" for n in tables]
    try:
        ens.save(out / "ensemble")
        written.append("ensemble/ (Parquet)")
    except ImportError:
        pass  # Parquet needs pyarrow (the parquet extra)
    print(_summary_text(ens))
    if not args.no_plots:
        figs = _figures(ens, out)
        written += [p.name for _, p in figs]
        print(f"report: {_html_report(ens, out, figs)}")
    print(f"written to {out}/: {', '.join(written)}")
    if not ens.complete:
        print(f"interrupted: {len(ens)} of {ens.replications} replications; rerun the same command to resume")
        return 130
    return 0
