"""rare_earth_sim.plot: every figure on both built-in scenarios.

Each figure is checked three ways: it returns the Axes it drew on, it draws what the
data say (bars = stockouts, lines end at the vehicles lost, the Sankey's nodes
balance...), and it looks like its stored baseline image.

Regenerate the baseline images (after a deliberate change of a figure, or of the
model's output) with::

    RES_REGEN_BASELINES=1 python -m pytest tests/test_plots.py -k image

and look at the new PNGs in tests/baseline_images/ before committing them.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.testing.compare import compare_images

import rare_earth_sim as res
import rare_earth_sim.plot as rplot
from rare_earth_sim import data
from rare_earth_sim.plot.compare import SERIES_METRICS

BASELINES = Path(__file__).parent / "baseline_images"
FINGERPRINTS = BASELINES / "data_fingerprints.json"
REGEN = os.environ.get("RES_REGEN_BASELINES") == "1"
TOLERANCE = 10.0  # RMS difference of pixel values (0-255) allowed against a baseline
DPI = 60
SCENARIOS = {"halt": "halt_result", "baseline": "baseline_result"}

PLOTS: dict[str, tuple[Callable[..., Axes], tuple[float, float]]] = {
    "shortfall_curves": (lambda r, ax: rplot.shortfall_curves(r, ax=ax), (10, 5)),
    "shortfall_curves_pct": (lambda r, ax: rplot.shortfall_curves(r, percent=True, ax=ax), (10, 5)),
    "stockout_timeline": (lambda r, ax: rplot.stockout_timeline(r, ax=ax), (10, 5)),
    "stock_levels": (lambda r, ax: rplot.stock_levels(r, ax=ax), (10, 5)),
    "exports": (lambda r, ax: rplot.exports(r, observed=data.magnet_exports(), ax=ax), (10, 5)),
    "licence_backlog": (lambda r, ax: rplot.licence_backlog(r, ax=ax), (10, 5)),
    "material_flows": (lambda r, ax: rplot.material_flows(r, ax=ax), (14, 8)),
}


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    plt.close("all")


@pytest.fixture
def no_show(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_a: Any, **_k: Any) -> None:
        raise AssertionError("plot functions must not call plt.show()")

    monkeypatch.setattr(plt, "show", fail)


def _fingerprint(r: res.SimulationResult) -> str:
    """A digest of the numbers the figures draw, to tell a model change from a drawing change."""
    parts = [r.metrics().drop(columns=["first_stockout"]), r.stockouts()[["automaker", "duration_days"]],
             r.exports("MS"), r.licences()[["outcome", "quantity_t"]], r.stock_levels("W")[["cover_days"]]]
    text = "".join(p.to_csv(index=False, float_format="%.6g") for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _draw(name: str, r: res.SimulationResult) -> tuple[plt.Figure, Axes]:
    draw, size = PLOTS[name]
    fig = plt.figure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    out = draw(r, ax)
    assert out is ax
    return fig, ax


# -- every figure, both scenarios: returns its Axes and matches its baseline image -------------
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("name", list(PLOTS))
def test_image(name: str, scenario: str, request: pytest.FixtureRequest, tmp_path: Path, no_show: None) -> None:
    r = request.getfixturevalue(SCENARIOS[scenario])
    fig, _ax = _draw(name, r)
    stem = f"{name}_{scenario}"
    actual = tmp_path / f"{stem}.png"
    fig.savefig(actual, dpi=DPI, metadata={"Software": None})
    expected = BASELINES / f"{stem}.png"
    prints = json.loads(FINGERPRINTS.read_text()) if FINGERPRINTS.exists() else {}
    if REGEN:
        BASELINES.mkdir(exist_ok=True)
        expected.write_bytes(actual.read_bytes())
        prints[scenario] = _fingerprint(r)
        FINGERPRINTS.write_text(json.dumps(dict(sorted(prints.items())), indent=1) + "\n")
        return
    assert expected.exists(), f"no baseline {expected.name}: run RES_REGEN_BASELINES=1 pytest {__file__} -k image"
    diff = compare_images(str(expected), str(actual), tol=TOLERANCE)
    if diff is not None:
        changed = prints.get(scenario) != _fingerprint(r)
        why = ("the simulated data changed since the baselines were made (model or scenario change)"
               if changed else "the drawing changed")
        pytest.fail(f"{stem}: {why}; regenerate with RES_REGEN_BASELINES=1 if intended.\n{diff}")


@pytest.mark.parametrize("name", ["shortfall_curves", "stockout_timeline", "stock_levels", "exports",
                                  "licence_backlog", "material_flows", "compare"])
def test_new_figure_without_ax(name: str, halt_result: res.SimulationResult, no_show: None) -> None:
    fn = getattr(rplot, name)
    ax = fn({"halt": halt_result}) if name == "compare" else fn(halt_result)
    assert isinstance(ax, Axes)
    assert ax.figure.get_layout_engine() is not None  # constrained layout: nothing clipped


# -- the figures draw what the data say --------------------------------------------------------
def _gid(ax: Axes, gid: str) -> list[Any]:
    return [a for a in [*ax.patches, *ax.lines, *ax.collections] if a.get_gid() == gid]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_stockout_timeline_one_bar_per_stockout(scenario: str, request: pytest.FixtureRequest) -> None:
    r = request.getfixturevalue(SCENARIOS[scenario])
    ax = rplot.stockout_timeline(r)
    so = r.stockouts()
    bars = _gid(ax, "stockout")
    assert len(bars) == len(so)
    colours = rplot.automaker_colours(r)
    rows = {label.get_text(): i for i, label in enumerate(ax.get_yticklabels())}
    assert len(rows) == len(r.automakers)  # one row per automaker, stocking out or not
    for bar, s in zip(bars, so.itertuples(), strict=True):
        assert to_hex(bar.get_facecolor()) == colours[s.automaker]
        assert bar.get_y() + bar.get_height() / 2 == pytest.approx(rows[s.name])
        assert bar.get_width() == pytest.approx(s.duration_days, rel=1e-6)
    assert len(_gid(ax, "disruption")) == len(r.disruptions())
    assert len(_gid(ax, "control")) == r.control_rules()["start"].notna().sum()


def test_halt_has_stockouts_and_baseline_none(halt_result: res.SimulationResult,
                                              baseline_result: res.SimulationResult) -> None:
    assert len(halt_result.stockouts()) > 0 and len(halt_result.disruptions()) == 1
    assert len(baseline_result.stockouts()) == 0 and len(baseline_result.disruptions()) == 0


@pytest.mark.parametrize("percent", [False, True])
def test_shortfall_curves_end_at_vehicles_lost(halt_result: res.SimulationResult, percent: bool) -> None:
    ax = rplot.shortfall_curves(halt_result, percent=percent)
    lines = [ln for ln in ax.lines if not ln.get_label().startswith("_")]
    assert len(lines) == len(halt_result.automakers)
    colours = rplot.automaker_colours(halt_result)
    sf = halt_result.shortfall("D")
    for a, line in zip(halt_result.automakers, lines, strict=True):
        assert to_hex(line.get_color()) == colours[a]
        col = "cum_vehicles_lost_pct" if percent else "cum_vehicles_lost"
        assert line.get_ydata()[-1] == pytest.approx(sf.loc[sf["automaker"] == a, col].iloc[-1])
    if not percent:
        m = halt_result.metrics().set_index("automaker")["vehicles_lost"]
        assert sum(ln.get_ydata()[-1] for ln in lines) == pytest.approx(m.sum())
    assert "%" in ax.get_ylabel() if percent else "vehicles" in ax.get_ylabel()


def test_shortfall_curves_subset_and_unknown(halt_result: res.SimulationResult) -> None:
    ax = rplot.shortfall_curves(halt_result, automakers=["ford", "gm"])
    assert [ln.get_label().split(":")[0] for ln in ax.lines] == ["General Motors (N. America)", "Ford (N. America)"]
    with pytest.raises(ValueError, match="unknown automaker"):
        rplot.shortfall_curves(halt_result, automakers=["trabant"])


def test_shortfall_curves_of_an_ensemble_is_a_fan_chart() -> None:
    ens = res.run_ensemble("export-halt-2025", replications=2, seed=1, progress=False)
    ax = rplot.shortfall_curves(ens)
    assert isinstance(ax, Axes) and "replications" in ax.get_title()
    with pytest.raises(TypeError, match="fan_chart"):
        rplot.shortfall_curves(ens, percent=True)


def test_stock_levels_draw_the_scarcer_grade(halt_result: res.SimulationResult) -> None:
    ax = rplot.stock_levels(halt_result)
    sl = halt_result.stock_levels("D")
    lines = [ln for ln in ax.lines if ln.get_label() != "_child0" and not ln.get_label().startswith("_")]
    assert len(lines) == len(halt_result.automakers)
    ford = sl[sl["automaker"] == "ford"].groupby("date")["cover_days"].min().to_numpy()
    np.testing.assert_allclose(lines[1].get_ydata(), ford)
    assert "days of cover" in ax.get_ylabel()
    ax2 = rplot.stock_levels(halt_result, grade="high_temp")
    ht = sl[(sl["automaker"] == "ford") & (sl["grade"] == "high_temp")]["cover_days"].to_numpy()
    np.testing.assert_allclose(ax2.lines[1].get_ydata(), ht)
    with pytest.raises(ValueError, match="grade"):
        rplot.stock_levels(halt_result, grade="unobtainium")


def test_colours_stable_across_plots_and_scenarios(halt_result: res.SimulationResult,
                                                   baseline_result: res.SimulationResult) -> None:
    colours = rplot.automaker_colours(halt_result)
    assert len(set(colours.values())) == len(colours)  # distinct
    assert rplot.automaker_colours(halt_result) == colours
    assert rplot.automaker_colours(halt_result.automakers) == colours
    assert rplot.automaker_colours(baseline_result) == colours  # same automakers, same colours
    shortfall = {ln.get_label().split(":")[0]: to_hex(ln.get_color())
                 for ln in rplot.shortfall_curves(halt_result).lines}
    stock = {ln.get_label(): to_hex(ln.get_color()) for ln in rplot.stock_levels(halt_result).lines
             if not ln.get_label().startswith("_")}
    assert shortfall == stock


def test_exports_bars_sum_to_magnet_exports(halt_result: res.SimulationResult) -> None:
    obs = data.magnet_exports()
    ax = rplot.exports(halt_result, observed=obs)
    ex = halt_result.exports("MS")
    total = ex.loc[ex["product"].str.startswith("magnet"), "quantity_t"].sum()
    bars = [p for p in ax.patches if p.get_gid() != "disruption"]
    assert sum(b.get_height() for b in bars) == pytest.approx(total, rel=1e-9)
    line = next(ln for ln in ax.lines if ln.get_label().startswith("observed total"))
    np.testing.assert_allclose(line.get_ydata(), obs["total_t"].to_numpy())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"United States", "European Union", "observed to United States"} <= set(legend)


def test_observed_exports_from_csv_and_other_layouts(tmp_path: Path) -> None:
    path = resources.files("rare_earth_sim.data").joinpath("china_magnet_exports_monthly.csv")
    with resources.as_file(path) as csv:
        obs = rplot.observed_exports(csv)
    assert len(obs) == 13  # the 2024 and 2025-H1 totals are not months
    assert obs["inferred"].dtype == bool and obs["period"].is_monotonic_increasing
    alt = pd.DataFrame({"month": ["2025-05", "2025-05", "2025-06"], "destination": ["US", "EU", "US"],
                        "quantity_t": [46.0, 100.0, 353.0]})
    alt.to_csv(tmp_path / "obs.csv", index=False)
    got = rplot.observed_exports(tmp_path / "obs.csv")
    assert got["total_t"].tolist() == [146.0, 353.0]
    with pytest.raises(ValueError, match="date column"):
        rplot.observed_exports(pd.DataFrame({"x": [1]}))


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_licence_backlog_counts(scenario: str, request: pytest.FixtureRequest) -> None:
    r = request.getfixturevalue(SCENARIOS[scenario])
    lic = r.licences()
    ax = rplot.licence_backlog(r)
    lines = {ln.get_label().split(" ")[0]: ln for ln in ax.lines if not ln.get_label().startswith("_")}
    assert lines["approved"].get_ydata()[-1] == (lic["outcome"] == "approved").sum()
    assert lines["refused"].get_ydata()[-1] == (lic["outcome"] == "refused").sum()
    assert lines["waiting"].get_ydata()[-1] == lic["decided"].isna().sum()
    assert lines["waiting"].get_ydata().max() >= 0
    c = rplot.licence_counts(r, weight="t")
    assert c["approved"].iloc[-1] == pytest.approx(lic.loc[lic["outcome"] == "approved", "quantity_t"].sum())
    with pytest.raises(ValueError, match="weight"):
        rplot.licence_backlog(r, weight="kg")  # type: ignore[arg-type]


# -- the Sankey balances ----------------------------------------------------------------------
@pytest.mark.parametrize("period", [None, "2025-05", ("2025-04-04", "2025-06-10"), "run"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_sankey_nodes_balance(scenario: str, period: Any, request: pytest.FixtureRequest) -> None:
    r = request.getfixturevalue(SCENARIOS[scenario])
    df = rplot.sankey_flows(r, period)
    for (_diagram, _node), g in df.groupby(["diagram", "node"]):
        assert abs(g["t"].sum()) <= 1e-9 * g["t"].abs().sum()
    # what leaves one node along the chain arrives at the next
    for diagram, g in df.groupby("diagram"):
        for k in range(g["node_index"].max()):
            out = g[(g["node_index"] == k) & (g["role"] == "chain_out")]["t"].sum()
            into = g[(g["node_index"] == k + 1) & (g["role"] == "chain_in")]["t"].sum()
            assert out == pytest.approx(-into), (diagram, k)


def test_sankey_stock_change_matches_the_components(halt_result: res.SimulationResult) -> None:
    """Stock rows come from flows; check them against stocks the components report."""
    r = halt_result
    df = rplot.sankey_flows(r, "run")
    bal = r.balance()
    bal["diagram"] = np.where(bal["material"].str.startswith("magnet"), "magnet", "oxide")
    for diagram, (_unit, chain) in rplot.flows.CHAINS.items():
        for i, (label, stages) in enumerate(chain):
            held = bal[(bal["diagram"] == diagram) & bal["stage"].isin(stages)]["stock_end_t"].sum()
            drawn = -df[(df["diagram"] == diagram) & (df["node_index"] == i) & (df["role"] == "stock")]["t"].sum()
            assert drawn == pytest.approx(held, rel=1e-9, abs=1e-6), (diagram, label)
    # Over any whole-day period, the automakers' stock change is the change of their stock
    # levels (from the segments): consumption is booked day by day.
    sl = r.stock_levels("D").groupby("date")["stock_t"].sum()
    one_day = r.shortfall("D").groupby("date")["demand_t"].sum().iloc[0]
    for lo, hi in [("2025-04-01", "2025-07-01"), ("2025-05-01", "2025-06-01"), ("2024-03-01", "2024-09-01"),
                   ("2025-10-01", "2025-12-01")]:
        lo, hi = pd.Timestamp(lo), pd.Timestamp(hi)
        period = rplot.sankey_flows(r, (lo, hi))
        auto = period[(period["node"] == "Automakers") & (period["role"] == "stock")]["t"].sum()
        assert -auto == pytest.approx(sl[hi] - sl[lo], abs=1e-9 * one_day), (lo, hi)


def test_sankey_draws_every_node_with_balanced_diagrams(halt_result: res.SimulationResult) -> None:
    ax = rplot.material_flows(halt_result, "2025-05")
    df = rplot.sankey_flows(halt_result, "2025-05")
    patches = [p for p in ax.patches if type(p).__name__ == "PathPatch"]
    assert len(patches) == df.groupby(["diagram", "node_index"]).ngroups == 9
    assert "May 2025" in ax.get_title() and "t magnet" in ax.get_title()
    with pytest.raises(TypeError, match="unexpected"):
        rplot.material_flows(halt_result, colour="red")


@pytest.mark.parametrize("period", [("2025-05-10", "2025-05-11"), ("2023-09-03", "2023-09-04"), "2030"])
def test_sankey_short_or_empty_periods(halt_result: res.SimulationResult, period: Any) -> None:
    """A stage with nothing flowing along the chain is placed, not connected; no flow at all is said."""
    ax = rplot.material_flows(halt_result, period)
    df = rplot.sankey_flows(halt_result, period)
    patches = [p for p in ax.patches if type(p).__name__ == "PathPatch"]
    assert len(patches) == df.groupby(["diagram", "node_index"]).ngroups
    if df.empty:
        assert any("no material" in t.get_text() for t in ax.texts)


def test_period_bounds(halt_result: res.SimulationResult) -> None:
    r = halt_result
    assert rplot.flows.period_bounds(r, "2025-05") == (r.t("2025-05-01"), r.t("2025-06-01"))
    assert rplot.flows.period_bounds(r, "2025Q2") == (r.t("2025-04-01"), r.t("2025-07-01"))
    assert rplot.flows.period_bounds(r, None) == (r.t(r.start), r.t(r.end) + 1.0)


# -- compare -------------------------------------------------------------------------------
def test_compare_bars_and_lines(halt_result: res.SimulationResult, baseline_result: res.SimulationResult) -> None:
    both = {"baseline": baseline_result, "halt": halt_result}
    ax = rplot.compare(both, "vehicles_lost")
    n = len(halt_result.automakers)
    for name in both:
        bars = _gid(ax, f"compare:{name}")
        assert len(bars) == n
    halt_bars = _gid(ax, "compare:halt")
    m = halt_result.metrics()
    np.testing.assert_allclose([b.get_height() for b in halt_bars], m["vehicles_lost"])
    assert [to_hex(b.get_facecolor()[:3]) for b in halt_bars] == list(rplot.automaker_colours(halt_result).values())
    ax = rplot.compare(both, "tts_days")  # inf (no stockout) and NaN (no disruption): no bar
    finite = np.isfinite(m["tts_days"]).sum()
    assert len(_gid(ax, "compare:halt")) == finite and len(_gid(ax, "compare:baseline")) == 0
    assert sum(t.get_text() == "∞" for t in ax.texts) == n - finite
    for metric in SERIES_METRICS:
        ax = rplot.compare(both, metric)
        assert [ln.get_label() for ln in ax.lines] == ["baseline", "halt"]
    with pytest.raises(ValueError, match="unknown metric"):
        rplot.compare(both, "happiness")
    with pytest.raises(ValueError, match="at least one"):
        rplot.compare({}, "vehicles_lost")


# -- no global side effects --------------------------------------------------------------------
def test_import_changes_no_matplotlib_state() -> None:
    code = (
        "import sys, matplotlib\n"
        "before = dict(dict.items(matplotlib.rcParams))\n"
        "import rare_earth_sim.plot, rare_earth_sim.report\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
        "assert dict(dict.items(matplotlib.rcParams)) == before, 'rcParams changed'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_plot_functions_leave_rcparams_alone(halt_result: res.SimulationResult) -> None:
    import matplotlib

    before = dict(dict.items(matplotlib.rcParams))
    rplot.material_flows(halt_result, "2025-05")
    rplot.stockout_timeline(halt_result)
    assert dict(dict.items(matplotlib.rcParams)) == before
