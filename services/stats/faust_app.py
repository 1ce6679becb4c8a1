"""Stats on Kafka: the pure reducers of ``services.stats.domain`` in a faust-streaming app.

The embedded stats consumer keeps counters, memos and processed event ids in one SQLite
transaction. Kafka has no such transaction across keys and partitions (``exactly_once`` does not
start on the Tansu test broker), so this app is at-least-once and makes every table update
idempotent. It runs in two stages because a faust table writes each change to the changelog
partition *of the record being processed*: a table may only be written under keys that live in
that partition, or recovery would mix values from several partitions.

1. ``stats-subjects`` consumes the stats topics (``SOURCE_TOPICS``: documents, public documents,
   requests, appeals, letters, proposals; all keyed by the event's subject, so one subject's
   events share a partition number and arrive in order). Table ``subjects`` keeps, per subject,
   the reducer's ``Memo`` *and* the ids of the events already applied, in one value, so the memo
   change and the dedupe record are one changelog write. For an event not seen yet it runs
   ``reduce``, sends the counter increments to the internal topic ``<app id>-counter-deltas``
   keyed by counter key, *waits until they are durable*, and only then records the new memo and
   the event id. A repeated event id (a producer retry, a re-emitted derived event) is skipped.
2. ``stats-counters`` consumes ``<app id>-counter-deltas``; table ``counters`` keeps, per counter
   key, the value and, per source partition, the offset of the last source record applied to it
   (``applied``), again in one value. A delta whose source offset is not beyond ``applied`` is a
   replay of stage 1 after a crash or a rebalance and is skipped.

Why that is exact: faust flushes table changelogs before it commits a consumer offset, so after a
crash each table is restored to a prefix of its updates at least as far as the committed offset,
and the records after it are processed again. Stage 1 skips those whose id it had recorded, and
recomputes the others from the same memo, so the deltas it re-sends are the ones it sent before;
stage 2 sees each source record's deltas in source order and skips what it had applied. Delta
records carry the event id too, for tracing. Dedupe state stays small: a subject's record lists
its own events (tens for a request), a counter's record one offset per source partition.

``report.*`` events are not counters and stay with the embedded stats service (staff report
entries live in ``stats.db``): this app does not consume ``gongkai.reports``.

When table recovery ends, faust 0.15.3 empties its stream queues after it has resumed fetching,
dropping records until the next restart; ``_keep_fetched_records_when_recovery_ends`` keeps them.
Its producer-buffer flush before a commit can return with table updates still in memory, so a
kill -9 lost them; ``_flush_every_buffered_write_before_commit`` waits for every one.
On the Tansu test broker the worker needs short group timeouts (``GONGKAI_KAFKA_*``) and one record
per producer batch (``GONGKAI_FAUST_PRODUCER_MAX_BATCH_SIZE=1``, or changelog recovery stops early
at Tansu's wrong end offsets); real Kafka needs neither. See docs/operations.md.

Counters are read from the worker's web server (``GET /stats/counters/``: the counters of the
partitions this worker owns, and whether it has finished joining and recovering), or from the
durable changelog with ``read_counters`` (``python -m services.stats.faust_app counters``).
Tables use faust's in-memory store, rebuilt from the changelog topics at every start.

Run a worker with ``python -m services.stats.faust_app worker`` (settings from ``GONGKAI_*``) or
``run_worker(settings)``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import faust
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import ValidationError

from gongkai.bus.delivery import DeadLetter
from gongkai.events import Envelope, Topic, dead_letter_topic
from gongkai.settings import Settings
from services.stats.domain import CounterDelta, Memo, reduce
from services.stats.metrics import exposition
from services.stats.rebuild import STATS_TOPICS

__all__ = [
    "APP_ID",
    "SOURCE_TOPICS",
    "CounterKey",
    "FaustConfig",
    "counter_key",
    "main",
    "make_app",
    "parse_counter_key",
    "read_changelog",
    "read_counters",
    "read_open_overdue_requests",
    "run_worker",
]

log = logging.getLogger(__name__)

APP_ID = "gongkai-stats"
#: The stats service's topics but ``gongkai.reports``, which carries staff entries, not counters.
SOURCE_TOPICS: tuple[str, ...] = tuple(topic for topic in STATS_TOPICS if topic != Topic.REPORTS)
COUNTERS_PATH = "/stats/counters/"
METRICS_PATH = "/metrics"

#: (name, year, labels) as in ``services.stats.store``.
CounterKey = tuple[str, int, tuple[tuple[str, str], ...]]


def counter_key(delta: CounterDelta) -> str:
    """A stable string for a counter: JSON of name, year and the sorted labels.

    >>> counter_key(CounterDelta("appeals_filed", 2026, (("kind", "reconsideration"),)))
    '["appeals_filed",2026,[["kind","reconsideration"]]]'
    """
    labels = [list(pair) for pair in sorted(delta.labels)]
    return json.dumps([delta.name, delta.year, labels], ensure_ascii=False, separators=(",", ":"))


def parse_counter_key(key: str) -> CounterKey:
    name, year, labels = json.loads(key)
    return str(name), int(year), tuple((str(k), str(v)) for k, v in labels)


# --- configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FaustConfig:
    """Everything ``make_app`` needs. Timeouts in seconds, as faust takes them."""

    bootstrap: str  # host:port[,host:port]
    data_dir: Path
    app_id: str = APP_ID
    partitions: int = 3
    replication: int = 1
    session_timeout_s: float = 10.0
    heartbeat_interval_s: float = 3.0
    rebalance_timeout_s: float = 10.0
    producer_max_batch_size: int | None = None  # None: faust's default (16 KiB)
    web_host: str = "127.0.0.1"
    web_port: int = 6066

    @classmethod
    def from_settings(cls, settings: Settings) -> FaustConfig:
        """The platform's Kafka settings (``GONGKAI_BUS``, ``GONGKAI_KAFKA_*``) plus ``GONGKAI_FAUST_*``."""
        if settings.bus_kind != "kafka":
            raise ValueError("the faust stats app needs GONGKAI_BUS=kafka://HOST:PORT")
        return cls(
            bootstrap=settings.kafka_bootstrap,
            data_dir=settings.data_dir,
            app_id=settings.faust_app_id,
            partitions=settings.kafka_partitions,
            replication=settings.kafka_replication,
            session_timeout_s=settings.kafka_session_timeout_ms / 1000,
            heartbeat_interval_s=settings.kafka_heartbeat_interval_ms / 1000,
            rebalance_timeout_s=settings.kafka_rebalance_timeout_ms / 1000,
            producer_max_batch_size=settings.faust_producer_max_batch_size,
            web_host=settings.host,
            web_port=settings.faust_web_port,
        )

    @property
    def deltas_topic(self) -> str:
        return f"{self.app_id}-counter-deltas"

    @property
    def counters_changelog(self) -> str:
        return f"{self.app_id}-counters-changelog"

    @property
    def subjects_changelog(self) -> str:
        return f"{self.app_id}-subjects-changelog"


