"""Calibration: fit scenario parameters to observed monthly magnet exports.

The objective, minimised with :func:`scipy.optimize.minimize`, is::

    J(theta) = sum_i w_i * ((mean_r sim_ir(theta) - obs_i) / total_m(i))**2 / sum_i w_i
               + prior_weight * sum_k ((theta_k - theta0_k) / (high_k - low_k))**2

over every observation *i* = (month, series) whose month ends on or before the cutoff:
the total (a plain relative error) and each observed destination (``to_us_t``), whose
error is scaled by the month's observed *total* so that a 46 t month to the US cannot
outweigh the totals. ``w_i`` is the series weight (default 1) times ``inferred_weight``
(default 0.5) for figures marked ``inferred``; the optional prior term (default 0)
keeps parameters the data do not identify at their starting values. Every candidate is
simulated with the *same* replication seeds, ``SeedSequence(seed).spawn(replications)``
(common random numbers), and each component and uncertain parameter has its own named
stream, so most of the Monte Carlo noise cancels between candidates. Not all: the
licensing office draws approvals and review times in the order files are decided, so a
change in timing re-deals some draws and leaves a small-scale roughness, which the
restarted Nelder-Mead search and the ``simulated_se_t`` column of the residuals account for.

After the fit each parameter is moved by a quarter of its range (same seeds) and the change of
every in-sample observation recorded (``CalibrationReport.sensitivity``): a parameter that
moves no in-sample month by 1 % of its total is *not identified* by the data.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .backtest import (_TOTAL, _cutoff, _ensemble_exports, _long_observed, _month_end, read_observed,
                       simulated_series)
from .scenario.distributions import make_distribution
from .scenario.errors import ScenarioError
from .scenario.fields import Field, ListOf, MapOf, Num, Table, TableArray, Uncertain
from .scenario.model import Scenario, load_scenario
from .scenario.schema import SCHEMA

__all__ = ["CalibrationReport", "Parameter", "calibrate", "objective_description"]

_MODES = ("value", "shift", "scale")
_PENALTY = 1e6  # objective of a candidate the schema rejects
_STEP = 0.25  # sensitivity step, share of each parameter's range: coarse enough to see past the roughness


def objective_description(inferred_weight: float, weights: Mapping[str, float], prior_weight: float = 0.0) -> str:
    """The objective in words (stored with every fit)."""
    w = ", ".join(f"{k} {v:g}" for k, v in weights.items())
    text = ("J = sum_i w_i ((mean over replications of simulated_i - observed_i) / observed total of the month)^2 "
            "/ sum_i w_i, over each observed series (total and destinations) of every month ending on or "
            f"before the cutoff; w_i = series weight ({w + '; ' if w else ''}otherwise 1) x {inferred_weight:g} "
            "if the observation is inferred")
    if prior_weight:
        text += f"; plus {prior_weight:g} x sum_k ((theta_k - initial_k) / (high_k - low_k))^2"
    return text + "; common random numbers (the same replication seeds) for every candidate"


# -- parameters -----------------------------------------------------------------------------
def _get(tree: Any, path: str) -> Any:
    """The value at a dotted path (arrays by id or index), or None if absent."""
    node = tree
    for key in path.replace("[", ".").replace("]", "").split("."):
        if isinstance(node, list):
            hit = [x for x in node if isinstance(x, dict) and x.get("id") == key]
            if hit:
                node = hit[0]
            elif key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return None
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return None
    return node


def _schema_field(path: str) -> Field | None:
    """The schema field at a scenario path (None inside a distribution table or if unknown)."""
    node: Field | None = SCHEMA
    for key in path.replace("[", ".").replace("]", "").split("."):
        if isinstance(node, Table):
            node = node.fields.get(key)
        elif isinstance(node, (TableArray, ListOf)):
            node = node.item  # the key is an id or an index
        elif isinstance(node, MapOf):
            node = node.value
        else:
            return None
    return node


@dataclass(frozen=True)
class Parameter:
    """One fitted scenario value.

    Attributes
    ----------
    path : str
        Scenario path, e.g. ``"export_controls.office.approval.default"``.
    low, high : float
        Bounds of the fitted number (the field's unit; for ``shift``/``scale`` the
        distribution's mean).
    mode : str
        ``"value"``: the number replaces the value at ``path`` (also a distribution
        parameter, ``"....review_working_days.loc"``). ``"shift"``: ``path`` is a
        distribution table; its ``loc`` moves so that its mean equals the number (shape
        and width kept). ``"scale"``: ``loc`` and ``scale`` are multiplied so that the
        mean equals the number (relative spread kept).
    initial : float
        Starting value.
    base : Any
        The value at ``path`` before fitting (number or distribution table).
    integer : bool
        Round the number (the schema says the field is a whole number).
    """

    path: str
    low: float
    high: float
    mode: str
    initial: float
    base: Any = None
    integer: bool = False

    def override(self, x: float) -> Any:
        """The value to put at ``path`` for the fitted number ``x``."""
        if self.mode == "value":
            return int(round(x)) if self.integer else float(x)
        d = dict(self.base)
        mean = make_distribution(d).mean
        if self.mode == "shift":
            d["loc"] = float(d.get("loc", 0.0)) + (x - mean)
        else:
            k = x / mean
            d["loc"] = float(d.get("loc", 0.0)) * k
            d["scale"] = float(d.get("scale", 1.0)) * k
        return d


def _parameter(scenario: Scenario, path: str, spec: Sequence[Any], initial: float | None) -> Parameter:
    if not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3):
        raise ValueError(f"parameters[{path!r}]: expected (low, high) or (low, high, mode), got {spec!r}")
    low, high = float(spec[0]), float(spec[1])
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"parameters[{path!r}]: bounds must be finite with low < high, got {spec!r}")
    base = _get(scenario.raw, path)
    is_dist = isinstance(base, dict) and "dist" in base
    mode = str(spec[2]) if len(spec) == 3 else ("shift" if is_dist else "value")
    if mode not in _MODES:
        raise ValueError(f"parameters[{path!r}]: mode {mode!r} is not one of {', '.join(_MODES)}")
    if mode != "value" and not is_dist:
        raise ValueError(f"parameters[{path!r}]: mode {mode!r} needs a distribution table at the path, "
                         f"found {base!r}")
    current: float | None = None
    if is_dist:
        try:
            dist = make_distribution(base)
        except ValueError as exc:
            raise ValueError(f"parameters[{path!r}]: {exc}") from None
        current = dist.mean
        if mode == "value":
            raise ValueError(f"parameters[{path!r}] is a distribution table {base!r}: fit its mean with mode "
                             "'shift' or 'scale', or one of its parameters (path + '.loc')")
        if mode == "shift" and dist.name in ("randint",):
            raise ValueError(f"parameters[{path!r}]: {dist.name} has no loc to shift")
        if mode == "scale" and (dist.name in ("poisson", "randint") or current == 0.0):
            raise ValueError(f"parameters[{path!r}]: cannot scale {dist!r}")
    elif isinstance(base, bool) or (base is not None and not isinstance(base, (int, float))):
        raise ValueError(f"parameters[{path!r}]: the value there is {base!r}, not a number or a distribution")
    elif base is not None:
        current = float(base)
    else:  # a field left to its default: read the validated tree
        val = _get(scenario.data, path)
        if isinstance(val, Uncertain):
            current = val.dist.mean
        elif isinstance(val, (int, float)) and not isinstance(val, bool):
            current = float(val)
        elif hasattr(val, "mean"):
            current = float(val.mean)
        elif val is None:
            raise ValueError(f"parameters[{path!r}]: no such field in scenario {scenario.name!r} "
                             "(paths as in Scenario.with_overrides: tables by key, arrays by id or index)")
    start = initial if initial is not None else (current if current is not None else (low + high) / 2)
    start = min(max(float(start), low), high)
    spec_field = _schema_field(path)
    integer = mode == "value" and isinstance(spec_field, Num) and spec_field.integer
    return Parameter(path, low, high, mode, start, base, integer)


# -- report ---------------------------------------------------------------------------------
@dataclass
class CalibrationReport:
    """What a fit did and how well it fits.

    Attributes
    ----------
    parameters : DataFrame
        ``path, mode, low, high, initial, fitted, value, max_effect_pct, identified``;
        ``value`` is what the calibrated scenario holds at ``path`` (number or
        distribution table); ``max_effect_pct`` the largest change of an in-sample
        observation, in % of its month's observed total, for a step of 25 % of the
        parameter's range (NaN without the sensitivity step); ``identified`` is
        ``max_effect_pct >= 1``.
    overrides : dict
        ``{path: value}`` applied to the scenario (``Scenario.with_overrides``).
    objective : float
        J at the fit, data term plus prior term (dimensionless).
    objective_data : float
        The data term of J at the fit (weighted mean squared scaled error).
    objective_initial : float
        J at the initial parameters.
    objective_description : str
        The objective in words.
    residuals : DataFrame
        Per in-sample month and series: ``period, series, observed_t, inferred, weight,
        simulated_t`` (ensemble mean at the fit), ``simulated_se_t`` (its Monte Carlo
        standard error: a residual smaller than about twice this is within noise),
        ``residual_t`` (simulated - observed),
        ``relative_residual`` (of the observation), ``scaled_residual`` (of the month's
        observed total; what J squares) and ``contribution`` (share of the data term).
    history : DataFrame
        Every evaluation: ``evaluation``, one column per parameter path, ``objective``.
    sensitivity : DataFrame
        ``path, step, period, series, change_t, change_pct`` (% of the month's observed
        total) for a step of 25 % of each parameter's range from the fit (towards
        the middle of the range).
    evaluations : int
        Candidates simulated (including the sensitivity steps).
    replications : int
        Replications per candidate (common random numbers).
    seed : int
    cutoff : Timestamp or None
    method : str
        scipy.optimize method.
    success : bool
    message : str
        The optimiser's message.
    elapsed_s : float
        Wall-clock time of the fit (s).
    warnings : list of str
        Warnings of the optimiser (recorded rather than raised).
    """

    parameters: pd.DataFrame
    overrides: dict[str, Any]
    objective: float
    objective_data: float
    objective_initial: float
    objective_description: str
    residuals: pd.DataFrame
    history: pd.DataFrame
    sensitivity: pd.DataFrame
    evaluations: int
    replications: int
    seed: int
    cutoff: pd.Timestamp | None
    method: str
    success: bool
    message: str
    elapsed_s: float
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The fit as text: parameters, objective, residuals, time."""
        cut = f"{self.cutoff.date()}" if self.cutoff is not None else "none"
        lines = [f"calibration: {self.method}, {self.evaluations} candidates x {self.replications} replications "
                 f"(seed {self.seed}, common random numbers), cutoff {cut}, {self.elapsed_s:.0f} s",
                 f"objective J {self.objective_initial:.4g} -> {self.objective:.4g} (data term "
                 f"{self.objective_data:.4g}); {self.message}",
                 "parameters (initial -> fitted; largest effect of a 25 %-of-range step on an in-sample month):"]
        for r in self.parameters.itertuples():
            eff = "" if math.isnan(r.max_effect_pct) else (
                f"; effect {r.max_effect_pct:.1f} %" + ("" if r.identified else " -> NOT identified by these data"))
            lines.append(f"  {r.path} [{r.mode}, {r.low:g}..{r.high:g}]: {r.initial:.4g} -> {r.fitted:.4g}{eff}")
        lines.append("residuals (simulated mean +- Monte Carlo standard error, minus observed):")
        for r in self.residuals.itertuples():
            lines.append(f"  {r.period:%Y-%m} {r.series:<14} obs {r.observed_t:>7,.0f}  sim {r.simulated_t:>7,.0f}"
                         f" +-{r.simulated_se_t:>4,.0f}  {r.residual_t:>+7,.0f} t ({r.relative_residual:+.1%})"
                         f"{'  inferred' if r.inferred else ''}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<CalibrationReport {len(self.parameters)} parameters, J {self.objective_initial:.4g} -> "
                f"{self.objective:.4g}, {self.evaluations} evaluations, {self.elapsed_s:.0f} s>")


