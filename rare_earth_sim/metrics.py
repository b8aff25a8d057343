"""Resilience metrics from stockout intervals: TTS and TTR (after Simchi-Levi).

Times are days (float). An interval is ``(start, end)`` with ``end = inf`` when the
stockout is still going on at the end of the run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["time_to_survive", "time_to_recover"]


def time_to_survive(intervals: Sequence[tuple[float, float]], disruption_start: float) -> float:
    """Days from the disruption's start to the first stockout that starts at or after it.

    Returns ``inf`` if there is none. A stockout already going on when the disruption
    starts gives 0.
    """
    best = math.inf
    for a, b in intervals:
        if a <= disruption_start < b:
            return 0.0
        if a >= disruption_start:
            best = min(best, a - disruption_start)
    return best


def time_to_recover(intervals: Sequence[tuple[float, float]], disruption_start: float,
                    disruption_end: float) -> float:
    """Days from the disruption's end until full production returns for good.

    Full production returns at the end of the last stockout that ends after the
    disruption started; TTR is that time minus the disruption's end, at least 0.
    ``inf`` if the automaker is still in stockout at the end of the run; 0 if no
    stockout touched the disruption or what followed it.
    """
    last = -math.inf
    for a, b in intervals:
        if b > disruption_start:
            last = max(last, b)
    if last == -math.inf:
        return 0.0
    if math.isinf(last):
        return math.inf
    return max(0.0, last - disruption_end)