# --- the app ----------------------------------------------------------------------------------


def make_app(config: FaustConfig) -> faust.App:
    """The faust app (a ``faust.App``): two agents, two tables and the counters page."""
    conf: dict[str, Any] = {
        "broker": [f"kafka://{host.strip()}" for host in config.bootstrap.split(",")],
        "store": "memory://",
        "datadir": str(config.data_dir / "faust"),
        "autodiscover": False,
        "processing_guarantee": "at_least_once",
        "stream_publish_on_commit": False,
        "consumer_auto_offset_reset": "earliest",
        "topic_partitions": config.partitions,
        "topic_replication_factor": config.replication,
        "broker_session_timeout": config.session_timeout_s,
        "broker_heartbeat_interval": config.heartbeat_interval_s,
        "broker_rebalance_timeout": config.rebalance_timeout_s,
        "producer_acks": -1,
        "web_enabled": True,
        "web_bind": config.web_host,
        "web_host": config.web_host,
        "web_port": config.web_port,
    }
    if config.producer_max_batch_size is not None:
        conf["producer_max_batch_size"] = config.producer_max_batch_size
    app = faust.App(config.app_id, **conf)
    _keep_fetched_records_when_recovery_ends(app)
    _flush_every_buffered_write_before_commit(app.producer.buffer)

    source = app.topic(*SOURCE_TOPICS, key_serializer="raw", value_serializer="raw")
    deltas = app.topic(
        config.deltas_topic,
        internal=True,
        partitions=config.partitions,
        key_serializer="raw",
        value_serializer="json",
    )
    subjects = app.Table("subjects", partitions=config.partitions, key_type=str)
    counters = app.Table("counters", partitions=config.partitions, key_type=str)

    tally: Counter[str] = Counter()  # what this process did since it started, for operators and tests

    async def fold_subjects(stream: Any) -> None:
        async for event in stream.events():
            tally[await _fold_one(event, subjects, deltas, app)] += 1

    async def sum_counters(stream: Any) -> None:
        async for event in stream.events():
            tally[_sum_one(event, counters)] += 1

    app.agent(source, name="stats-subjects")(fold_subjects)
    app.agent(deltas, name="stats-counters")(sum_counters)

    started = time.monotonic()
    announced: list[bool] = []

    def ready() -> bool:
        recovery = getattr(app.tables, "recovery", None)
        return bool(recovery and recovery.completed.is_set() and not app.rebalancing and app.consumer.assignment())

    async def announce_ready() -> None:
        if not announced and ready():
            announced.append(True)
            log.info("stats faust worker joined and recovered in %.1f s", time.monotonic() - started)

    app.timer(0.1)(announce_ready)

    async def counters_page(web: Any, request: Any) -> Any:
        owned = {tp.partition for tp in app.consumer.assignment() if tp.topic == config.deltas_topic}
        values = {key: record for key, record in counters.items() if record.get("partition") in owned}
        return web.json(
            {
                "ready": ready(),
                "partitions": sorted(owned),
                "since_start": dict(sorted(tally.items())),
                "counters": [_counter_json(key, record["value"]) for key, record in sorted(values.items())],
            }
        )

    async def metrics_page(web: Any, request: Any) -> Any:
        """The counters of the partitions this worker owns, as Prometheus counters (``gongkai_<name>``).

        Each worker exports its own partitions' counters; Prometheus sums them over the workers
        (``sum without (instance) (…)``), as it does for the replicas of a service.
        """
        owned = {tp.partition for tp in app.consumer.assignment() if tp.topic == config.deltas_topic}
        values = {
            parse_counter_key(key): int(record["value"])
            for key, record in counters.items()
            if record.get("partition") in owned
        }
        return web.bytes(exposition(values), headers={"Content-Type": CONTENT_TYPE_LATEST})  # aiohttp: charset

    app.page(COUNTERS_PATH)(counters_page)
    app.page(METRICS_PATH)(metrics_page)
    return app


