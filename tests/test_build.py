"""The compiled chain (mypyc, setup.py) and the Python sources are one model.

An install compiles ``rare_earth_sim/chain``; ``RARE_EARTH_SIM_PURE_PYTHON=1`` runs the
sources instead. Both must give the same tables, bit for bit, and a stale compiled
module (its source edited after the build) must never run.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import rare_earth_sim.chain as chain

ROOT = Path(__file__).resolve().parents[1]

_DIGEST = """
import hashlib, sys
import rare_earth_sim as res, rare_earth_sim.chain as chain
h = hashlib.sha256()
for name, seed in (("export-halt-2025", 0), ("export-halt-2025", 5), ("baseline-2024", 1)):
    r = res.simulate(res.load_scenario(name), seed=seed)
    for t in (r.metrics(), r.exports("MS"), r.shipments(), r.licences(), r.balance(), r.shortfall("W")):
        h.update(t.to_csv().encode())
    h.update(str(r.events).encode())
print(chain.COMPILED, h.hexdigest())
"""


def _digest(pure: bool) -> tuple[str, str]:
    env = dict(os.environ)
    env.pop("RARE_EARTH_SIM_PURE_PYTHON", None)
    if pure:
        env["RARE_EARTH_SIM_PURE_PYTHON"] = "1"
    out = subprocess.run([sys.executable, "-c", _DIGEST], env=env, capture_output=True, text=True, check=True,
                         timeout=300)
    compiled, digest = out.stdout.split()
    return compiled, digest


def test_setup_compiles_the_modules_the_package_lists() -> None:
    tree = ast.parse((ROOT / "setup.py").read_text())
    listed = next(node.value for node in ast.walk(tree)
                  if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "CHAIN")
    assert tuple(ast.literal_eval(listed)) == chain.MODULES
    on_disk = {p.stem for p in (ROOT / "rare_earth_sim" / "chain").glob("*.py")} - {"__init__"}
    assert set(chain.MODULES) == on_disk  # a new stage module must be compiled too


def test_a_source_edited_after_the_build_is_detected(tmp_path: Path) -> None:
    src = ROOT / "rare_earth_sim" / "chain"
    for m in chain.MODULES:
        shutil.copy(src / f"{m}.py", tmp_path / f"{m}.py")
    info = {"sources": {f"{m}.py": hashlib.sha256((src / f"{m}.py").read_bytes()).hexdigest()
                        for m in chain.MODULES}}
    assert chain.stale_modules(tmp_path, info) == []
    with open(tmp_path / "lane.py", "a") as f:
        f.write("\n# edited\n")
    assert chain.stale_modules(tmp_path, info) == ["lane"]
    assert chain.stale_modules(tmp_path, {}) == list(chain.MODULES)  # no record: nothing trusted


def test_the_build_in_use_is_reported() -> None:
    assert isinstance(chain.COMPILED, bool)
    assert chain.BUILD.startswith("compiled") == chain.COMPILED
    if (ROOT / "rare_earth_sim" / "chain" / "_compiled.json").exists() and not os.environ.get(
            "RARE_EARTH_SIM_PURE_PYTHON"):
        assert chain.COMPILED, chain.BUILD
        record = json.loads((ROOT / "rare_earth_sim" / "chain" / "_compiled.json").read_text())
        assert record["compiler"].startswith("mypyc")


@pytest.mark.slow
def test_compiled_and_python_builds_give_identical_tables() -> None:
    if not chain.COMPILED:
        pytest.skip(f"the chain is not compiled here ({chain.BUILD}): nothing to compare")
    compiled, digest_c = _digest(pure=False)
    pure, digest_p = _digest(pure=True)
    assert (compiled, pure) == ("True", "False")
    assert digest_c == digest_p


def test_sim_push_queues_an_event_as_simpy_schedule_does() -> None:
    """Sim.push writes SimPy 4's queue directly; it must make the entry schedule() makes."""
    import datetime as dt

    import numpy as np
    import simpy

    from rare_earth_sim.chain.base import Sim

    sim = Sim(dt.date(2024, 1, 1), np.random.SeedSequence(0))
    env = sim.env
    env.run(until=2.5)  # a clock that is not zero
    ours, theirs = env.event(), env.event()
    ours._ok = theirs._ok = True
    sim.push(env.now + 1.25, ours)
    env.schedule(theirs, simpy.events.NORMAL, 1.25)
    (t1, p1, id1, e1), (t2, p2, id2, e2) = sorted(env._queue, key=lambda x: x[2])[-2:]
    assert (t1, p1, e1) == (3.75, simpy.events.NORMAL, ours)
    assert (t2, p2, e2) == (3.75, simpy.events.NORMAL, theirs)
    assert id2 == id1 + 1  # the same event counter
    fired = []
    ours.callbacks.append(lambda e: fired.append("ours"))
    theirs.callbacks.append(lambda e: fired.append("theirs"))
    env.run()
    assert fired == ["ours", "theirs"] and env.now == 3.75


@pytest.mark.parametrize("damage", ["edit a source", "unreadable record", "no shared library"])
def test_a_damaged_compiled_build_falls_back_to_the_sources(tmp_path: Path, damage: str) -> None:
    """A copy of the installed package with one thing wrong runs its sources, and says so."""
    if not chain.COMPILED:
        pytest.skip(f"the chain is not compiled here ({chain.BUILD})")
    pkg = tmp_path / "rare_earth_sim"
    shutil.copytree(ROOT / "rare_earth_sim", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    folder = pkg / "chain"
    if damage == "edit a source":
        with open(folder / "lane.py", "a") as f:
            f.write("\n# edited after the build\n")
    elif damage == "unreadable record":
        (folder / "_compiled.json").write_text("{not json")
    else:
        for p in folder.glob("_native__mypyc*"):
            p.unlink()
    env = {k: v for k, v in os.environ.items() if k != "RARE_EARTH_SIM_PURE_PYTHON"}
    env["PYTHONPATH"] = str(tmp_path)
    code = ("import warnings; warnings.simplefilter('always')\n"
            "import rare_earth_sim.chain as c, rare_earth_sim.chain.lane as lane\n"
            "print(c.COMPILED, lane.__file__.endswith('.py'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]
    assert "rare_earth_sim.chain runs its Python sources" in out.stderr