# -- the fit --------------------------------------------------------------------------------
def _residuals(obs: pd.DataFrame, sim_mean: pd.DataFrame) -> pd.DataFrame:
    df = obs.merge(sim_mean, on=["period", "series"], how="left")
    df["residual_t"] = df["simulated_t"] - df["observed_t"]
    df["relative_residual"] = df["residual_t"] / df["observed_t"]
    df["scaled_residual"] = df["residual_t"] / df["total_t"]
    sq = df["weight"] * df["scaled_residual"] ** 2
    df["contribution"] = sq / sq.sum() if sq.sum() > 0 else 0.0
    return df


def _j(res: pd.DataFrame) -> float:
    return float((res["weight"] * res["scaled_residual"] ** 2).sum() / res["weight"].sum())


def _observations(obs: pd.DataFrame, sc: Scenario, cut: pd.Timestamp | None, weights: Mapping[str, float],
                  inferred_weight: float) -> pd.DataFrame:
    """In-sample observations with their month's total and weight (nothing after the cutoff)."""
    long = _long_observed(obs)
    if cut is not None:
        long = long[_month_end(long["period"]) <= cut]
    first = pd.Timestamp(sc.start).to_period("M").start_time
    long = long[(long["period"] >= first) & (long["period"] <= pd.Timestamp(sc.end))]
    totals = obs.set_index("period")["total_t"]
    long = long.assign(total_t=long["period"].map(totals))
    long = long[long["total_t"] > 0]
    if long.empty:
        upto = f" up to the cutoff {cut.date()}" if cut is not None else ""
        raise ValueError(f"{obs.attrs['source']}: no observed month with positive total in the scenario's "
                         f"horizon {sc.start} .. {sc.end}{upto}")
    w = long["series"].map(lambda s: weights.get(s, 1.0)) * np.where(long["inferred"], inferred_weight, 1.0)
    long = long.assign(weight=w.astype(float)).reset_index(drop=True)
    if not (long["weight"] > 0).any():
        raise ValueError("every observation has weight 0")
    return long


