"""What a service hands to the composition root: its router, its consumers, its start and stop.

Services never import each other; the CLI builds each from a ``ServiceContext`` and runs them
in one process (``gongkai up``) or alone (``gongkai serve NAME``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from fastapi import APIRouter

from gongkai.bus import EventBus, Handler
from gongkai.calendar_admin import CalendarFile
from gongkai.clock import Clock
from gongkai.settings import Settings

__all__ = ["Consumer", "ServiceContext", "ServiceUnit"]


@dataclass(frozen=True)
class ServiceContext:
    settings: Settings
    bus: EventBus
    clock: Clock
    calendar: CalendarFile


@dataclass(frozen=True)
class Consumer:
    group: str
    topics: Sequence[str]
    handler: Handler


async def _nothing() -> None:
    return None


@dataclass
class ServiceUnit:
    name: str
    routers: list[APIRouter] = field(default_factory=list)
    consumers: list[Consumer] = field(default_factory=list)
    start: Callable[[], Awaitable[None]] = _nothing
    stop: Callable[[], Awaitable[None]] = _nothing
