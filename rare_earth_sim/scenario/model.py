"""The immutable :class:`Scenario`, TOML loading and overrides."""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
import zlib
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import ScenarioError
from .fields import Uncertain
from .validate import validate

__all__ = ["Scenario", "load_scenario", "list_scenarios", "stream"]


def stream(seed_seq: np.random.SeedSequence, key: str) -> np.random.Generator:
    """An independent generator for ``key`` (a component or a parameter path).

    Keyed by a hash of the name, not by creation order, so adding a component or an
    uncertain parameter never shifts another's draws.
    """
    child = np.random.SeedSequence(
        entropy=seed_seq.entropy,
        spawn_key=tuple(seed_seq.spawn_key) + (zlib.crc32(key.encode()),),
    )
    return np.random.default_rng(child)


def _iter_uncertain(node: Any, path: str = "") -> Iterator[tuple[str, Uncertain]]:
    if isinstance(node, Uncertain):
        yield path, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _iter_uncertain(v, f"{path}.{k}" if path else k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _iter_uncertain(v, f"{path}[{i}]")


def _realize(node: Any, path: str, seed_seq: np.random.SeedSequence | None) -> Any:
    if isinstance(node, Uncertain):
        if seed_seq is None:  # the central value, for deterministic use and displays
            x = node.dist.mean
        else:
            x = float(node.dist.sample(stream(seed_seq, "param:" + path)))
        return int(round(x)) if node.integer else x
    if isinstance(node, dict):
        return {k: _realize(v, f"{path}.{k}" if path else k, seed_seq) for k, v in node.items()}
    if isinstance(node, list):
        return [_realize(v, f"{path}[{i}]", seed_seq) for i, v in enumerate(node)]
    return node


class Scenario:
    """A validated, immutable scenario.

    Build one with :func:`load_scenario` (a built-in name or a TOML path) or
    ``Scenario(dict)``. Derive variants with :meth:`with_overrides`; the original is
    never changed.

    Parameters
    ----------
    raw : dict
        The scenario as read from TOML.
    source : str
        Where it came from (used in error messages).
    """

    __slots__ = ("_raw", "_data", "_source")

    def __init__(self, raw: Mapping[str, Any], source: str = "<dict>") -> None:
        self._raw = copy.deepcopy(dict(raw))
        self._source = source
        self._data = validate(copy.deepcopy(self._raw), source)

    # -- read-only views -------------------------------------------------------------
    @property
    def name(self) -> str:
        """Scenario name (``[scenario] name``)."""
        return str(self._data["scenario"]["name"])

    @property
    def source(self) -> str:
        """File (or description) the scenario was read from."""
        return self._source

    @property
    def start(self) -> dt.date:
        """First reported day."""
        return self._data["scenario"]["start"]  # type: ignore[no-any-return]

    @property
    def end(self) -> dt.date:
        """Last reported day (inclusive)."""
        return self._data["scenario"]["end"]  # type: ignore[no-any-return]

    @property
    def raw(self) -> dict[str, Any]:
        """A copy of the scenario as written (TOML tables as dicts)."""
        return copy.deepcopy(self._raw)

    @property
    def data(self) -> dict[str, Any]:
        """A copy of the validated tree (defaults filled; uncertain values as distributions)."""
        return copy.deepcopy(self._data)

    def uncertain(self) -> pd.DataFrame:
        """The per-replication uncertain parameters: path, distribution, mean."""
        rows = [{"path": p, "distribution": repr(u.dist), "mean": u.dist.mean}
                for p, u in _iter_uncertain(self._data)]
        return pd.DataFrame(rows, columns=["path", "distribution", "mean"])

    def realize(self, seed_seq: np.random.SeedSequence | None = None) -> dict[str, Any]:
        """The tree with each uncertain parameter drawn for one replication.

        Each parameter draws from its own stream keyed by its path. With
        ``seed_seq=None`` every uncertain parameter takes its mean.
        """
        return _realize(self._data, "", seed_seq)

    # -- variants ----------------------------------------------------------------------
    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A new scenario with some fields replaced; this one is unchanged.

        Parameters
        ----------
        overrides : mapping
            ``{"demand.automakers.ford.stock_days": 60}``: dotted paths; entries of
            arrays are addressed by their ``id`` or an integer index. Values may be
            numbers, strings, dates, tables (distributions) or arrays.

        Raises
        ------
        ScenarioError
            For a path that does not exist or a value the schema rejects.
        """
        raw = copy.deepcopy(self._raw)
        label = f"{self._source} (with overrides)"
        for path, value in overrides.items():
            _set_path(raw, path, value, label)
        return Scenario(raw, label)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scenario) and self._raw == other._raw

    def __hash__(self) -> int:
        return hash(repr(sorted(self._raw)))

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}, {self.start} .. {self.end}, source={self._source!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Scenario, (self._raw, self._source))


def _set_path(raw: dict[str, Any], path: str, value: Any, source: str) -> None:
    parts = path.replace("[", ".").replace("]", "").split(".")
    node: Any = raw
    walked = ""
    for i, key in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            idx = None
            if key.isdigit() and int(key) < len(node):
                idx = int(key)
            else:
                for j, item in enumerate(node):
                    if isinstance(item, dict) and item.get("id") == key:
                        idx = j
                        break
            if idx is None:
                ids = [it.get("id") for it in node if isinstance(it, dict)]
                raise ScenarioError(source, path, f"{walked} has no entry {key!r}",
                                    f"an id among {ids} or an index below {len(node)}")
            if last:
                node[idx] = value
                return
            node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[key] = value
                return
            if key not in node:
                raise ScenarioError(source, path, f"{walked or '<top level>'} has no key {key!r}",
                                    "keys " + ", ".join(map(str, node)))
            node = node[key]
        else:
            raise ScenarioError(source, path, f"{walked} is a value, not a table", "a path to a table entry")
        walked = f"{walked}.{key}" if walked else key


# -- loading --------------------------------------------------------------------------------
_BUILTIN = "rare_earth_sim.scenarios"


def list_scenarios() -> list[str]:
    """Names of the built-in scenarios (``rare_earth_sim/scenarios/*.toml``)."""
    files = resources.files(_BUILTIN).iterdir()
    return sorted(f.name[:-5] for f in files if f.name.endswith(".toml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a built-in scenario by name, or a scenario TOML file by path.

    Raises
    ------
    ScenarioError
        If the name is unknown, the file cannot be read or parsed, or a field is invalid.
    """
    key = str(name_or_path)
    source = f"{key}.toml (built-in)" if key in list_scenarios() else key
    return Scenario(load_scenario_raw(key), source)


def _resolve_extends(raw: dict[str, Any], source: str, folder: Path | None, chain: list[str]) -> dict[str, Any]:
    """Merge a file that says ``[scenario] extends = "NAME_OR_PATH"`` onto its parent.

    Tables merge key by key; arrays of tables whose entries have ``id`` merge by id (an
    entry with a new id is appended); any other value, arrays included, replaces.
    """
    head = raw.get("scenario", {})
    parent_ref = head.get("extends") if isinstance(head, dict) else None
    if parent_ref is None:
        return raw
    if not isinstance(parent_ref, str):
        raise ScenarioError(source, "scenario.extends", f"expected a string, got {parent_ref!r}",
                            "a built-in scenario name or a path to a .toml file")
    if parent_ref in chain:
        raise ScenarioError(source, "scenario.extends", f"extends itself through {' -> '.join(chain)}",
                            "a chain of scenarios without a cycle")
    ref = parent_ref
    if parent_ref not in list_scenarios() and folder is not None and not Path(parent_ref).is_absolute():
        ref = str(folder / parent_ref)
    try:
        parent = load_scenario_raw(ref, chain + [parent_ref])
    except ScenarioError as exc:
        if exc.source != ref and exc.path:  # an invalid field further up the chain: name that file
            raise
        raise ScenarioError(source, "scenario.extends", f"cannot load {parent_ref!r}: {exc}",
                            "a built-in scenario name or a path to a .toml file") from None
    # A parent is a scenario in its own right: its errors are reported against its own file.
    parent_source = f"{parent_ref}.toml (built-in)" if parent_ref in list_scenarios() else ref
    validate(copy.deepcopy(parent), parent_source)
    child = copy.deepcopy(raw)
    del child["scenario"]["extends"]
    return _merge(parent, child)


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v) if k in base else v
        return out
    if (isinstance(base, list) and isinstance(over, list) and over
            and all(isinstance(x, dict) and "id" in x for x in base + over)):
        out_list = [dict(x) for x in base]
        index = {x["id"]: i for i, x in enumerate(out_list)}
        for x in over:
            if x["id"] in index:
                out_list[index[x["id"]]] = _merge(out_list[index[x["id"]]], x)
            else:
                out_list.append(x)
        return out_list
    return copy.deepcopy(over)


def load_scenario_raw(name_or_path: str, chain: list[str] | None = None) -> dict[str, Any]:
    """The merged TOML tree of a scenario (``extends`` resolved), not yet validated."""
    key = str(name_or_path)
    if key in list_scenarios():
        source = f"{key}.toml (built-in)"
        text = resources.files(_BUILTIN).joinpath(f"{key}.toml").read_text(encoding="utf-8")
        folder = None
    else:
        path = Path(key)
        if not path.is_file():
            raise ScenarioError(key, "", "is neither a built-in scenario nor a readable file",
                                "one of " + ", ".join(list_scenarios()) + ", or a path to a .toml file")
        source, folder = str(path), path.parent
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(source, "", f"cannot be read: {exc}", "a UTF-8 TOML file") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "", f"is not valid TOML: {exc}", "TOML 1.0 syntax") from None
    return _resolve_extends(raw, source, folder, chain or [key])

