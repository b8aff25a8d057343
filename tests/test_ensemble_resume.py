"""A resumable ensemble survives SIGKILL and Ctrl-C: the rerun gives the uninterrupted results.

The ensemble runs in a child process (with two worker processes of its own) so that it can
be killed like a crashed job or interrupted like a terminal does (SIGINT to the whole
process group); the rerun happens here, with the same arguments.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas.testing as pdt
import pytest

import rare_earth_sim as res
from rare_earth_sim.ensemble_store import JOURNAL, read_journal

R, SEED, NAME = 10, 11, "export-halt-2025"
PACE_S = 0.25  # each replication in the child takes at least this long (see _start)


@pytest.fixture(scope="module")
def uninterrupted() -> res.EnsembleResult:
    return res.run_ensemble(NAME, R, seed=SEED, progress=False)


def _start(store: Path) -> subprocess.Popen[str]:
    # A replication takes ~0.1 s, so a run of R would be over before the test could interrupt
    # it. The child paces each replication to >= PACE_S: the interruption then lands with
    # replications still to do however fast the engine gets (the worker processes are
    # forked from the child and inherit the paced function; results are unchanged).
    # A job started in the background by a non-interactive shell (as CI scripts may be)
    # inherits SIGINT ignored, and so would the child: give it Python's default handler,
    # as a foreground job in a terminal has.
    # The pacing reaches the workers because they are forked from the child: ask for fork
    # (the default on Linux up to Python 3.13; forkserver from 3.14).
    code = (f"import multiprocessing, signal, time\n"
            f"multiprocessing.set_start_method('fork', force=True)\n"
            f"signal.signal(signal.SIGINT, signal.default_int_handler)\n"
            f"import rare_earth_sim as res\n"
            f"import rare_earth_sim.ensemble as e\n"
            f"real = e.replicate\n"
            f"def paced(*a, **k):\n"
            f"    time.sleep({PACE_S})\n"
            f"    return real(*a, **k)\n"
            f"e.replicate = paced\n"
            f"ens = res.run_ensemble({NAME!r}, {R}, seed={SEED}, executor=2, progress=False, store={str(store)!r})\n"
            f"print('finished', len(ens), ens.complete, flush=True)\n")
    # its own session: a process group holding the run and its workers, as a shell job would
    return subprocess.Popen([sys.executable, "-c", code], start_new_session=True, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for_records(proc: subprocess.Popen[str], store: Path, n: int, timeout: float = 120.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = len(read_journal(store / JOURNAL)[0])
        if done >= n:
            return done
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before {n} replications were recorded: {proc.communicate()}")
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError(f"fewer than {n} replications recorded after {timeout} s")


def assert_same(a: res.EnsembleResult, b: res.EnsembleResult) -> None:
    pdt.assert_frame_equal(a.metrics(), b.metrics())
    pdt.assert_frame_equal(a.exports(), b.exports())
    pdt.assert_frame_equal(a.parameters(), b.parameters())
    pdt.assert_frame_equal(a.shortfall_bands(), b.shortfall_bands())
    pdt.assert_frame_equal(a.stockout_probability(), b.stockout_probability())


def test_sigkill_half_way_then_resume(tmp_path: Path, uninterrupted: res.EnsembleResult) -> None:
    store = tmp_path / "store"
    proc = _start(store)
    _wait_for_records(proc, store, R // 2)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its workers die at once, mid-write or not
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    kept = len(read_journal(store / JOURNAL)[0])
    assert R // 2 <= kept < R
    partial = res.load_ensemble(store)  # what survived can be read as it is
    assert not partial.complete and len(partial) == kept
    resumed = res.run_ensemble(NAME, R, seed=SEED, executor=2, progress=False, store=store)
    assert resumed.complete and resumed.info["resumed"] == kept
    assert_same(uninterrupted, resumed)


def test_ctrl_c_keeps_what_finished_then_resume(tmp_path: Path, uninterrupted: res.EnsembleResult) -> None:
    store = tmp_path / "store"
    proc = _start(store)
    _wait_for_records(proc, store, 3)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends to the foreground job
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    n = int(out.split()[1])
    assert 2 <= n < R and out.split()[2] == "False"
    assert "ensemble interrupted" in err
    # Ctrl-C may land between writing a record and adding it to the result in memory
    kept = len(read_journal(store / JOURNAL)[0])
    assert kept in (n, n + 1)
    resumed = res.run_ensemble(NAME, R, seed=SEED, progress=False, store=store)
    assert resumed.info["resumed"] == kept
    assert_same(uninterrupted, resumed)
