"""Loaders for the demand side: vehicle output, NdFeB demand by sector, downstream stock."""

from __future__ import annotations

import pandas as pd

from ._read import (
    _FLAG,
    _bool,
    _dated_table,
    _finish,
    _float,
    _item_value_table,
    _read_csv,
    _resolve_same,
    _text,
)


def vehicle_production() -> pd.DataFrame:
    """2024 light-vehicle output by country and by major group.

    Returns
    -------
    pandas.DataFrame
        Columns:

        - ``group`` : str, country or carmaker group.
        - ``region`` : str.
        - ``vehicles_2024`` : float, vehicles in 2024 [vehicles]; the
          measure (production, sales, deliveries, fiscal year) is in
          ``basis``.
        - ``bev``, ``phev``, ``hev`` : float, battery-electric, plug-in
          hybrid and hybrid vehicles [vehicles]; NaN where unknown.
        - ``basis`` : str.
        - ``source`` : str.
        - ``inferred`` : bool.

    Raises
    ------
    ValueError
        If the file is malformed (the message names file and column).
    """
    name = "vehicle_production_2024.csv"
    qty = ["vehicles_2024", "bev", "phev", "hev"]
    raw = _read_csv(name, ["group", "region", *qty, "basis", "source", "inferred"])
    df = pd.DataFrame(
        {
            "group": _text(raw, name, "group", required=True),
            "region": _text(raw, name, "region"),
            "vehicles_2024": _float(raw, name, "vehicles_2024", required=True),
            **{col: _float(raw, name, col) for col in qty[1:]},
            "basis": _text(raw, name, "basis"),
            "source": _resolve_same(raw, name, "source"),
            "inferred": _bool(raw, name, "inferred"),
        }
    )
    units = {col: "vehicles (2024)" for col in qty} | {"inferred": _FLAG}
    return _finish(df, name, units)


def demand_by_sector() -> pd.DataFrame:
    """NdFeB demand by end use (2024 China forecast; older world shares).

    Returns
    -------
    pandas.DataFrame
        Columns:

        - ``period`` : str, as given (``"2024"``, ``"2025-01..2025-08"``).
        - ``sector`` : str.
        - ``value`` : float, in ``unit`` (t NdFeB, or a share as fraction).
        - ``unit`` : str.
        - ``status``, ``source`` : str (``"same"`` in the file is resolved
          to the row above).
        - ``inferred`` : bool (forecasts, derived totals and the
          low-confidence 2018 shares are True).

    Raises
    ------
    ValueError
        If the file is malformed (the message names file and column).
    """
    return _item_value_table("ndfeb_demand_by_sector.csv", ["period", "sector"], numeric_value=True)


def inventory_statements() -> pd.DataFrame:
    """What carmakers and suppliers said about their magnet stock in 2025.

    Returns
    -------
    pandas.DataFrame
        Columns ``date`` (Timestamp), ``who``, ``statement`` and ``source``
        (str), sorted by date (stable).

    Raises
    ------
    ValueError
        If the file is malformed (the message names file and column).
    """
    return _dated_table(
        "downstream_inventory_statements.csv", {"who": True, "statement": True}
    )
