"""The EventBus contract: every adapter (embedded SQLite log, Kafka) passes the same tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from gongkai.bus import DeadLetter, EventBus, UnknownTopic, open_bus
from gongkai.events import DocumentSubmitted, Envelope, Topic, new_event
from gongkai.settings import Settings
from tests.kafka_broker import Broker, kafka_settings_env
from tests.polling import eventually

BusFactory = Callable[[], EventBus]


@pytest.fixture(params=["embedded", pytest.param("kafka", marks=pytest.mark.kafka)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    base = {"data_dir": tmp_path, "handler_backoff_s": 0.01, "handler_max_attempts": 3}
    if request.param == "kafka":
        broker: Broker = request.getfixturevalue("kafka_broker")
        with pytest.MonkeyPatch.context() as env:
            for name, value in kafka_settings_env(broker).items():
                env.setenv(name, value)
            return Settings(**base)
    return Settings(bus="embedded", **base)


@pytest.fixture
async def buses(settings: Settings) -> AsyncIterator[BusFactory]:
    """Opens buses on the same log; every bus a test opened is closed at the end."""
    opened: list[EventBus] = []

    def factory() -> EventBus:
        bus = open_bus(settings)
        opened.append(bus)
        return bus

    yield factory
    for bus in opened:
        await bus.close()


@pytest.fixture
def run() -> str:
    """A marker that keeps this test's events apart from earlier tests' on a shared broker."""
    return uuid.uuid4().hex[:10]


def doc_event(subject: str, n: int) -> Envelope:
    data = DocumentSubmitted(title=f"第{n}号通知", body="正文", category="art20.1", department="办公室")
    return new_event("document.submitted", subject=subject, source="test", data=data)


class Collector:
    """A handler that records this run's events; it can be told to fail for chosen events."""

    def __init__(self, run: str, *, fail: Callable[[Envelope, int], bool] = lambda e, n: False) -> None:
        self.run = run
        self.fail = fail
        self.seen: list[Envelope] = []
        self.attempts: dict[uuid.UUID, int] = {}

    async def __call__(self, event: Envelope) -> None:
        if not event.subject.startswith(self.run):
            return
        n = self.attempts[event.id] = self.attempts.get(event.id, 0) + 1
        if self.fail(event, n):
            raise RuntimeError(f"refusing {event.data['title']}")
        self.seen.append(event)

    def titles(self, subject: str | None = None) -> list[str]:
        return [e.data["title"] for e in self.seen if subject is None or e.subject == subject]


async def test_published_events_reach_a_consumer_in_order_per_key(buses: BusFactory, run: str) -> None:
    bus = buses()
    await bus.start()
    subjects = [f"{run}-{k}" for k in range(3)]
    events = [doc_event(subjects[n % 3], n) for n in range(30)]
    for event in events:
        await bus.publish(event)
    collector = Collector(run)
    await bus.subscribe(group=f"g-{run}", topics=[Topic.DOCUMENTS], handler=collector)
    await eventually(lambda: len(collector.seen) >= 30)
    for subject in subjects:
        assert collector.titles(subject) == [e.data["title"] for e in events if e.subject == subject]
    assert {e.id for e in collector.seen} == {e.id for e in events}


async def test_events_published_after_subscribing_are_delivered(buses: BusFactory, run: str) -> None:
    bus = buses()
    await bus.start()
    collector = Collector(run)
    await bus.subscribe(group=f"g-{run}", topics=[Topic.DOCUMENTS], handler=collector)
    await eventually(lambda: bus.consuming)
    await bus.publish_many([doc_event(f"{run}-a", n) for n in range(5)])
    await eventually(lambda: len(collector.seen) == 5)
    assert collector.titles() == [f"第{n}号通知" for n in range(5)]


async def test_a_consumer_of_several_topics_is_not_held_back_by_a_quiet_one(buses: BusFactory, run: str) -> None:
    bus = buses()
    await bus.start()
    await bus.publish_many([doc_event(f"{run}-a", n) for n in range(1200)])  # more than one fetch batch
    collector = Collector(run)
    await bus.subscribe(group=f"g-{run}", topics=[Topic.DOCUMENTS, Topic.PROPOSALS], handler=collector)
    await eventually(lambda: len(collector.seen) >= 1200)
    assert collector.titles() == [f"第{n}号通知" for n in range(1200)]


