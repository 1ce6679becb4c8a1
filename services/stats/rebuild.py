"""``gongkai stats rebuild``: replay the event log into fresh counters and compare them with the live ones.

The fresh database is built beside the live one (``stats.rebuilt.db``) with the same handler the
consumer uses, so the numbers must be identical; ``replace`` installs it (stop the stats service
first). Reading topic by topic keeps each subject's events in order, which is all the reducers need.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass

from gongkai.bus import open_bus
from gongkai.db import Database
from gongkai.events import Envelope, Topic, UnknownEventType
from gongkai.settings import Settings
from services.stats import store
from services.stats.handlers import StatsHandlers
from services.stats.metrics import CounterMirror
from services.stats.store import SCHEMA, CounterKey

__all__ = ["STATS_TOPICS", "RebuildResult", "rebuild"]

STATS_TOPICS = (
    Topic.DOCUMENTS,
    Topic.PUBLIC_DOCUMENTS,
    Topic.REQUESTS,
    Topic.APPEALS,
    Topic.LETTERS,
    Topic.PROPOSALS,
    Topic.REPORTS,
)


@dataclass(frozen=True)
class RebuildResult:
    events: int
    counters: int
    differences: dict[CounterKey, tuple[int, int]]  # key → (live, rebuilt)

    @property
    def identical(self) -> bool:
        return not self.differences


async def rebuild(
    settings: Settings, *, progress: Callable[[int, int], None] | None = None, replace: bool = False
) -> RebuildResult:
    fresh_path = settings.path("stats.rebuilt.db")
    for suffix in ("", "-wal", "-shm"):
        fresh_path.with_name(fresh_path.name + suffix).unlink(missing_ok=True)
    bus = open_bus(settings)
    await bus.start()
    try:
        records = [raw for topic in STATS_TOPICS for raw in await bus.read(topic)]
    finally:
        await bus.close()
    fresh = Database(fresh_path, schema=SCHEMA)
    live = Database(settings.path("stats.db"), schema=SCHEMA)
    await fresh.open()
    await live.open()
    try:
        handlers = StatsHandlers(fresh, CounterMirror())
        for done, raw in enumerate(records, start=1):
            # What the live consumer dead-lettered (undecodable, not in the catalog) is skipped here too.
            with contextlib.suppress(UnknownEventType, ValueError):
                await handlers(Envelope.from_bytes(raw))
            if progress and (done % 1000 == 0 or done == len(records)):
                progress(done, len(records))
        rebuilt = await fresh.run(store.all_counters)
        current = await live.run(store.all_counters)
    finally:
        await fresh.close()
        await live.close()
    keys = set(rebuilt) | set(current)
    differences = {k: (current.get(k, 0), rebuilt.get(k, 0)) for k in keys if current.get(k, 0) != rebuilt.get(k, 0)}
    if replace:
        os.replace(fresh_path, settings.path("stats.db"))
    return RebuildResult(events=len(records), counters=len(rebuilt), differences=differences)