def _fold(z: np.ndarray) -> np.ndarray:
    """Map the optimiser's free coordinates onto [0, 1], reflecting at the bounds.

    A simplex that steps past a bound is mirrored back inside instead of being clipped
    onto the bound, where Nelder-Mead's simplex would collapse and stall.
    """
    return 1.0 - np.abs(1.0 - np.mod(z, 2.0))


class _Evaluator:
    """Simulates candidates with the same replication seeds; caches and records every one."""

    def __init__(self, sc: Scenario, params: Sequence[Parameter], obs: pd.DataFrame, series: Sequence[str],
                 replications: int, seed: int, executor: Any, prior_weight: float, progress: bool) -> None:
        self.sc, self.params, self.obs, self.series = sc, list(params), obs, list(series)
        self.replications, self.seed, self.executor = replications, seed, executor
        self.prior_weight, self.progress = prior_weight, progress
        self.lows = np.array([p.low for p in params])
        self.spans = np.array([p.high - p.low for p in params])
        self.x0 = np.array([p.initial for p in params])
        self.periods = set(obs["period"])
        self.cache: dict[tuple[Any, ...], tuple[float, float, pd.DataFrame | None]] = {}
        self.history: list[dict[str, Any]] = []

    def overrides(self, x: np.ndarray) -> dict[str, Any]:
        return {p.path: p.override(float(xi)) for p, xi in zip(self.params, x, strict=True)}

    def __call__(self, x: np.ndarray) -> tuple[float, float, pd.DataFrame | None]:
        """(objective, its data term, residuals) at parameters ``x`` (field units)."""
        key = tuple(int(round(xi)) if p.integer else round(float(xi), 10) for p, xi in zip(self.params, x, strict=True))
        if key in self.cache:
            return self.cache[key]
        prior = self.prior_weight * float(np.sum(((x - self.x0) / self.spans) ** 2))
        try:
            cand = self.sc.with_overrides(self.overrides(x))
        except ScenarioError:
            out: tuple[float, float, pd.DataFrame | None] = (_PENALTY, _PENALTY, None)
        else:
            ex = _ensemble_exports(cand, self.replications, self.seed, executor=self.executor, progress=False)
            sim = simulated_series(ex, self.series)
            g = sim[sim["period"].isin(self.periods)].groupby(["period", "series"])["simulated_t"]
            mean = pd.DataFrame({"simulated_t": g.mean(), "simulated_se_t": g.std() / math.sqrt(self.replications)})
            res = _residuals(self.obs, mean.reset_index())
            out = (_j(res) + prior, _j(res), res)
        self.cache[key] = out
        values = {p.path: float(xi) for p, xi in zip(self.params, x, strict=True)}
        self.history.append({"evaluation": len(self.history), **values, "objective": out[0], "objective_data": out[1]})
        if self.progress:
            print(f"[{len(self.history):>3}] J={out[0]:.5g} " + ", ".join(f"{k}={v:.4g}" for k, v in values.items()),
                  flush=True)
        return out

    def unit(self, z: np.ndarray) -> float:
        """The objective at free optimiser coordinates ``z`` (see :func:`_fold`)."""
        return self(self.lows + _fold(z) * self.spans)[0]

    def best_x(self) -> np.ndarray:
        """Parameters of the lowest objective evaluated so far."""
        i = int(np.argmin([h["objective"] for h in self.history]))
        return np.array([self.history[i][p.path] for p in self.params], dtype=float)


