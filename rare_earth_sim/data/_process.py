"""Loaders for engineering coefficients, the export-licence process and China's holidays."""

from __future__ import annotations

import pandas as pd

from ._read import (
    _FLAG,
    _PER_ROW_UNIT,
    _bool,
    _dated_table,
    _dates,
    _error,
    _finish,
    _low_high,
    _read_csv,
    _resolve_same,
    _text,
)


def coefficients() -> pd.DataFrame:
    """Engineering and market coefficients, as reported.

    Returns
    -------
    pandas.DataFrame
        One row per item. Columns:

        - ``item`` : str, identifier (e.g. ``"ndfeb_per_ev_range"``).
        - ``value`` : str, as given: a number, a range ``"a-b"`` or text
          (``">=3"``, ``"up to 200"``, ...).
        - ``low``, ``high`` : float, parsed from ``value`` where it is a
          number (``low == high``) or an ``"a-b"`` range; NaN otherwise.
        - ``unit`` : str, unit of ``value``/``low``/``high``.
        - ``note``, ``source`` : str.
        - ``inferred`` : bool.

    Raises
    ------
    ValueError
        If the file is malformed (the message names file and column).
    """
    name = "coefficients.csv"
    raw = _read_csv(name, ["item", "value", "unit", "note", "source", "inferred"])
    item = _text(raw, name, "item", required=True)
    dup = item.duplicated(keep=False)
    if dup.any():
        raise _error(name, "item", raw["item"][dup], "duplicate item")
    low, high = _low_high(raw, "value")
    df = pd.DataFrame(
        {
            "item": item,
            "value": _text(raw, name, "value", required=True),
            "low": low,
            "high": high,
            "unit": _text(raw, name, "unit"),
            "note": _text(raw, name, "note"),
            "source": _resolve_same(raw, name, "source"),
            "inferred": _bool(raw, name, "inferred"),
        }
    )
    units = {"value": _PER_ROW_UNIT, "low": _PER_ROW_UNIT, "high": _PER_ROW_UNIT}
    return _finish(df, name, units | {"inferred": _FLAG})


def licensing_process() -> pd.DataFrame:
    """Reported facts on China's export-licence process to June 2025.

    Returns
    -------
    pandas.DataFrame
        Columns:

        - ``date`` : Timestamp; the first of the month where only the
          month was reported.
        - ``date_precision`` : str, ``"day"`` or ``"month"``.
        - ``statement`` : str.
        - ``source`` : str.

    Raises
    ------
    ValueError
        If the file is malformed (the message names file and column).
    """
    return _dated_table(
        "licensing_process_2025H1.csv", {"statement": True}, partial_dates=True
    )


def holidays_china(year: int = 2025) -> pd.DataFrame:
    """China's public holidays and make-up working days, one row per date.

    Licence reviews count working days; a make-up working day is a weekend
    day worked in exchange for a holiday.

    Parameters
    ----------
    year : int, default 2025
        Calendar year. Only years with a packaged
        ``china_holidays_<year>.csv`` are available.

    Returns
    -------
    pandas.DataFrame
        Sorted by date. Columns:

        - ``date`` : Timestamp (day).
        - ``kind`` : str, ``"holiday"`` or ``"makeup_workday"``.
        - ``name`` : str, the holiday the day belongs to.
        - ``source`` : str.

    Raises
    ------
    ValueError
        If no file exists for ``year``, or the file is malformed (range
        reversed or outside ``year``, unknown kind, a date listed twice).
    """
    name = f"china_holidays_{int(year)}.csv"
    try:
        raw = _read_csv(name, ["date_from", "date_to", "kind", "name", "source"])
    except FileNotFoundError as exc:
        raise ValueError(f"no holiday calendar for {year} ({name} not packaged)") from exc
    start = _dates(raw, name, "date_from")
    end = _dates(raw, name, "date_to")
    reversed_ = end < start
    if reversed_.any():
        raise _error(name, "date_to", raw["date_to"][reversed_], "before date_from")
    outside = (start.dt.year != year) | (end.dt.year != year)
    if outside.any():
        raise _error(name, "date_from", raw["date_from"][outside], f"outside {year}")
    text = raw["kind"].str.lower()
    kind = pd.Series(pd.NA, index=raw.index, dtype="object")
    kind[text.str.startswith("holiday")] = "holiday"
    kind[text.str.startswith("make-up") | text.str.startswith("makeup")] = "makeup_workday"
    if kind.isna().any():
        raise _error(
            name, "kind", raw["kind"][kind.isna()],
            "expected 'holiday' or 'make-up working day'",
        )
    holiday_name = _text(raw, name, "name", required=True)
    source = _resolve_same(raw, name, "source")
    rows: list[dict[str, object]] = []
    for i in raw.index:
        for day in pd.date_range(start[i], end[i], freq="D"):
            rows.append(
                {"date": day, "kind": kind[i], "name": holiday_name[i], "source": source[i]}
            )
    df = pd.DataFrame(rows).sort_values("date", kind="stable")
    dup = df["date"].duplicated(keep=False)
    if dup.any():
        raise _error(name, "date_from", df["date"][dup].astype("str"), "date listed twice")
    df = df.astype({"kind": "str", "name": "str", "source": "str"})
    return _finish(df, name, {"date": "date (Timestamp)"})
