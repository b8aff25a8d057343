"""Properties of :func:`allocate` and edge cases of :class:`WorkingCalendar`.

``allocate`` splits a short supply between open orders; whatever the rule it must hand
out exactly ``min(supply, total)``, never more than an order asks for, and respect the
rule's order (oldest first, rank first, or in proportion).

``WorkingCalendar.add`` turns a review of ``w`` working days started at simulation time
``t`` into the calendar time it ends. It is checked here on hand-worked cases (weekends,
holidays, China's make-up working days) and, with hypothesis, against a plain day-by-day
reference implementation written independently below.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rare_earth_sim.chain.allocation import RULES, allocate
from rare_earth_sim.chain.workdays import WorkingCalendar

# ---------------------------------------------------------------- allocate

_qty = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)
_requests = st.lists(_qty, min_size=0, max_size=12)
_supply = st.floats(min_value=-10.0, max_value=2e6, allow_nan=False, allow_infinity=False)


def _close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, scale)


@st.composite
def _case(draw: st.DrawFn) -> tuple[list[float], float, str, list[int]]:
    reqs = draw(_requests)
    prios = draw(st.lists(st.integers(1, 4), min_size=len(reqs), max_size=len(reqs)))
    rule = draw(st.sampled_from(RULES))
    # Supplies near the total are where rounding bites: mix them in often.
    total = sum(reqs)
    supply = draw(st.one_of(_supply, st.just(total), st.floats(0.0, 1.0).map(lambda f: f * total)))
    return reqs, supply, rule, prios


@settings(max_examples=300, deadline=None)
@given(_case())
def test_allocate_hands_out_min_of_supply_and_total(case: tuple[list[float], float, str, list[int]]) -> None:
    reqs, supply, rule, prios = case
    give = allocate(reqs, supply, rule, prios)
    total = sum(reqs)
    assert len(give) == len(reqs)
    assert _close(sum(give), min(max(supply, 0.0), total), total)
    for g, r in zip(give, reqs, strict=True):
        assert 0.0 <= g <= r * (1 + 1e-12)


@settings(max_examples=300, deadline=None)
@given(_case())
def test_allocate_respects_the_rule_order(case: tuple[list[float], float, str, list[int]]) -> None:
    reqs, supply, rule, prios = case
    give = allocate(reqs, supply, rule, prios)
    short = [r - g > 1e-9 * max(1.0, r) for g, r in zip(give, reqs, strict=True)]
    if rule == "fifo":
        # Once an order is cut, every later order gets nothing.
        for i, cut in enumerate(short):
            if cut:
                assert all(g == 0.0 for g in give[i + 1:])
    elif rule == "priority":
        # A cut rank means every lower-priority (higher number) rank gets nothing, and
        # inside the cut rank orders get the same fraction of what they asked for.
        cut_ranks = {p for p, c in zip(prios, short, strict=True) if c}
        if cut_ranks:
            first_cut = min(cut_ranks)
            for g, r, p in zip(give, reqs, prios, strict=True):
                if p < first_cut:
                    assert _close(g, r, r)
                elif p > first_cut:
                    assert g == 0.0
            fracs = [g / r for g, r, p in zip(give, reqs, prios, strict=True) if p == first_cut and r > 1e-6]
            if fracs:  # (a rank cut only in requests too small to divide by has nothing to compare)
                assert max(fracs) - min(fracs) <= 1e-9
    else:  # pro_rata: everyone gets the same fraction
        fracs = [g / r for g, r in zip(give, reqs, strict=True) if r > 1e-6]
        if fracs:
            assert max(fracs) - min(fracs) <= 1e-9


def test_allocate_examples() -> None:
    assert allocate([4.0, 6.0], 5.0, "pro_rata") == pytest.approx([2.0, 3.0])
    assert allocate([4.0, 6.0], 5.0, "fifo") == pytest.approx([4.0, 1.0])
    # rank 1 first (6 t), then the last 1 t pro rata 4:2 inside rank 2
    assert allocate([4.0, 6.0, 2.0], 7.0, "priority", [2, 1, 2]) == pytest.approx([2 / 3, 6.0, 1 / 3])
    assert allocate([4.0, 6.0], 20.0, "fifo") == [4.0, 6.0]
    assert allocate([4.0, 6.0], 0.0, "pro_rata") == [0.0, 0.0]
    assert allocate([], 3.0, "priority", []) == []


def test_allocate_rejects_unknown_rule_and_missing_priorities() -> None:
    with pytest.raises(ValueError, match="unknown allocation rule 'lottery'"):
        allocate([1.0, 2.0], 1.0, "lottery")
    with pytest.raises(ValueError, match="needs priorities"):
        allocate([1.0, 2.0], 1.0, "priority")


# ---------------------------------------------------------------- WorkingCalendar

MONDAY = dt.date(2024, 1, 1)  # 2024-01-01 is a Monday: t = 0 is Monday 00:00
SAT, SUN, MON2 = 5.0, 6.0, 7.0


def test_calendar_starts_on_monday() -> None:
    assert MONDAY.weekday() == 0


def test_add_zero_is_identity_even_on_a_weekend() -> None:
    cal = WorkingCalendar(MONDAY, 60)
    for t in (0.0, 2.3, SAT + 0.5, SUN):
        assert cal.add(t, 0.0) == t


def test_five_working_days_from_monday_end_at_the_end_of_friday() -> None:
    cal = WorkingCalendar(MONDAY, 60)
    assert cal.add(0.0, 5.0) == pytest.approx(SAT)  # Friday 24:00 = Saturday 00:00
    assert cal.add(0.0, 5.5) == pytest.approx(MON2 + 0.5)  # over the weekend


def test_review_started_on_a_weekend_waits_for_monday() -> None:
    cal = WorkingCalendar(MONDAY, 60)
    assert cal.add(SAT, 1.0) == pytest.approx(MON2 + 1.0)
    assert cal.add(SAT + 0.5, 0.5) == pytest.approx(MON2 + 0.5)
    assert cal.add(SUN + 0.9, 2.25) == pytest.approx(MON2 + 2.25)
    assert not cal.is_working(SAT + 0.5) and not cal.is_working(SUN)
    assert cal.is_working(MON2)


def test_friday_evening_review_ends_on_monday() -> None:
    cal = WorkingCalendar(MONDAY, 60)
    assert cal.add(4.75, 0.5) == pytest.approx(MON2 + 0.25)  # 6 h left on Friday, 6 h on Monday


def test_holiday_is_skipped() -> None:
    wed = MONDAY + dt.timedelta(days=2)
    cal = WorkingCalendar(MONDAY, 60, holidays=[wed])
    assert not cal.is_working(2.0)
    assert cal.add(1.0, 2.0) == pytest.approx(4.0)  # Tue, (Wed off), Thu -> Friday 00:00
    assert cal.add(2.5, 1.0) == pytest.approx(4.0)  # started on the holiday: Thursday's work
    assert cal.working_time(3.0) == pytest.approx(2.0)


def test_holiday_on_a_weekend_changes_nothing() -> None:
    sat = MONDAY + dt.timedelta(days=5)
    plain, with_h = WorkingCalendar(MONDAY, 60), WorkingCalendar(MONDAY, 60, holidays=[sat])
    for t, w in ((0.0, 7.0), (4.5, 1.0), (SAT, 3.3)):
        assert with_h.add(t, w) == plain.add(t, w)


def test_makeup_saturday_is_worked() -> None:
    sat = MONDAY + dt.timedelta(days=5)
    cal = WorkingCalendar(MONDAY, 60, makeup_workdays=[sat])
    assert cal.is_working(SAT) and not cal.is_working(SUN)
    assert cal.add(4.0, 2.0) == pytest.approx(SUN)  # Friday + make-up Saturday
    assert cal.add(4.0, 2.5) == pytest.approx(MON2 + 0.5)
    assert cal.add(SAT + 0.5, 0.25) == pytest.approx(SAT + 0.75)


def test_chinese_new_year_2025_week() -> None:
    # 2025: 26 Jan (Sunday) is worked, 28 Jan - 4 Feb are holidays, 8 Feb (Saturday) worked.
    origin = dt.date(2025, 1, 20)  # a Monday
    hol = [dt.date(2025, 1, 28), dt.date(2025, 1, 29), dt.date(2025, 1, 30), dt.date(2025, 1, 31),
           dt.date(2025, 2, 3), dt.date(2025, 2, 4)]
    mk = [dt.date(2025, 1, 26), dt.date(2025, 2, 8)]
    cal = WorkingCalendar(origin, 60, holidays=hol, makeup_workdays=mk)

    def t(day: dt.date) -> float:
        return float((day - origin).days)

    # From Friday 24 Jan: Fri 24, Sun 26 (make-up), Mon 27, then Wed 5 Feb.
    assert cal.add(t(dt.date(2025, 1, 24)), 4.0) == pytest.approx(t(dt.date(2025, 2, 5)) + 1.0)
    # Sat 8 Feb (make-up) counts.
    assert cal.add(t(dt.date(2025, 2, 7)), 2.0) == pytest.approx(t(dt.date(2025, 2, 9)))


def test_seven_day_week_is_calendar_time() -> None:
    cal = WorkingCalendar(MONDAY, 400, weekmask="1111111")
    for t, w in ((0.0, 3.0), (5.5, 10.25), (123.4, 77.7)):
        assert cal.add(t, w) == pytest.approx(t + w, abs=1e-9)


def test_review_beyond_the_calendar_raises() -> None:
    cal = WorkingCalendar(MONDAY, 30)
    with pytest.raises(ValueError, match="beyond the working calendar"):
        cal.add(20.0, 30.0)


def test_calendar_without_working_days_raises() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar(MONDAY, 30, weekmask="0000000")


def _reference_add(origin: dt.date, t: float, w: float, weekmask: str,
                   holidays: list[dt.date], makeup: list[dt.date]) -> float:
    """Walk day by day: the obvious (slow) way to add working time."""
    if w == 0:
        return t

    def working(k: int) -> bool:
        day = origin + dt.timedelta(days=k)
        if day in makeup:
            return True
        return weekmask[day.weekday()] == "1" and day not in holidays

    k = math.floor(t)
    frac = t - k
    left = w
    while True:
        if working(k):
            avail = 1.0 - frac
            if left <= avail + 1e-12:
                return k + frac + left
            left -= avail
        k += 1
        frac = 0.0


@settings(max_examples=200, deadline=None)
@given(
    weekmask=st.text(alphabet="01", min_size=7, max_size=7).filter(lambda m: "1" in m),
    hol=st.lists(st.integers(0, 60), max_size=8),
    mk=st.lists(st.integers(0, 60), max_size=3),
    t=st.floats(0.0, 40.0),
    # Reviews last hours to weeks; sub-microsecond ones would only test float absorption.
    w=st.one_of(st.floats(1e-6, 15.0), st.integers(0, 10).map(float)),
)
def test_add_matches_day_by_day_reference(weekmask: str, hol: list[int], mk: list[int], t: float, w: float) -> None:
    holidays = [MONDAY + dt.timedelta(days=d) for d in hol]
    makeup = [MONDAY + dt.timedelta(days=d) for d in mk]
    cal = WorkingCalendar(MONDAY, 200, weekmask, holidays, makeup)
    got = cal.add(t, w)
    assert got == pytest.approx(_reference_add(MONDAY, t, w, weekmask, holidays, makeup), abs=1e-9)
    assert got >= t
    # Working time is the inverse of add, and adding in two steps is adding once.
    assert cal.working_time(got) == pytest.approx(cal.working_time(t) + w, abs=1e-9)
    assert cal.add(cal.add(t, w / 2), w / 2) == pytest.approx(got, abs=1e-9)


def test_working_time_is_numpy_busday_count_at_midnight() -> None:
    hol = [dt.date(2024, 1, 3), dt.date(2024, 2, 12)]
    cal = WorkingCalendar(MONDAY, 120, "1111100", hol)
    for k in range(0, 100, 7):
        day = MONDAY + dt.timedelta(days=k)
        expect = np.busday_count(np.datetime64(MONDAY), np.datetime64(day), holidays=hol)
        assert cal.working_time(float(k)) == expect