def _search(ev: _Evaluator, method: str, max_evaluations: int, options: Mapping[str, Any] | None,
            restarts: int) -> tuple[bool, str, list[str]]:
    """Minimise with scipy.optimize (restarted Nelder-Mead by default); (success, message, warnings)."""
    from scipy.optimize import OptimizeWarning, minimize  # imported when a fit runs, not with the package

    k = len(ev.params)
    nm = method.lower() == "nelder-mead"
    notes: list[str] = []
    out = None
    for step in [0.25] + [0.1] * restarts if nm else [0.25]:
        budget = max_evaluations - (len(ev.history) - 1)
        if budget < k + 2:
            break
        u0 = (ev.best_x() - ev.lows) / ev.spans  # the start, then the best so far for a restart
        opts: dict[str, Any]
        if nm:
            d = np.where(u0 + step <= 1.0, step, -step)
            simplex = np.vstack([u0] + [u0 + d[i] * np.eye(k)[i] for i in range(k)])
            opts = {"maxfev": budget, "xatol": 0.01, "fatol": 1e-5, "initial_simplex": simplex}
        elif method.lower() == "powell":
            opts = {"maxfev": budget, "xtol": 0.01, "ftol": 1e-5}
        else:
            opts = {"maxiter": budget}
        opts.update(options or {})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = minimize(ev.unit, u0, method=method, options=opts)
        for w in caught:  # the optimiser's warnings go into the report; any other is raised as usual
            if issubclass(w.category, OptimizeWarning) or "scipy" in (w.filename or ""):
                notes.append(f"{w.category.__name__}: {w.message}")
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if out is None:
        return False, "no optimiser run (max_evaluations too small): the initial point only", notes
    return bool(out.success), str(out.message), notes