async def test_every_group_gets_every_event(buses: BusFactory, run: str) -> None:
    bus = buses()
    await bus.start()
    for n in range(5):
        await bus.publish(doc_event(f"{run}-a", n))
    first, second = Collector(run), Collector(run)
    await bus.subscribe(group=f"g1-{run}", topics=[Topic.DOCUMENTS], handler=first)
    await bus.subscribe(group=f"g2-{run}", topics=[Topic.DOCUMENTS], handler=second)
    await eventually(lambda: len(first.seen) == 5 and len(second.seen) == 5)


async def test_a_failing_handler_is_retried_until_it_succeeds(buses: BusFactory, run: str) -> None:
    bus = buses()
    await bus.start()
    event = doc_event(f"{run}-a", 1)
    await bus.publish(event)
    collector = Collector(run, fail=lambda e, attempt: attempt < 3)
    await bus.subscribe(group=f"g-{run}", topics=[Topic.DOCUMENTS], handler=collector)
    await eventually(lambda: len(collector.seen) == 1)
    assert collector.attempts[event.id] == 3


async def test_a_poison_event_is_dead_lettered_and_the_key_moves_on(buses: BusFactory, run: str) -> None:
    bus = buses()
    await bus.start()
    poison, after = doc_event(f"{run}-a", 1), doc_event(f"{run}-a", 2)
    await bus.publish(poison)
    await bus.publish(after)
    collector = Collector(run, fail=lambda e, attempt: e.id == poison.id)
    await bus.subscribe(group=f"g-{run}", topics=[Topic.DOCUMENTS], handler=collector)
    await eventually(lambda: collector.titles() == ["第2号通知"])
    assert collector.attempts[poison.id] == 3

    letters = [DeadLetter.model_validate_json(raw) for raw in await read_topic(bus, "gongkai.documents.dlq", run)]
    mine = [letter for letter in letters if letter.event and letter.event["id"] == str(poison.id)]
    assert len(mine) == 1
    assert mine[0].group == f"g-{run}"
    assert "refusing 第1号通知" in mine[0].error
    assert mine[0].replayable() == poison


async def test_committed_events_are_not_delivered_again_after_a_restart(buses: BusFactory, run: str) -> None:
    bus = buses()
    await bus.start()
    await bus.publish_many([doc_event(f"{run}-a", n) for n in range(10)])
    first = Collector(run)
    await bus.subscribe(group=f"g-{run}", topics=[Topic.DOCUMENTS], handler=first)
    await eventually(lambda: len(first.seen) == 10)
    await bus.close()

    again = buses()
    await again.start()
    await again.publish_many([doc_event(f"{run}-a", n) for n in range(10, 15)])
    second = Collector(run)
    await again.subscribe(group=f"g-{run}", topics=[Topic.DOCUMENTS], handler=second)
    await eventually(lambda: len(second.seen) >= 5)
    assert second.titles() == [f"第{n}号通知" for n in range(10, 15)]


async def test_an_undecodable_record_is_dead_lettered(buses: BusFactory, run: str) -> None:
    bus = buses()
    await bus.start()
    await bus.publish_raw(Topic.DOCUMENTS, key=f"{run}-x", value=b"\xff not json " + run.encode())
    await bus.publish(doc_event(f"{run}-x", 1))
    collector = Collector(run)
    await bus.subscribe(group=f"g-{run}", topics=[Topic.DOCUMENTS], handler=collector)
    await eventually(lambda: len(collector.seen) == 1)
    letters = [DeadLetter.model_validate_json(raw) for raw in await read_topic(bus, "gongkai.documents.dlq", run)]
    assert any(letter.raw and run in letter.raw and letter.event is None for letter in letters)


async def test_topics_are_never_auto_created(buses: BusFactory) -> None:
    bus = buses()
    await bus.start()
    with pytest.raises(UnknownTopic):
        await bus.publish_raw("gongkai.nonexistent", key="k", value=b"{}")
    with pytest.raises(UnknownTopic):
        await bus.subscribe(group="g", topics=["gongkai.nonexistent"], handler=Collector("x"))


async def read_topic(bus: EventBus, topic: str, run: str) -> list[bytes]:
    """The records of ``topic`` that mention ``run``, once there are any."""
    found: list[bytes] = []

    async def some() -> bool:
        found[:] = [raw for raw in await bus.read(topic) if run.encode() in raw]
        return bool(found)

    await eventually(some)
    return found
