"""The command line, run as users run it: ``python -m rare_earth_sim ...`` in a subprocess.

Each subprocess pays the package import (~1.5 s), so the remaining error cases call
``rare_earth_sim.cli.main`` in-process with the same argv and check stdout, stderr and the
exit code the same way.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import rare_earth_sim as res
from rare_earth_sim.cli import main


def cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rare_earth_sim", *map(str, args)], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def cli_inproc(capsys: pytest.CaptureFixture[str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


def _assert_clean_error(p: subprocess.CompletedProcess[str], *parts: str) -> str:
    """Exit code 2, one line on stderr naming what is wrong, no traceback, nothing on stdout."""
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("error: ")
    for part in parts:
        assert part in lines[0], (part, lines[0])
    assert p.stdout == ""
    return lines[0]


def test_list_prints_the_builtins() -> None:
    p = cli("list")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == res.list_scenarios()
    assert {"baseline-2024", "export-halt-2025"} <= set(p.stdout.split())


def test_validate_good_builtin_and_file(tmp_path: Path) -> None:
    p = cli("validate", "export-halt-2025")
    assert p.returncode == 0, p.stderr
    assert "valid scenario 'export-halt-2025'" in p.stdout
    f = tmp_path / "mine.toml"
    f.write_text('[scenario]\nextends = "baseline-2024"\nname = "mine"\n\n[[demand.automakers]]\n'
                 'id = "ford"\nstock_days = 60\n', encoding="utf-8")
    p = cli("validate", f)
    assert p.returncode == 0, p.stderr
    assert f"{f}: valid scenario 'mine' (2024-01-01 .. 2025-12-31)" in p.stdout
    assert p.stderr == ""


def test_validate_bad_field(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text('[scenario]\nextends = "baseline-2024"\nname = "bad"\n\n[[export_controls.rules]]\n'
                 'name = "x"\nstart = 2025-04-04\nproducts = ["magnet_high_temp"]\nregime = "embargo"\n',
                 encoding="utf-8")
    line = _assert_clean_error(cli("validate", f))
    assert line == (f"error: {f}: export_controls.rules[0].regime: 'embargo' is not allowed "
                    "(allowed: one of 'licence', 'halt', 'general', 'free')")


def test_validate_bad_toml_syntax(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "broken.toml"
    f.write_text('[scenario\nname = "x"\n', encoding="utf-8")
    _assert_clean_error(cli_inproc(capsys, "validate", f), str(f), "is not valid TOML", "allowed: TOML 1.0 syntax")


def test_validate_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "missing.toml"
    _assert_clean_error(cli_inproc(capsys, "validate", f), str(f), "neither a built-in scenario nor a readable file",
                        "baseline-2024")


def test_validate_missing_parent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "orphan.toml"
    f.write_text('[scenario]\nextends = "baseline-2023"\nname = "orphan"\n', encoding="utf-8")
    _assert_clean_error(cli_inproc(capsys, "validate", f), str(f), "scenario.extends", "cannot load 'baseline-2023'")


def test_run_unknown_scenario_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = cli_inproc(capsys, "run", "baseline-2042", "--out", tmp_path / "out", "--no-plots")
    _assert_clean_error(p, "baseline-2042", "neither a built-in scenario")
    assert not (tmp_path / "out").exists()


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


@pytest.fixture(scope="module")
def run_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("cli") / "out"
    return cli("run", "baseline-2024", "--out", out, "--no-plots", "--seed", "4"), out


TABLES = {
    "metrics": {"automaker", "first_stockout", "tts_days", "ttr_days", "fill_rate", "vehicles_lost"},
    "stockouts": {"automaker", "start", "end", "duration_days", "vehicles_lost"},
    "shortfall_daily": {"date", "automaker", "demand_t", "unmet_t", "vehicles_lost"},
    "exports_monthly": {"period", "origin", "destination", "product", "quantity_t"},
    "licences": {"shipment", "submitted", "decided", "outcome"},
    "balance": {"stage", "node", "material", "residual_t", "relative_residual"},
    "stock_levels_daily": {"date", "automaker", "grade", "stock_t"},
}


def test_run_writes_the_csvs(run_out: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    p, out = run_out
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    assert "baseline-2024 (seed 4)" in p.stdout
    for name, cols in TABLES.items():
        f = out / f"{name}.csv"
        assert f.is_file(), name
        df = pd.read_csv(f)
        assert cols <= set(df.columns), (name, df.columns)
    assert not list(out.glob("*.png"))  # --no-plots


def test_run_csvs_hold_the_same_run_as_the_api(run_out: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = run_out
    r = res.simulate(res.load_scenario("baseline-2024"), seed=4)
    metrics = pd.read_csv(out / "metrics.csv")
    assert list(metrics["automaker"]) == r.automakers
    assert (metrics["fill_rate"] == 1.0).all()
    # Another process (another string-hash seed), the same seed: the same numbers, bit for bit.
    ex = pd.read_csv(out / "exports_monthly.csv", parse_dates=["period"])
    pd.testing.assert_frame_equal(ex, r.exports("MS"), check_exact=True, check_dtype=False)
    bal = pd.read_csv(out / "balance.csv")
    assert (bal["relative_residual"] <= 1e-9).all()
    days = pd.read_csv(out / "shortfall_daily.csv", parse_dates=["date"])
    assert days["date"].min() == pd.Timestamp("2024-01-01") and days["date"].max() == pd.Timestamp("2025-12-31")
