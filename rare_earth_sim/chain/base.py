"""What every component shares: the SimPy environment, the ledger, the clock, samplers."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import simpy

from ..ledger import Ledger
from ..scenario.distributions import Distribution, Fixed
from ..scenario.model import stream

__all__ = ["Sim", "sampler"]


def _blocks(dist: Distribution, rng: np.random.Generator, block: int) -> Iterator[list[float]]:
    # Blocks double up to 8192: a sampler used a few times draws little, a busy one
    # rarely pays the fixed cost of a draw call. The block sizes are a fixed sequence, so
    # a seed still gives the same draws.
    while True:
        yield np.asarray(dist.sample(rng, size=block), dtype=float).tolist()
        block = min(2 * block, 8192)


def sampler(dist: Distribution, rng: np.random.Generator, block: int = 64) -> Iterator[float]:
    """An endless iterator of draws of a per-event distribution: ``next(it)`` is one draw.

    Draws come in growing blocks (from ``block``) from the component's own stream; the
    iterator steps through each block in C (no Python frame per draw: this is called for
    every shipment). A fixed value costs nothing to draw.
    """
    if isinstance(dist, Fixed):
        return itertools.repeat(float(dist.value))
    # chain steps through each block's list in C and resumes the generator once a block
    return itertools.chain.from_iterable(_blocks(dist, rng, block))


def _fire(ev: "_Call") -> None:
    ev.fn(*ev.args)


_FIRE = (_fire,)  # one shared callbacks tuple: SimPy only iterates it


class _Call:
    """A scheduled call: a triggered event whose one callback runs ``fn(*args)``.

    Lighter than a ``Timeout`` plus a closure on the hot path; SimPy processes it like a
    timeout (its loop reads ``callbacks`` and ``_ok``). A plain class, not a subclass of
    ``simpy.Event``, so that it compiles to a native class.
    """

    __slots__ = ("callbacks", "_ok", "_value", "fn", "args")

    def __init__(self, env: simpy.Environment, delay: float, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.callbacks: Any = _FIRE
        self._value: Any = None
        self._ok = True
        self.fn, self.args = fn, args
        env.schedule(self, simpy.events.NORMAL, delay)  # type: ignore[arg-type]


def _tick(ev: "_Periodic") -> None:
    now = ev.env.now
    ev.fn(now, *ev.args)
    nxt = now + ev.period
    if nxt < ev.until:
        ev.callbacks = _TICK
        ev.sim.events += 1
        ev.env.schedule(ev, simpy.events.NORMAL, ev.period)  # type: ignore[arg-type]


_TICK = (_tick,)


class _Periodic:
    """A periodic decision: one event object that reschedules itself after each call.

    After SimPy has processed it (its callbacks are spent), the callback re-arms the same
    object, so a campaign or review costs no allocation per period.
    """

    __slots__ = ("callbacks", "_ok", "_value", "env", "sim", "period", "until", "fn", "args")

    def __init__(self, sim: "Sim", first_delay: float, period: float, until: float,
                 fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.env, self.sim = sim.env, sim
        self.callbacks: Any = _TICK
        self._value: Any = None
        self._ok = True
        self.period, self.until, self.fn, self.args = period, until, fn, args
        sim.events += 1
        sim.env.schedule(self, simpy.events.NORMAL, first_delay)  # type: ignore[arg-type]


class Sim:
    """The shared run-time context of one replication.

    Time is in days (float) from ``origin`` (the scenario start minus its warm-up).
    """

    def __init__(self, origin: dt.date, seed_seq: np.random.SeedSequence, ledger: Ledger | None = None) -> None:
        self.env = simpy.Environment()
        self.origin = origin
        self.seed_seq = seed_seq
        self.ledger = ledger if ledger is not None else Ledger()
        self.events = 0  # events scheduled (the engine subtracts those left at the end: processed)
        self.until = float("inf")  # end of the run (days), set by the engine
        self._ids: dict[str, int] = {}  # node and material names -> ledger ids, see flow()
        self._put = self.ledger.put

    def flow(self, t: float, src: str, dst: str, material: str, qty: float) -> None:
        """Book ``qty`` t of ``material`` moving from ``src`` to ``dst`` at ``t`` (if > 0).

        As :meth:`Ledger.flow <rare_earth_sim.ledger.Ledger.flow>`, for the components'
        periodic bookings: the names' ids are cached here, in the compiled chain.
        """
        if qty > 0.0:
            ids = self._ids
            a, b, m = ids.get(src), ids.get(dst), ids.get(material)
            if a is None or b is None or m is None:
                led = self.ledger
                a = ids[src] = led.id(src)
                b = ids[dst] = led.id(dst)
                m = ids[material] = led.id(material)
            self._put([t, a, b, m, qty])

    def t(self, day: dt.date) -> float:
        """Simulation time (days) of a calendar date."""
        return float((day - self.origin).days)

    def rng(self, key: str) -> np.random.Generator:
        """The independent stream of component ``key``."""
        return stream(self.seed_seq, key)

    def sampler(self, dist: Distribution, key: str) -> Iterator[float]:
        """Draws of ``dist`` on the stream of component ``key`` (``next(it)``: the next one)."""
        return sampler(dist, self.rng(key))

    def after(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call ``fn(*args)`` after ``delay`` days (an event with a callback, no process)."""
        self.events += 1
        _Call(self.env, delay if delay > 0.0 else 0.0, fn, args)

    def at(self, t: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call ``fn(*args)`` at simulation time ``t`` (now if ``t`` is past)."""
        self.after(t - self.env.now, fn, *args)

    def every(self, first: float, period: float, fn: Callable[..., Any], until: float, *args: Any) -> None:
        """Call ``fn(now, *args)`` at ``first``, ``first + period``, ... while before ``until``.

        For genuine periodic decisions (production campaigns, stock reviews), not polling.
        """
        if first < until:
            now = self.env.now
            _Periodic(self, first - now if first > now else 0.0, period, until, fn, args)
