"""Build step: compile the chain's modules (the simulation's hot path) with mypyc.

Everything else about the package is declared in ``pyproject.toml``. The chain modules
are plain, type-annotated Python; mypyc compiles the same sources to C extensions, which
run a replication ~25-30 % faster with identical results. Compiling is optional:

- ``RARE_EARTH_SIM_PURE_PYTHON=1 pip install ...`` skips it (and an editable install then
  removes a compiled build left beside the sources);
- if mypyc or a C compiler is missing, or type checking or compiling fails, the build says
  so and the package installs as pure Python (nothing half-compiled is left behind).

The build writes ``rare_earth_sim/chain/_compiled.json`` with the hash of every source as
it was read for compiling, so that ``rare_earth_sim.chain`` can tell a compiled module
from a stale one; the modules' shared library lives in the package
(``rare_earth_sim/chain/_native__mypyc*``), so a build cannot load another build's library.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

# Dependency order (rare_earth_sim/chain/__init__.py lists and loads the same modules).
CHAIN = ("allocation", "workdays", "base", "quota", "lane", "export_control", "ore_trade", "mine",
         "separation", "magnet_plant", "automaker", "sectors")
HERE = Path(__file__).resolve().parent
SOURCES = [f"rare_earth_sim/chain/{m}.py" for m in CHAIN]
GROUP = "rare_earth_sim.chain._native"  # mypyc's shared library: rare_earth_sim/chain/_native__mypyc*
ENV = "RARE_EARTH_SIM_PURE_PYTHON"


def _pure_requested() -> bool:
    # the same reading as rare_earth_sim/chain/__init__.py
    return os.environ.get(ENV, "").strip().lower() in ("1", "true", "yes")


def _log(msg: str) -> None:
    print(f"rare_earth_sim: {msg}", file=sys.stderr)


# Hashed before mypyc reads them: a source edited while the C code compiles no longer
# matches the record, so the compiled module is never taken for that edit.
HASHES = {Path(s).name: hashlib.sha256((HERE / s).read_bytes()).hexdigest() for s in SOURCES}


def _extensions() -> list:
    if _pure_requested():
        _log(f"{ENV} is set: installing pure Python")
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _log("mypyc not available: installing pure Python")
        return []
    try:
        # mypy's checks run as part of compiling; third-party stubs are not needed here
        return mypycify(["--ignore-missing-imports", "--follow-imports=silent", *SOURCES], opt_level="3",
                        group_name=GROUP)
    except (SystemExit, Exception) as exc:  # noqa: BLE001 - mypyc exits on a type error
        _log(f"mypyc could not compile the chain ({exc!r}): installing pure Python")
        return []


def _chain_outputs(base: Path) -> list[Path]:
    """Compiled files of the chain (and the build record) under ``base``, if any."""
    folder = base / "rare_earth_sim" / "chain"
    names = [*CHAIN, "_native__mypyc"]
    found = [folder / f"{n}{s}" for n in names for s in importlib.machinery.EXTENSION_SUFFIXES]
    return [p for p in [*found, folder / "_compiled.json"] if p.exists()]


class BuildChain(build_ext):
    """build_ext that leaves a pure-Python package (and says why) when compiling fails."""

    def run(self) -> None:
        # setuptools builds into build_lib with inplace switched off, then copies into the
        # sources when it was on: remember it (a failed build does not switch it back).
        inplace = bool(self.inplace)
        for p in _chain_outputs(HERE) if inplace else []:
            p.unlink()  # an older build beside the sources: never left next to a new one
        if not self.extensions:
            return
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any compiler or linker failure: fall back
            _log(f"compiling the chain modules failed ({exc}); installing pure Python")
            for p in _chain_outputs(HERE) + _chain_outputs(Path(self.build_lib)):
                p.unlink()
            self.extensions = []
            return
        import mypy.version

        record = json.dumps({"compiler": f"mypyc {mypy.version.__version__}", "sources": HASHES}, indent=1)
        for base in [Path(self.build_lib), *([HERE] if inplace else [])]:
            target = base / "rare_earth_sim" / "chain"
            target.mkdir(parents=True, exist_ok=True)
            (target / "_compiled.json").write_text(record + "\n")

    def get_outputs(self) -> list[str]:
        out = list(super().get_outputs())
        if self.extensions:
            out.append(str(Path(self.build_lib) / "rare_earth_sim" / "chain" / "_compiled.json"))
        return out


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildChain})
