"""The agency's working-day calendar on disk, its admin API and its provisional-year metric.

``calendar.json`` in the data directory holds the overrides; every process re-reads it when it
changes, so loading next year's 放假安排 (by CLI or API) makes provisional deadlines exact everywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import BaseModel, ConfigDict, Field

from gongkai.clock import Clock
from gongkai.http import Admin
from gongkai.problems import FieldProblem, Problem
from gongkai.workdays import DayKind, InvalidCalendarData, WorkCalendar, YearNotice

__all__ = ["CalendarFile", "ProvisionalYears", "calendar_router"]


class CalendarFile:
    """A ``WorkCalendar`` backed by a JSON file, reloaded when the file changes on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._calendar = WorkCalendar()
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every change made through this object (e.g. to recompute deadlines)."""
        self._listeners.append(listener)

    @property
    def calendar(self) -> WorkCalendar:
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            return self._calendar
        with self._lock:
            if stamp != self._stamp:
                self._calendar = WorkCalendar.load(self.path)
                self._stamp = stamp
            return self._calendar

    def update(self, change: Any) -> WorkCalendar:
        """Apply ``change(calendar)`` and save atomically (serialised within this process)."""
        with self._lock:
            calendar = WorkCalendar.load(self.path) if self.path.exists() else WorkCalendar()
            change(calendar)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            calendar.save(self.path)
            self._calendar, self._stamp = calendar, None
        for listener in self._listeners:
            listener()
        return calendar


class ProvisionalYears(Collector):
    """``gongkai_calendar_year_provisional{year}``: 1 while this or next year lacks official data."""

    def __init__(self, source: CalendarFile, clock: Clock) -> None:
        self.source = source
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        this_year = self.clock.today().year
        years = (this_year, this_year + 1)
        missing = self.source.calendar.provisional_years(years)
        gauge = GaugeMetricFamily(
            "gongkai_calendar_year_provisional",
            "1 when deadlines in this year are computed by rule because its 放假安排 is not loaded.",
            labels=["year"],
        )
        for year in years:
            gauge.add_metric([str(year)], 1.0 if year in missing else 0.0)
        yield gauge


class YearNoticeBody(BaseModel):
    """A State Council 放假安排 for one year: the rest days and the working weekends (调休)."""

    model_config = ConfigDict(extra="forbid")
    holidays: list[date] = Field(min_length=1, max_length=80)
    workdays: list[date] = Field(default_factory=list, max_length=30)
    note: str = Field(default="", max_length=200)


class DayBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: DayKind
    note: str = Field(default="", max_length=200)


def _notice(notice: YearNotice) -> dict[str, Any]:
    """A loaded 放假安排 as the API shows it: its days in order, so it can be checked and loaded again."""
    return {
        "year": notice.year,
        "holidays": [d.isoformat() for d in sorted(notice.holidays)],
        "workdays": [d.isoformat() for d in sorted(notice.workdays)],
        "note": notice.note,
    }


def calendar_router(source: CalendarFile, clock: Clock) -> APIRouter:
    api = APIRouter(prefix="/api/v1/admin/calendar", tags=["admin"])

    @api.get("", summary="Known and provisional years, and the overrides")
    async def show(_: Admin) -> dict[str, Any]:
        calendar = source.calendar
        this_year = clock.today().year
        return {
            "provisional_years": sorted(calendar.provisional_years(range(this_year - 1, this_year + 3))),
            "loaded_years": sorted(calendar.overrides.years),
            "overrides": [
                {"date": o.day.isoformat(), "kind": o.kind.value, "note": o.note}
                for o in sorted(calendar.overrides.overrides.values(), key=lambda o: o.day)
            ],
            "notices": [_notice(n) for _, n in sorted(calendar.overrides.years.items())],
        }

    @api.put("/years/{year}", summary="Load a year's 放假安排 (makes its deadlines exact)")
    async def load_year(year: int, body: YearNoticeBody, _: Admin) -> dict[str, Any]:
        try:
            source.update(lambda c: c.load_year(year, holidays=body.holidays, workdays=body.workdays, note=body.note))
        except InvalidCalendarData as exc:
            raise Problem(422, "日历数据有误", str(exc), "validation", [FieldProblem("holidays", str(exc))]) from exc
        return {"year": year, "provisional": bool(source.calendar.provisional_years([year]))}

    @api.put("/days/{day}", summary="Mark one day as a holiday or a working day")
    async def set_day(day: date, body: DayBody, _: Admin) -> dict[str, str]:
        source.update(lambda c: c.set_override(day, body.kind, note=body.note))
        return {"date": day.isoformat(), "kind": body.kind.value}

    return api
