"""Distributions written in scenario files.

A numeric scenario value may be a table naming a ``scipy.stats`` distribution and its
parameters, e.g. ``{ dist = "lognorm", s = 0.35, scale = 45 }``.  We wrap the frozen
scipy distribution so that components can ask for its mean and draw from the
replication's own ``numpy.random.Generator`` (never global state), in blocks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import scipy.stats as st

__all__ = ["Distribution", "Fixed", "make_distribution", "ALLOWED_DISTS"]

#: scipy.stats names accepted in scenario files, with the parameters each takes.
ALLOWED_DISTS: dict[str, tuple[str, ...]] = {
    "uniform": ("loc", "scale"),
    "triang": ("c", "loc", "scale"),
    "norm": ("loc", "scale"),
    "truncnorm": ("a", "b", "loc", "scale"),
    "lognorm": ("s", "loc", "scale"),
    "gamma": ("a", "loc", "scale"),
    "expon": ("loc", "scale"),
    "beta": ("a", "b", "loc", "scale"),
    "weibull_min": ("c", "loc", "scale"),
    "poisson": ("mu", "loc"),
    "randint": ("low", "high"),
}
_REQUIRED = {
    "uniform": (),
    "triang": ("c",),
    "norm": (),
    "truncnorm": ("a", "b"),
    "lognorm": ("s",),
    "gamma": ("a",),
    "expon": (),
    "beta": ("a", "b"),
    "weibull_min": ("c",),
    "poisson": ("mu",),
    "randint": ("low", "high"),
}


# scipy.stats' rvs spends ~50 us per call checking its arguments (already checked when
# the scenario was read). For these distributions we call the same numpy Generator
# method scipy's ``_rvs`` calls, then ``* scale + loc`` as scipy does: the draws are
# bit-identical (tests/test_sampling.py pins this against the installed scipy).
_NUMPY_RVS: dict[str, Callable[[np.random.Generator, Mapping[str, float], int], np.ndarray]] = {
    "uniform": lambda rng, p, n: rng.uniform(0.0, 1.0, n),
    "triang": lambda rng, p, n: rng.triangular(0, p["c"], 1, n),
    "lognorm": lambda rng, p, n: np.exp(p["s"] * rng.standard_normal(n)),
    "expon": lambda rng, p, n: rng.standard_exponential(n),
    "norm": lambda rng, p, n: rng.standard_normal(n),
    "gamma": lambda rng, p, n: rng.standard_gamma(p["a"], n),
}


@dataclass(frozen=True)
class Distribution:
    """A scipy.stats distribution named in a scenario file.

    Parameters
    ----------
    name : str
        A ``scipy.stats`` distribution name (see :data:`ALLOWED_DISTS`).
    params : dict
        Its parameters (``loc``, ``scale``, shape parameters).
    """

    name: str
    params: Mapping[str, float] = field(default_factory=dict)

    @cached_property
    def frozen(self) -> Any:
        """The frozen ``scipy.stats`` distribution (built once: building is slow)."""
        return getattr(st, self.name)(**dict(self.params))

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name, "params": dict(self.params)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        object.__setattr__(self, "name", state["name"])
        object.__setattr__(self, "params", state["params"])

    @property
    def mean(self) -> float:
        """Mean of the distribution (same unit as the field)."""
        return float(self.frozen.mean())

    @property
    def variance(self) -> float:
        """Variance of the distribution (unit squared)."""
        return float(self.frozen.var())

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        """Draw from the distribution with the caller's generator."""
        if size is not None and self._fast is not None:
            p = self.params
            return self._fast(rng, p, size) * p.get("scale", 1.0) + p.get("loc", 0.0)
        return self.frozen.rvs(size=size, random_state=rng)

    @cached_property
    def _fast(self) -> Callable[[np.random.Generator, Mapping[str, float], int], np.ndarray] | None:
        """The numpy fast path, only for parameters scipy accepts (else scipy's rvs raises)."""
        fast = _NUMPY_RVS.get(self.name)
        if fast is None or not self.params.get("scale", 1.0) > 0.0:
            return None
        # scipy gives a NaN mean for shape parameters it rejects (as make_distribution checks)
        return fast if math.isfinite(self.mean) else None

    def support(self) -> tuple[float, float]:
        lo, hi = self.frozen.support()
        return float(lo), float(hi)

    def to_toml(self) -> dict[str, Any]:
        return {"dist": self.name, **dict(self.params)}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.name}({args})"


@dataclass(frozen=True)
class Fixed(Distribution):
    """A degenerate distribution: always ``value``."""

    value: float = 0.0

    def __init__(self, value: float) -> None:
        object.__setattr__(self, "name", "fixed")
        object.__setattr__(self, "params", {"value": float(value)})
        object.__setattr__(self, "value", float(value))

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        if size is None:
            return self.value
        return np.full(size, self.value)

    def support(self) -> tuple[float, float]:
        return self.value, self.value

    def to_toml(self) -> Any:
        return self.value

    def __repr__(self) -> str:
        return f"{self.value:g}"


def make_distribution(spec: Mapping[str, Any]) -> Distribution:
    """Build a :class:`Distribution` from a scenario table; raise ``ValueError`` with the reason.

    The caller turns the ``ValueError`` into a :class:`ScenarioError` with the field path.
    """
    name = spec.get("dist")
    if not isinstance(name, str) or name not in ALLOWED_DISTS:
        raise ValueError(
            f"unknown distribution {name!r}; allowed: {', '.join(sorted(ALLOWED_DISTS))}"
        )
    allowed = ALLOWED_DISTS[name]
    params: dict[str, float] = {}
    for key, value in spec.items():
        if key == "dist":
            continue
        if key not in allowed:
            raise ValueError(
                f"{name} takes parameters {', '.join(allowed)}; got unknown parameter {key!r}"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"parameter {key!r} of {name} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"parameter {key!r} of {name} must be finite")
        params[key] = float(value)
    missing = [p for p in _REQUIRED[name] if p not in params]
    if missing:
        raise ValueError(f"{name} needs parameter(s) {', '.join(missing)}")
    if params.get("scale", 1.0) <= 0:
        raise ValueError(f"scale of {name} must be > 0")
    dist = Distribution(name, params)
    try:
        m = dist.mean
    except Exception as exc:  # scipy rejects invalid shape parameters
        raise ValueError(f"invalid parameters for {name}: {exc}") from None
    if not math.isfinite(m):
        raise ValueError(f"{name}{dict(params)} has no finite mean; check its parameters")
    return dist
