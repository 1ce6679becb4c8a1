"""Statutory working days (工作日) for deadlines such as 条例 Art. 26 and Art. 33: "N个工作日".

The trigger day is not counted; day N is the N-th working day after it. A day's status comes from,
in order of precedence: an agency's per-date override, a State Council 放假安排 notice the operator
loaded for that year (holidays plus 调休 working weekends), the ``chinesecalendar`` package for the
years it knows, and otherwise a *provisional* rule derived from the 2024《全国年节及纪念日放假办法》.
Every answer that relied on the provisional rule says so, and ``strict=True`` refuses it instead.

>>> from datetime import date
>>> cal = WorkCalendar()
>>> cal.is_workday(date(2026, 2, 14))  # a Saturday made a working day by 调休
True
>>> cal.add_workdays(date(2026, 2, 13), 2)
WorkdayResult(day=datetime.date(2026, 2, 24), provisional=False)
>>> cal.add_workdays(date(2027, 9, 30), 1)
WorkdayResult(day=datetime.date(2027, 10, 4), provisional=True)
>>> cal.load_year(2027, holidays=[date(2027, 10, d) for d in range(1, 8)], workdays=[date(2027, 10, 9)])
>>> cal.add_workdays(date(2027, 9, 30), 1)
WorkdayResult(day=datetime.date(2027, 10, 8), provisional=False)
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

import chinese_calendar
from lunardate import LunarDate

__all__ = [
    "CalendarYearMissing",
    "DayKind",
    "InvalidCalendarData",
    "Override",
    "OverrideTable",
    "WorkCalendar",
    "WorkdayResult",
    "YearNotice",
    "qingming_day",
    "statutory_holidays",
]

_ONE_DAY = timedelta(days=1)
_FORMAT_VERSION = 1


class CalendarYearMissing(LookupError):
    """No official holiday data (放假安排) for ``year``; a provisional answer was refused or impossible."""

    def __init__(self, year: int, reason: str = "") -> None:
        self.year = year
        detail = f" ({reason})" if reason else ""
        super().__init__(
            f"no official holiday data for {year}{detail}; load the State Council 放假安排 notice for {year}"
        )


class InvalidCalendarData(ValueError):
    """An override, a year notice or the override file is malformed or contradicts itself."""


class DayKind(StrEnum):
    HOLIDAY = "holiday"
    WORKDAY = "workday"


@dataclass(frozen=True)
class WorkdayResult:
    """A computed day; ``provisional`` if any day consulted lies in a year without official data."""

    day: date
    provisional: bool


@dataclass(frozen=True)
class Override:
    """One agency decision for one date: an extra rest day (``holiday``) or a working day (``workday``)."""

    day: date
    kind: DayKind
    note: str = ""

    def __post_init__(self) -> None:
        _require_date(self.day, "override date")
        object.__setattr__(self, "kind", _parse_kind(self.kind))
        if not isinstance(self.note, str):
            raise InvalidCalendarData(f"override note must be a string, got {self.note!r}")


@dataclass(frozen=True)
class YearNotice:
    """A year's official 放假安排 (holidays and 调休 working days); loading it makes the year exact.

    Dates may spill into the adjoining December or January, as notices sometimes do.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.year, int) or isinstance(self.year, bool) or not 1 <= self.year <= 9998:
            raise InvalidCalendarData(f"notice year must be an integer year, got {self.year!r}")
        object.__setattr__(self, "holidays", self._checked(self.holidays, "holiday"))
        object.__setattr__(self, "workdays", self._checked(self.workdays, "workday"))
        if not isinstance(self.note, str):
            raise InvalidCalendarData(f"notice note must be a string, got {self.note!r}")
        if both := self.holidays & self.workdays:
            raise InvalidCalendarData(f"{self.year} notice lists {_iso(both)} as both holiday and workday")

    def _checked(self, days: Iterable[date], label: str) -> frozenset[date]:
        checked = frozenset(_require_date(d, f"{self.year} notice {label}") for d in days)
        if stray := {d for d in checked if not _belongs_to_notice(d, self.year)}:
            raise InvalidCalendarData(f"{self.year} notice {label}s outside the year: {_iso(stray)}")
        return checked

    def kinds(self) -> Iterator[tuple[date, DayKind]]:
        yield from ((d, DayKind.HOLIDAY) for d in self.holidays)
        yield from ((d, DayKind.WORKDAY) for d in self.workdays)