def _keep_fetched_records_when_recovery_ends(app: Any) -> None:
    """Work around a race in faust 0.15.3 that drops records after every table recovery.

    When recovery ends, faust resumes fetching the stream partitions, seeks them to the committed
    offsets and only then resumes flow control, which empties every stream queue. The fetcher,
    already running for the changelogs, has often delivered the first records of the stream
    partitions by then: they are thrown away, the fetch position has moved past them, and they are
    not read again until the next restart (the committed offset stops at the hole meanwhile).
    Resuming without emptying the queues keeps them; the seek may make the consumer read a few
    records twice, which the tables' deduplication absorbs. Queues are still emptied when
    partitions are revoked (``App.on_partitions_revoked`` clears them itself).
    """
    flow: Any = app.flow_control

    def resume() -> None:
        flow._suspend.clear()
        flow._resume.set()

    flow.resume = resume


def _flush_every_buffered_write_before_commit(buffer: Any) -> None:
    """Work around a race in faust 0.15.3 that commits offsets before the table writes are durable.

    A table update goes to the changelog through the producer buffer (``send_soon``). Before it
    commits offsets, faust flushes that buffer and then the Kafka producer, so that the changelog
    holds every update of the records it commits. But ``ProducerBuffer.flush`` gives up as soon
    as one message takes longer than 0.1 s to be handed to the producer (a busy event loop, a
    partition waiting for its previous batch), and it does not count the message being handed
    over. The offsets are then committed with updates still in memory, and a kill -9 loses them:
    the table restores without them and the records are not read again. This flush waits until
    the buffer is empty and nothing is in hand; the producer's own flush then waits for delivery.
    ``flush_atmost`` (faust's back-pressure on a full buffer) is left as it is.
    """
    send = buffer._send_pending
    in_hand = [0]

    async def send_pending(message: Any) -> None:
        in_hand[0] += 1
        try:
            await send(message)
        finally:
            in_hand[0] -= 1

    async def flush() -> None:
        while True:
            buffer.message_sent.clear()  # before looking, so a send that ends meanwhile wakes us
            if not (buffer.size or in_hand[0]):
                return
            if buffer.state != "running" and buffer.size:  # as faust's own flush
                raise RuntimeError("Cannot flush: Producer not Running")
            with contextlib.suppress(TimeoutError):  # looks again if the sending task has stopped
                await asyncio.wait_for(buffer.message_sent.wait(), timeout=1.0)

    buffer._send_pending = send_pending  # read once by the buffer's sending task when it starts
    buffer.flush = flush


