"""Sourced public data on the rare-earth magnet chain, as tidy DataFrames.

The CSV files in this subpackage are copies of figures collected from news
agencies, USGS, IEA, industry bodies and company releases (see ``README.md``
in this directory). Every row keeps its ``source``. Rows whose figures were
derived, inferred, forecast, approximate or of low confidence carry
``inferred == True``: treat them as softer calibration targets.

Each loader reads its file afresh (nothing is cached or read at import time)
through :mod:`importlib.resources`, so the data also load from an installed
wheel. Every returned frame carries

- ``df.attrs["units"]``: a ``dict`` mapping column name to unit, and
- ``df.attrs["source"]``: the CSV file name it was read from.

A file that does not match its expected layout (missing column, a number
that does not parse, an unknown flag value, ...) raises :class:`ValueError`
whose message names the file and the column.

Units: t REO (tonnes of rare-earth oxide) for quotas and mining; product
tonnes for magnets (HS 8505111000, magnets and alloys).

Examples
--------
>>> from rare_earth_sim import data
>>> exports = data.magnet_exports()
>>> exports.attrs["units"]["total_t"]  # doctest: +SKIP
't (product tonnes, HS 8505111000) per month'
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from importlib import resources

import numpy as np
import pandas as pd

__all__ = [
    "coefficients",
    "controls_timeline",
    "demand_by_sector",
    "exports_by_destination",
    "holidays_china",
    "inventory_statements",
    "licensing_process",
    "list_datasets",
    "magnet_exports",
    "mine_production",
    "ore_composition",
    "quota_holders",
    "quotas",
    "supply_volumes",
    "vehicle_production",
]

_T_PRODUCT = "t (product tonnes, HS 8505111000 magnets and alloys)"
_T_REO = "t REO (rare-earth oxide)"
_PER_ROW_UNIT = "per row: see column 'unit'"
_TEXT = "text"
_FLAG = "bool (True = derived/inferred/forecast/approximate/low-confidence)"

# A plain non-negative number ("0.5", "93000") or a range "a-b" ("1.3-2.0").
_NUM_OR_RANGE = re.compile(
    r"^\s*(?P<low>\d+(?:\.\d+)?)\s*(?:-\s*(?P<high>\d+(?:\.\d+)?)\s*)?$"
)


# --------------------------------------------------------------------------
# low-level readers and column parsers
# --------------------------------------------------------------------------


def _read_text(name: str) -> str:
    """Return the text of the packaged CSV file ``name``.

    Parameters
    ----------
    name : str
        File name inside ``rare_earth_sim/data``.

    Returns
    -------
    str
        The file's contents (UTF-8).

    Raises
    ------
    FileNotFoundError
        If the file is not packaged.
    """
    resource = resources.files(__name__).joinpath(name)
    if not resource.is_file():
        raise FileNotFoundError(f"{name}: no such data file in {__name__}")
    return resource.read_text(encoding="utf-8")


def _read_csv(name: str, columns: Sequence[str]) -> pd.DataFrame:
    """Read ``name`` with every cell as a string and check its columns.

    Parameters
    ----------
    name : str
        File name inside ``rare_earth_sim/data``.
    columns : sequence of str
        Columns that must be present.

    Returns
    -------
    pandas.DataFrame
        Raw frame, all cells ``str`` (empty cells are ``""``), surrounding
        whitespace stripped.

    Raises
    ------
    ValueError
        If the CSV cannot be parsed, is empty, or lacks a required column.
    """
    text = _read_text(name)
    try:
        raw = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"{name}: cannot parse CSV: {exc}") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    for col in columns:
        if col not in raw.columns:
            raise ValueError(f"{name}: missing column {col!r}")
    if raw.empty:
        raise ValueError(f"{name}: no data rows (column {columns[0]!r} is empty)")
    for col in raw.columns:
        raw[col] = raw[col].str.strip()
    return raw


def _error(name: str, col: str, bad: pd.Series, what: str) -> ValueError:
    """Build a ValueError naming the file, the column and the offending cells."""
    shown = ", ".join(f"row {i}: {v!r}" for i, v in bad.head(5).items())
    return ValueError(f"{name}: column {col!r}: {what} ({shown})")


def _text(raw: pd.DataFrame, name: str, col: str, required: bool = False) -> pd.Series:
    """Return column ``col`` as strings, empty cells as missing.

    Raises
    ------
    ValueError
        If ``required`` and a cell is empty.
    """
    s = raw[col]
    empty = s == ""
    if required and empty.any():
        raise _error(name, col, s[empty], "empty cell in a required column")
    return s.where(~empty)


def _resolve_same(raw: pd.DataFrame, name: str, col: str) -> pd.Series:
    """Replace ``"same"`` by the value of the nearest row above.

    The source files write ``same`` for "as the row above" in ``source`` and
    ``status`` columns.

    Raises
    ------
    ValueError
        If the first non-empty cell is ``"same"``.
    """
    out: list[str] = []
    last: str | None = None
    for i, value in raw[col].items():
        if value.lower() == "same":
            if last is None:
                raise _error(
                    name, col, pd.Series({i: value}), "'same' without a row above"
                )
            value = last
        elif value != "":
            last = value
        out.append(value)
    resolved = raw.copy()
    resolved[col] = out
    return _text(resolved, name, col)


def _float(raw: pd.DataFrame, name: str, col: str, required: bool = False) -> pd.Series:
    """Return column ``col`` as ``float64``, empty cells as NaN.

    Raises
    ------
    ValueError
        If a non-empty cell is not a number, or ``required`` and a cell is
        empty.
    """
    s = raw[col]
    filled = s != ""
    if required and not filled.all():
        raise _error(name, col, s[~filled], "empty cell in a required numeric column")
    values = pd.to_numeric(s.where(filled), errors="coerce").astype("float64")
    bad = filled & values.isna()
    if bad.any():
        raise _error(name, col, s[bad], "not a number")
    return values


def _int(raw: pd.DataFrame, name: str, col: str) -> pd.Series:
    """Return column ``col`` as ``int64`` (no missing cells allowed).

    Raises
    ------
    ValueError
        If a cell is empty, not a number, or not a whole number.
    """
    values = _float(raw, name, col, required=True)
    frac = values != np.round(values)
    if frac.any():
        raise _error(name, col, raw[col][frac], "not a whole number")
    return values.astype("int64")


def _bool(raw: pd.DataFrame, name: str, col: str) -> pd.Series:
    """Return a ``true``/``false`` column as ``bool``.

    Raises
    ------
    ValueError
        If a cell is anything other than ``true`` or ``false``
        (case-insensitive).
    """
    lowered = raw[col].str.lower()
    ok = lowered.isin(["true", "false"])
    if not ok.all():
        raise _error(name, col, raw[col][~ok], "expected 'true' or 'false'")
    return (lowered == "true").astype("bool")


def _dates(raw: pd.DataFrame, name: str, col: str, fmt: str = "%Y-%m-%d") -> pd.Series:
    """Return column ``col`` parsed as ``datetime64`` with format ``fmt``.

    Raises
    ------
    ValueError
        If a cell is empty or does not match ``fmt``.
    """
    s = raw[col]
    parsed = pd.to_datetime(s, format=fmt, errors="coerce")
    bad = parsed.isna()
    if bad.any():
        raise _error(name, col, s[bad], f"not a date in format {fmt!r}")
    return parsed


def _partial_dates(raw: pd.DataFrame, name: str, col: str) -> tuple[pd.Series, pd.Series]:
    """Parse ``YYYY-MM-DD`` or ``YYYY-MM`` cells.

    Returns
    -------
    dates : pandas.Series of datetime64
        The day, or the first day of the month for month-only cells.
    precision : pandas.Series of str
        ``"day"`` or ``"month"``.

    Raises
    ------
    ValueError
        If a cell matches neither format.
    """
    s = raw[col]
    day = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    month = pd.to_datetime(s.where(day.isna()), format="%Y-%m", errors="coerce")
    dates = day.fillna(month)
    bad = dates.isna()
    if bad.any():
        raise _error(name, col, s[bad], "not a date (YYYY-MM-DD or YYYY-MM)")
    precision = pd.Series(
        np.where(day.notna(), "day", "month"), index=raw.index, dtype="str"
    )
    return dates, precision


def _low_high(raw: pd.DataFrame, col: str) -> tuple[pd.Series, pd.Series]:
    """Parse a text value column into ``low`` and ``high`` floats.

    A plain number gives ``low == high``; a range ``"a-b"`` gives ``a`` and
    ``b``; anything else (``">=3"``, ``"up to 200"``, lists, prose) gives NaN
    for both.
    """
    parts = raw[col].str.extract(_NUM_OR_RANGE)
    low = pd.to_numeric(parts["low"], errors="coerce").astype("float64")
    high = pd.to_numeric(parts["high"], errors="coerce").astype("float64")
    high = high.fillna(low)
    return low, high


def _finish(df: pd.DataFrame, name: str, units: dict[str, str]) -> pd.DataFrame:
    """Reset the index and attach ``attrs["units"]`` and ``attrs["source"]``."""
    df = df.reset_index(drop=True)
    df.attrs["units"] = {col: units.get(col, _TEXT) for col in df.columns}
    df.attrs["source"] = name
    return df


# --------------------------------------------------------------------------
# public loaders
# --------------------------------------------------------------------------

_PERIOD_PATTERNS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})$"), 1),
    (re.compile(r"^(?P<y>\d{4})-Q(?P<q>[1-4])$"), 3),
    (re.compile(r"^(?P<y>\d{4})-H(?P<h>[12])$"), 6),
    (re.compile(r"^(?P<y>\d{4})$"), 12),
)


def _parse_period(label: str) -> tuple[pd.Timestamp, int] | None:
    """Return (start month, number of months) for a period label, or None."""
    for pattern, months in _PERIOD_PATTERNS:
        match = pattern.match(label)
        if match is None:
            continue
        groups = match.groupdict()
        year = int(groups["y"])
        if groups.get("m") is not None:
            month = int(groups["m"])
            if not 1 <= month <= 12:
                return None
        elif groups.get("q") is not None:
            month = 3 * int(groups["q"]) - 2
        elif groups.get("h") is not None:
            month = 6 * int(groups["h"]) - 5
        else:
            month = 1
        return pd.Timestamp(year=year, month=month, day=1), months
    return None


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
    name = "export_controls_timeline.csv"
    raw = _read_csv(name, ["date", "measure", "content", "source"])
    df = pd.DataFrame(
        {
            "date": _dates(raw, name, "date"),
            "measure": _text(raw, name, "measure", required=True),
            "content": _text(raw, name, "content"),
            "source": _resolve_same(raw, name, "source"),
        }
    ).sort_values("date", kind="stable")
    return _finish(df, name, {"date": "date (Timestamp)"})


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


def _item_value_table(
    name: str, key_cols: Sequence[str], numeric_value: bool
) -> pd.DataFrame:
    """Load a ``<keys>, value, unit, status, source, inferred`` table."""
    raw = _read_csv(name, [*key_cols, "value", "unit", "status", "source", "inferred"])
    data: dict[str, pd.Series] = {
        col: _text(raw, name, col, required=True) for col in key_cols
    }
    if numeric_value:
        data["value"] = _float(raw, name, "value", required=True)
    else:
        data["value"] = _text(raw, name, "value", required=True)
        data["low"], data["high"] = _low_high(raw, "value")
    data |= {
        "unit": _text(raw, name, "unit"),
        "status": _resolve_same(raw, name, "status"),
        "source": _resolve_same(raw, name, "source"),
        "inferred": _bool(raw, name, "inferred"),
    }
    units = {"value": _PER_ROW_UNIT, "inferred": _FLAG}
    if not numeric_value:
        units |= {"low": _PER_ROW_UNIT, "high": _PER_ROW_UNIT}
    return _finish(pd.DataFrame(data), name, units)


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
    name = "downstream_inventory_statements.csv"
    raw = _read_csv(name, ["date", "who", "statement", "source"])
    df = pd.DataFrame(
        {
            "date": _dates(raw, name, "date"),
            "who": _text(raw, name, "who", required=True),
            "statement": _text(raw, name, "statement", required=True),
            "source": _resolve_same(raw, name, "source"),
        }
    ).sort_values("date", kind="stable")
    return _finish(df, name, {"date": "date (Timestamp)"})


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
    name = "licensing_process_2025H1.csv"
    raw = _read_csv(name, ["date", "statement", "source"])
    dates, precision = _partial_dates(raw, name, "date")
    df = pd.DataFrame(
        {
            "date": dates,
            "date_precision": precision,
            "statement": _text(raw, name, "statement", required=True),
            "source": _resolve_same(raw, name, "source"),
        }
    ).sort_values("date", kind="stable")
    return _finish(df, name, {"date": "date (Timestamp)"})


_LOADERS: dict[str, Callable[..., pd.DataFrame]] = {
    "magnet_exports": magnet_exports,
    "quotas": quotas,
    "quota_holders": quota_holders,
    "mine_production": mine_production,
    "controls_timeline": controls_timeline,
    "holidays_china": holidays_china,
    "coefficients": coefficients,
    "vehicle_production": vehicle_production,
    "ore_composition": ore_composition,
    "supply_volumes": supply_volumes,
    "inventory_statements": inventory_statements,
    "licensing_process": licensing_process,
    "exports_by_destination": exports_by_destination,
    "demand_by_sector": demand_by_sector,
}


def list_datasets() -> list[str]:
    """Names of the dataset loaders in this module.

    Returns
    -------
    list of str
        Function names, e.g. ``"magnet_exports"``; each is callable as
        ``getattr(rare_earth_sim.data, name)()`` with default arguments.
    """
    return list(_LOADERS)