class OverrideTable:
    """The agency-editable override table: per-date overrides and loaded year notices. Immutable.

    Per-date overrides win over notices. ``with_*``/``without_*`` return a new table.
    """

    def __init__(self, overrides: Iterable[Override] = (), years: Iterable[YearNotice] = ()) -> None:
        self._overrides = {o.day: o for o in overrides}
        self._years: dict[int, YearNotice] = {}
        self._notice_days: dict[date, DayKind] = {}
        for notice in years:
            self._add_notice(notice)

    def _add_notice(self, notice: YearNotice) -> None:
        if notice.year in self._years:
            raise InvalidCalendarData(f"two notices for {notice.year}")
        for day, kind in notice.kinds():
            if self._notice_days.setdefault(day, kind) is not kind:
                raise InvalidCalendarData(f"notices disagree about {day.isoformat()}")
        self._years[notice.year] = notice

    @property
    def overrides(self) -> Mapping[date, Override]:
        return MappingProxyType(self._overrides)

    @property
    def years(self) -> Mapping[int, YearNotice]:
        return MappingProxyType(self._years)

    def kind_on(self, day: date) -> DayKind | None:
        """The override's or notice's verdict for ``day``, or ``None`` if neither speaks of it."""
        override = self._overrides.get(day)
        return override.kind if override else self._notice_days.get(day)

    def with_override(self, override: Override) -> OverrideTable:
        return OverrideTable([*self._without(override.day), override], self._years.values())

    def without_override(self, day: date) -> OverrideTable:
        return OverrideTable(self._without(day), self._years.values())

    def with_year(self, notice: YearNotice) -> OverrideTable:
        """Load (or replace) the notice for ``notice.year``."""
        others = [n for n in self._years.values() if n.year != notice.year]
        return OverrideTable(self._overrides.values(), [*others, notice])

    def _without(self, day: date) -> list[Override]:
        return [o for o in self._overrides.values() if o.day != day]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OverrideTable):
            return NotImplemented
        return self._overrides == other._overrides and self._years == other._years

    __hash__ = None  # type: ignore[assignment]

    def to_json(self) -> str:
        return json.dumps(self._to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    def _to_dict(self) -> dict[str, Any]:
        overrides = [
            {"date": o.day.isoformat(), "kind": o.kind.value, "note": o.note}
            for o in sorted(self._overrides.values(), key=lambda o: o.day)
        ]
        years = {
            str(n.year): {"holidays": _iso(n.holidays), "workdays": _iso(n.workdays), "note": n.note}
            for n in sorted(self._years.values(), key=lambda n: n.year)
        }
        return {"version": _FORMAT_VERSION, "overrides": overrides, "years": years}

    @classmethod
    def from_json(cls, text: str) -> OverrideTable:
        """Parse the format written by :meth:`to_json`; raise :class:`InvalidCalendarData` if malformed."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidCalendarData(f"override file is not JSON: {exc}") from exc
        if not isinstance(data, dict) or data.get("version") != _FORMAT_VERSION:
            raise InvalidCalendarData(f"override file must be an object with version {_FORMAT_VERSION}")
        overrides = [_override_from(entry) for entry in _typed(data.get("overrides", []), list, "overrides")]
        years = _typed(data.get("years", {}), dict, "years")
        return cls(overrides, [_notice_from(key, entry) for key, entry in years.items()])


def _override_from(entry: object) -> Override:
    fields: dict[str, Any] = _typed(entry, dict, "override entry")
    if set(fields) - {"date", "kind", "note"} or not {"date", "kind"} <= set(fields):
        raise InvalidCalendarData(f"override entry needs date, kind and optional note: {fields!r}")
    return Override(_parse_date(fields["date"]), _parse_kind(fields["kind"]), fields.get("note", ""))


def _notice_from(key: str, entry: object) -> YearNotice:
    fields: dict[str, Any] = _typed(entry, dict, f"notice {key}")
    if not key.isdigit() or set(fields) - {"holidays", "workdays", "note"}:
        raise InvalidCalendarData(f"notice {key!r} needs a digit year and holidays, workdays, note")
    holidays = [_parse_date(d) for d in _typed(fields.get("holidays", []), list, f"{key} holidays")]
    workdays = [_parse_date(d) for d in _typed(fields.get("workdays", []), list, f"{key} workdays")]
    return YearNotice(int(key), frozenset(holidays), frozenset(workdays), fields.get("note", ""))


def _typed(value: Any, kind: type, label: str) -> Any:
    if not isinstance(value, kind):
        raise InvalidCalendarData(f"{label} must be a JSON {kind.__name__}, got {value!r}")
    return value


def _parse_date(value: object) -> date:
    try:
        parsed = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.isoformat() != value:
        raise InvalidCalendarData(f"expected a YYYY-MM-DD date, got {value!r}")
    return parsed


def _parse_kind(value: object) -> DayKind:
    if isinstance(value, str) and value in {k.value for k in DayKind}:
        return DayKind(value)
    raise InvalidCalendarData(f"kind must be 'holiday' or 'workday', got {value!r}")


def _require_date(value: object, label: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidCalendarData(f"{label} must be a datetime.date, got {value!r}")
    return value


def _belongs_to_notice(day: date, year: int) -> bool:
    return day.year == year or (day.year, day.month) in {(year - 1, 12), (year + 1, 1)}


def _iso(days: Iterable[date]) -> list[str]:
    return [d.isoformat() for d in sorted(days)]


# -- The provisional rule: 2024《全国年节及纪念日放假办法》, without 调休 ----------------------------


def qingming_day(year: int) -> date:
    """清明 (sun at 15° ecliptic longitude, Beijing time) by the 寿星 formula, valid for 2001–2100.

    Agrees with ``chinese_calendar.get_solar_terms`` and with an astronomical computation for 2004–2099.
    """
    if not 2001 <= year <= 2100:
        raise ValueError(f"qingming_day is calibrated for 2001–2100, not {year}")
    y = year % 100
    return date(year, 4, int(y * 0.2422 + 4.81) - y // 4)


def statutory_holidays(year: int) -> dict[date, str]:
    """The 13 statutory holiday days of the 2024 放假办法 for ``year``, before any 调休 or compensation.

    元旦 1 · 春节 4 (除夕 to 正月初三) · 清明 1 · 劳动节 2 · 端午 1 · 中秋 1 · 国庆 3. Fewer than 13
    dates when two festivals share a day (中秋 on 10-01). Raises ``ValueError`` outside 2001–2099.
    """
    new_year = _lunar(year, 1, 1)
    days = {date(year, 1, 1): "元旦", qingming_day(year): "清明节"}
    days |= {new_year + timedelta(days=k): "春节" for k in range(-1, 3)}  # 除夕 is the eve of 正月初一
    days |= {date(year, 5, d): "劳动节" for d in (1, 2)}
    days |= {_lunar(year, 5, 5): "端午节", _lunar(year, 8, 15): "中秋节"}
    days |= {date(year, 10, d): "国庆节" for d in (1, 2, 3)}
    return days


def _lunar(year: int, month: int, day: int) -> date:
    solar: date = LunarDate(year, month, day).to_solar_date()
    return solar


# -- Per-year rest-day sets, cached ---------------------------------------------------------------


def _chinese_calendar_years() -> range:
    known = chinese_calendar.holidays.keys()
    return range(min(known).year, max(known).year + 1)


_KNOWN_YEARS = _chinese_calendar_years()


def _days_of(year: int) -> Iterator[date]:
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += _ONE_DAY


def _is_weekend(day: date) -> bool:
    return day.weekday() >= 5


@functools.cache
def _chinese_calendar_rest_days(year: int) -> frozenset[date]:
    return frozenset(d for d in _days_of(year) if not chinese_calendar.is_workday(d))


@functools.cache
def _provisional_rest_days(year: int) -> frozenset[date]:
    if year < _KNOWN_YEARS.start:
        raise CalendarYearMissing(year, "the 2024 放假办法 does not describe past years")
    try:
        holidays = statutory_holidays(year)
    except ValueError as exc:
        raise CalendarYearMissing(year, str(exc)) from exc
    return frozenset(d for d in _days_of(year) if _is_weekend(d)) | holidays.keys()


class _Resolved:
    """One override table with its rest-day cache, swapped as a whole so readers never see a mix."""

    def __init__(self, table: OverrideTable) -> None:
        self.table = table
        self.known_years = frozenset(_KNOWN_YEARS) | table.years.keys()
        self._rest: dict[int, frozenset[date]] = {}

    def rest_days(self, year: int) -> frozenset[date]:
        rest = self._rest.get(year)
        if rest is None:
            rest = self._rest[year] = self._compute(year)
        return rest

    def _compute(self, year: int) -> frozenset[date]:
        if year in self.table.years:
            base = frozenset(d for d in _days_of(year) if _is_weekend(d))
        elif year in _KNOWN_YEARS:
            base = _chinese_calendar_rest_days(year)
        else:
            base = _provisional_rest_days(year)
        return frozenset(d for d in _days_of(year) if self._is_rest(d, base))

    def _is_rest(self, day: date, base: frozenset[date]) -> bool:
        kind = self.table.kind_on(day)
        return day in base if kind is None else kind is DayKind.HOLIDAY


# -- The calendar ----------------------------------------------------------------------------------


class WorkCalendar:
    """Working-day (工作日) arithmetic over ``chinesecalendar``, loaded notices and agency overrides.

    For a year with no official data the answer is *provisional*: weekends plus the statutory holidays
    of the 2024 放假办法 (:func:`statutory_holidays`). No 调休 is assumed (it is published, not
    computable) and a holiday falling on a weekend is not compensated, so a provisional year may count
    a few more working days than the official one will. Years before the first year
    ``chinesecalendar`` knows, and years past 2099, have no provisional rule: they raise
    :class:`CalendarYearMissing` unless a notice is loaded. With ``strict=True`` every unknown year
    raises :class:`CalendarYearMissing` (fail closed, spec §E).
    """

    def __init__(self, overrides: OverrideTable | None = None, *, strict: bool = False) -> None:
        self._state = _Resolved(OverrideTable() if overrides is None else overrides)
        self.strict = strict

    @classmethod
    def load(cls, path: Path, *, strict: bool = False) -> WorkCalendar:
        """Read the override table saved by :meth:`save`."""
        return cls(OverrideTable.from_json(path.read_text(encoding="utf-8")), strict=strict)

    def save(self, path: Path) -> None:
        """Write the override table atomically (temporary file in the same folder, then ``os.replace``)."""
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(self.overrides.to_json())
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @property
    def overrides(self) -> OverrideTable:
        return self._state.table

    def set_override(self, day: date, kind: DayKind | str, *, note: str = "") -> None:
        """Make ``day`` a rest day (``holiday``) or a working day (``workday``), whatever else says."""
        self._replace(self.overrides.with_override(Override(day, _parse_kind(kind), note)))

    def remove_override(self, day: date) -> None:
        self._replace(self.overrides.without_override(day))

    def load_year(self, year: int, *, holidays: Iterable[date], workdays: Iterable[date] = (), note: str = "") -> None:
        """Load a year's 放假安排 notice (rest days and 调休 working days); the year becomes exact.

        Within that year the notice replaces ``chinesecalendar``; other days are working days on weekdays.
        """
        notice = YearNotice(year, frozenset(holidays), frozenset(workdays), note)
        self._replace(self.overrides.with_year(notice))

    def _replace(self, table: OverrideTable) -> None:
        self._state = _Resolved(table)

    def known_years(self) -> frozenset[int]:
        """Years with official data: those ``chinesecalendar`` knows plus the loaded notices."""
        return self._state.known_years

    def provisional_years(self, among: Iterable[int]) -> frozenset[int]:
        """The years in ``among`` without official data, e.g. for a "calendar years missing" metric."""
        known = self.known_years()
        return frozenset(y for y in among if y not in known)

    def is_provisional(self, day: date) -> bool:
        """Whether ``day`` lies in a year without official data (a rule-based answer, or none at all)."""
        return _checked_day(day).year not in self.known_years()

    def is_provisional_span(self, start: date, end: date) -> bool:
        """Whether any day in (start, end] (either order) lies in a year without official data."""
        low, high = sorted((_checked_day(start), _checked_day(end)))
        known = self.known_years()
        return low != high and any(y not in known for y in range((low + _ONE_DAY).year, high.year + 1))

    def is_workday(self, day: date) -> bool:
        day = _checked_day(day)
        return day not in self._rest_days(day.year)

    def add_workdays(self, start: date, n: int) -> WorkdayResult:
        """The N-th working day after ``start`` ("N个工作日": the trigger day is not counted)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        day, known = _checked_day(start), self.known_years()
        provisional = False
        while n:
            day += _ONE_DAY
            provisional = provisional or day.year not in known
            n -= day not in self._rest_days(day.year)
        return WorkdayResult(day, provisional)

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when ``end`` is before ``start``.

        ``workdays_between(due, answered_on) > 0`` means the answer was that many working days late.
        """
        start, end = _checked_day(start), _checked_day(end)
        if end < start:
            return -self.workdays_between(end, start)
        count, day = 0, start
        while day < end:
            day += _ONE_DAY
            count += day not in self._rest_days(day.year)
        return count

    def _rest_days(self, year: int) -> frozenset[date]:
        state = self._state
        if self.strict and year not in state.known_years:
            raise CalendarYearMissing(year)
        return state.rest_days(year)


def _checked_day(value: object) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"expected a datetime.date (the agency's local day), got {value!r}")
    return value
