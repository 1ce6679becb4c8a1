"""Calendar months, "to the corresponding day" (对应日). Pure.

A period of N months ends on the day of the Nth month with the same number as the day it started;
when that month has no such day (the 29th–31st), on the month's last day. This is how the
representative law's "three months from assignment" and the one-month periods of re-handling and
co-handling are counted (spec §D); working days do not enter into it.

>>> add_months(date(2026, 3, 2), 3)
datetime.date(2026, 6, 2)
>>> add_months(date(2026, 11, 30), 3)  # no 30 February: the last day of February
datetime.date(2027, 2, 28)
>>> add_months(date(2027, 11, 30), 3)  # 2028 is a leap year
datetime.date(2028, 2, 29)
>>> add_months(date(2026, 1, 31), 1), add_months(date(2026, 5, 31), 1)
(datetime.date(2026, 2, 28), datetime.date(2026, 6, 30))
>>> add_months(date(2026, 10, 15), 6)  # across the year's end
datetime.date(2027, 4, 15)
>>> add_months(date(2028, 5, 31), -3)  # backwards too
datetime.date(2028, 2, 29)
"""

from __future__ import annotations

import calendar
from datetime import date

__all__ = ["add_months", "last_day_of_month"]


def last_day_of_month(year: int, month: int) -> int:
    """The number of the month's last day.

    >>> last_day_of_month(2028, 2), last_day_of_month(2026, 2), last_day_of_month(2026, 4)
    (29, 28, 30)
    """
    return calendar.monthrange(year, month)[1]


def add_months(day: date, n: int) -> date:
    """``day`` plus ``n`` calendar months, to the corresponding day, else the last day of that month."""
    index = day.year * 12 + (day.month - 1) + n
    year, month = divmod(index, 12)
    month += 1
    if not date.min.year <= year <= date.max.year:
        raise OverflowError(f"{day.isoformat()} + {n} months is out of the calendar's range")
    return date(year, month, min(day.day, last_day_of_month(year, month)))
