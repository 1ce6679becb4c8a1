"""Consumer-side bus metrics, the same on every adapter: lag per (group, topic) and the event-age histogram.

On Kafka the topics are shared with earlier tests, so a new group first catches up on their records
(lag 0) and the counts are compared with what it had handled by then.
"""

from __future__ import annotations

import asyncio

from gongkai.bus import EventBus
from gongkai.events import Envelope, Topic
from gongkai.metrics import REGISTRY
from tests.contract import test_bus as contract
from tests.contract.test_bus import BusFactory, Collector, doc_event
from tests.polling import eventually

# The bus contract's fixtures: both adapters, the same settings, a marker per test.
settings, buses, run = contract.settings, contract.buses, contract.run

LAG = "gongkai_bus_consumer_lag_events"


class Gate:
    """A slow handler: this run's events wait for a permit each; other runs' events pass."""

    def __init__(self, run: str) -> None:
        self.run = run
        self.permits = asyncio.Semaphore(0)
        self.seen: list[Envelope] = []

    async def __call__(self, event: Envelope) -> None:
        if not event.subject.startswith(self.run):
            return
        await self.permits.acquire()
        self.seen.append(event)

    def allow(self, n: int) -> None:
        for _ in range(n):
            self.permits.release()


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def aged(group: str) -> float:
    """How many events ``group`` finished with an observed age (the histogram's count)."""
    return sample("gongkai_bus_event_age_seconds_count", group=group, topic=Topic.DOCUMENTS)


def handled(group: str, outcome: str) -> float:
    return sample("gongkai_bus_events_handled_total", group=group, topic=Topic.DOCUMENTS, outcome=outcome)


def lag_of(bus: EventBus, group: str) -> int | None:
    return bus.lag().get((group, Topic.DOCUMENTS))


async def caught_up(bus: EventBus, group: str) -> None:
    """Wait until ``group`` has finished everything already in the topic (the lag is known and 0)."""
    await eventually(lambda: lag_of(bus, group) == 0)


async def test_lag_is_what_a_slow_group_has_left_and_the_age_histogram_counts_what_it_handled(
    buses: BusFactory, run: str
) -> None:
    bus = buses()
    await bus.start()
    group = f"g-{run}"
    gate = Gate(run)
    await bus.subscribe(group=group, topics=[Topic.DOCUMENTS], handler=gate)
    await caught_up(bus, group)
    before = aged(group)
    assert before == handled(group, "ok")

    await bus.publish_many([doc_event(f"{run}-a", n) for n in range(10)])
    await eventually(lambda: lag_of(bus, group) == 10)
    assert aged(group) == before

    gate.allow(4)
    await eventually(lambda: len(gate.seen) == 4 and lag_of(bus, group) == 6)
    assert aged(group) == before + 4
    assert REGISTRY.get_sample_value(LAG, {"group": group, "topic": Topic.DOCUMENTS}) == 6

    gate.allow(6)
    await caught_up(bus, group)
    assert [e.data["title"] for e in gate.seen] == [f"第{n}号通知" for n in range(10)]
    assert aged(group) == before + 10 == handled(group, "ok")
    assert REGISTRY.get_sample_value(LAG, {"group": group, "topic": Topic.DOCUMENTS}) == 0


async def test_a_dead_lettered_event_is_counted_as_such_and_not_aged(buses: BusFactory, run: str) -> None:
    bus = buses()
    await bus.start()
    group = f"g-{run}"
    poison, after = doc_event(f"{run}-a", 1), doc_event(f"{run}-a", 2)
    collector = Collector(run, fail=lambda e, attempt: e.id == poison.id)
    await bus.subscribe(group=group, topics=[Topic.DOCUMENTS], handler=collector)
    await caught_up(bus, group)
    ok, dead, before = handled(group, "ok"), handled(group, "dead_lettered"), aged(group)

    await bus.publish_many([poison, after])
    await eventually(lambda: collector.titles() == ["第2号通知"] and lag_of(bus, group) == 0)
    assert handled(group, "dead_lettered") == dead + 1
    assert handled(group, "ok") == ok + 1
    assert aged(group) == before + 1


async def test_lag_starts_from_the_committed_position_and_leaves_with_the_bus(buses: BusFactory, run: str) -> None:
    bus = buses()
    await bus.start()
    group = f"g-{run}"
    first = Collector(run)
    await bus.subscribe(group=group, topics=[Topic.DOCUMENTS], handler=first)
    await bus.publish_many([doc_event(f"{run}-a", n) for n in range(5)])
    await eventually(lambda: len(first.seen) == 5)
    await bus.close()
    assert bus.lag() == {}
    assert REGISTRY.get_sample_value(LAG, {"group": group, "topic": Topic.DOCUMENTS}) is None

    again = buses()
    await again.start()
    assert again.lag() == {}  # no consumer yet: nothing to report, not a guess
    await again.publish_many([doc_event(f"{run}-a", n) for n in range(5, 8)])
    gate = Gate(run)
    await again.subscribe(group=group, topics=[Topic.DOCUMENTS], handler=gate)
    await eventually(lambda: lag_of(again, group) == 3)
    gate.allow(3)
    await caught_up(again, group)
    assert [e.data["title"] for e in gate.seen] == [f"第{n}号通知" for n in range(5, 8)]
