"""Loaders for the supply side: quotas, quota holders, mine production, ores, volumes."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ._read import (
    _FLAG,
    _TEXT,
    _T_REO,
    _bool,
    _error,
    _finish,
    _float,
    _int,
    _item_value_table,
    _low_high,
    _read_csv,
    _resolve_same,
    _text,
)


def quotas() -> pd.DataFrame:
    """China's rare-earth mining and smelting/separation quotas, 2017-2025.

    Returns
    -------
    pandas.DataFrame
        One row per year and batch. Columns:

        - ``year`` : int.
        - ``batch`` : str, ``"1"``, ``"2"``, ``"3"`` or ``"total"``.
        - ``issued`` : str, issue date as given (``"2024-02-06"``,
          ``"2019-03"``); NaN where not known.
        - ``mining_t_reo`` : float, mining quota [t REO].
        - ``smelting_t_reo`` : float, smelting/separation quota [t REO].
        - ``mining_rock_t_reo`` : float, mining quota for rock (light) ore
          [t REO].
        - ``mining_ionic_t_reo`` : float, mining quota for ionic clays
          (heavy) [t REO].
        - ``note`` : str (NaN where empty).
        - ``source`` : str.
        - ``inferred`` : bool.

        Quota figures are NaN where not published (e.g. 2025, when volumes
        were kept confidential).

    Raises
    ------
    ValueError
        If the file is malformed (the message names file and column).
    """
    name = "china_quotas.csv"
    qty = ["mining_t_reo", "smelting_t_reo", "mining_rock_t_reo", "mining_ionic_t_reo"]
    raw = _read_csv(name, ["year", "batch", "issued", *qty, "note", "source", "inferred"])
    batch = raw["batch"].str.lower()
    bad = ~(batch.str.fullmatch(r"\d+") | (batch == "total"))
    if bad.any():
        raise _error(name, "batch", raw["batch"][bad], "expected a batch number or 'total'")
    df = pd.DataFrame(
        {
            "year": _int(raw, name, "year"),
            "batch": batch.astype("str"),
            "issued": _text(raw, name, "issued"),
            **{col: _float(raw, name, col) for col in qty},
            "note": _text(raw, name, "note"),
            "source": _resolve_same(raw, name, "source"),
            "inferred": _bool(raw, name, "inferred"),
        }
    )
    units = {col: f"{_T_REO} per year or batch" for col in qty}
    units |= {"year": "year", "batch": _TEXT, "issued": "date as text", "inferred": _FLAG}
    return _finish(df, name, units)


def quota_holders() -> pd.DataFrame:
    """Company split of China's first-batch quotas for 2023 and 2024.

    Returns
    -------
    pandas.DataFrame
        Columns ``year`` (int), ``batch`` (str), ``company`` (str),
        ``mining_t_reo``, ``mining_rock_t_reo``, ``mining_ionic_t_reo``,
        ``smelting_t_reo`` (float [t REO]) and ``source`` (str).

    Raises
    ------
    ValueError
        If the file is malformed (the message names file and column).
    """
    name = "china_quota_holders_2024.csv"
    qty = ["mining_t_reo", "mining_rock_t_reo", "mining_ionic_t_reo", "smelting_t_reo"]
    raw = _read_csv(name, ["year", "batch", "company", *qty, "source"])
    df = pd.DataFrame(
        {
            "year": _int(raw, name, "year"),
            "batch": _text(raw, name, "batch", required=True),
            "company": _text(raw, name, "company", required=True),
            **{col: _float(raw, name, col) for col in qty},
            "source": _resolve_same(raw, name, "source"),
        }
    )
    units = {col: f"{_T_REO} per batch" for col in qty} | {"year": "year"}
    return _finish(df, name, units)


def mine_production() -> pd.DataFrame:
    """Rare-earth mine production by country (USGS MCS 2025), long format.

    Returns
    -------
    pandas.DataFrame
        One row per country and year (2023, 2024), in the file's country
        order (``"Other"`` and ``"World"`` rows included). Columns:

        - ``country`` : str.
        - ``year`` : int.
        - ``t_reo`` : float, mine production [t REO per year].
        - ``reserves_t_reo`` : float, reserves [t REO]; NaN where USGS
          gives none.
        - ``note`` : str.
        - ``source`` : str.
        - ``inferred`` : bool, True for USGS estimates from China's
          import data (Myanmar, Nigeria).

    Raises
    ------
    ValueError
        If the file is malformed (the message names file and column).
    """
    name = "world_mine_production.csv"
    raw = _read_csv(name, ["country", "reserves_t_reo", "note", "source", "inferred"])
    year_cols = [c for c in raw.columns if re.fullmatch(r"t_reo_\d{4}", c)]
    if not year_cols:
        raise ValueError(f"{name}: missing column 't_reo_<year>'")
    base = pd.DataFrame(
        {
            "country": _text(raw, name, "country", required=True),
            "reserves_t_reo": _float(raw, name, "reserves_t_reo"),
            "note": _text(raw, name, "note"),
            "source": _resolve_same(raw, name, "source"),
            "inferred": _bool(raw, name, "inferred"),
            "_order": np.arange(len(raw)),
        }
    )
    parts = []
    for col in year_cols:
        part = base.copy()
        part["year"] = int(col.rsplit("_", 1)[1])
        part["t_reo"] = _float(raw, name, col)
        parts.append(part)
    df = pd.concat(parts, ignore_index=True).sort_values(["_order", "year"], kind="stable")
    df = df[["country", "year", "t_reo", "reserves_t_reo", "note", "source", "inferred"]]
    units = {
        "year": "year",
        "t_reo": f"{_T_REO} per year",
        "reserves_t_reo": _T_REO,
        "inferred": _FLAG,
    }
    return _finish(df, name, units)


def ore_composition() -> pd.DataFrame:
    """Oxide shares of the main ore types (Mountain Pass, Bayan Obo, clays).

    Returns
    -------
    pandas.DataFrame
        Columns:

        - ``deposit``, ``ore_type``, ``component`` : str.
        - ``share_of_treo`` : str, as given (a number or e.g. ``">0.95"``).
        - ``low``, ``high`` : float, parsed from ``share_of_treo`` where it
          is a number or an ``"a-b"`` range; NaN otherwise [fraction of
          TREO].
        - ``status``, ``source`` : str.
        - ``inferred`` : bool (True for approximate shares).

    Raises
    ------
    ValueError
        If the file is malformed (the message names file and column).
    """
    name = "ore_composition.csv"
    raw = _read_csv(
        name,
        ["deposit", "ore_type", "component", "share_of_treo", "status", "source", "inferred"],
    )
    low, high = _low_high(raw, "share_of_treo")
    df = pd.DataFrame(
        {
            "deposit": _text(raw, name, "deposit", required=True),
            "ore_type": _text(raw, name, "ore_type"),
            "component": _text(raw, name, "component", required=True),
            "share_of_treo": _text(raw, name, "share_of_treo", required=True),
            "low": low,
            "high": high,
            "status": _resolve_same(raw, name, "status"),
            "source": _resolve_same(raw, name, "source"),
            "inferred": _bool(raw, name, "inferred"),
        }
    )
    share = "fraction of total rare-earth oxide (TREO)"
    units = {"share_of_treo": share, "low": share, "high": share, "inferred": _FLAG}
    return _finish(df, name, units)


def supply_volumes() -> pd.DataFrame:
    """Separated-oxide output in and outside China, recycling, capacities.

    Returns
    -------
    pandas.DataFrame
        Columns:

        - ``item`` : str, what was measured (e.g. ``"Lynas NdPr"``).
        - ``period`` : str, as given (``"2024-06"``, ``"FY2024 (Jul-Jun)"``,
          ``"quarter to 2024-09"``, ...).
        - ``value`` : str, as given (a number or a range ``"a-b"``).
        - ``low``, ``high`` : float, parsed from ``value``; NaN if neither a
          number nor a range.
        - ``unit`` : str, unit of ``value`` (t, t per month, t per year).
        - ``status``, ``source`` : str.
        - ``inferred`` : bool.

    Raises
    ------
    ValueError
        If the file is malformed (the message names file and column).
    """
    return _item_value_table("supply_volumes.csv", ["item", "period"], numeric_value=False)