async def _fold_one(event: Any, subjects: Any, deltas: Any, app: Any) -> str:
    """Stage 1: one source record → its deltas (durable first), then the subject's memo and seen ids."""
    message = event.message
    raw: bytes = event.value or b""
    try:
        envelope = Envelope.from_bytes(raw)
    except (ValidationError, ValueError) as exc:
        await _dead_letter(app, message, f"undecodable record: {exc.__class__.__name__}", raw=raw)
        return "dead_lettered"
    record: dict[str, Any] = subjects.get(envelope.subject) or {"memo": None, "seen": []}
    event_id = str(envelope.id)
    if event_id in record["seen"]:
        return "events_repeated"
    memo = Memo.from_json(record["memo"]) if record["memo"] is not None else None
    try:
        reduction = reduce(envelope, memo)
    except Exception as exc:  # the reducer is deterministic: retrying would fail the same way
        log.warning("dead-lettering %s %s: the reducer failed", envelope.type, envelope.id)
        await _dead_letter(app, message, f"{type(exc).__name__}: {exc}", event=envelope)
        return "dead_lettered"
    totals: dict[str, int] = {}
    for delta in reduction.deltas:
        totals[counter_key(delta)] = totals.get(counter_key(delta), 0) + delta.amount
    origin = f"{message.topic}:{message.partition}"
    pending = [
        await deltas.send(
            key=key,
            value={"origin": origin, "offset": message.offset, "event": event_id, "amount": amount},
            force=True,
        )
        for key, amount in totals.items()
    ]
    for sent in pending:
        await sent  # durable before the event counts as applied: a crash now re-sends, never loses
    now = reduction.memo or memo
    subjects[envelope.subject] = {
        "memo": now.to_json() if now is not None else None,
        "seen": [*record["seen"], event_id],
    }
    return "events_applied"


def _sum_one(event: Any, counters: Any) -> str:
    """Stage 2: add one delta to its counter unless its source record was applied already."""
    delta: dict[str, Any] = event.value
    key = event.key.decode() if isinstance(event.key, bytes) else str(event.key)
    record: dict[str, Any] = counters.get(key) or {"value": 0, "applied": {}}
    origin, offset = str(delta["origin"]), int(delta["offset"])
    if record["applied"].get(origin, -1) >= offset:
        return "deltas_replayed"  # a replay of stage 1
    counters[key] = {
        "value": int(record["value"]) + int(delta["amount"]),
        "applied": {**record["applied"], origin: offset},
        "partition": event.message.partition,
    }
    return "deltas_applied"


async def _dead_letter(
    app: Any, message: Any, error: str, *, event: Envelope | None = None, raw: bytes | None = None
) -> None:
    letter = DeadLetter(
        group=app.conf.id,
        topic=message.topic,
        error=error[:2000],
        attempts=1,
        failed_at=datetime.now(UTC),
        event=event.model_dump(mode="json") if event else None,
        raw=raw.decode("utf-8", "replace")[:10_000] if raw is not None else None,
    )
    target = dead_letter_topic(message.topic)
    await app.producer.send_and_wait(
        target, message.key, letter.model_dump_json().encode(), partition=None, timestamp=None, headers=None
    )
    log.warning("dead-lettered %s[%d]@%d to %s", message.topic, message.partition, message.offset, target)


def _counter_json(key: str, value: int) -> dict[str, Any]:
    name, year, labels = parse_counter_key(key)
    return {"name": name, "year": year, "labels": dict(labels), "value": int(value)}


# --- topics -----------------------------------------------------------------------------------


def ensure_source_topics(config: FaustConfig) -> FaustConfig:
    """Create missing source topics (as the bus does) and match the app's partitions to theirs.

    Faust creates its own internal and changelog topics, but tables must have as many partitions
    as the topics that feed them.
    """
    from kafka.admin import KafkaAdminClient
    from kafka.errors import TopicAlreadyExistsError, for_code

    admin = KafkaAdminClient(bootstrap_servers=config.bootstrap, client_id=f"{config.app_id}-admin")
    try:
        topics = [*SOURCE_TOPICS, *(dead_letter_topic(t) for t in SOURCE_TOPICS)]
        missing = [t for t in topics if t not in set(admin.list_topics())]
        if missing:
            spec = {"num_partitions": config.partitions, "replication_factor": config.replication}
            response = admin.create_topics({t: dict(spec) for t in missing}, raise_errors=False)
            for topic in response["topics"]:
                error = for_code(topic["error_code"])
                if topic["error_code"] != 0 and error is not TopicAlreadyExistsError:
                    raise error(f"creating {topic['name']}: {topic['error_message']}")
            admin.wait_for_topics(missing)
        described = admin.describe_topics(list(SOURCE_TOPICS))
    finally:
        admin.close()
    counts = {t.get("name", t.get("topic")): len(t["partitions"]) for t in described}
    if len(set(counts.values())) != 1:
        raise RuntimeError(f"the stats topics must have equal partition counts, not {counts}")
    return replace(config, partitions=next(iter(counts.values())))


