"""Every notebook in notebooks/ and every script in examples/ runs without error.

Notebooks are executed top to bottom with nbclient (kernel ``python3``) in a temporary
folder; scripts run in a subprocess with the Agg backend and an output folder in
``tmp_path``. A new notebook or script is picked up by the glob: no test to add.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SCRIPTS = sorted((ROOT / "examples").glob("*.py"))


def test_there_is_something_to_run() -> None:
    assert any(p.name.startswith("01-") for p in NOTEBOOKS)
    assert ROOT / "examples" / "export_halt_2025.py" in SCRIPTS


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    stored = [c for c in nb.cells if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not stored, f"{path.name} is stored with outputs; clear them (keep the repository small)"
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=600,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    figures = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if "image/png" in o.get("data", {})]
    assert figures, "the notebook shows no figure"


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_example_script_runs(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "figures"
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "error"}
    proc = subprocess.run([sys.executable, str(path), str(out)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    if path.name == "export_halt_2025.py":
        pngs = {p.stem for p in out.glob("*.png")}
        assert {"shortfall_curves", "stockout_timeline", "stock_levels", "exports", "licence_backlog",
                "compare_what_if"} <= pngs
        assert any(p.startswith("material_flows") for p in pngs)
        assert "Ford with" in proc.stdout
