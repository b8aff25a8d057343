"""Per-event sampling: the numpy fast paths draw exactly what scipy.stats draws.

`Distribution.sample` skips scipy's per-call argument checks for common distributions
by calling the numpy Generator method scipy's ``_rvs`` calls. If a scipy release changed
how one of them draws, these tests fail, and the fast path must follow or be dropped.
"""

from __future__ import annotations

import numpy as np
import pytest

from rare_earth_sim.chain.base import sampler
from rare_earth_sim.scenario.distributions import _NUMPY_RVS, Distribution, Fixed

CASES = {
    "uniform": [{"loc": 2.0, "scale": 4.0}, {}],
    "triang": [{"c": 0.8, "loc": 32.0, "scale": 16.0}, {"c": 0.0}, {"c": 1.0, "scale": 3.0}],
    "lognorm": [{"s": 0.35, "scale": 45.0}, {"s": 1.2, "loc": -3.0}],
    "expon": [{"scale": 12.0}, {"loc": 1.0}],
    "norm": [{"loc": 5.0, "scale": 2.0}, {}],
    "gamma": [{"a": 0.7, "scale": 3.0}, {"a": 9.0, "loc": 2.0}],
}


def test_every_fast_path_is_tested() -> None:
    assert set(CASES) == set(_NUMPY_RVS)


@pytest.mark.parametrize(("name", "params"), [(n, p) for n, ps in CASES.items() for p in ps])
@pytest.mark.parametrize("size", [1, 7, 64, 1000])
def test_fast_path_is_bit_identical_to_scipy(name: str, params: dict[str, float], size: int) -> None:
    d = Distribution(name, params)
    ours = d.sample(np.random.default_rng(42), size=size)
    theirs = d.frozen.rvs(size=size, random_state=np.random.default_rng(42))
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize(("name", "params"), [("triang", {"c": 0.7, "loc": 16.0, "scale": 30.0}),
                                              ("lognorm", {"s": 0.3, "scale": 30.0}),
                                              ("truncnorm", {"a": -2.0, "b": 2.0, "loc": 5.0})])
def test_sampler_blocks_equal_one_long_draw(name: str, params: dict[str, float]) -> None:
    """Growing blocks consume the stream in order: 3,000 draws equal one draw of 3,000."""
    d = Distribution(name, params)
    draw = sampler(d, np.random.default_rng(7), block=16).__next__
    got = np.array([draw() for _ in range(3000)])
    np.testing.assert_array_equal(got, d.frozen.rvs(size=3000, random_state=np.random.default_rng(7)))


def test_fixed_sampler_returns_its_value() -> None:
    draw = sampler(Fixed(2.5), np.random.default_rng(0)).__next__
    assert [draw() for _ in range(3)] == [2.5, 2.5, 2.5]


@pytest.mark.parametrize(("name", "params"), [("lognorm", {"s": 0.0}), ("norm", {"scale": -2.0}),
                                              ("triang", {"c": 2.0}), ("gamma", {"a": -1.0})])
def test_invalid_parameters_still_raise_as_scipy_does(name: str, params: dict[str, float]) -> None:
    """A Distribution built directly (not through a scenario file) with parameters scipy
    rejects must not sample silently through the fast path."""
    with pytest.raises(ValueError):
        Distribution(name, params).sample(np.random.default_rng(0), size=5)
