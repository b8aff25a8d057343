"""Command line: a thin layer over the Python API.

    rare-earth-sim list
    rare-earth-sim run NAME_OR_TOML [--seed S] [--out DIR]
    rare-earth-sim validate FILE.toml
    rare-earth-sim backtest NAME_OR_TOML --observed FILE.csv [--cutoff DATE] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .scenario import ScenarioError, list_scenarios, load_scenario

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rare-earth-sim", description="Supply-risk simulation of the rare-earth magnet chain.")
    p.add_argument("--version", action="version", version=f"rare-earth-sim {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the built-in scenarios")
    run = sub.add_parser("run", help="simulate a scenario and write its tables")
    run.add_argument("scenario", help="a built-in name (see 'list') or a path to a .toml file")
    run.add_argument("--seed", type=int, default=0, help="root random seed (default 0)")
    run.add_argument("--replications", type=int, default=1, help="Monte Carlo replications (default 1)")
    run.add_argument("--workers", type=int, default=1, help="worker processes for an ensemble (default 1)")
    run.add_argument("--out", type=Path, default=Path("out"), help="output folder (default ./out)")
    run.add_argument("--no-plots", action="store_true", help="skip figures and the HTML report")
    val = sub.add_parser("validate", help="check a scenario file and report the first problem")
    val.add_argument("file")
    bt = sub.add_parser("backtest", help="compare simulated monthly magnet exports with an observed series")
    bt.add_argument("scenario", help="a built-in name (see 'list') or a path to a .toml file")
    bt.add_argument("--observed", type=Path, required=True,
                    help="CSV with columns period,total_t[,to_us_t,...] (t per month)")
    bt.add_argument("--cutoff", default=None, help="months ending after this date (YYYY-MM-DD) are out of sample")
    bt.add_argument("--replications", type=int, default=20, help="Monte Carlo replications (default 20)")
    bt.add_argument("--seed", type=int, default=0, help="root random seed (default 0)")
    bt.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    bt.add_argument("--out", type=Path, default=Path("out"), help="output folder (default ./out)")
    return p


def _run_single(args: argparse.Namespace) -> int:
    from .engine import simulate

    sc = load_scenario(args.scenario)
    r = simulate(sc, seed=args.seed)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "metrics": r.metrics(), "stockouts": r.stockouts(), "shortfall_daily": r.shortfall("D"),
        "exports_monthly": r.exports("MS"), "licences": r.licences(), "balance": r.balance(),
        "stock_levels_daily": r.stock_levels("D"),
    }
    for name, df in tables.items():
        df.to_csv(out / f"{name}.csv", index=False)
    print(r.summary())
    if not args.no_plots:
        from .report import write_report

        print(f"report: {write_report(r, out)}")
    print(f"tables written to {out}/ ({', '.join(n + '.csv' for n in tables)})")
    return 0


def _backtest(args: argparse.Namespace) -> int:
    """``rare-earth-sim backtest``: backtest_table.csv, backtest_scores.csv and backtest.png in ``--out``."""
    from matplotlib.figure import Figure

    from .backtest import backtest
    from .plot.backtest import backtest as plot_backtest

    try:
        bt = backtest(args.scenario, args.observed, replications=args.replications, seed=args.seed,
                      cutoff=args.cutoff, executor=args.workers if args.workers > 1 else None,
                      progress=sys.stderr.isatty())
    except (ValueError, FileNotFoundError) as exc:  # a malformed observed file, a bad cutoff
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    bt.table.to_csv(out / "backtest_table.csv", index=False)
    bt.scores.to_csv(out / "backtest_scores.csv", index=False)
    series = list(bt.table["series"].unique())
    fig = Figure(figsize=(10.0, 4.5 * len(series)), layout="constrained")
    for i, name in enumerate(series):
        plot_backtest(bt, ax=fig.add_subplot(len(series), 1, i + 1), series=name)
    fig.savefig(out / "backtest.png", dpi=100)
    print(bt.summary())
    print(f"written to {out}/: backtest_table.csv, backtest_scores.csv, backtest.png")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rare-earth-sim`` and ``python -m rare_earth_sim``."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            for name in list_scenarios():
                print(name)
            return 0
        if args.command == "validate":
            sc = load_scenario(args.file)
            print(f"{args.file}: valid scenario {sc.name!r} ({sc.start} .. {sc.end}); "
                  f"{len(sc.uncertain())} uncertain parameters")
            return 0
        if args.command == "backtest":
            return _backtest(args)
        if args.command == "run":
            if args.replications > 1:
                from .ensemble import run_ensemble_cli
                return run_ensemble_cli(args)
            return _run_single(args)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 1
