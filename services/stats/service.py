"""Wiring of the stats service (embedded reducers; the faust app arrives with the statistics issue)."""

from __future__ import annotations

from prometheus_client import REGISTRY

from gongkai.applied import Applied
from gongkai.db import Database
from gongkai.service import Consumer, ServiceContext, ServiceUnit
from services.stats import store
from services.stats.api import router
from services.stats.handlers import GROUP, StatsHandlers
from services.stats.metrics import CounterMirror
from services.stats.rebuild import STATS_TOPICS
from services.stats.store import SCHEMA


def build(ctx: ServiceContext) -> ServiceUnit:
    db = Database(ctx.settings.path("stats.db"), schema=SCHEMA)
    mirror = CounterMirror()
    applied = Applied()

    async def start() -> None:
        await db.open()
        mirror.replace(await db.run(store.all_counters))
        REGISTRY.register(mirror)

    async def stop() -> None:
        REGISTRY.unregister(mirror)
        await db.close()

    return ServiceUnit(
        name="stats",
        routers=[router(ctx, db, applied)],
        consumers=[
            Consumer(
                GROUP,
                list(STATS_TOPICS),
                StatsHandlers(db, mirror, applied),
            )
        ],
        start=start,
        stop=stop,
    )
