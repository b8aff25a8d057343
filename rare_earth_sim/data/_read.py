"""CSV reading and column parsing for the loaders of :mod:`rare_earth_sim.data`.

:func:`_read_csv` reads a packaged file with every cell as a stripped string;
the column parsers (:func:`_text`, :func:`_float`, :func:`_int`, :func:`_bool`,
:func:`_dates`, ...) turn one raw column into a typed Series and raise
:class:`ValueError` naming the file and the column; :func:`_finish` attaches
``attrs["units"]`` and ``attrs["source"]``. The table shapes that several
loaders share (:func:`_item_value_table`, :func:`_dated_table`) are here too.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from importlib import resources

import numpy as np
import pandas as pd

# The package whose directory holds the CSV files ("rare_earth_sim.data").
_PACKAGE = __name__.rpartition(".")[0]

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
# readers
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
    resource = resources.files(_PACKAGE).joinpath(name)
    if not resource.is_file():
        raise FileNotFoundError(f"{name}: no such data file in {_PACKAGE}")
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


# --------------------------------------------------------------------------
# column parsers
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# finishing
# --------------------------------------------------------------------------


def _finish(df: pd.DataFrame, name: str, units: dict[str, str]) -> pd.DataFrame:
    """Reset the index and attach ``attrs["units"]`` and ``attrs["source"]``."""
    df = df.reset_index(drop=True)
    df.attrs["units"] = {col: units.get(col, _TEXT) for col in df.columns}
    df.attrs["source"] = name
    return df


# --------------------------------------------------------------------------
# table shapes shared by several loaders
# --------------------------------------------------------------------------


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


def _dated_table(
    name: str, text_cols: dict[str, bool], partial_dates: bool = False
) -> pd.DataFrame:
    """Load a ``date, <text columns>, source`` table, sorted by date (stable).

    Parameters
    ----------
    name : str
        File name inside ``rare_earth_sim/data``.
    text_cols : dict of str to bool
        The text columns between ``date`` and ``source``, in order, each
        mapped to whether an empty cell is an error.
    partial_dates : bool, default False
        If True, ``date`` may also be ``YYYY-MM`` (see
        :func:`_partial_dates`) and a ``date_precision`` column follows it.
    """
    raw = _read_csv(name, ["date", *text_cols, "source"])
    data: dict[str, pd.Series] = {}
    if partial_dates:
        data["date"], data["date_precision"] = _partial_dates(raw, name, "date")
    else:
        data["date"] = _dates(raw, name, "date")
    data |= {col: _text(raw, name, col, required=req) for col, req in text_cols.items()}
    data["source"] = _resolve_same(raw, name, "source")
    df = pd.DataFrame(data).sort_values("date", kind="stable")
    return _finish(df, name, {"date": "date (Timestamp)"})
