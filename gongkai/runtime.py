"""Runs services: opens the bus, starts each service and its consumers, serves one FastAPI app."""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from fastapi import FastAPI
from prometheus_client import REGISTRY

from gongkai.accounts import AccountStore
from gongkai.bus import EventBus, open_bus
from gongkai.calendar_admin import CalendarFile, ProvisionalYears, calendar_router
from gongkai.clock import Clock, SystemClock, clock_from_setting
from gongkai.db import Database
from gongkai.http import StaffAuth, create_app
from gongkai.idempotency import SCHEMA as IDEMPOTENCY_SCHEMA
from gongkai.service import ServiceContext, ServiceUnit
from gongkai.settings import Settings
from gongkai.staff_admin import OWN_IDEMPOTENCY_KEYS, staff_router

__all__ = ["Platform", "ServiceBuilder", "tune_interpreter"]

log = logging.getLogger(__name__)

ServiceBuilder = Callable[[ServiceContext], ServiceUnit]


def tune_interpreter() -> None:
    """Process-wide settings for a serving process (called by the CLI, the composition root).

    Index and database work runs in threads; a 1 ms GIL switch interval (default 5 ms) lets the
    event loop answer requests between their slices, which cut search p99 by about 5 ms.

    Called once the app is built, it also moves every object alive then (modules, the app, its
    routes and models) out of the cyclic garbage collector's reach: a search allocates thousands
    of tuples, and each full collection it set off walked that whole heap while the request
    waited (10-25 ms, most of the gap between search p50 and p99). Garbage is collected first,
    so nothing but the long-lived startup objects is kept.
    """
    sys.setswitchinterval(0.001)
    gc.collect()
    gc.freeze()


@dataclass
class Platform:
    """One process running ``builders`` over one bus; ``app`` is its HTTP surface."""

    settings: Settings
    builders: Sequence[ServiceBuilder]
    clock: Clock = field(default_factory=SystemClock)
    bus: EventBus | None = None
    units: list[ServiceUnit] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.settings.clock and isinstance(self.clock, SystemClock):
            self.clock = clock_from_setting(self.settings.clock)
        self.bus = self.bus or open_bus(self.settings)
        self.calendar = CalendarFile(self.settings.path("calendar.json"))
        self.idempotency = Database(
            self.settings.path("idempotency.db"), schema=IDEMPOTENCY_SCHEMA, synchronous="NORMAL"
        )
        self._calendar_metric = ProvisionalYears(self.calendar, self.clock)
        context = ServiceContext(settings=self.settings, bus=self.bus, clock=self.clock, calendar=self.calendar)
        self.units = [build(context) for build in self.builders]
        self._started = False

    @property
    def ready(self) -> bool:
        assert self.bus is not None
        return self._started and (self.bus.consuming or not any(u.consumers for u in self.units))

    async def start(self) -> None:
        assert self.bus is not None
        await self.bus.start()
        await self.idempotency.open()
        REGISTRY.register(self._calendar_metric)
        for unit in self.units:
            await unit.start()
        for unit in self.units:
            for consumer in unit.consumers:
                await self.bus.subscribe(group=consumer.group, topics=consumer.topics, handler=consumer.handler)
        self._started = True
        log.info("started %s on the %s bus", ", ".join(u.name for u in self.units), self.settings.bus_kind)

    async def stop(self) -> None:
        assert self.bus is not None
        self._started = False
        await self.bus.close()
        for unit in reversed(self.units):
            await unit.stop()
        REGISTRY.unregister(self._calendar_metric)
        await self.idempotency.close()

    def app(self) -> FastAPI:
        @contextlib.asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        accounts = AccountStore.from_settings(self.settings, self.clock)
        auth_db = self.settings.path("auth.db")
        return create_app(
            title="Gongkai 政府信息公开平台 (" + ", ".join(u.name for u in self.units) + ")",
            routers=[router for unit in self.units for router in unit.routers]
            + [calendar_router(self.calendar, self.clock), staff_router(accounts, auth_db)],
            staff_auth=StaffAuth(auth_db, accounts=accounts),
            max_body_bytes=self.settings.max_body_bytes,
            ready=lambda: self.ready,
            idempotency=self.idempotency,
            own_idempotency_keys=OWN_IDEMPOTENCY_KEYS,
            lifespan=lifespan,
        )
