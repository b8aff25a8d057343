"""Backtest: simulated monthly China magnet exports against an observed series.

Customs data count NdFeB magnets and alloys under HS 8505111000; in the model these are
the products ``magnet_standard`` and ``magnet_high_temp`` leaving China
(:meth:`~rare_earth_sim.results.SimulationResult.exports`). An observed series is a table
with one row per month::

    period,total_t,to_us_t
    2025-05,1238,46
    2025-06,3188,353

``total_t`` is required; ``to_<key>_t`` columns (see :data:`DESTINATION_COLUMNS`) are
compared with the exports to that destination where a value is given. An ``inferred``
column (true/false), if present, marks derived figures. Other columns are ignored.

Months are *in sample* when they end on or before the cutoff date and *out of sample*
otherwise; the calibration (:mod:`rare_earth_sim.calibration`) only ever sees in-sample
months.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .scenario.model import Scenario, load_scenario

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "BacktestResult", "DESTINATION_COLUMNS", "MAGNET_PRODUCTS", "ObservedDataError", "backtest",
    "compare", "read_observed", "simulated_series",
]

#: Model products counted as "magnets" in customs data (HS 8505111000).
MAGNET_PRODUCTS: tuple[str, ...] = ("magnet_standard", "magnet_high_temp")

#: Observed column -> destination in the model.
DESTINATION_COLUMNS: dict[str, str] = {
    "to_us_t": "United States",
    "to_eu_t": "European Union",
    "to_japan_t": "Japan",
    "to_south_korea_t": "South Korea",
    "to_india_t": "India",
    "to_vietnam_t": "Vietnam",
    "to_other_t": "Other",
}

_TOTAL = "total"


class ObservedDataError(ValueError):
    """An observed export series is malformed.

    The message names the file (or ``<DataFrame>``), the column and what is wrong.

    Attributes
    ----------
    source : str
        File the series was read from, or ``"<DataFrame>"``.
    column : str
        The offending column.
    problem : str
        What is wrong, with the first offending rows.
    """

    def __init__(self, source: str, column: str, problem: str) -> None:
        self.source, self.column, self.problem = source, column, problem
        super().__init__(f"{source}: column {column!r}: {problem}")


# -- observed series ------------------------------------------------------------------------
def _rows(values: pd.Series, bad: pd.Series) -> str:
    return ", ".join(f"row {i + 1}: {v!r}" for i, v in values[bad].head(5).items())


def _period(values: pd.Series, source: str) -> pd.Series:
    """Month starts from 'YYYY-MM', 'YYYY-MM-DD', dates or Timestamps."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    else:
        text = values.astype(str).str.strip()
        parsed = pd.to_datetime(text, format="%Y-%m", errors="coerce")
        day = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        stamp = pd.to_datetime(values.where(values.map(lambda v: isinstance(v, dt.date))), errors="coerce")
        parsed = parsed.fillna(day).fillna(stamp)
    bad = parsed.isna()
    if bad.any():
        raise ObservedDataError(source, "period", "not a month (expected YYYY-MM or YYYY-MM-DD; "
                                f"{_rows(values, bad)})")
    months = parsed.dt.to_period("M").dt.start_time
    dup = months.duplicated(keep=False)
    if dup.any():
        raise ObservedDataError(source, "period", f"duplicate month ({_rows(values, dup)})")
    return months


def _tonnes(values: pd.Series, source: str, column: str, required: bool) -> pd.Series:
    text = values.astype(str).str.strip()
    empty = values.isna() | text.isin(["", "nan", "NaN", "None", "<NA>"])
    if required and empty.any():
        raise ObservedDataError(source, column, f"empty cell in a required column ({_rows(values, empty)})")
    if pd.api.types.is_bool_dtype(values):
        raise ObservedDataError(source, column, "expected tonnes, got true/false values")
    num = pd.to_numeric(values.where(~empty), errors="coerce").astype("float64")
    bad = ~empty & num.isna()
    if bad.any():
        raise ObservedDataError(source, column, f"not a number ({_rows(values, bad)})")
    bad = ~empty & ~np.isfinite(num.fillna(0.0))
    if bad.any():
        raise ObservedDataError(source, column, f"not a finite number ({_rows(values, bad)})")
    neg = num < 0
    if neg.any():
        raise ObservedDataError(source, column, f"negative tonnes ({_rows(values, neg)})")
    return num


