"""EnsembleResult: the tables of a Monte Carlo ensemble, built from per-replication records.

Each replication contributes one compact record (see :mod:`rare_earth_sim.ensemble`):
its per-automaker metrics, the values its uncertain parameters took, its monthly China
exports by destination and product, and a daily in-stockout flag per automaker; with
``keep="series"`` also its daily cumulative vehicles lost per automaker. The records are
held as dense numpy arrays indexed by replication, so tables come out in replication
order whatever order the replications finished in.

Memory per replication of ``export-halt-2025`` (12 automakers, 731 days, 24 months x ~19
export routes): ``keep="summary"`` ~5 kB (100,000 replications ~0.5 GB);
``keep="series"`` adds ~80 kB (daily cumulative losses and stockout flags).

Files: :meth:`EnsembleResult.save` writes a folder of Parquet tables (see
:mod:`rare_earth_sim.ensemble_io` for why Parquet); :meth:`EnsembleResult.to_xarray` gives
the n-d view.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .ensemble_store import EnsembleStore, scenario_from_json
from .scenario.model import Scenario

if TYPE_CHECKING:
    import xarray as xr

    from .results import SimulationResult

__all__ = ["EnsembleResult", "EnsembleBuilder", "load_ensemble", "quantile_label"]


def quantile_label(q: float) -> str:
    """Column suffix for a quantile: 0.05 -> ``"p5"``, 0.5 -> ``"p50"``, 0.025 -> ``"p2.5"``."""
    return f"p{round(100 * q, 6):g}"


def _quantiles(x: np.ndarray, qs: Sequence[float]) -> list[float]:
    """Linear-interpolation quantiles of ``x`` (NaN ignored) that treat ``inf`` as a value.

    ``numpy.quantile`` returns NaN between two infinite order statistics; here a quantile
    that falls on or next to an ``inf`` is ``inf``.
    """
    v = np.sort(x[~np.isnan(x)])
    if v.size == 0:
        return [math.nan for _ in qs]
    out = []
    for q in qs:
        h = (v.size - 1) * q
        lo = int(math.floor(h))
        hi = min(lo + 1, v.size - 1)
        f = h - lo
        a, b = float(v[lo]), float(v[hi])
        if f == 0.0 or a == b:
            out.append(a)
        elif math.isinf(b):
            out.append(math.inf)
        else:
            out.append(a + (b - a) * f)
    return out


def _check_quantiles(quantiles: Sequence[float]) -> list[float]:
    qs = [float(q) for q in quantiles]
    if not qs or any(not 0.0 <= q <= 1.0 for q in qs):
        raise ValueError(f"quantiles must be numbers in [0, 1], got {list(quantiles)}")
    return qs


class EnsembleResult:
    """Results of :func:`rare_earth_sim.run_ensemble`: tidy tables over replications.

    Tables: :meth:`metrics`, :meth:`summary`, :meth:`shortfall_bands`,
    :meth:`stockout_probability`, :meth:`exports`, :meth:`parameters`, :meth:`run_info`;
    :meth:`to_xarray`, :meth:`save` and :func:`load_ensemble` for files. Do not build one
    directly.

    Attributes
    ----------
    scenario : Scenario
        The scenario run.
    seed : int
        Entropy of the root ``SeedSequence``; replication *i* used
        ``SeedSequence(seed).spawn(R)[i]``.
    replications : int
        Number of replications asked for; ``len(ens)`` of them finished
        (:attr:`complete` tells whether all did).
    keep : str
        ``"summary"`` or ``"series"`` (daily cumulative losses per replication kept).
    info : dict
        How the run went: ``retried`` (replications run again after a worker died),
        ``resumed`` (taken from the store), ``interrupted``, ``wall_s``, ``executor``.
    """

    def __init__(self, scenario: Scenario, seed: int, replications: int, keep: str, arrays: Mapping[str, Any],
                 info: Mapping[str, Any] | None = None) -> None:
        self.scenario = scenario
        self.seed = int(seed)
        self.replications = int(replications)
        self.keep = keep
        self.info: dict[str, Any] = dict(info or {})
        a = dict(arrays)
        self.replication: np.ndarray = np.asarray(a["replication"], dtype=np.int64)
        self._automakers: pd.DataFrame = a["automakers"].reset_index(drop=True)
        self._metrics: dict[str, np.ndarray] = dict(a["metrics"])
        self._units: dict[str, str] = dict(a["units"])
        self._param_paths: list[str] = list(a["param_paths"])
        self._param_values: np.ndarray = a["param_values"]
        self._periods = pd.DatetimeIndex(a["periods"])
        self._routes: list[tuple[str, str, str]] = [tuple(r) for r in a["routes"]]  # type: ignore[misc]
        # one (replication x month) array per route: no copy when the builder hands them over
        self._exports: list[np.ndarray] = list(a["exports"])
        self._dates = pd.DatetimeIndex(a["dates"])
        self._stockout_count: np.ndarray = a["stockout_count"]
        self._cum_lost: np.ndarray | None = a.get("cum_vehicles_lost")
        self._in_stockout: np.ndarray | None = a.get("in_stockout")
        self._events: np.ndarray = a["events"]
        self._elapsed: np.ndarray = a["elapsed_s"]

    # -- what it is --------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.replication.size)

    @property
    def complete(self) -> bool:
        """True when every replication asked for has finished."""
        return len(self) == self.replications

    @property
    def automakers(self) -> list[str]:
        """Automaker ids in scenario order."""
        return [str(x) for x in self._automakers["automaker"]]

    @property
    def names(self) -> dict[str, str]:
        """Automaker id -> display name."""
        return dict(zip(self.automakers, map(str, self._automakers["name"]), strict=True))

    @property
    def start(self) -> dt.date:
        """First reported day."""
        return self.scenario.start

    @property
    def end(self) -> dt.date:
        """Last reported day (inclusive)."""
        return self.scenario.end

    @property
    def dates(self) -> pd.DatetimeIndex:
        """Reported days (the date axis of the daily series)."""
        return self._dates

    def _need_series(self, what: str) -> np.ndarray:
        if self._cum_lost is None:
            raise ValueError(f"{what} needs the daily series of every replication; this ensemble kept "
                             f"only summaries (keep={self.keep!r}): rerun with keep='series'")
        return self._cum_lost

    # -- tables --------------------------------------------------------------------------
    def metrics(self) -> pd.DataFrame:
        """Per replication and automaker: first stockout, TTS, TTR, vehicles lost, fill rate...

        The columns of :meth:`SimulationResult.metrics` with ``replication`` in front;
        row *i* x automaker equals ``simulate(scenario, SeedSequence(seed).spawn(R)[i])``.

        Returns
        -------
        DataFrame
            replication, automaker, name, region, first_stockout, tts_days (inf: no
            stockout), ttr_days (inf: not recovered), stockouts, stockout_days,
            fill_rate, vehicles_planned, vehicles_lost, vehicles_lost_pct,
            peak_shortfall_t_per_day. Units in ``df.attrs["units"]``.
        """
        n, na = len(self), len(self._automakers)
        cols: dict[str, Any] = {"replication": np.repeat(self.replication, na)}
        for c in ("automaker", "name", "region"):
            cols[c] = np.tile(self._automakers[c].to_numpy(dtype=object), n)
        for k, v in self._metrics.items():
            cols[k] = v.reshape(-1)
        df = pd.DataFrame(cols)
        for c in ("automaker", "name", "region"):
            df[c] = df[c].astype("str")
        df.attrs["units"] = dict(self._units)
        return df

    def summary(self, quantiles: Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Per automaker: P(stockout), quantiles of TTS, TTR and vehicles lost, P(TTS < TTR).

        Parameters
        ----------
        quantiles : sequence of float
            Quantiles to report (columns ``tts_days_p5``, ``..._p50``...).

        Returns
        -------
        DataFrame
            automaker, name, region, replications, p_stockout (share of replications
            with at least one stockout), tts_days_p*, ttr_days_p* (days; TTS is inf
            without a stockout, TTR is 0 then), vehicles_lost_mean, vehicles_lost_p*
            (vehicles), fill_rate_mean, p_tts_lt_ttr (share of replications whose TTS is
            shorter than their TTR, i.e. that cannot bridge the disruption; NaN when the
            scenario has no disruption).
        """
        qs = _check_quantiles(quantiles)
        m = self._metrics
        rows = []
        for j, a in enumerate(self.automakers):
            tts, ttr = m["tts_days"][:, j], m["ttr_days"][:, j]
            lost = m["vehicles_lost"][:, j]
            row: dict[str, Any] = {"automaker": a, "name": self.names[a],
                                   "region": str(self._automakers["region"].iloc[j]), "replications": len(self),
                                   "p_stockout": float(np.mean(m["stockouts"][:, j] > 0)) if len(self) else math.nan}
            for name, x in (("tts_days", tts), ("ttr_days", ttr)):
                for q, v in zip(qs, _quantiles(x, qs), strict=True):
                    row[f"{name}_{quantile_label(q)}"] = v
            row["vehicles_lost_mean"] = float(np.mean(lost)) if len(self) else math.nan
            for q, v in zip(qs, _quantiles(lost, qs), strict=True):
                row[f"vehicles_lost_{quantile_label(q)}"] = v
            row["fill_rate_mean"] = float(np.mean(m["fill_rate"][:, j])) if len(self) else math.nan
            ok = ~(np.isnan(tts) | np.isnan(ttr))
            row["p_tts_lt_ttr"] = float(np.mean(tts[ok] < ttr[ok])) if ok.any() else math.nan
            rows.append(row)
        df = pd.DataFrame(rows)
        units = {c: "days" for c in df.columns if c.startswith(("tts_days", "ttr_days"))}
        units.update({c: "vehicles" for c in df.columns if c.startswith("vehicles_lost")})
        units.update(p_stockout="share of replications", p_tts_lt_ttr="share of replications",
                     fill_rate_mean="share")
        df.attrs["units"] = units
        return df

    def shortfall_bands(self, quantiles: Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Cumulative vehicles lost per automaker and day, as quantiles over replications.

        Needs ``keep="series"``.

        Parameters
        ----------
        quantiles : sequence of float
            Quantiles in [0, 1] (linear interpolation between replications).

        Returns
        -------
        DataFrame
            date, automaker, quantile, cum_vehicles_lost (vehicles since the start of the
            reported horizon): one row per date x automaker x quantile.
        """
        cum = self._need_series("shortfall_bands")
        qs = _check_quantiles(quantiles)
        if len(self) == 0:
            band = np.full((len(qs),) + cum.shape[1:], np.nan)
        else:
            band = np.quantile(cum, qs, axis=0)  # (Q, D, A)
        nq, nd, na = band.shape
        df = pd.DataFrame({
            "date": np.tile(np.repeat(self._dates.to_numpy(), nq), na),
            "automaker": np.repeat(np.array(self.automakers, dtype=object), nd * nq),
            "quantile": np.tile(np.asarray(qs), nd * na),
            "cum_vehicles_lost": band.transpose(2, 1, 0).reshape(-1),
        })
        df["automaker"] = df["automaker"].astype("str")
        df.attrs["units"] = {"cum_vehicles_lost": "vehicles", "quantile": "probability"}
        return df

    def stockout_probability(self) -> pd.DataFrame:
        """Share of replications in stockout, per automaker and day.

        A replication counts on a day if the automaker loses output at some time that
        day. Available with either ``keep``.

        Returns
        -------
        DataFrame
            date, automaker, p_stockout (share of finished replications).
        """
        p = self._stockout_count / max(len(self), 1) if len(self) else np.full(self._stockout_count.shape, np.nan)
        nd, na = p.shape
        df = pd.DataFrame({"date": np.tile(self._dates.to_numpy(), na),
                           "automaker": np.repeat(np.array(self.automakers, dtype=object), nd),
                           "p_stockout": p.T.reshape(-1)})
        df["automaker"] = df["automaker"].astype("str")
        df.attrs["units"] = {"p_stockout": "share of replications"}
        return df

    def exports(self) -> pd.DataFrame:
        """Monthly exports of every replication, by destination and product (t).

        Same columns as :meth:`SimulationResult.exports` (``freq="MS"``) with
        ``replication`` in front. Every replication lists every route seen in any
        replication (0 t where it shipped nothing on it).

        Returns
        -------
        DataFrame
            replication, period, origin, destination, product, quantity_t.
        """
        n, nt, nk = len(self), len(self._periods), len(self._routes)
        routes = np.array(self._routes, dtype=object).reshape(nk, 3)
        df = pd.DataFrame({
            "replication": np.repeat(self.replication, nt * nk),
            "period": np.tile(np.repeat(self._periods.to_numpy(), nk), n),
            "origin": np.tile(routes[:, 0], n * nt),
            "destination": np.tile(routes[:, 1], n * nt),
            "product": np.tile(routes[:, 2], n * nt),
            "quantity_t": self.exports_block(0, n).reshape(-1),
        })
        for c in ("origin", "destination", "product"):
            df[c] = df[c].astype("str")
        df.attrs["units"] = {"quantity_t": "t"}
        return df

    def parameters(self, wide: bool = False) -> pd.DataFrame:
        """The value each uncertain parameter took in each replication.

        Parameters
        ----------
        wide : bool
            One row per replication and one column per parameter path instead of tidy.

        Returns
        -------
        DataFrame
            replication, path (as in :meth:`Scenario.uncertain`), value (the field's unit).
        """
        if wide:
            return pd.DataFrame(self._param_values, index=pd.Index(self.replication, name="replication"),
                                columns=pd.Index(self._param_paths, name="path"))
        n, npar = self._param_values.shape
        df = pd.DataFrame({"replication": np.repeat(self.replication, npar),
                           "path": np.tile(np.array(self._param_paths, dtype=object), n),
                           "value": self._param_values.reshape(-1)})
        df["path"] = df["path"].astype("str")
        return df

    def run_info(self) -> pd.DataFrame:
        """Per replication: SimPy events and simulation time (s; varies from run to run)."""
        return pd.DataFrame({"replication": self.replication, "events": self._events, "elapsed_s": self._elapsed})

    def disruptions(self) -> pd.DataFrame:
        """The scenario's disruption windows (id, name, start, end)."""
        rows = [{"id": w["id"], "name": w["name"] or w["id"], "start": pd.Timestamp(w["start"]),
                 "end": pd.Timestamp(w["end"])} for w in self.scenario.realize(None)["disruptions"]]
        return pd.DataFrame(rows, columns=["id", "name", "start", "end"])

    def control_rules(self) -> pd.DataFrame:
        """The scenario's export-control rules with their dates (for plots)."""
        rows = [{"name": r["name"], "start": pd.Timestamp(r["start"]),
                 "end": pd.Timestamp(r["end"]) if r["end"] else pd.NaT,
                 "products": ", ".join(r["products"]), "destinations": ", ".join(r["destinations"]),
                 "regime": r["regime"]} for r in self.scenario.realize(None)["export_controls"]["rules"]]
        return pd.DataFrame(rows, columns=["name", "start", "end", "products", "destinations", "regime"])

    def simulation(self, index: int) -> SimulationResult:
        """Run replication ``index`` again, in full (every table of a :class:`SimulationResult`)."""
        from .engine import simulate

        if not 0 <= int(index) < self.replications:
            raise IndexError(f"replication {index} is not in 0..{self.replications - 1}")
        return simulate(self.scenario, np.random.SeedSequence(self.seed, spawn_key=(int(index),)))

    # -- files ---------------------------------------------------------------------------
    def to_xarray(self) -> xr.Dataset:
        """The ensemble as an :class:`xarray.Dataset` (needs the ``xarray`` extra).

        Dimensions ``replication``, ``automaker``, ``date`` (days), ``period`` (months),
        ``destination``, ``product``, ``parameter``. Variables: each metric
        (replication x automaker), ``parameter_value`` (replication x parameter),
        ``exports_t`` (replication x period x destination x product; 0 where nothing
        shipped), ``stockout_count`` (date x automaker: replications in stockout) and,
        with ``keep="series"``, ``cum_vehicles_lost`` and ``in_stockout``
        (replication x date x automaker). Units in each variable's ``units`` attribute.
        """
        from .ensemble_io import to_xarray

        return to_xarray(self)

    @classmethod
    def from_xarray(cls, ds: xr.Dataset) -> EnsembleResult:
        """Rebuild an ensemble from :meth:`to_xarray`'s Dataset (or a file opened with xarray)."""
        from .ensemble_io import from_xarray

        sc, seed, replications, keep, arrays, info = from_xarray(ds)
        return cls(sc, seed, replications, keep, arrays, info)

    def save(self, path: str | Path) -> Path:
        """Write the ensemble to a folder of Parquet tables (needs ``pyarrow``).

        One table per kind of result (metrics, parameters, exports, daily series...)
        plus ``ensemble.json`` (scenario, seed, axes, units); read it back with
        :func:`load_ensemble`, or read a table directly with ``pandas.read_parquet``.
        Parquet rather than netCDF: see :mod:`rare_earth_sim.ensemble_io`.

        Parameters
        ----------
        path : str or Path
            Folder to write. A previously saved ensemble there is replaced; any other
            existing file or folder raises ``FileExistsError``.

        Returns
        -------
        Path
            The folder written.
        """
        from .ensemble_io import save_parquet

        return save_parquet(self, path)

    def exports_block(self, lo: int, hi: int) -> np.ndarray:
        """Exports of replications at positions ``lo..hi-1`` as an array (replication x month x route, t)."""
        n = max(0, min(hi, len(self)) - lo)
        out = np.empty((n, len(self._periods), len(self._routes)))
        for k, arr in enumerate(self._exports):
            out[:, :, k] = arr[lo:lo + n]
        return out

    def _arrays(self) -> dict[str, Any]:
        """The arrays behind the tables (shared, not copied: do not modify)."""
        return {
            "replication": self.replication, "automakers": self._automakers, "metrics": self._metrics,
            "units": self._units, "param_paths": self._param_paths, "param_values": self._param_values,
            "periods": self._periods.to_numpy(), "routes": self._routes, "exports": self._exports,
            "dates": self._dates.to_numpy(), "stockout_count": self._stockout_count,
            "cum_vehicles_lost": self._cum_lost, "in_stockout": self._in_stockout,
            "events": self._events, "elapsed_s": self._elapsed,
        }

    def __repr__(self) -> str:
        state = "complete" if self.complete else ("interrupted" if self.info.get("interrupted") else "partial")
        head = (f"<EnsembleResult {self.scenario.name!r} seed={self.seed}: {len(self)}/{self.replications} "
                f"replications ({state}), keep={self.keep!r}")
        if len(self):
            p = np.mean(self._metrics["stockouts"] > 0, axis=0)
            j = int(np.argmax(p))
            head += f"; P(stockout) up to {p[j]:.0%} ({self.automakers[j]})"
        return head + ">"


class EnsembleBuilder:
    """Collects replication records (in any order) into the arrays of an :class:`EnsembleResult`.

    Arrays are allocated for ``replications`` rows when the first record arrives and
    filled by replication index; a row counts only once it is complete, so an
    interruption mid-record leaves no half-written replication behind.
    """

    def __init__(self, replications: int, keep: str) -> None:
        self.replications = replications
        self.keep = keep
        self.done = np.zeros(replications, dtype=bool)
        self._shape: dict[str, Any] | None = None

    @property
    def count(self) -> int:
        """Records added."""
        return int(self.done.sum())

    def _allocate(self, rec: Mapping[str, np.ndarray]) -> None:
        r = self.replications
        na, nd = len(rec["automaker"]), int(rec["n_days"])
        names = [str(x) for x in rec["metric_names"]]
        self._shape = {
            "automaker": rec["automaker"].astype(str), "name": rec["name"].astype(str),
            "region": rec["region"].astype(str), "metric_names": names,
            "units": dict(zip(names, (str(u) for u in rec["metric_units"]), strict=True)),
            "param_path": [str(x) for x in rec["param_path"]], "periods": rec["ex_period"],
            "first_date": rec["first_date"], "n_days": nd,
        }
        self.metrics = {k: np.zeros((r, na), dtype=rec["m__" + k].dtype) for k in names}
        self.params = np.full((r, len(self._shape["param_path"])), np.nan)
        self.routes: dict[tuple[str, str, str], np.ndarray] = {}
        self.stockout_count = np.zeros((nd, na), dtype=np.int64)
        self.events = np.zeros(r, dtype=np.int64)
        self.elapsed = np.zeros(r)
        self.cum = np.zeros((r, nd, na)) if self.keep == "series" else None
        self.flags = np.zeros((r, nd, na), dtype=bool) if self.keep == "series" else None

    def add(self, rec: Mapping[str, np.ndarray]) -> bool:
        """Add one record; returns False if the replication is already in (or beyond ``replications``)."""
        i = int(rec["replication"])
        if i >= self.replications or self.done[i]:
            return False
        if self._shape is None:
            self._allocate(rec)
        s = self._shape
        assert s is not None
        same = (np.array_equal(rec["automaker"].astype(str), s["automaker"])
                and [str(x) for x in rec["param_path"]] == s["param_path"]
                and np.array_equal(rec["ex_period"], s["periods"]) and int(rec["n_days"]) == s["n_days"]
                and rec["first_date"] == s["first_date"])
        if not same:
            raise RuntimeError(f"replication {i} has other automakers, parameters or dates than the first "
                               "one recorded; was the store written by another version of the scenario?")
        if self.keep == "series" and "cum_vehicles_lost" not in rec:
            raise RuntimeError(f"replication {i} has no daily series (recorded with keep='summary')")
        nd, na = s["n_days"], len(s["automaker"])
        flags = np.unpackbits(rec["stockout_bits"], count=nd * na).reshape(nd, na).astype(bool)
        for k in s["metric_names"]:
            self.metrics[k][i] = rec["m__" + k]
        self.params[i] = rec["param_value"]
        nt = len(s["periods"])
        qty = rec["ex_quantity_t"].reshape(-1, nt)
        for k, route in enumerate(zip(rec["ex_origin"].astype(str), rec["ex_destination"].astype(str),
                                      rec["ex_product"].astype(str), strict=True)):
            arr = self.routes.get(route)
            if arr is None:
                arr = self.routes[route] = np.zeros((self.replications, nt))
            arr[i] = qty[k]
        self.events[i] = int(rec["events"])
        self.elapsed[i] = float(rec["elapsed_s"])
        if self.cum is not None and self.flags is not None:
            self.cum[i] = rec["cum_vehicles_lost"]
            self.flags[i] = flags
        self.stockout_count += flags
        self.done[i] = True  # last: a row counts only when complete
        return True

    def result(self, scenario: Scenario, seed: int, info: Mapping[str, Any] | None = None) -> EnsembleResult:
        """The ensemble of the records added so far (in replication order)."""
        if self._shape is None:
            raise RuntimeError("no replication has finished: nothing to build an ensemble from")
        s = self._shape
        full = bool(self.done.all())

        def rows(a: np.ndarray) -> np.ndarray:
            return a if full else a[self.done]

        routes = sorted(self.routes)
        exports = [rows(self.routes[route]) for route in routes]
        start = np.datetime64(s["first_date"])
        arrays: dict[str, Any] = {
            "replication": np.flatnonzero(self.done),
            "automakers": pd.DataFrame({"automaker": s["automaker"], "name": s["name"], "region": s["region"]}),
            "metrics": {k: rows(v) for k, v in self.metrics.items()}, "units": s["units"],
            "param_paths": s["param_path"], "param_values": rows(self.params),
            "periods": s["periods"], "routes": routes, "exports": exports,
            "dates": start + np.arange(s["n_days"]).astype("timedelta64[D]"),
            "stockout_count": self.stockout_count, "events": rows(self.events), "elapsed_s": rows(self.elapsed),
        }
        if self.cum is not None and self.flags is not None:
            arrays["cum_vehicles_lost"] = rows(self.cum)
            arrays["in_stockout"] = rows(self.flags)
        return EnsembleResult(scenario, seed, self.replications, self.keep, arrays, info)


def load_ensemble(path: str | Path) -> EnsembleResult:
    """Read an ensemble saved by :meth:`EnsembleResult.save`, or the store folder of a run.

    Parameters
    ----------
    path : str or Path
        A folder written by :meth:`EnsembleResult.save`; the ``store=`` folder of
        :func:`run_ensemble` (also of a run that crashed or was interrupted: what
        finished is returned and ``complete`` is False); or a netCDF file written from
        :meth:`EnsembleResult.to_xarray` (needs xarray and h5py).

    Returns
    -------
    EnsembleResult
    """
    from .ensemble_io import META_FILE, read_parquet_arrays

    p = Path(path)
    if (p / META_FILE).is_file():
        meta, arrays = read_parquet_arrays(p)
        sc = Scenario(scenario_from_json(meta["scenario_json"]), meta["scenario_source"])
        return EnsembleResult(sc, int(meta["seed_entropy"]), int(meta["replications_requested"]), meta["keep"],
                              arrays, meta.get("info"))
    if p.is_dir():
        store = EnsembleStore(p)
        meta = store.meta
        sc = Scenario(scenario_from_json(meta["scenario_json"]), meta.get("scenario_source", str(p)))
        b = EnsembleBuilder(int(meta["replications"]), meta["keep"])
        for rec in store.records():
            b.add(rec)
        return b.result(sc, int(meta["seed_entropy"]), {"resumed": b.count, "store": str(p)})
    import xarray as xr

    with xr.open_dataset(p) as ds:
        return EnsembleResult.from_xarray(ds.load())
