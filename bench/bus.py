"""Bus benchmark: events/s published and consumed by each adapter, against a raw baseline in the same run.

    make bench                      # embedded + Kafka (a Tansu broker is started on loopback)
    KAFKA_BOOTSTRAP=host:9092 make bench

Prints one line per measurement and the ratio adapter/baseline. Numbers depend on the machine;
the ratios are what to compare between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from gongkai.bus import open_bus
from gongkai.bus.base import EventBus
from gongkai.events import DocumentSubmitted, Envelope, Topic, new_event
from gongkai.settings import Settings
from tests.kafka_broker import Broker, kafka_settings_env, running_broker

BODY = "各区人民政府，市政府各部门：现将计划印发给你们，请认真贯彻落实。" * 12  # ≈ 1 KB of JSON per event


def make_events(n: int) -> list[Envelope]:
    data = DocumentSubmitted(title="关于印发计划的通知", body=BODY, category="art20.3", department="市发展和改革委员会")
    return [new_event("document.submitted", subject=f"d{i % 64}", source="bench", data=data) for i in range(n)]


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def report(label: str, ours: float, baseline: float) -> None:
    print(f"{label:<44} {ours:>10,.0f} ev/s   baseline {baseline:>10,.0f} ev/s   ratio {ours / baseline:5.2f}")


async def timed(action: Callable[[], Awaitable[None]]) -> float:
    start = time.perf_counter()
    await action()
    return time.perf_counter() - start


async def publish_concurrently(bus: EventBus, events: list[Envelope], concurrency: int) -> None:
    """Many request handlers publishing at once, as under HTTP load (each awaits durability)."""
    queue = list(reversed(events))

    async def worker() -> None:
        while queue:
            await bus.publish(queue.pop())

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def consume_all(bus: EventBus, n: int, group: str) -> None:
    done = asyncio.Event()
    seen = 0

    async def handler(_: Envelope) -> None:
        nonlocal seen
        seen += 1
        if seen >= n:
            done.set()

    await bus.subscribe(group=group, topics=[Topic.DOCUMENTS], handler=handler)
    await done.wait()


# --- embedded ----------------------------------------------------------------------------------


def raw_sqlite(path: Path, events: list[Envelope], batch: int) -> tuple[float, float]:
    """Plain SQLite: serialise and insert in transactions of ``batch`` rows (WAL, synchronous=FULL),
    then scan and decode every row. No concurrency, no consumer bookkeeping: the floor of what the
    embedded log costs."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE log (seq INTEGER PRIMARY KEY, key TEXT, value BLOB)")
    start = time.perf_counter()
    for i in range(0, len(events), batch):
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO log(key, value) VALUES (?, ?)", [(e.subject, e.to_bytes()) for e in events[i : i + batch]]
        )
        db.execute("COMMIT")
    produced = time.perf_counter() - start
    start = time.perf_counter()
    for (value,) in db.execute("SELECT value FROM log ORDER BY seq"):
        Envelope.from_bytes(value)  # consumers decode too
    consumed = time.perf_counter() - start
    db.close()
    return rate(len(events), produced), rate(len(events), consumed)


async def bench_embedded(n: int, concurrency: int) -> None:
    events = make_events(n)
    with tempfile.TemporaryDirectory() as tmp:
        base_produce, base_consume = raw_sqlite(Path(tmp) / "raw.db", events, batch=concurrency)
        bus = open_bus(Settings(data_dir=Path(tmp), bus="embedded"))
        await bus.start()
        produced = await timed(lambda: publish_concurrently(bus, events, concurrency))
        consumed = await timed(lambda: consume_all(bus, n, "bench"))
        await bus.close()
    report(f"embedded publish ({concurrency} concurrent)", rate(n, produced), base_produce)
    report("embedded consume", rate(n, consumed), base_consume)


# --- kafka -------------------------------------------------------------------------------------


async def raw_aiokafka(broker: Broker, events: list[Envelope]) -> tuple[float, float]:
    """aiokafka alone: the same records to a fresh topic-like key space, then read back by a group."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    producer = AIOKafkaProducer(
        bootstrap_servers=broker.bootstrap,
        acks="all",
        linger_ms=5,
        max_batch_size=262144,
        enable_idempotence=not broker.is_tansu,
    )
    await producer.start()
    start = time.perf_counter()
    futures = [await producer.send(Topic.DOCUMENTS, key=e.subject.encode(), value=e.to_bytes()) for e in events]
    await asyncio.gather(*futures)
    produced = time.perf_counter() - start
    await producer.stop()

    consumer = AIOKafkaConsumer(
        Topic.DOCUMENTS,
        bootstrap_servers=broker.bootstrap,
        group_id=f"raw-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=3000,
        heartbeat_interval_ms=500,
        max_partition_fetch_bytes=4 << 20,
        fetch_max_bytes=64 << 20,
        max_poll_records=5000,
    )
    await consumer.start()
    seen = 0
    start: float | None = None  # type: ignore[no-redef]
    while seen < len(events):
        batches = await consumer.getmany(timeout_ms=1000)
        if batches and start is None:
            start = time.perf_counter()  # after the group join, like the bus measurement below
        for records in batches.values():
            for record in records:
                Envelope.from_bytes(record.value or b"")
            seen += len(records)
        await consumer.commit()
    consumed = time.perf_counter() - (start or time.perf_counter())
    await consumer.stop()
    return rate(len(events), produced), rate(len(events), consumed)


async def bench_kafka(n: int, concurrency: int) -> None:
    with running_broker() as broker:
        os.environ.update(kafka_settings_env(broker))
        settings = Settings(data_dir=Path(tempfile.mkdtemp()))
        bus = open_bus(settings)
        await bus.start()  # creates the topics
        base_produce, base_consume = await raw_aiokafka(broker, make_events(n))
        events = make_events(n)
        produced_batch = await timed(lambda: bus.publish_many(events))
        produced_each = await timed(lambda: publish_concurrently(bus, make_events(n // 4), concurrency))
        first: list[float] = []

        async def handler(_: Envelope) -> None:
            if not first:
                first.append(time.perf_counter())
            handler.seen += 1  # type: ignore[attr-defined]
            if handler.seen >= total:  # type: ignore[attr-defined]
                finished.set()

        total = n + n // 4 + n  # the raw baseline's records are on the topic too
        handler.seen = 0  # type: ignore[attr-defined]
        finished = asyncio.Event()
        await bus.subscribe(group=f"bench-{uuid.uuid4().hex[:8]}", topics=[Topic.DOCUMENTS], handler=handler)
        await finished.wait()
        consumed = time.perf_counter() - first[0]
        await bus.close()
    report("kafka publish_many (batched)", rate(n, produced_batch), base_produce)
    report(f"kafka publish ({concurrency} concurrent, each acked)", rate(n // 4, produced_each), base_produce)
    report("kafka consume (commit per batch)", rate(total, consumed), base_consume)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=int(os.environ.get("BENCH_EVENTS", "20000")))
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--only", choices=["embedded", "kafka"])
    args = parser.parse_args()
    print(f"{args.n} events of ~1 KB; ratio = adapter / raw baseline measured in this run")
    if args.only != "kafka":
        asyncio.run(bench_embedded(args.n, args.concurrency))
    if args.only != "embedded":
        asyncio.run(bench_kafka(args.n, args.concurrency))


if __name__ == "__main__":
    main()
