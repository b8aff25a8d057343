"""Ensemble speed and memory: wall time, parallel speed-up and peak memory (printed, not asserted).

    python benchmarks/bench_ensemble.py [--scenario NAME] [--replications 1000]
        [--speedup-replications N] [--summary-replications 10000] [--skip-summary]

Every measurement runs in a fresh Python process so that its peak memory is its own:

1. ``--replications`` (1,000) replications with 2 worker processes, ``keep="series"``;
2. the same with 1 worker (in-process) on ``--speedup-replications`` replications
   (default: as many), for the parallel speed-up (per-replication throughput ratio);
3. ``--summary-replications`` (10,000) with 2 workers and ``keep="summary"``.

Peak memory is the largest sum of the resident memory of the run's process and its
workers, sampled every 0.1 s (psutil), and the parent's own peak (``ru_maxrss``).

Targets (issue 4): 1,000 replications with 2 workers <= 60 s, speed-up >= 1.6x over one
worker; 10,000 replications with keep="summary" <= 1 GiB peak.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from typing import Any


def _measure(a: argparse.Namespace) -> None:
    """Child process: run one ensemble and print one JSON line of figures."""
    import rare_earth_sim as res

    peak = {"tree": 0}
    stop = threading.Event()

    def sample() -> None:
        try:
            import psutil
        except ImportError:
            return
        me = psutil.Process()
        while not stop.is_set():
            try:
                rss = me.memory_info().rss + sum(c.memory_info().rss for c in me.children(recursive=True))
            except psutil.Error:
                rss = 0
            peak["tree"] = max(peak["tree"], rss)
            stop.wait(0.1)

    sc = res.load_scenario(a.scenario)
    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0 = time.perf_counter()
    ens = res.run_ensemble(sc, a.replications, seed=a.seed, executor=a.workers if a.workers > 1 else None,
                           progress=False, keep=a.keep)
    wall = time.perf_counter() - t0
    stop.set()
    t.join()
    info = ens.run_info()
    summary = ens.summary()
    print(json.dumps({
        "replications": len(ens), "workers": a.workers, "keep": a.keep, "wall_s": wall,
        "rep_per_s": len(ens) / wall,
        "sim_ms_per_rep": 1000 * float(info["elapsed_s"].mean()),
        "events_per_s": float(info["events"].sum() / info["elapsed_s"].sum()),
        "events_per_rep": float(info["events"].mean()),
        "peak_tree_mib": peak["tree"] / 2**20,
        "peak_parent_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "p_stockout_gm": float(summary.set_index("automaker").loc["gm", "p_stockout"])
        if "gm" in set(summary["automaker"]) else None,
    }))


def _run(scenario: str, replications: int, workers: int, keep: str, seed: int) -> dict[str, Any]:
    cmd = [sys.executable, os.path.abspath(__file__), "_measure", "--scenario", scenario, "--replications",
           str(replications), "--workers", str(workers), "--keep", keep, "--seed", str(seed)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _line(label: str, m: dict[str, Any]) -> str:
    return (f"{label:<34}{m['replications']:>7,} reps {m['wall_s']:>8.1f} s wall {m['rep_per_s']:>6.2f} rep/s  "
            f"sim {m['sim_ms_per_rep']:>5.0f} ms/rep {m['events_per_s'] / 1000:>5.0f}k ev/s  "
            f"peak {m['peak_tree_mib']:>6.0f} MiB (parent {m['peak_parent_mib']:.0f} MiB)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", nargs="?", default="all", choices=["all", "_measure"])
    p.add_argument("--scenario", default="export-halt-2025")
    p.add_argument("--replications", type=int, default=1000)
    p.add_argument("--speedup-replications", type=int, default=None)
    p.add_argument("--summary-replications", type=int, default=10_000)
    p.add_argument("--skip-summary", action="store_true")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--keep", default="series")
    p.add_argument("--seed", type=int, default=2025)
    a = p.parse_args()
    if a.mode == "_measure":
        _measure(a)
        return
    print(f"{a.scenario}: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    two = _run(a.scenario, a.replications, 2, "series", a.seed)
    print(_line("2 workers, keep='series'", two), flush=True)
    one = _run(a.scenario, a.speedup_replications or a.replications, 1, "series", a.seed)
    print(_line("1 worker (in-process), keep='series'", one), flush=True)
    speedup = two["rep_per_s"] / one["rep_per_s"]
    per_1000 = 1000 / two["rep_per_s"]
    print(f"-> 1,000 replications with 2 workers: {per_1000:.1f} s (target <= 60 s); "
          f"speed-up over 1 worker {speedup:.2f}x (target >= 1.6x)", flush=True)
    if not a.skip_summary:
        big = _run(a.scenario, a.summary_replications, 2, "summary", a.seed)
        print(_line("2 workers, keep='summary'", big))
        print(f"-> {big['replications']:,} replications with keep='summary': peak {big['peak_tree_mib']:.0f} MiB "
              f"for the run and its workers, {big['peak_parent_mib']:.0f} MiB in the parent (target <= 1024 MiB)")


if __name__ == "__main__":
    main()
