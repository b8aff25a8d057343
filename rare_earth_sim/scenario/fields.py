"""Field specifications: the vocabulary the scenario schema is written in.

Each field knows its type, unit, default, allowed range and description, so the one
schema table (:mod:`rare_earth_sim.scenario.schema`) drives validation, defaults and
documentation alike (the PyPSA ``component_attrs`` habit).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .distributions import Distribution, Fixed, make_distribution
from .errors import ScenarioError

__all__ = [
    "REQUIRED", "Num", "Str", "Bool", "Date", "Ref", "Table", "MapOf", "ListOf",
    "TableArray", "Uncertain", "Context",
]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Uncertain:
    """A per-replication uncertain value: sampled once per replication by ``Scenario.realize``."""

    dist: Distribution
    integer: bool = False

    def __repr__(self) -> str:
        return f"Uncertain({self.dist!r})"


@dataclass
class Context:
    """What a validation pass needs besides the value: the file name for messages."""

    source: str

    def error(self, path: str, problem: str, allowed: str = "") -> ScenarioError:
        return ScenarioError(self.source, path, problem, allowed)


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__


@dataclass(frozen=True)
class Field:
    desc: str = ""
    default: Any = REQUIRED

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def kind(self) -> str:
        return type(self).__name__.lower()


@dataclass(frozen=True)
class Num(Field):
    """A number with a unit.

    ``uncertain`` lets the file give a distribution sampled once per replication;
    ``per_event`` makes the value a distribution sampled for every event (a number
    becomes a fixed distribution).
    """

    unit: str = ""
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    integer: bool = False
    uncertain: bool = True
    per_event: bool = False

    def allowed(self) -> str:
        lo = "-inf" if self.min is None else f"{self.min:g}"
        hi = "inf" if self.max is None else f"{self.max:g}"
        br = "(" if self.min_exclusive else "["
        kind = "a whole number" if self.integer else "a number"
        text = f"{kind} in {br}{lo}, {hi}]" + (f" ({self.unit})" if self.unit else "")
        if self.uncertain or self.per_event:
            text += ", or a distribution table such as { dist = \"triang\", c = 0.5, loc = 1, scale = 2 }"
        return text

    def _check_range(self, x: float, ctx: Context, path: str, what: str = "value") -> None:
        if not math.isfinite(x):
            raise ctx.error(path, f"{what} {x!r} is not finite", self.allowed())
        if self.min is not None and (x < self.min or (self.min_exclusive and x <= self.min)):
            raise ctx.error(path, f"{what} {x:g} is below the minimum", self.allowed())
        if self.max is not None and x > self.max:
            raise ctx.error(path, f"{what} {x:g} is above the maximum", self.allowed())

    def validate(self, value: Any, ctx: Context, path: str) -> Any:
        if isinstance(value, dict) and (self.uncertain or self.per_event):
            try:
                dist = make_distribution(value)
            except ValueError as exc:
                raise ctx.error(path, str(exc), self.allowed()) from None
            lo, hi = dist.support()
            # The whole support must be allowed, so no draw can ever be invalid.
            if self.min is not None and lo < self.min:
                raise ctx.error(
                    path, f"{dist!r} can draw values below {self.min:g} (support starts at {lo:g})",
                    "a distribution whose support lies inside the allowed range (use truncnorm, "
                    "triang, uniform or a loc shift); " + self.allowed(),
                )
            if self.max is not None and hi > self.max:
                raise ctx.error(
                    path, f"{dist!r} can draw values above {self.max:g} (support ends at {hi:g})",
                    "a distribution whose support lies inside the allowed range; " + self.allowed(),
                )
            if self.per_event:
                return dist
            return Uncertain(dist, self.integer)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ctx.error(path, f"expected a number, got {_type_name(value)} {value!r}", self.allowed())
        if self.integer and not float(value).is_integer():
            raise ctx.error(path, f"expected a whole number, got {value!r}", self.allowed())
        x = float(value)
        self._check_range(x, ctx, path)
        if self.per_event:
            return Fixed(x)
        return int(x) if self.integer else x


@dataclass(frozen=True)
class Str(Field):
    choices: tuple[str, ...] | None = None

    def allowed(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices) if self.choices else "a string"

    def validate(self, value: Any, ctx: Context, path: str) -> Any:
        if not isinstance(value, str):
            raise ctx.error(path, f"expected a string, got {_type_name(value)} {value!r}", self.allowed())
        if self.choices is not None and value not in self.choices:
            raise ctx.error(path, f"{value!r} is not allowed", self.allowed())
        return value


@dataclass(frozen=True)
class Bool(Field):
    def validate(self, value: Any, ctx: Context, path: str) -> Any:
        if not isinstance(value, bool):
            raise ctx.error(path, f"expected true or false, got {_type_name(value)} {value!r}", "true or false")
        return value


@dataclass(frozen=True)
class Date(Field):
    """A calendar date: a TOML date (2025-04-04) or the string "2025-04-04"."""

    def validate(self, value: Any, ctx: Context, path: str) -> Any:
        allowed = "a date such as 2025-04-04 (TOML date or \"YYYY-MM-DD\" string)"
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise ctx.error(path, f"{value!r} is not a date", allowed) from None
        raise ctx.error(path, f"expected a date, got {_type_name(value)} {value!r}", allowed)


@dataclass(frozen=True)
class Ref(Field):
    """The id of an item defined elsewhere in the file (checked after the whole file is read)."""

    target: str = ""

    def validate(self, value: Any, ctx: Context, path: str) -> Any:
        if not isinstance(value, str):
            raise ctx.error(path, f"expected the id of one of {self.target}, got {_type_name(value)} {value!r}",
                            f"an id defined in {self.target}")
        return value


@dataclass(frozen=True)
class Table(Field):
    fields: Mapping[str, Field] = field(default_factory=dict)

    def validate(self, value: Any, ctx: Context, path: str) -> Any:
        if not isinstance(value, dict):
            raise ctx.error(path, f"expected a table, got {_type_name(value)} {value!r}",
                            "a table with keys " + ", ".join(self.fields))
        unknown = [k for k in value if k not in self.fields]
        if unknown:
            p = f"{path}.{unknown[0]}" if path else unknown[0]
            raise ctx.error(p, f"unknown key {unknown[0]!r}", "keys " + ", ".join(self.fields))
        out: dict[str, Any] = {}
        for key, spec in self.fields.items():
            p = f"{path}.{key}" if path else key
            if key in value:
                out[key] = spec.validate(value[key], ctx, p)
            elif spec.required:
                raise ctx.error(p, "is missing", describe(spec))
            else:
                default = spec.default
                out[key] = spec.validate(default, ctx, p) if default is not None else None
        return out


@dataclass(frozen=True)
class MapOf(Field):
    """A table with free keys (or keys from ``keys``) and values of one kind."""

    value: Field = field(default_factory=Field)
    keys: tuple[str, ...] | None = None

    def validate(self, value: Any, ctx: Context, path: str) -> Any:
        if not isinstance(value, dict):
            raise ctx.error(path, f"expected a table, got {_type_name(value)} {value!r}", describe(self))
        out = {}
        for key, item in value.items():
            if self.keys is not None and key not in self.keys:
                raise ctx.error(f"{path}.{key}", f"unknown key {key!r}", "keys " + ", ".join(self.keys))
            out[key] = self.value.validate(item, ctx, f"{path}.{key}")
        return out


@dataclass(frozen=True)
class ListOf(Field):
    item: Field = field(default_factory=Field)
    min_len: int = 0

    def validate(self, value: Any, ctx: Context, path: str) -> Any:
        if not isinstance(value, list):
            raise ctx.error(path, f"expected an array, got {_type_name(value)} {value!r}", describe(self))
        if len(value) < self.min_len:
            raise ctx.error(path, f"has {len(value)} entries", f"at least {self.min_len}")
        return [self.item.validate(v, ctx, f"{path}[{i}]") for i, v in enumerate(value)]


@dataclass(frozen=True)
class TableArray(Field):
    """An array of tables (``[[mines]]``); with ``keyed`` every entry has a unique ``id``."""

    item: Table = field(default_factory=Table)
    keyed: bool = True

    def validate(self, value: Any, ctx: Context, path: str) -> Any:
        if not isinstance(value, list):
            raise ctx.error(path, f"expected an array of tables, got {_type_name(value)}",
                            f"[[{path}]] entries")
        out = [self.item.validate(v, ctx, f"{path}[{i}]") for i, v in enumerate(value)]
        if self.keyed:
            seen: dict[str, int] = {}
            for i, v in enumerate(out):
                if v["id"] in seen:
                    raise ctx.error(f"{path}[{i}].id", f"duplicate id {v['id']!r} (also {path}[{seen[v['id']]}])",
                                    "ids unique within the array")
                seen[v["id"]] = i
        return out


def describe(spec: Field) -> str:
    """One line saying what a field accepts (used in error messages and docs)."""
    if hasattr(spec, "allowed"):
        return spec.allowed()  # type: ignore[no-any-return]
    if isinstance(spec, Table):
        return "a table with keys " + ", ".join(spec.fields)
    if isinstance(spec, TableArray):
        return "an array of tables with keys " + ", ".join(spec.item.fields)
    if isinstance(spec, ListOf):
        return "an array"
    if isinstance(spec, MapOf):
        return "a table" + (" with keys " + ", ".join(spec.keys) if spec.keys else "")
    if isinstance(spec, Bool):
        return "true or false"
    if isinstance(spec, Date):
        return "a date such as 2025-04-04"
    if isinstance(spec, Ref):
        return f"an id defined in {spec.target}"
    return spec.kind()
