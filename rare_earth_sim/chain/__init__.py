"""Model components, one module per stage of the rare-earth magnet chain.

An install compiles these modules with mypyc (``setup.py``): the same sources as C
extensions, identical results, a replication ~25 % faster. Importing this package
decides which build runs and says so in :data:`COMPILED` and :data:`BUILD`:

- the compiled modules, when the install made them and every source still has the
  hash recorded at build time (``_compiled.json``);
- the Python sources, when nothing was compiled, when ``RARE_EARTH_SIM_PURE_PYTHON=1``
  is set (for debugging, or to compare the builds), or — with a ``RuntimeWarning`` —
  when a source was edited after compiling (an editable install: rebuild with
  ``pip install -e .``), when a compiled file or the build record is missing or
  unreadable. A stale compiled module is never run.

The chain's classes are compiled classes: Python code cannot subclass them (run the
sources to do that); duck-typed stand-ins work where a parameter is typed ``Any``.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path

__all__ = ["COMPILED", "BUILD", "MODULES"]

#: The chain's modules in dependency order (setup.py compiles the same list).
MODULES = ("allocation", "workdays", "base", "quota", "lane", "export_control", "ore_trade", "mine",
           "separation", "magnet_plant", "automaker", "sectors")

_HERE = Path(__file__).resolve().parent
_ENV = "RARE_EARTH_SIM_PURE_PYTHON"


def _source_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stale_modules(folder: Path, info: dict) -> list[str]:
    """Modules whose source in ``folder`` differs from the hash recorded at build time."""
    recorded = info.get("sources", {})
    return [m for m in MODULES if recorded.get(f"{m}.py") != _source_hash(folder / f"{m}.py")]


def _compiled_files(folder: Path) -> list[Path]:
    names = [*MODULES, "_native__mypyc"]
    return [folder / f"{m}{suffix}" for m in names for suffix in importlib.machinery.EXTENSION_SUFFIXES
            if (folder / f"{m}{suffix}").exists()]


def _load_sources() -> None:
    # Import every module from its .py file, in dependency order, before anything asks
    # for it: the extension modules beside them are then never loaded.
    for m in MODULES:
        name = f"{__name__}.{m}"
        spec = importlib.util.spec_from_file_location(name, _HERE / f"{m}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        globals()[m] = module


def _fall_back(why: str) -> tuple[bool, str]:
    # One message prefix for every fallback: the test suite ignores it (its tests say
    # which build runs), everything else shows it.
    warnings.warn(f"rare_earth_sim.chain runs its Python sources, not the compiled build: {why}. "
                  f"Rebuild with `pip install -e .` (or `pip install .`), or set {_ENV}=1 to run the "
                  "sources without this warning.", RuntimeWarning, stacklevel=4)
    _load_sources()
    return False, f"Python sources ({why})"


def _choose() -> tuple[bool, str]:
    info_file = _HERE / "_compiled.json"
    compiled = _compiled_files(_HERE)
    if os.environ.get(_ENV, "").strip().lower() in ("1", "true", "yes"):
        if compiled:
            _load_sources()
            return False, f"Python sources ({_ENV} is set; a compiled build is installed)"
        return False, f"Python sources ({_ENV} is set)"
    if not info_file.exists():
        if compiled:
            return _fall_back("compiled modules without their build record (_compiled.json)")
        return False, "Python sources (not compiled at install)"
    try:
        info = json.loads(info_file.read_text())
        if not isinstance(info, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        return _fall_back(f"unreadable build record {info_file} ({exc})")
    names = {p.name.split(".")[0] for p in compiled}
    missing = [m for m in (*MODULES, "_native__mypyc") if m not in names]
    if missing:
        return _fall_back(f"compiled files missing: {', '.join(missing)}")
    stale = stale_modules(_HERE, info)
    if stale:
        return _fall_back(f"{', '.join(m + '.py' for m in stale)} changed since the chain was compiled")
    return True, f"compiled ({info.get('compiler', 'mypyc')})"


#: True when the chain runs as compiled extension modules.
COMPILED: bool
#: What runs, in words (printed by the benchmarks and the run report).
BUILD: str
COMPILED, BUILD = _choose()
