"""What every component shares: the SimPy environment, the ledger, the clock, samplers."""

from __future__ import annotations

import datetime as dt
import itertools
from heapq import heappush
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


_NORMAL: int = simpy.events.NORMAL


class _Call:
    """A scheduled call: a triggered event whose one callback runs ``fn(*args)``.

    Lighter than a ``Timeout`` plus a closure on the hot path; SimPy processes it like a
    timeout (its loop reads ``callbacks`` and ``_ok``). A plain class, not a subclass of
    ``simpy.Event``, so that it compiles to a native class.
    """

    __slots__ = ("callbacks", "_ok", "_value", "fn", "args")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.callbacks: Any = _FIRE
        self._value: Any = None
        self._ok = True
        self.fn, self.args = fn, args


def _tick(ev: "_Periodic") -> None:
    now = ev.t  # == env.now: the time it was scheduled for (the same sum SimPy made)
    ev.fn(now, *ev.args)
    nxt = now + ev.period
    if nxt < ev.until:
        ev.callbacks = _TICK
        ev.t = nxt
        ev.sim.push(nxt, ev)


_TICK = (_tick,)


class _Periodic:
    """A periodic decision: one event object that reschedules itself after each call.

    After SimPy has processed it (its callbacks are spent), the callback re-arms the same
    object, so a campaign or review costs no allocation per period.
    """

    __slots__ = ("callbacks", "_ok", "_value", "sim", "t", "period", "until", "fn", "args")

    def __init__(self, sim: "Sim", first_delay: float, period: float, until: float,
                 fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.sim = sim
        self.callbacks: Any = _TICK
        self._value: Any = None
        self._ok = True
        self.period, self.until, self.fn, self.args = period, until, fn, args
        self.t = sim.env.now + first_delay  # when it fires (read instead of the env.now property)
        sim.push(self.t, self)


class Sim:
    """The shared run-time context of one replication.

    Time is in days (float) from ``origin`` (the scenario start minus its warm-up).
    """

    def __init__(self, origin: dt.date, seed_seq: np.random.SeedSequence, ledger: Ledger | None = None) -> None:
        env = self.env = simpy.Environment()
        # The chain puts its events on SimPy's queue itself (push(): what
        # Environment.schedule does, without a Python call per event); SimPy 4 keeps the
        # queue and the event counter in these two attributes.
        queue, eid = getattr(env, "_queue", None), getattr(env, "_eid", None)
        if not isinstance(queue, list) or eid is None or not isinstance(getattr(env, "_now", None), (int, float)):
            raise RuntimeError(f"rare_earth_sim needs SimPy 4 (found {simpy.__version__}): "
                               "its Environment has no _queue, _eid and _now")
        self._queue: list[tuple[float, int, int, Any]] = queue
        self._eid: Iterator[int] = eid
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

    def push(self, t: float, ev: Any) -> None:
        """Put the triggered event ``ev`` on SimPy's queue for time ``t`` (days, not before now).

        Exactly what ``Environment.schedule(ev, NORMAL, delay)`` does, with ``t`` the sum
        ``now + delay`` it would make (tests/test_build.py compares the two).
        """
        self.events += 1
        heappush(self._queue, (t, _NORMAL, next(self._eid), ev))

    def after(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call ``fn(*args)`` after ``delay`` days (an event with a callback, no process)."""
        self.push(self.env.now + (delay if delay > 0.0 else 0.0), _Call(fn, args))

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