def _flag(values: pd.Series, source: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.astype(bool)
    text = values.astype(str).str.strip().str.lower().where(values.notna(), "")
    ok = text.isin(["true", "false", "1", "0", "1.0", "0.0", ""])
    if not ok.all():
        raise ObservedDataError(source, "inferred", f"expected true or false ({_rows(values, ~ok)})")
    return text.isin(["true", "1", "1.0"])


def read_observed(observed: pd.DataFrame | str | Path,
                  destinations: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read and check an observed monthly export series.

    Parameters
    ----------
    observed : DataFrame or str or Path
        A table, or a CSV file, with columns ``period`` (month: ``YYYY-MM``,
        ``YYYY-MM-DD`` or a date), ``total_t`` (t product per month, required in every
        row) and optionally ``to_<key>_t`` columns (t product per month to one
        destination; empty = not observed) and ``inferred`` (true/false). For example
        :func:`rare_earth_sim.data.magnet_exports` returns such a table. Rows of
        annual, half-year or quarterly totals (``2024``, ``2025-H1``, ``2025-Q1``) are left
        out.
    destinations : mapping, optional
        Extra ``{column: model destination}`` pairs besides :data:`DESTINATION_COLUMNS`.

    Returns
    -------
    DataFrame
        ``period`` (month start), ``total_t``, the destination columns present, and
        ``inferred`` (False where not given), sorted by period. ``attrs["source"]`` is the
        file name (or ``"<DataFrame>"``), ``attrs["destinations"]`` the column ->
        destination map.

    Raises
    ------
    ObservedDataError
        (a ``ValueError``) naming the file and the column: a missing ``period`` or
        ``total_t`` column, an unknown ``to_*_t`` column, an unparsable or duplicate
        month, a non-numeric, non-finite or negative value, an empty ``total_t`` cell.
    """
    dest_map = {**DESTINATION_COLUMNS, **(destinations or {})}
    if isinstance(observed, pd.DataFrame):
        source = str(observed.attrs.get("source", "<DataFrame>"))
        raw = observed.copy()
    else:
        source = str(observed)
        try:
            raw = pd.read_csv(observed, dtype=str, keep_default_na=False, na_filter=False)
        except FileNotFoundError:
            raise FileNotFoundError(f"{source}: observed series not found") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise ObservedDataError(source, "period", f"cannot read the CSV: {exc}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    for col in ("period", "total_t"):
        if col not in raw.columns:
            raise ObservedDataError(source, col, "missing column (required: period, total_t; optional: "
                                    + ", ".join(dest_map) + ", inferred); found: "
                                    + ", ".join(map(str, raw.columns)))
    if raw.empty:
        raise ObservedDataError(source, "period", "no data rows")
    raw = raw.reset_index(drop=True)
    unknown = [c for c in raw.columns if c.startswith("to_") and c.endswith("_t") and c not in dest_map]
    if unknown:
        raise ObservedDataError(source, unknown[0], "unknown destination column (allowed: "
                                + ", ".join(dest_map) + "; or pass destinations={column: destination})")
    # Annual, half-year and quarterly totals ("2024", "2025-H1", as in the package's own CSV)
    # are not months: they are left out rather than rejected.
    aggregate = raw["period"].astype(str).str.strip().str.fullmatch(r"\d{4}(-[HQ]\d)?")
    raw = raw[~aggregate]  # keeps the row numbers of the file for messages
    if raw.empty:
        raise ObservedDataError(source, "period", "no monthly rows (only annual/half-year/quarterly totals)")
    out = pd.DataFrame({"period": _period(raw["period"], source),
                        "total_t": _tonnes(raw["total_t"], source, "total_t", required=True)})
    present = {c: d for c, d in dest_map.items() if c in raw.columns}
    for col in present:
        out[col] = _tonnes(raw[col], source, col, required=False)
    out["inferred"] = _flag(raw["inferred"], source) if "inferred" in raw.columns else False
    out = out.sort_values("period").reset_index(drop=True)
    out.attrs["source"] = source
    out.attrs["destinations"] = present
    out.attrs["units"] = {"total_t": "t product per month", **{c: "t product per month" for c in present}}
    return out


# -- simulated series -----------------------------------------------------------------------
def simulated_series(exports: pd.DataFrame, destinations: Sequence[str] = (),
                     products: Sequence[str] = MAGNET_PRODUCTS) -> pd.DataFrame:
    """Monthly magnet exports per replication: the total and selected destinations.

    Parameters
    ----------
    exports : DataFrame
        China's exports per replication: ``replication, period, destination, product,
        quantity_t`` (as :meth:`EnsembleResult.exports` returns).
    destinations : sequence of str
        Model destinations to report besides the total (``"United States"``, ...).
    products : sequence of str
        Products counted (default: both magnet grades).

    Returns
    -------
    DataFrame
        ``replication, period, series, simulated_t`` where ``series`` is ``"total"`` or a
        destination name; every (replication, period, series) is present (0 t if no
        shipment).
    """
    ex = exports[exports["product"].isin(list(products))]
    reps = np.sort(exports["replication"].unique())
    periods = np.sort(exports["period"].unique())
    frames = []
    for name, part in [(_TOTAL, ex)] + [(d, ex[ex["destination"] == d]) for d in destinations]:
        g = part.groupby(["replication", "period"])["quantity_t"].sum()
        grid = pd.MultiIndex.from_product([reps, periods], names=["replication", "period"])
        s = g.reindex(grid, fill_value=0.0).rename("simulated_t").reset_index()
        s.insert(2, "series", name)
        frames.append(s)
    df = pd.concat(frames, ignore_index=True)
    df.attrs["units"] = {"simulated_t": "t product per month"}
    return df


def _ensemble_exports(scenario: Scenario, replications: int, seed: int,
                      executor: Any = None, progress: bool = False) -> pd.DataFrame:
    """China's monthly exports of ``replications`` replications of ``scenario``.

    Replication *i* uses ``SeedSequence(seed).spawn(replications)[i]`` (as
    :func:`rare_earth_sim.run_ensemble`, which runs them, on ``executor`` if given).
    """
    from .ensemble import run_ensemble

    ens = run_ensemble(scenario, replications=replications, seed=seed, executor=executor,
                       progress=progress, keep="summary")
    ex = ens.exports()
    return ex[ex["origin"] == "China"] if "origin" in ex.columns else ex


# -- comparison and scores ------------------------------------------------------------------
def _month_end(period: pd.Series) -> pd.Series:
    return period + pd.offsets.MonthEnd(0)


def _cutoff(cutoff: Any) -> pd.Timestamp | None:
    if cutoff is None:
        return None
    try:
        ts = pd.Timestamp(cutoff)
    except (ValueError, TypeError):
        raise ValueError(f"cutoff {cutoff!r} is not a date (expected YYYY-MM-DD)") from None
    if pd.isna(ts):
        raise ValueError(f"cutoff {cutoff!r} is not a date (expected YYYY-MM-DD)")
    return ts


def _long_observed(obs: pd.DataFrame) -> pd.DataFrame:
    dest = obs.attrs.get("destinations", {})
    frames = [obs[["period", "total_t", "inferred"]].rename(columns={"total_t": "observed_t"})
              .assign(series=_TOTAL)]
    for col, name in dest.items():
        frames.append(obs[["period", col, "inferred"]].rename(columns={col: "observed_t"}).assign(series=name))
    long = pd.concat(frames, ignore_index=True)
    return long[long["observed_t"].notna()].reset_index(drop=True)


def _scores(table: pd.DataFrame, nominal: float) -> pd.DataFrame:
    rows = []
    samples = [("all", np.ones(len(table), dtype=bool))]
    if table.attrs.get("cutoff") is not None:
        oos = table["out_of_sample"].to_numpy(dtype=bool)
        samples += [("in_sample", ~oos), ("out_of_sample", oos)]
    for series in table["series"].unique():
        s_mask = (table["series"] == series).to_numpy()
        for sample, mask in samples:
            t = table[s_mask & mask]
            pos = t[t["observed_t"] > 0]
            err = t["error_t"].to_numpy()
            rows.append({
                "series": series, "sample": sample, "n": len(t),
                "mape_pct": float(np.mean(np.abs(pos["error_pct"]))) if len(pos) else math.nan,
                "bias_t": float(np.mean(err)) if len(t) else math.nan,
                "bias_pct": float(np.mean(pos["error_pct"])) if len(pos) else math.nan,
                "rmse_t": float(np.sqrt(np.mean(err ** 2))) if len(t) else math.nan,
                "coverage": float(t["inside_band"].mean()) if len(t) else math.nan,
                "nominal_coverage": nominal,
            })
    df = pd.DataFrame(rows)
    df.attrs["units"] = {"mape_pct": "% (mean |simulated mean - observed| / observed)",
                         "bias_t": "t/month (mean of simulated mean - observed)",
                         "bias_pct": "% (mean of (simulated mean - observed) / observed)",
                         "rmse_t": "t/month", "coverage": "share of observations inside the band",
                         "nominal_coverage": "share the band should cover"}
    return df


@dataclass
class BacktestResult:
    """Observed against simulated monthly exports, with scores.

    Attributes
    ----------
    table : DataFrame
        One row per observed (month, series): ``period, series, observed_t, inferred,
        sim_mean_t, sim_median_t, sim_low_t, sim_high_t`` (band quantiles),
        ``error_t`` (simulated mean - observed, t), ``error_pct`` (% of observed),
        ``inside_band`` and ``out_of_sample`` (the month ends after the cutoff).
        ``series`` is ``"total"`` or a destination (``"United States"``).
    scores : DataFrame
        Per series and sample (``all``; with a cutoff also ``in_sample`` and
        ``out_of_sample``): ``n``, ``mape_pct``, ``bias_t``, ``bias_pct``, ``rmse_t``,
        ``coverage`` (share inside the band) and ``nominal_coverage``.
    simulated : DataFrame
        Per replication: ``replication, period, series, simulated_t`` over the whole
        horizon (for plots).
    cutoff : Timestamp or None
    band : tuple of float
        Quantiles of the band, e.g. (0.05, 0.95).
    scenario : str
        Scenario name.
    replications, seed : int
    source : str
        Where the observed series came from.
    """

    table: pd.DataFrame
    scores: pd.DataFrame
    simulated: pd.DataFrame
    cutoff: pd.Timestamp | None = None
    band: tuple[float, float] = (0.05, 0.95)
    scenario: str = ""
    replications: int = 0
    seed: int | None = None
    source: str = ""
    dropped: list[pd.Timestamp] = field(default_factory=list)

    def plot(self, ax: Axes | None = None, series: str = _TOTAL) -> Axes:
        """Observed against simulated with the band (see :func:`rare_earth_sim.plot.backtest`)."""
        from .plot.backtest import backtest as plot_backtest

        return plot_backtest(self, ax=ax, series=series)

    def summary(self) -> str:
        """The scores as text (what the command line prints)."""
        lo, hi = self.band
        head = (f"{self.scenario}: backtest against {self.source}, {self.replications} replications "
                f"(seed {self.seed}), band {lo:.0%}-{hi:.0%}"
                + (f", cutoff {self.cutoff.date()}" if self.cutoff is not None else ""))
        lines = [head, f"{'series':<16}{'sample':<15}{'n':>3}{'MAPE %':>9}{'bias t':>9}{'bias %':>8}{'coverage':>10}"]
        for r in self.scores.itertuples():
            lines.append(f"{r.series:<16}{r.sample:<15}{r.n:>3}{r.mape_pct:>9.1f}{r.bias_t:>9.0f}"
                         f"{r.bias_pct:>8.1f}{r.coverage:>10.0%}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<BacktestResult {self.scenario!r}: {len(self.table)} observations, "
                f"{self.replications} replications, cutoff {self.cutoff}>")


def compare(observed: pd.DataFrame | str | Path, simulated: pd.DataFrame, cutoff: Any = None,
            band: tuple[float, float] = (0.05, 0.95)) -> BacktestResult:
    """Compare an observed series with simulated replications (no simulation is run).

    Parameters
    ----------
    observed : DataFrame or str or Path
        See :func:`read_observed`.
    simulated : DataFrame
        ``replication, period, series, simulated_t`` (t/month), as from
        :func:`simulated_series`; must hold ``"total"`` and every destination observed.
    cutoff : date-like, optional
        Months ending after this date are out of sample.
    band : (float, float)
        Lower and upper quantile of the band over replications.

    Returns
    -------
    BacktestResult
        Observed months outside the simulated periods are left out (listed in
        ``dropped``).
    """
    obs = read_observed(observed)
    cut = _cutoff(cutoff)
    if not 0.0 <= band[0] < band[1] <= 1.0:
        raise ValueError(f"band {band!r} must be two quantiles 0 <= low < high <= 1")
    long = _long_observed(obs)
    sim_periods = set(pd.to_datetime(simulated["period"]).unique())
    keep = long["period"].isin(sim_periods)
    dropped = sorted(set(long.loc[~keep, "period"]))
    long = long[keep]
    if long.empty:
        raise ValueError(f"{obs.attrs['source']}: no observed month falls inside the simulated periods")
    missing = set(long["series"]) - set(simulated["series"])
    if missing:
        raise ValueError(f"simulated series lack {sorted(missing)}")
    g = simulated.groupby(["period", "series"])["simulated_t"]
    stats = pd.DataFrame({
        "sim_mean_t": g.mean(), "sim_median_t": g.median(),
        "sim_low_t": g.quantile(band[0]), "sim_high_t": g.quantile(band[1]),
    }).reset_index()
    table = long.merge(stats, on=["period", "series"], how="left")
    table["error_t"] = table["sim_mean_t"] - table["observed_t"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["error_pct"] = np.where(table["observed_t"] > 0, 100.0 * table["error_t"] / table["observed_t"], np.nan)
    table["inside_band"] = (table["observed_t"] >= table["sim_low_t"]) & (table["observed_t"] <= table["sim_high_t"])
    table["out_of_sample"] = (_month_end(table["period"]) > cut) if cut is not None else False
    order = {s: i for i, s in enumerate([_TOTAL, *obs.attrs["destinations"].values()])}
    table = (table.assign(_o=table["series"].map(order)).sort_values(["_o", "period"]).drop(columns="_o")
             .reset_index(drop=True))
    table = table[["period", "series", "observed_t", "inferred", "sim_mean_t", "sim_median_t", "sim_low_t",
                   "sim_high_t", "error_t", "error_pct", "inside_band", "out_of_sample"]]
    table.attrs["cutoff"] = cut
    table.attrs["band"] = band
    q = f"{band[0]:.0%} and {band[1]:.0%} quantiles"
    table.attrs["units"] = {"observed_t": "t product per month", "sim_mean_t": "t/month, mean of replications",
                            "sim_median_t": "t/month", "sim_low_t": f"t/month ({q})",
                            "sim_high_t": f"t/month ({q})", "error_t": "t/month (simulated mean - observed)",
                            "error_pct": "% of observed"}
    scores = _scores(table, band[1] - band[0])
    reps = int(simulated["replication"].nunique())
    return BacktestResult(table=table, scores=scores, simulated=simulated, cutoff=cut, band=band,
                          replications=reps, source=obs.attrs["source"], dropped=dropped)


def backtest(scenario: Scenario | str, observed: pd.DataFrame | str | Path, replications: int = 20,
             seed: int = 0, *, cutoff: Any = None, band: tuple[float, float] = (0.05, 0.95),
             executor: Any = None, progress: bool = False) -> BacktestResult:
    """Compare simulated monthly China magnet exports with an observed series.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, a built-in name or a path to a TOML file.
    observed : DataFrame or str or Path
        Monthly observed exports (t/month): ``period, total_t[, to_us_t, ...]`` (see
        :func:`read_observed`), e.g. ``rare_earth_sim.data.magnet_exports()``.
    replications : int
        Monte Carlo replications; replication *i* uses ``SeedSequence(seed).spawn(R)[i]``.
    seed : int
        Root seed.
    cutoff : date-like, optional
        Months ending after this date are scored separately as out of sample.
    band : (float, float)
        Quantiles of the band (default 5 % and 95 %).
    executor : optional
        Passed to :func:`rare_earth_sim.run_ensemble` (parallel replications).
    progress : bool
        Show a progress bar.

    Returns
    -------
    BacktestResult
        ``table`` per month and series, ``scores`` (MAPE, bias, coverage; all, in and out
        of sample), ``simulated`` per replication.

    Raises
    ------
    ObservedDataError
        If the observed series is malformed (names the file and column).
    """
    obs = read_observed(observed)
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    exports = _ensemble_exports(sc, replications, seed, executor=executor, progress=progress)
    sim = simulated_series(exports, list(obs.attrs["destinations"].values()))
    result = compare(obs, sim, cutoff=cutoff, band=band)
    result.scenario, result.seed = sc.name, seed
    return result
