"""Ensembles to and from files (a folder of Parquet tables) and xarray Datasets.

Layout of a saved ensemble ``PATH/``::

    ensemble.json         scenario (as written), seed, keep, axes (automakers, dates,
                          months, routes, parameter paths), units, format
    metrics.parquet       replication, automaker, name, region, first_stockout, tts_days, ...
    parameters.parquet    replication, path, value
    exports.parquet       replication, period, origin, destination, product, quantity_t
    stockout_count.parquet  date, automaker, replications_in_stockout
    series.parquet        replication, date, automaker, cum_vehicles_lost, in_stockout
                          (``keep="series"`` only)
    run_info.parquet      replication, events, elapsed_s

Why Parquet rather than netCDF: the tables users work with are tidy (DESIGN section 3),
and Parquet is their native columnar store. Its dictionary and run-length encodings make
the repeated keys of a tidy table (replication, date, automaker, destination) cost almost
nothing, so a tidy file is about as small as a dense array file, and values are
zstd-compressed. Row groups are written one block of replications at a time, so saving
100,000 replications never builds the whole tidy table in memory; readers (pandas, polars,
DuckDB, Arrow, R, Spark) can read one column, or filter rows
(``pd.read_parquet(PATH / "metrics.parquet", filters=[("automaker", "==", "ford")])``),
without loading the rest. netCDF through xarray needs HDF5 (h5py), which h5netcdf no
longer pulls in by itself; the n-d view is still one call away with
:meth:`EnsembleResult.to_xarray`.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .ensemble_store import scenario_from_json, scenario_to_json
from .scenario.model import Scenario

if TYPE_CHECKING:
    import pyarrow as pa
    import xarray as xr

    from .ensemble_result import EnsembleResult

__all__ = ["save_parquet", "read_parquet_arrays", "to_xarray", "from_xarray", "META_FILE"]

FORMAT = "rare_earth_sim.ensemble.parquet/1"
_FORMAT = "rare_earth_sim.ensemble/1"  # the xarray Dataset's
META_FILE = "ensemble.json"
_ROWS_PER_GROUP = 1 << 20  # rows written at a time: bounds the memory a save needs


def _dict_array(codes: np.ndarray, values: Sequence[str]) -> pa.Array:
    import pyarrow as pa

    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(list(values), pa.string()))


def _column(x: np.ndarray) -> pa.Array:
    import pyarrow as pa

    return pa.array(x, from_pandas=np.issubdtype(x.dtype, np.datetime64))  # NaT -> null


def _write(path: Path, n: int, rows_per_rep: int, block: Any) -> None:
    """Write ``block(lo, hi)`` (a dict of arrow arrays for replications lo..hi-1) in row groups."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    step = max(1, _ROWS_PER_GROUP // max(rows_per_rep, 1))
    writer = None
    try:
        for lo in range(0, max(n, 1), step):
            table = pa.table(block(lo, min(n, lo + step)))
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def save_parquet(ens: EnsembleResult, path: str | Path) -> Path:
    """Write ``ens`` to the folder ``path`` (see the module docstring for the layout).

    An existing saved ensemble at ``path`` is replaced (the new one is written next to it
    first); any other existing file or folder is left alone and an error raised.
    """
    import pyarrow as pa

    path = Path(path)
    if path.exists() and not (path / META_FILE).is_file():
        raise FileExistsError(f"{path} exists and is not a saved ensemble; choose another path")
    tmp = path.with_name(path.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    a = ens._arrays()
    n, na = len(ens), len(ens.automakers)
    rep = a["replication"]
    am = a["automakers"]
    nd, nt, nk, npar = len(a["dates"]), len(a["periods"]), len(a["routes"]), len(a["param_paths"])

    def metrics(lo: int, hi: int) -> dict[str, Any]:
        k = hi - lo
        cols: dict[str, Any] = {"replication": pa.array(np.repeat(rep[lo:hi], na))}
        codes = np.tile(np.arange(na), k)
        for c in ("automaker", "name", "region"):
            cols[c] = _dict_array(codes, [str(x) for x in am[c]])
        for name, v in a["metrics"].items():
            cols[name] = _column(v[lo:hi].reshape(-1))
        return cols

    def parameters(lo: int, hi: int) -> dict[str, Any]:
        return {"replication": pa.array(np.repeat(rep[lo:hi], npar)),
                "path": _dict_array(np.tile(np.arange(npar), hi - lo), a["param_paths"]),
                "value": pa.array(a["param_values"][lo:hi].reshape(-1))}

    routes = a["routes"]

    def exports(lo: int, hi: int) -> dict[str, Any]:
        k = hi - lo
        codes = np.tile(np.arange(nk), k * nt)
        cols: dict[str, Any] = {"replication": pa.array(np.repeat(rep[lo:hi], nt * nk)),
                                "period": _column(np.tile(np.repeat(np.asarray(a["periods"]), nk), k))}
        for j, c in enumerate(("origin", "destination", "product")):
            values = sorted({r[j] for r in routes})
            cols[c] = _dict_array(np.array([values.index(r[j]) for r in routes])[codes] if nk else codes, values)
        cols["quantity_t"] = pa.array(ens.exports_block(lo, hi).reshape(-1))
        return cols

    dates = np.asarray(a["dates"])

    def series(lo: int, hi: int) -> dict[str, Any]:
        k = hi - lo
        return {"replication": pa.array(np.repeat(rep[lo:hi], nd * na)),
                "date": _column(np.tile(np.repeat(dates, na), k)),
                "automaker": _dict_array(np.tile(np.arange(na), k * nd), ens.automakers),
                "cum_vehicles_lost": pa.array(a["cum_vehicles_lost"][lo:hi].reshape(-1)),
                "in_stockout": pa.array(a["in_stockout"][lo:hi].reshape(-1))}

    _write(tmp / "metrics.parquet", n, na, metrics)
    _write(tmp / "parameters.parquet", n, npar, parameters)
    _write(tmp / "exports.parquet", n, nt * nk, exports)
    if a.get("cum_vehicles_lost") is not None:
        _write(tmp / "series.parquet", n, nd * na, series)
    _write(tmp / "stockout_count.parquet", 1, nd * na, lambda lo, hi: {
        "date": _column(np.repeat(dates, na)), "automaker": _dict_array(np.tile(np.arange(na), nd), ens.automakers),
        "replications_in_stockout": pa.array(a["stockout_count"].reshape(-1))})
    _write(tmp / "run_info.parquet", n, 1, lambda lo, hi: {
        "replication": pa.array(rep[lo:hi]), "events": pa.array(a["events"][lo:hi]),
        "elapsed_s": pa.array(a["elapsed_s"][lo:hi])})
    meta = {
        "format": FORMAT, "scenario_name": ens.scenario.name, "scenario_source": ens.scenario.source,
        "scenario_json": scenario_to_json(ens.scenario.raw), "seed_entropy": ens.seed,
        "replications_requested": ens.replications, "replications_saved": n, "keep": ens.keep,
        "automakers": {c: [str(x) for x in am[c]] for c in ("automaker", "name", "region")},
        "metrics": {k: str(v.dtype) for k, v in a["metrics"].items()}, "units": a["units"],
        "param_paths": a["param_paths"], "periods": [str(x) for x in np.asarray(a["periods"])],
        "period_unit": np.datetime_data(np.asarray(a["periods"]).dtype)[0],
        "routes": [list(r) for r in routes], "first_date": str(dates[0]) if nd else None, "n_days": nd,
        "date_unit": np.datetime_data(dates.dtype)[0],
        "info": {k: v for k, v in ens.info.items() if isinstance(v, int | float | str | bool)},
    }
    (tmp / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    if path.exists():
        old = path.with_name(path.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old)
    else:
        os.replace(tmp, path)
    return path


def _blocks_equal(table: Any, column: str, expected: np.ndarray) -> bool:
    """The first rows of a (dictionary) string column are as written (a cheap layout check)."""
    k = min(len(expected), table.num_rows)
    got = table.column(column).slice(0, k).to_pylist()
    return [str(x) for x in got] == [str(x) for x in expected[:k]]


def read_parquet_arrays(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The meta data and the arrays of an :class:`EnsembleResult` saved by :func:`save_parquet`."""
    import pyarrow.parquet as pq

    path = Path(path)
    meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a saved rare_earth_sim ensemble (format {meta.get('format')!r})")
    am = pd.DataFrame(meta["automakers"])
    na, n = len(am), int(meta["replications_saved"])
    ids = am["automaker"].to_numpy(dtype=str)
    bad = f"{path}: the tables are not laid out as rare_earth_sim writes them"

    t = pq.read_table(path / "metrics.parquet")
    if t.num_rows != n * na or not _blocks_equal(t, "automaker", np.tile(ids, min(n, 100))):
        raise ValueError(bad)
    metrics = {}
    for k, dtype in meta["metrics"].items():
        v = t.column(k).to_numpy()
        metrics[k] = v.astype(dtype).reshape(n, na)
    replication = t.column("replication").to_numpy()[::na] if na else np.zeros(0, dtype=np.int64)
    t = pq.read_table(path / "parameters.parquet", columns=["value"])
    npar = len(meta["param_paths"])
    params = t.column("value").to_numpy().reshape(n, npar)
    routes = [tuple(r) for r in meta["routes"]]
    periods = np.array(meta["periods"], dtype=f"datetime64[{meta['period_unit']}]")
    t = pq.read_table(path / "exports.parquet", columns=["quantity_t"])
    ex = t.column("quantity_t").to_numpy().reshape(n, len(periods), len(routes))
    exports = [ex[:, :, k] for k in range(len(routes))]
    nd = int(meta["n_days"])
    dates = (np.datetime64(meta["first_date"], meta["date_unit"]) + np.arange(nd).astype("timedelta64[D]")
             if nd else np.zeros(0, dtype="datetime64[us]"))
    t = pq.read_table(path / "stockout_count.parquet", columns=["replications_in_stockout"])
    arrays: dict[str, Any] = {
        "replication": replication, "automakers": am, "metrics": metrics, "units": meta["units"],
        "param_paths": meta["param_paths"], "param_values": params, "periods": periods, "routes": routes,
        "exports": exports, "dates": dates,
        "stockout_count": t.column("replications_in_stockout").to_numpy().reshape(nd, na),
    }
    t = pq.read_table(path / "run_info.parquet")
    arrays["events"] = t.column("events").to_numpy()
    arrays["elapsed_s"] = t.column("elapsed_s").to_numpy()
    if (path / "series.parquet").is_file():
        t = pq.read_table(path / "series.parquet", columns=["cum_vehicles_lost", "in_stockout"])
        arrays["cum_vehicles_lost"] = t.column("cum_vehicles_lost").to_numpy().reshape(n, nd, na)
        arrays["in_stockout"] = t.column("in_stockout").to_numpy(zero_copy_only=False).reshape(n, nd, na)
    return meta, arrays


# -- xarray ---------------------------------------------------------------------------------
def to_xarray(ens: EnsembleResult) -> xr.Dataset:
    """The Dataset of :meth:`EnsembleResult.to_xarray`."""
    import xarray as xr

    a = ens._arrays()
    periods, dates = pd.DatetimeIndex(a["periods"]), pd.DatetimeIndex(a["dates"])

    am = a["automakers"]
    dests = sorted({r[1] for r in a["routes"]})
    prods = sorted({r[2] for r in a["routes"]})
    origins = sorted({r[0] for r in a["routes"]})
    ex = np.zeros((len(ens), len(periods), len(dests), len(prods)))
    seen = np.zeros((len(dests), len(prods)), dtype=bool)
    for k, (_, d, p) in enumerate(a["routes"]):
        ex[:, :, dests.index(d), prods.index(p)] = a["exports"][k]
        seen[dests.index(d), prods.index(p)] = True
    rep_am = ("replication", "automaker")
    data: dict[str, Any] = {}
    for k, v in a["metrics"].items():
        data[k] = (rep_am, v, {"units": a["units"][k]} if a["units"].get(k) else {})
    data["parameter_value"] = (("replication", "parameter"), a["param_values"],
                               {"description": "value drawn for the replication (the field's unit)"})
    data["exports_t"] = (("replication", "period", "destination", "product"), ex,
                         {"units": "t", "description": "exports departed in the month, by destination and product"})
    data["exports_route_observed"] = (("destination", "product"), seen)
    data["stockout_count"] = (("date", "automaker"), a["stockout_count"],
                              {"units": "replications", "description": "replications losing output that day"})
    if a["cum_vehicles_lost"] is not None and a["in_stockout"] is not None:
        data["cum_vehicles_lost"] = (("replication", "date", "automaker"), a["cum_vehicles_lost"],
                                     {"units": "vehicles"})
        data["in_stockout"] = (("replication", "date", "automaker"), a["in_stockout"])
    data["events"] = (("replication",), a["events"], {"units": "SimPy events"})
    data["elapsed_s"] = (("replication",), a["elapsed_s"], {"units": "s"})
    coords = {
        "replication": ens.replication,
        "automaker": am["automaker"].to_numpy(dtype=str),
        "automaker_name": ("automaker", am["name"].to_numpy(dtype=str)),
        "region": ("automaker", am["region"].to_numpy(dtype=str)),
        "parameter": np.array(a["param_paths"], dtype=str),
        "period": periods.to_numpy(),
        "destination": np.array(dests, dtype=str),
        "product": np.array(prods, dtype=str),
        "date": dates.to_numpy(),
    }
    attrs = {
        "format": _FORMAT, "scenario_name": ens.scenario.name, "scenario_source": ens.scenario.source,
        "scenario_json": scenario_to_json(ens.scenario.raw), "seed_entropy": str(ens.seed),
        "replications_requested": ens.replications, "keep": ens.keep, "exports_origin": ",".join(origins),
        "metric_order": json.dumps(list(a["metrics"])),
        "datetime_units": json.dumps({"first_stockout": np.datetime_data(a["metrics"]["first_stockout"].dtype)[0]
                                      if "first_stockout" in a["metrics"] else "ns",
                                      "period": np.datetime_data(periods.dtype)[0],
                                      "date": np.datetime_data(dates.dtype)[0]}),
        "info": json.dumps({k: v for k, v in ens.info.items() if isinstance(v, int | float | str | bool)}),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)



def from_xarray(ds: xr.Dataset) -> tuple[Scenario, int, int, str, dict[str, Any], dict[str, Any]]:
    """(scenario, seed, replications, keep, arrays, info) of a Dataset from :func:`to_xarray`."""
    if ds.attrs.get("format") != _FORMAT:
        raise ValueError(f"not a rare_earth_sim ensemble (format {ds.attrs.get('format')!r}, expected {_FORMAT!r})")
    units = json.loads(ds.attrs["datetime_units"])
    order = json.loads(ds.attrs["metric_order"])
    metrics = {}
    for k in order:
        v = ds[k].transpose("replication", "automaker").values
        if k in units and np.issubdtype(v.dtype, np.datetime64):
            v = v.astype(f"datetime64[{units[k]}]")
        metrics[k] = v
    dests = [str(x) for x in ds["destination"].values]
    prods = [str(x) for x in ds["product"].values]
    seen = ds["exports_route_observed"].values
    origin = ds.attrs["exports_origin"]
    routes = [(origin, d, p) for i, d in enumerate(dests) for j, p in enumerate(prods) if seen[i, j]]
    ex4 = ds["exports_t"].transpose("replication", "period", "destination", "product").values
    exports = [ex4[:, :, dests.index(d), prods.index(p)] for _, d, p in routes]
    arrays: dict[str, Any] = {
        "replication": ds["replication"].values,
        "automakers": pd.DataFrame({"automaker": ds["automaker"].values.astype(str),
                                    "name": ds["automaker_name"].values.astype(str),
                                    "region": ds["region"].values.astype(str)}),
        "metrics": metrics,
        "units": {k: str(ds[k].attrs.get("units", "")) for k in order},
        "param_paths": [str(x) for x in ds["parameter"].values],
        "param_values": ds["parameter_value"].transpose("replication", "parameter").values,
        "periods": ds["period"].values.astype(f"datetime64[{units['period']}]"),
        "routes": routes, "exports": exports,
        "dates": ds["date"].values.astype(f"datetime64[{units['date']}]"),
        "stockout_count": ds["stockout_count"].transpose("date", "automaker").values.astype(np.int64),
        "events": ds["events"].values.astype(np.int64), "elapsed_s": ds["elapsed_s"].values,
    }
    if "cum_vehicles_lost" in ds:
        arrays["cum_vehicles_lost"] = ds["cum_vehicles_lost"].transpose("replication", "date", "automaker").values
        arrays["in_stockout"] = ds["in_stockout"].transpose("replication", "date", "automaker").values.astype(bool)
    sc = Scenario(scenario_from_json(ds.attrs["scenario_json"]), str(ds.attrs["scenario_source"]))
    return (sc, int(ds.attrs["seed_entropy"]), int(ds.attrs["replications_requested"]), str(ds.attrs["keep"]),
            arrays, json.loads(ds.attrs.get("info", "{}")))

