"""Wiring of the stats service: its consumer, the counters' source, the Prometheus mirror.

With ``GONGKAI_STATS_COUNTERS=local`` the consumer folds every stats topic into ``stats.db`` and
mirrors the counters to Prometheus; with ``faust`` the faust workers count (and export the counters
on their own ``/metrics``), and this service consumes only ``gongkai.reports`` for the staff entries.
"""

from __future__ import annotations

from prometheus_client import REGISTRY

from gongkai.applied import Applied
from gongkai.db import Database
from gongkai.events import Topic
from gongkai.service import Consumer, ServiceContext, ServiceUnit
from services.stats import store
from services.stats.api import router
from services.stats.counters import ChangelogCounters, CounterSource, StoredCounters
from services.stats.handlers import GROUP, StatsHandlers
from services.stats.metrics import CounterMirror
from services.stats.rebuild import STATS_TOPICS
from services.stats.store import SCHEMA


def build(ctx: ServiceContext) -> ServiceUnit:
    db = Database(ctx.settings.path("stats.db"), schema=SCHEMA)
    mirror = CounterMirror()
    applied = Applied()
    local = ctx.settings.stats_counters == "local"
    source: CounterSource = StoredCounters(db) if local else _faust_counters(ctx)

    async def start() -> None:
        await db.open()
        if local:
            mirror.replace(await db.run(store.all_counters))
            REGISTRY.register(mirror)

    async def stop() -> None:
        if local:
            REGISTRY.unregister(mirror)
        await db.close()

    return ServiceUnit(
        name="stats",
        routers=[router(ctx, db, applied, source)],
        consumers=[
            Consumer(
                GROUP,
                list(STATS_TOPICS) if local else [Topic.REPORTS],
                StatsHandlers(db, mirror, applied),
            )
        ],
        start=start,
        stop=stop,
    )


def _faust_counters(ctx: ServiceContext) -> CounterSource:
    from services.stats.faust_app import FaustConfig  # imports faust: only when it counts

    return ChangelogCounters(FaustConfig.from_settings(ctx.settings))