def _sensitivity(ev: _Evaluator, x_best: np.ndarray, res_best: pd.DataFrame,
                 which: Sequence[Parameter]) -> tuple[pd.DataFrame, dict[str, float]]:
    """Effect on every in-sample observation of a step of 25 % of the range of each of ``which``."""
    rows: list[dict[str, Any]] = []
    effect = {p.path: math.nan for p in ev.params}
    for i, p in enumerate(ev.params):
        if p not in which:
            continue
        x = x_best.copy()
        step = _STEP * ev.spans[i] * (1.0 if x[i] <= p.low + ev.spans[i] / 2 else -1.0)
        x[i] += step
        res = ev(x)[2]
        if res is None:
            continue
        change = res["simulated_t"].to_numpy() - res_best["simulated_t"].to_numpy()
        pct = 100.0 * change / res_best["total_t"].to_numpy()
        effect[p.path] = float(np.max(np.abs(pct)))
        rows += [{"path": p.path, "step": float(step), "period": per, "series": s, "change_t": float(c),
                  "change_pct": float(q)}
                 for per, s, c, q in zip(res_best["period"], res_best["series"], change, pct, strict=True)]
    sens = pd.DataFrame(rows, columns=["path", "step", "period", "series", "change_t", "change_pct"])
    sens.attrs["units"] = {"step": "parameter unit (25 % of its range)", "change_t": "t/month",
                           "change_pct": "% of the month's observed total"}
    return sens, effect


