"""Where the stats API reads its counters: ``stats.db`` (local) or the faust tables' changelog.

The faust adapter against a real broker and worker is proved in tests/integration/test_stats_faust.py
(the API's report and summary from the changelog equal the embedded fold); here: the local adapter
over a real ``stats.db``, and how the changelog adapter shares one read among its callers.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gongkai.db import Database
from services.stats import faust_app
from services.stats.counters import ChangelogCounters, StoredCounters
from services.stats.domain import Memo, reduce
from services.stats.faust_app import FaustConfig
from services.stats.handlers import StatsHandlers
from services.stats.metrics import CounterMirror
from services.stats.store import SCHEMA, CounterKey
from tests.unit.stats_scenario import scenario


def fold(events: list[Any]) -> tuple[dict[CounterKey, int], int]:
    counters: Counter[CounterKey] = Counter()
    memos: dict[str, Memo] = {}
    for event in events:
        reduction = reduce(event, memos.get(event.subject))
        for d in reduction.deltas:
            counters[(d.name, d.year, d.labels)] += d.amount
        if reduction.memo is not None:
            memos[event.subject] = reduction.memo
    return dict(counters), sum(m.open_and_overdue for m in memos.values())


async def test_the_local_source_is_what_the_stats_consumer_folded(tmp_path: Path) -> None:
    db = Database(tmp_path / "stats.db", schema=SCHEMA)
    await db.open()
    try:
        handle = StatsHandlers(db, CounterMirror())
        events = scenario()
        for event in [*events, *events[:5]]:  # repeats are counted once
            await handle(event)
        source = StoredCounters(db)
        assert (await source.counters(), await source.open_overdue_requests()) == fold(events)
    finally:
        await db.close()


class Changelog:
    """Stands in for the changelog readers: counts the reads, and can hold them until released."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reads = 0
        self.value: dict[CounterKey, int] = {("requests_received", 2026, (("channel", "internet"),)): 1}
        self.release = asyncio.Event()
        self.release.set()
        monkeypatch.setattr(faust_app, "read_counters", self.read)
        monkeypatch.setattr(faust_app, "read_open_overdue_requests", self.read_overdue)

    async def read(self, config: FaustConfig) -> dict[CounterKey, int]:
        self.reads += 1
        await self.release.wait()
        return dict(self.value)

    async def read_overdue(self, config: FaustConfig) -> int:
        self.reads += 1
        return 7


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def config(tmp_path: Path) -> FaustConfig:
    return FaustConfig(bootstrap="127.0.0.1:9", data_dir=tmp_path)


async def test_callers_within_max_age_share_one_read_and_later_ones_read_again(
    config: FaustConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    changelog, clock = Changelog(monkeypatch), Clock()
    source = ChangelogCounters(config, max_age_s=2.0, monotonic=clock)
    first = await source.counters()
    clock.now += 1.5
    assert await source.counters() == first and changelog.reads == 1
    first[("requests_received", 2026, ())] = 99  # a caller's copy, not the cache
    assert ("requests_received", 2026, ()) not in await source.counters()
    clock.now += 1.0
    changelog.value = {}
    assert await source.counters() == {} and changelog.reads == 2
    assert await source.open_overdue_requests() == await source.open_overdue_requests() == 7
    assert changelog.reads == 3


async def test_concurrent_callers_wait_for_the_read_under_way(
    config: FaustConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    changelog = Changelog(monkeypatch)
    changelog.release.clear()
    source = ChangelogCounters(config, monotonic=Clock())
    waiting = [asyncio.create_task(source.counters()) for _ in range(5)]
    await asyncio.sleep(0)
    changelog.release.set()
    answers = await asyncio.gather(*waiting)
    assert changelog.reads == 1 and all(answer == changelog.value for answer in answers)