# --- reading counters from the changelog ------------------------------------------------------


async def read_counters(config: FaustConfig, *, timeout_s: float = 30.0) -> dict[CounterKey, int]:
    """The durable counters: the last value of each key in the counters changelog.

    This is what a worker restores at start-up; it trails a running worker by at most a commit
    interval. It needs no worker and covers every partition.
    """
    latest = await read_changelog(config, config.counters_changelog, timeout_s=timeout_s)
    return {parse_counter_key(key): int(record["value"]) for key, record in latest.items()}


async def read_open_overdue_requests(config: FaustConfig, *, timeout_s: float = 30.0) -> int:
    """Requests open and past their deadline now, from the subjects' memos in their changelog."""
    latest = await read_changelog(config, config.subjects_changelog, timeout_s=timeout_s)
    return sum(
        1
        for record in latest.values()
        if record.get("memo") is not None and Memo.from_json(record["memo"]).open_and_overdue
    )


async def read_changelog(config: FaustConfig, topic: str, *, timeout_s: float = 30.0) -> dict[str, Any]:
    """The last value of each key of a table's changelog (JSON key → JSON value; deleted keys left out).

    Each partition is read up to the high-water mark of its first fetch response, not
    ``end_offsets`` (wrong on Tansu after multi-record batches).
    """
    from aiokafka import AIOKafkaConsumer
    from aiokafka.structs import TopicPartition

    reader = AIOKafkaConsumer(
        bootstrap_servers=config.bootstrap,
        client_id=f"{config.app_id}-reader",
        enable_auto_commit=False,
        fetch_max_wait_ms=50,
    )
    await reader.start()
    latest: dict[str, Any] = {}
    try:
        await reader.topics()  # fetches the cluster's metadata
        partitions = reader.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        reader.assign(tps)
        if tps:
            await reader.seek_to_beginning(*tps)
        ends: dict[Any, int] = {}
        pending = set(tps)
        deadline = time.monotonic() + timeout_s
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic} did not reach its end")
            batch = await reader.getmany(timeout_ms=100)
            for tp in tps:
                if tp not in ends and reader.highwater(tp) is not None:
                    ends[tp] = reader.highwater(tp)
                for r in batch.get(tp, ()):
                    if tp in ends and r.offset < ends[tp]:
                        latest[json.loads(r.key)] = json.loads(r.value) if r.value is not None else None
                if tp in pending and tp in ends and await reader.position(tp) >= ends[tp]:
                    pending.discard(tp)
    finally:
        await reader.stop()
    return {key: value for key, value in latest.items() if value is not None}


# --- entry points -----------------------------------------------------------------------------


def run_worker(settings: Settings | None = None, *, web_port: int | None = None, loglevel: str = "info") -> NoReturn:
    """Run one stats worker until SIGTERM/SIGINT, then exit the process (faust's worker raises SystemExit).

    The function behind ``gongkai stats faust``: it creates missing stats topics, takes faust's
    partition count from them and serves ``GET /stats/counters/`` on ``web_port``.
    """
    config = FaustConfig.from_settings(settings or Settings())
    if web_port is not None:
        config = replace(config, web_port=web_port)
    config = ensure_source_topics(config)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    app = make_app(config)
    worker = faust.Worker(app, loglevel=loglevel, redirect_stdouts=False)
    worker.execute_from_commandline()


def _print_counters(settings: Settings) -> None:
    config = FaustConfig.from_settings(settings)
    counters = asyncio.run(read_counters(config))
    rows = [_counter_json(counter_key(CounterDelta(n, y, labels)), v) for (n, y, labels), v in sorted(counters.items())]
    lines = ",\n ".join(json.dumps(row, ensure_ascii=False) for row in rows)
    sys.stdout.write(f"[{lines}]\n" if rows else "[]\n")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.stats.faust_app", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("worker", help="run a stats worker (settings from GONGKAI_*)")
    worker.add_argument("--web-port", type=int, default=None, help="the worker's HTTP port (GONGKAI_FAUST_WEB_PORT)")
    worker.add_argument("--loglevel", default="info")
    commands.add_parser("counters", help="print the durable counters (read from the changelog) as JSON")
    args = parser.parse_args(argv)
    if args.command == "worker":
        run_worker(web_port=args.web_port, loglevel=args.loglevel)
    else:
        _print_counters(Settings())


if __name__ == "__main__":
    main()
