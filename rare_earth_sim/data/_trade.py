"""Loaders for China's magnet trade: monthly exports, destinations, export controls."""

from __future__ import annotations

import pandas as pd

from ._read import (
    _FLAG,
    _TEXT,
    _T_PRODUCT,
    _bool,
    _dated_table,
    _error,
    _finish,
    _float,
    _item_value_table,
    _parse_period,
    _read_csv,
    _resolve_same,
    _text,
)


def magnet_exports(monthly_only: bool = True) -> pd.DataFrame:
    """China's exports of NdFeB magnets and alloys (HS 8505111000).

    Monthly rows cover April 2024 to June 2025 (with gaps: Nov-Dec 2024);
    the file also holds the 2024 annual total and the H1-2025 total.

    Parameters
    ----------
    monthly_only : bool, default True
        If True, return only the monthly rows, sorted by month. If False,
        also return the annual and half-year rows, in file order, with the
        extra columns ``period_label`` and ``months``.

    Returns
    -------
    pandas.DataFrame
        Columns:

        - ``period`` : Timestamp, first day of the period's first month.
        - ``period_label`` : str, the period as written (``"2024-05"``,
          ``"2024"``, ``"2025-H1"``); only when ``monthly_only=False``.
        - ``months`` : int, months covered (1, 3, 6 or 12); only when
          ``monthly_only=False``.
        - ``total_t`` : float, exports to all destinations [t product].
        - ``to_us_t`` : float, exports to the United States [t product];
          NaN where not reported.
        - ``status`` : str, reported or how the figure was inferred.
        - ``inferred`` : bool, True where any figure in the row was
          derived rather than reported.
        - ``source`` : str.

    Raises
    ------
    ValueError
        If the file is malformed (the message names file and column).
    """
    name = "china_magnet_exports_monthly.csv"
    cols = ["period", "total_t", "to_us_t", "status", "source", "inferred"]
    raw = _read_csv(name, cols)
    labels = _text(raw, name, "period", required=True)
    parsed = [_parse_period(label) for label in labels]
    bad = pd.Series([p is None for p in parsed], index=raw.index)
    if bad.any():
        raise _error(
            name, "period", raw["period"][bad],
            "expected YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY",
        )
    starts = pd.Series([p[0] for p in parsed if p is not None], index=raw.index)
    months = pd.Series([p[1] for p in parsed if p is not None], index=raw.index)
    df = pd.DataFrame(
        {
            "period": pd.to_datetime(starts),
            "period_label": labels,
            "months": months.astype("int64"),
            "total_t": _float(raw, name, "total_t", required=True),
            "to_us_t": _float(raw, name, "to_us_t"),
            "status": _resolve_same(raw, name, "status"),
            "inferred": _bool(raw, name, "inferred"),
            "source": _resolve_same(raw, name, "source"),
        }
    )
    monthly = df["months"] == 1
    dup = monthly & df["period_label"].duplicated(keep=False)
    if dup.any():
        raise _error(name, "period", raw["period"][dup], "duplicate month")
    if monthly_only:
        df = df[monthly].sort_values("period").drop(columns=["period_label", "months"])
    units = {
        "period": "start of period (Timestamp)",
        "period_label": _TEXT,
        "months": "months",
        "total_t": f"{_T_PRODUCT} per period",
        "to_us_t": f"{_T_PRODUCT} per period",
        "inferred": _FLAG,
    }
    return _finish(df, name, units)


def exports_by_destination() -> pd.DataFrame:
    """Destination splits of China's magnet exports (2020, 2022, 2024, 2025).

    Returns
    -------
    pandas.DataFrame
        Columns:

        - ``period`` : str, as given (``"2020"``, ``"2024-07"``,
          ``"2024-01..2024-07"``).
        - ``destination`` : str (``"World"`` for the total).
        - ``value`` : str, as given (a number or a range ``"a-b"``).
        - ``low``, ``high`` : float, parsed from ``value``.
        - ``unit`` : str, ``"t"`` [product tonnes] or a share (fraction).
        - ``status``, ``source`` : str.
        - ``inferred`` : bool.

    Raises
    ------
    ValueError
        If the file is malformed (the message names file and column).
    """
    return _item_value_table(
        "magnet_exports_by_destination.csv", ["period", "destination"], numeric_value=False
    )


def controls_timeline() -> pd.DataFrame:
    """Dated 2025 export-control measures and trade talks.

    Returns
    -------
    pandas.DataFrame
        Columns ``date`` (Timestamp), ``measure``, ``content`` and
        ``source`` (str), sorted by date (stable).

    Raises
    ------
    ValueError
        If the file is malformed (the message names file and column).
    """
    return _dated_table("export_controls_timeline.csv", {"measure": True, "content": False})
