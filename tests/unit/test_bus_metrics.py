"""The bus metrics without a bus: the age observed by ``deliver`` and the lag collector's arithmetic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from prometheus_client import generate_latest

from gongkai.bus.base import EventBus, Lag
from gongkai.bus.delivery import DeliveryPolicy, age_seconds, deliver
from gongkai.bus.metrics import consumer_lag
from gongkai.events import DocumentSubmitted, Envelope, new_event
from gongkai.metrics import REGISTRY

POLICY = DeliveryPolicy(max_attempts=2, backoff_s=0.0)


def event(occurred_at: datetime | None = None) -> Envelope:
    data = DocumentSubmitted(title="通知", body="正文", category="art20.1", department="办公室")
    return new_event("document.submitted", subject="doc-1", source="test", data=data, occurred_at=occurred_at)


def age_sample(group: str, suffix: str, **extra: str) -> float | None:
    return REGISTRY.get_sample_value(
        f"gongkai_bus_event_age_seconds_{suffix}", {"group": group, "topic": "gongkai.documents", **extra}
    )


def test_age_is_seconds_since_occurred_at_and_never_negative() -> None:
    now = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    assert age_seconds(event(now - timedelta(days=3)), now) == 3 * 86400
    assert age_seconds(event(now + timedelta(minutes=5)), now) == 0.0
    naive = event().model_copy(update={"occurred_at": datetime(2026, 6, 1, 1, 0)})  # read as UTC
    assert age_seconds(naive, now) == 3600


async def test_deliver_observes_the_age_of_handled_events_only() -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"

    async def ok(_: Envelope) -> None:
        return None

    async def broken(_: Envelope) -> None:
        raise RuntimeError("no")

    late_paper_entry = event(datetime.now(UTC) - timedelta(days=2))
    assert (
        await deliver(
            group=group, topic="gongkai.documents", raw=late_paper_entry.to_bytes(), handler=ok, policy=POLICY
        )
        is None
    )
    letter = await deliver(
        group=group, topic="gongkai.documents", raw=event().to_bytes(), handler=broken, policy=POLICY
    )
    assert letter is not None
    assert await deliver(group=group, topic="gongkai.documents", raw=b"not json", handler=ok, policy=POLICY) is not None

    assert age_sample(group, "count") == 1
    assert age_sample(group, "bucket", le="3600.0") == 0  # two days old: only in the day-and-above buckets
    assert age_sample(group, "bucket", le="+Inf") == 1
    handled = {"group": group, "topic": "gongkai.documents"}
    assert REGISTRY.get_sample_value("gongkai_bus_events_handled_total", {**handled, "outcome": "ok"}) == 1
    assert REGISTRY.get_sample_value("gongkai_bus_events_handled_total", {**handled, "outcome": "dead_lettered"}) == 2


class FakeBus(EventBus):
    """Only ``lag`` matters here."""

    def __init__(self, lag: Lag | Exception) -> None:
        self._lag = lag

    def lag(self) -> Lag:
        if isinstance(self._lag, Exception):
            raise self._lag
        return self._lag

    async def start(self) -> None: ...
    async def close(self) -> None: ...
    async def publish(self, event: Envelope) -> None: ...
    async def publish_raw(self, topic: str, *, key: str, value: bytes) -> None: ...
    async def subscribe(self, *, group, topics, handler) -> None: ...
    async def read(self, topic: str) -> list[bytes]:
        return []

    @property
    def consuming(self) -> bool:
        return True


def lag_sample(group: str, topic: str) -> float | None:
    return REGISTRY.get_sample_value("gongkai_bus_consumer_lag_events", {"group": group, "topic": topic})


def test_the_collector_sums_the_buses_of_the_process_and_skips_one_that_cannot_answer() -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    members = [
        FakeBus({(group, "gongkai.documents"): 3, (group, "gongkai.requests"): 0}),
        FakeBus({(group, "gongkai.documents"): 4}),  # another member of the group owns other partitions
        FakeBus(OSError("database is locked")),
    ]
    for bus in members:
        consumer_lag.watch(bus)
    try:
        assert lag_sample(group, "gongkai.documents") == 7
        assert lag_sample(group, "gongkai.requests") == 0
        assert lag_sample(group, "gongkai.letters") is None  # unknown is absent, not 0
        text = generate_latest(REGISTRY).decode()
        assert "# TYPE gongkai_bus_consumer_lag_events gauge" in text
        assert "_created" not in text
    finally:
        for bus in members:
            consumer_lag.unwatch(bus)
    assert lag_sample(group, "gongkai.documents") is None
