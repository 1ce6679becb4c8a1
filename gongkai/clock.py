"""Injectable time: the server's clock can be frozen or moved so tests can simulate a year."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["AGENCY_TZ", "Clock", "FixedClock", "SystemClock", "clock_from_setting"]

AGENCY_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...

    def today(self) -> date:
        """The calendar date in the agency's time zone (Asia/Shanghai)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().astimezone(AGENCY_TZ).date()


class FixedClock:
    """A clock that stands still until moved; ``advance`` simulates time passing."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware instant")
        self._now = instant.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def today(self) -> date:
        return self._now.astimezone(AGENCY_TZ).date()

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)


def clock_from_setting(value: str | None) -> Clock:
    """``None`` → the system clock; an ISO instant (or date, at 09:00 Beijing time) → a fixed clock."""
    if not value:
        return SystemClock()
    if len(value) == 10:
        instant = datetime.fromisoformat(value).replace(hour=9, tzinfo=AGENCY_TZ)
    else:
        instant = datetime.fromisoformat(value)
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=AGENCY_TZ)
    return FixedClock(instant)
