"""Where the stats API reads its counters: the stats service's own ``stats.db``, or the faust tables.

``GONGKAI_STATS_COUNTERS=local`` (the default, and the only choice on the embedded bus): the stats
service's consumer folds every event into ``stats.db`` and the API reads it there.
``GONGKAI_STATS_COUNTERS=faust`` (Kafka): the faust workers (``gongkai stats faust``) keep the counters
in their tables; the API reads the tables' changelog topics, which hold what a worker restores at
start-up, so any number of stats API replicas answer alike and no worker has to be asked. The stats
service then only keeps the report's staff entries (``gongkai.reports``).

Both adapters pass the same contract (``tests/contract/test_counter_sources.py``): fed the same events,
they give the same counters and the same number of open overdue requests, so the summary and the
annual report are the same whichever counts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from gongkai.db import Database
from services.stats import store
from services.stats.store import CounterKey

if TYPE_CHECKING:  # faust is imported only where the faust counters are used
    from services.stats.faust_app import FaustConfig

__all__ = ["ChangelogCounters", "CounterSource", "StoredCounters"]


class CounterSource(Protocol):
    """The stats counters and the requests now open past their deadline."""

    async def counters(self) -> dict[CounterKey, int]: ...

    async def open_overdue_requests(self) -> int: ...


class StoredCounters:
    """The stats service's own counters and memos in ``stats.db``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def counters(self) -> dict[CounterKey, int]:
        return await self.db.run(store.all_counters)

    async def open_overdue_requests(self) -> int:
        return await self.db.run(store.count_open_overdue_requests)


class ChangelogCounters:
    """The faust tables, read from their changelog topics; a read serves every caller for ``max_age_s``.

    Reading a changelog costs one pass over it, so concurrent and back-to-back requests (the console's
    工作台, a report and its three downloads) share one read instead of each starting their own.
    """

    def __init__(
        self, config: FaustConfig, *, max_age_s: float = 2.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config
        self.max_age_s = max_age_s
        self.monotonic = monotonic
        self._lock = asyncio.Lock()
        self._counters: tuple[float, dict[CounterKey, int]] | None = None
        self._overdue: tuple[float, int] | None = None

    async def counters(self) -> dict[CounterKey, int]:
        async with self._lock:
            if self._counters is None or self._stale(self._counters[0]):
                from services.stats.faust_app import read_counters

                self._counters = (self.monotonic(), await read_counters(self.config))
            return dict(self._counters[1])

    async def open_overdue_requests(self) -> int:
        async with self._lock:
            if self._overdue is None or self._stale(self._overdue[0]):
                from services.stats.faust_app import read_open_overdue_requests

                self._overdue = (self.monotonic(), await read_open_overdue_requests(self.config))
            return self._overdue[1]

    def _stale(self, read_at: float) -> bool:
        return self.monotonic() - read_at > self.max_age_s
