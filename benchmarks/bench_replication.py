"""Speed of one replication of a built-in scenario, with a bare SimPy loop as the yardstick.

Prints ms per replication, SimPy events per second, and the ratio of our events/s to a bare
SimPy timeout loop measured in the same run (machines here are noisy: compare ratios).

    python benchmarks/bench_replication.py [SCENARIO] [--reps N] [--compare-builds]

Targets (issue 2): <= 100 ms per replication of export-halt-2025, ratio >= 0.2.
The chain runs compiled (mypyc) when the install compiled it; ``--compare-builds`` then
also runs this benchmark on the Python sources (RARE_EARTH_SIM_PURE_PYTHON=1), in a
child process started after this one finishes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import simpy

import rare_earth_sim as res
from rare_earth_sim.chain import BUILD, COMPILED
from rare_earth_sim.engine import Model, collector_paused, seed_sequence


def bare_simpy_events_per_s(n: int = 200_000) -> float:
    """Events/s of the simplest SimPy model: one process yielding timeouts."""
    env = simpy.Environment()

    def proc(env: simpy.Environment):  # type: ignore[no-untyped-def]
        for _ in range(n):
            yield env.timeout(1.0)

    env.process(proc(env))
    t0 = time.perf_counter()
    env.run()
    return n / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("scenario", nargs="?", default="export-halt-2025")
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--compare-builds", action="store_true",
                   help="then run the same benchmark on the Python sources (if the chain is compiled)")
    a = p.parse_args()
    sc = res.load_scenario(a.scenario)
    res.simulate(sc, seed=999)  # warm caches (imports, scipy distribution objects)
    run_ms, cpu_ms, events, eps, bare_eps, ratios = [], [], [], [], [], []
    for seed in range(a.reps):
        # the yardstick right before each replication: the machine's speed drifts, so the
        # ratio is taken pair by pair and its median reported
        bare_eps.append(bare_simpy_events_per_s(50_000))
        ss = seed_sequence(seed)
        d = sc.realize(ss)
        # As in an ensemble worker (ensemble.replicate): the cyclic GC stays paused for the
        # replication; its records are freed by reference counting when dropped.
        with collector_paused():
            t0, c0 = time.perf_counter(), time.process_time()
            m = Model(d, ss)
            m.run()
            dt = time.perf_counter() - t0
            cpu_ms.append((time.process_time() - c0) * 1000)
            run_ms.append(dt * 1000)
            events.append(m.sim.events)
            eps.append(m.sim.events / dt)
            ratios.append(eps[-1] / bare_eps[-1])
            del m
    full = []
    for seed in range(min(a.reps, 10)):  # what a user's simulate() costs, collector on
        t0 = time.perf_counter()
        r = res.simulate(sc, seed=seed)
        full.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    r.metrics(), r.exports("MS")
    tables_ms = (time.perf_counter() - t0) * 1000
    bare = statistics.median(bare_eps)
    med_eps = statistics.median(eps)
    print(f"chain build              {BUILD}")
    print(f"scenario                 {a.scenario}")
    print(f"replications             {a.reps}")
    print(f"ms per replication       {statistics.median(run_ms):.1f} (median; min {min(run_ms):.1f}, max {max(run_ms):.1f}) build+run")
    print(f"CPU ms per replication   {statistics.median(cpu_ms):.1f} (median; robust when other processes share the cores)")
    print(f"ms simulate()            {statistics.median(full):.1f} (median; + realize, balance check, collector on)")
    print(f"ms metrics()+exports()   {tables_ms:.1f}")
    print(f"events per replication   {statistics.median(events):.0f}")
    print(f"events/s (ours)          {med_eps:,.0f}")
    print(f"events/s (bare SimPy)    {bare:,.0f} (median, one loop of 50,000 before each replication)")
    q = statistics.quantiles(ratios, n=4)
    print(f"ratio ours/bare          {statistics.median(ratios):.3f}   (median of pairs; quartiles {q[0]:.3f}-{q[2]:.3f}; "
          f"target >= 0.2)")
    if a.compare_builds and COMPILED:
        print("\n-- the same on the Python sources --", flush=True)
        env = dict(os.environ, RARE_EARTH_SIM_PURE_PYTHON="1")
        subprocess.run([sys.executable, __file__, a.scenario, "--reps", str(a.reps)], env=env, check=True)


if __name__ == "__main__":
    main()
