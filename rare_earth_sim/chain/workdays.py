"""Working-day arithmetic for licence reviews (numpy business-day calendar).

Review times are stated in *working days*. We map simulation time (days, float) to
cumulative working time, which is piecewise linear: slope 1 on a working day, 0 on a
weekend or holiday. Adding ``w`` working days is then one table look-up each way, so a
review that starts on a Friday evening and lasts 2.5 working days ends on Wednesday noon.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

__all__ = ["WorkingCalendar"]


class WorkingCalendar:
    """Working days from ``origin`` over ``days`` calendar days.

    Parameters
    ----------
    origin : datetime.date
        Date of simulation time 0.
    days : int
        Calendar days covered (reviews may end after the horizon; cover generously).
    weekmask : str
        Seven characters Mon..Sun, ``"1"`` for a working day (numpy ``busdaycalendar``).
    holidays : sequence of date
        Days off that would otherwise be working days.
    makeup_workdays : sequence of date
        Weekend days worked in lieu of a holiday (China's "adjusted working days").
    """

    def __init__(self, origin: dt.date, days: int, weekmask: str = "1111100",
                 holidays: Sequence[dt.date] = (), makeup_workdays: Sequence[dt.date] = ()) -> None:
        self.origin = np.datetime64(origin, "D")
        dates = self.origin + np.arange(days)
        cal = np.busdaycalendar(weekmask=weekmask, holidays=[np.datetime64(h, "D") for h in holidays])
        work = np.is_busday(dates, busdaycal=cal)
        if len(makeup_workdays):
            work |= np.isin(dates, np.array([np.datetime64(m, "D") for m in makeup_workdays]))
        self.work = work.astype(float)
        #: cumulative working days at the start of each calendar day (length days + 1)
        self.cum = np.concatenate([[0.0], np.cumsum(self.work)])
        self._end = self.cum[1:]  # cumulative working days at the end of each day
        if self.cum[-1] == 0:
            raise ValueError("the working calendar has no working day (check calendar.weekmask)")

    def working_time(self, t: float) -> float:
        """Working days elapsed from time 0 to simulation time ``t`` (days)."""
        k = int(t)
        if k >= len(self.work):
            k = len(self.work) - 1
        return float(self.cum[k] + self.work[k] * (t - k))

    def add(self, t: float, working_days: float) -> float:
        """Simulation time at which ``working_days`` of work, started at ``t``, is done."""
        w = self.working_time(t) + working_days
        k = int(np.searchsorted(self._end, w, side="left"))
        if working_days == 0:
            return t
        if k >= len(self.work):
            raise ValueError("review ends beyond the working calendar; extend its days")
        return float(k + (w - self.cum[k]))

    def is_working(self, t: float) -> bool:
        """Whether simulation day ``floor(t)`` is a working day."""
        return bool(self.work[int(t)])