def calibrate(scenario: Scenario | str, observed: pd.DataFrame | str | Path,
              parameters: Mapping[str, Sequence[Any]], cutoff: Any = None, *,
              replications: int = 8, seed: int = 0, initial: Mapping[str, float] | None = None,
              method: str = "Nelder-Mead", max_evaluations: int = 60, options: Mapping[str, Any] | None = None,
              weights: Mapping[str, float] | None = None, inferred_weight: float = 0.5,
              prior_weight: float = 0.0, restarts: int = 1, sensitivity: bool = True,
              executor: Any = None, progress: bool = False) -> tuple[Scenario, CalibrationReport]:
    """Fit scenario parameters to observed monthly exports up to a cutoff date.

    Parameters
    ----------
    scenario : Scenario or str
        Starting scenario (a built-in name or a TOML path also works).
    observed : DataFrame or str or Path
        Monthly China magnet exports, ``period, total_t[, to_us_t, ...][, inferred]``
        (t/month; see :func:`rare_earth_sim.backtest.read_observed`).
    parameters : mapping
        ``{path: (low, high)}`` or ``{path: (low, high, mode)}``. ``path`` as in
        :meth:`Scenario.with_overrides`. Modes: ``"value"`` (default for a number: the
        fitted number replaces it; a path into a distribution's parameter, e.g.
        ``"export_controls.office.review_working_days.loc"``, works the same way),
        ``"shift"`` (default for a distribution table: the fitted number is the
        distribution's mean, reached by moving ``loc``; shape and width are kept) and
        ``"scale"`` (``loc`` and ``scale`` multiplied so the mean is the fitted
        number). Bounds are in the field's unit (for shift/scale: of the mean). A
        whole-number field given as a number is rounded.
    cutoff : date-like, optional
        Only months ending on or before this date enter the objective; later months
        are dropped before anything is simulated. None: every observed month.
    replications : int
        Replications per candidate; the same seeds for every candidate.
    seed : int
        Root seed of the replications.
    initial : mapping, optional
        Starting values ``{path: number}``; default the scenario's current value (the
        distribution's mean for shift/scale), clipped to the bounds.
    method : str
        A bounded :func:`scipy.optimize.minimize` method (``"Nelder-Mead"``,
        ``"Powell"``). The search runs on parameters scaled to [0, 1] and reflected
        at the bounds, so any unconstrained method works.
    max_evaluations : int
        Budget of objective evaluations of the optimiser (``maxfev``).
    options : mapping, optional
        Extra options for the optimiser (override the defaults: Nelder-Mead starts from
        a simplex of +-25 % of each range, ``xatol=0.01``, ``fatol=1e-5``; budgets are
        set from ``max_evaluations``).
    weights : mapping, optional
        Weight per series: ``"total"``, a destination (``"United States"``) or its
        observed column (``"to_us_t"``); default 1.
    inferred_weight : float
        Factor on the weight of observations marked inferred.
    prior_weight : float
        Weight of the pull towards the initial values (see the module docstring); 0 for
        a pure fit to the data.
    restarts : int
        Nelder-Mead only: restart this often from the best candidate with a smaller
        simplex (+-10 % of each range) while budget remains; restarts make the search
        robust to the small-scale roughness Monte Carlo leaves in the objective.
    sensitivity : bool
        After the fit, step each parameter by 25 % of its range and record the effect
        on every in-sample observation (one extra evaluation per parameter).
    executor : optional
        Passed to :func:`rare_earth_sim.run_ensemble` (parallel replications).
    progress : bool
        Print one line per evaluation.

    Returns
    -------
    (Scenario, CalibrationReport)
        The scenario with the fitted values (everything else unchanged) and the fit
        report (:class:`CalibrationReport`).

    Raises
    ------
    ValueError
        For bad parameter specifications, bounds that make the scenario invalid, or no
        observed month before the cutoff; :class:`~rare_earth_sim.backtest.ObservedDataError`
        for a malformed observed file.
    """
    t0 = time.perf_counter()
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if not parameters:
        raise ValueError("parameters is empty: name at least one {path: (low, high)}")
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    initial = dict(initial or {})
    unknown = set(initial) - set(parameters)
    if unknown:
        raise ValueError(f"initial values for paths that are not fitted: {sorted(unknown)}")
    params = [_parameter(sc, p, spec, initial.get(p)) for p, spec in parameters.items()]
    for p in params:  # fail now, not in the middle of a fit
        for x in (p.low, p.high):
            try:
                sc.with_overrides({p.path: p.override(x)})
            except ScenarioError as exc:
                raise ValueError(f"parameters[{p.path!r}]: bound {x:g} gives an invalid scenario: {exc}") from None

    obs = read_observed(observed)
    dest = obs.attrs["destinations"]
    w_series = {dest.get(k, k): float(v) for k, v in (weights or {}).items()}
    bad = set(w_series) - {_TOTAL, *dest.values()}
    if bad:
        raise ValueError(f"weights for series not observed: {sorted(bad)} (observed: total"
                         + "".join(f", {v} ({k})" for k, v in dest.items()) + ")")
    cut = _cutoff(cutoff)
    long = _observations(obs, sc, cut, w_series, inferred_weight)
    series = [d for d in dest.values() if d in set(long["series"])]

    ev = _Evaluator(sc, params, long, series, replications, seed, executor, prior_weight, progress)
    j0 = ev(ev.x0)[0]
    success, message, notes = _search(ev, method, max_evaluations, options, restarts)
    # The best candidate seen (the optimiser's x is one of them; on a rough surface the
    # record is the safer choice).
    x_best = ev.best_x()
    j_best, jd_best, res_best = ev(x_best)
    if res_best is None:
        raise ValueError("every candidate gave an invalid scenario; check the bounds")
    over_best = ev.overrides(x_best)
    sens, effect = _sensitivity(ev, x_best, res_best, params if sensitivity else [])

    fitted = sc.with_overrides(over_best)
    ptab = pd.DataFrame([{"path": p.path, "mode": p.mode, "low": p.low, "high": p.high, "initial": p.initial,
                          "fitted": int(round(x)) if p.integer else float(x), "value": over_best[p.path],
                          "max_effect_pct": effect[p.path], "identified": bool(effect[p.path] >= 1.0)}
                         for p, x in zip(params, x_best, strict=True)])
    res = res_best[["period", "series", "observed_t", "inferred", "weight", "simulated_t", "simulated_se_t",
                    "residual_t", "relative_residual", "scaled_residual", "contribution"]].reset_index(drop=True)
    res.attrs["units"] = {"observed_t": "t/month", "simulated_t": "t/month (mean of replications)",
                          "simulated_se_t": "t/month (Monte Carlo standard error of the mean)",
                          "residual_t": "t/month (simulated - observed)", "relative_residual": "share of observed",
                          "scaled_residual": "share of the month's observed total",
                          "contribution": "share of the data term of J"}
    report = CalibrationReport(
        parameters=ptab, overrides=over_best, objective=j_best, objective_data=jd_best, objective_initial=j0,
        objective_description=objective_description(inferred_weight, w_series, prior_weight), residuals=res,
        history=pd.DataFrame(ev.history), sensitivity=sens, evaluations=len(ev.history), replications=replications,
        seed=seed, cutoff=cut, method=method, success=success, message=message,
        elapsed_s=time.perf_counter() - t0, warnings=notes)
    return fitted, report
