"""Calendar months "to the corresponding day", else the month's last day (gongkai.months)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongkai.months import add_months, last_day_of_month

D = date.fromisoformat

CASES = [
    # (start, months, end)
    ("2026-03-02", 3, "2026-06-02"),  # the corresponding day
    ("2026-03-31", 3, "2026-06-30"),  # 31st → 30th
    ("2026-05-31", 1, "2026-06-30"),
    ("2026-08-31", 1, "2026-09-30"),
    ("2026-01-31", 1, "2026-02-28"),  # 31st → the end of February
    ("2026-11-30", 3, "2027-02-28"),  # the brief's example
    ("2026-11-29", 3, "2027-02-28"),
    ("2027-11-29", 3, "2028-02-29"),  # leap year: the 29th exists
    ("2027-11-30", 3, "2028-02-29"),
    ("2028-02-29", 12, "2029-02-28"),  # from a leap day into an ordinary year
    ("2028-02-29", 48, "2032-02-29"),
    ("2028-02-29", 1, "2028-03-29"),  # the 29th corresponds to the 29th, not to the month's end
    ("2026-02-28", 1, "2026-03-28"),
    ("2026-10-15", 3, "2027-01-15"),  # across the year's end
    ("2026-12-31", 1, "2027-01-31"),
    ("2026-12-31", 2, "2027-02-28"),
    ("2026-07-31", 6, "2027-01-31"),
    ("2026-08-31", 6, "2027-02-28"),
    ("2026-06-01", 0, "2026-06-01"),
    ("2026-06-30", -1, "2026-05-30"),
    ("2026-03-31", -1, "2026-02-28"),
    ("2028-05-31", -3, "2028-02-29"),
    ("2027-01-15", -3, "2026-10-15"),
]


@pytest.mark.parametrize(("start", "months", "end"), CASES, ids=[f"{s}{m:+d}" for s, m, _ in CASES])
def test_add_months(start: str, months: int, end: str) -> None:
    assert add_months(D(start), months) == D(end)


@pytest.mark.parametrize(
    ("year", "month", "last"),
    [(2026, 1, 31), (2026, 2, 28), (2028, 2, 29), (2100, 2, 28), (2000, 2, 29), (2026, 4, 30), (2026, 12, 31)],
)
def test_last_day_of_month(year: int, month: int, last: int) -> None:
    assert last_day_of_month(year, month) == last


def test_out_of_the_calendar_is_an_overflow() -> None:
    with pytest.raises(OverflowError):
        add_months(date(9999, 12, 1), 1)
    with pytest.raises(OverflowError):
        add_months(date(1, 1, 1), -1)


days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
counts = st.integers(min_value=-240, max_value=240)


@given(days, counts)
def test_the_result_lies_n_months_on_at_the_corresponding_day_or_the_months_end(day: date, n: int) -> None:
    result = add_months(day, n)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == n
    if day.day <= last_day_of_month(result.year, result.month):
        assert result.day == day.day
    else:
        assert result.day == last_day_of_month(result.year, result.month) < day.day


@given(days, st.integers(min_value=0, max_value=240))
def test_more_months_never_end_earlier(day: date, n: int) -> None:
    assert day <= add_months(day, n) <= add_months(day, n + 1)
    assert add_months(day, n) <= add_months(day + timedelta(days=1), n)
