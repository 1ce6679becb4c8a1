"""Kafka EventBus: aiokafka producers and consumer groups on explicitly created topics.

* ``publish`` returns once every in-sync replica has the record (``acks=all``); the key is
  the event's subject, so one subject's events share a partition and keep their order.
* Topics come from the catalog and are created at ``start`` (never auto-created).
* One consumer per ``subscribe``; it commits offsets itself, after the handler returned or
  the dead letter is durable, so delivery is at-least-once. A rebalance waits for the
  record in flight and commits what was finished before the partitions move.

Nothing here logs event payloads (they may hold personal data): type, id, topic,
partition and offset only.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from aiokafka.protocol.group import LeaveGroupRequest
from aiokafka.structs import OffsetAndMetadata, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.errors import TopicAlreadyExistsError, for_code

from gongkai.bus.base import EventBus, Handler, Lag
from gongkai.bus.delivery import DeliveryPolicy, dead_letter_target, deliver
from gongkai.bus.metrics import consumer_lag, total_lag
from gongkai.events import Envelope
from gongkai.settings import Settings

__all__ = ["KafkaBus"]

log = logging.getLogger(__name__)

#: Sends a value to a topic under a key and returns once it is durable.
_Send = Callable[[str, bytes | None, bytes], Awaitable[None]]
_Batch = dict[Any, list[Any]]  # TopicPartition -> ConsumerRecords, as getmany returns them

_CLOSE_TIMEOUT_S = 10.0  # bound on every step of close(): in-flight record, leave group, flush
_POLL_MS = 1000  # an idle consumer wakes this often to notice close()
_MAX_POLL_RECORDS = 500  # a rebalance or close waits for at most one record of a batch anyway
_RETRY_S = 1.0  # pause after a broker error before polling again
_READ_TIMEOUT_S = 30.0
_POSITION_TIMEOUT_S = 0.1  # a valid position answers at once; an invalid one is left unknown


class KafkaBus(EventBus):
    def __init__(self, settings: Settings, *, policy: DeliveryPolicy | None = None) -> None:
        self.settings = settings
        self.policy = policy or DeliveryPolicy()
        self._producer: Any = None  # AIOKafkaProducer once started
        self._consumers: list[_GroupConsumer] = []
        self._closing = False

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._producer is not None:
            return
        self._closing = False
        # kafka-python's admin client blocks; keep it off the event loop.
        await asyncio.to_thread(self._create_topics)
        producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            client_id="gongkai",
            acks="all",
            # Idempotence stops retries from duplicating records; Tansu lacks InitProducerId.
            enable_idempotence=self.settings.kafka_idempotence,
            linger_ms=5,
            max_batch_size=262_144,
        )
        await producer.start()
        self._producer = producer
        consumer_lag.watch(self)

    def _create_topics(self) -> None:
        """Create the catalog's missing topics and wait until they have leaders."""
        admin = KafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap, client_id="gongkai-admin")
        try:
            # Only ask for missing topics: clusters with ACLs may refuse CreateTopics outright.
            existing = set(admin.list_topics())
            missing = [t for t in self.topics if t not in existing]
            if not missing:
                return
            spec = {
                "num_partitions": self.settings.kafka_partitions,
                "replication_factor": self.settings.kafka_replication,
            }
            response = admin.create_topics({t: dict(spec) for t in missing}, raise_errors=False)
            for topic in response["topics"]:
                error = for_code(topic["error_code"])
                # Another process may have created it since list_topics: that is fine.
                if topic["error_code"] != 0 and error is not TopicAlreadyExistsError:
                    raise error(f"creating {topic['name']}: {topic['error_message']}")
            admin.wait_for_topics(missing)
            log.info("created topics %s", ", ".join(missing))
        finally:
            admin.close()

    async def close(self) -> None:
        consumer_lag.unwatch(self)
        self._closing = True
        # Consumers first: they may still be writing dead letters through the producer.
        stopped = await asyncio.gather(*(c.stop() for c in self._consumers), return_exceptions=True)
        for consumer, outcome in zip(self._consumers, stopped, strict=True):
            if isinstance(outcome, Exception):
                log.warning("consumer %s did not stop cleanly: %r", consumer.group, outcome)
        self._consumers.clear()
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), _CLOSE_TIMEOUT_S)
            except TimeoutError:
                log.warning("producer did not flush within %ss", _CLOSE_TIMEOUT_S)

    # --- producing -----------------------------------------------------------------------------

    async def publish(self, event: Envelope) -> None:
        self.check_topic(event.topic)
        await self._send(event.topic, event.subject.encode(), event.to_bytes())

    async def publish_many(self, events: Sequence[Envelope]) -> None:
        for event in events:
            self.check_topic(event.topic)
        producer = self._started()
        # Enqueue everything first so the producer batches, then wait for every ack.
        acks = [await producer.send(e.topic, e.to_bytes(), key=e.subject.encode()) for e in events]
        results = await asyncio.gather(*acks, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def publish_raw(self, topic: str, *, key: str, value: bytes) -> None:
        self.check_topic(topic)
        await self._send(topic, key.encode(), value)

    async def _send(self, topic: str, key: bytes | None, value: bytes) -> None:
        await self._started().send_and_wait(topic, value, key=key)

    def _started(self) -> Any:
        if self._producer is None:
            raise RuntimeError("bus not started")
        return self._producer

    # --- consuming -----------------------------------------------------------------------------

    async def subscribe(self, *, group: str, topics: Sequence[str], handler: Handler) -> None:
        for topic in topics:
            self.check_topic(topic)
        self._started()  # dead letters need the producer
        consumer = _GroupConsumer(self.settings, group, tuple(topics), handler, self.policy, self._send)
        await consumer.start()
        self._consumers.append(consumer)

    @property
    def consuming(self) -> bool:
        return not self._closing and all(consumer.ready for consumer in self._consumers)

    # --- inspection (operators, tests) ---------------------------------------------------------

    def lag(self) -> Lag:
        """The partitions this process's members own, summed per topic (other members report the rest)."""
        return total_lag([consumer.lag() for consumer in self._consumers])

    async def read(self, topic: str) -> list[bytes]:
        """Every record of ``topic`` up to the high-water mark, partition by partition."""
        self.check_topic(topic)
        partitions = sorted(await self._started().partitions_for(topic))
        reader = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            client_id="gongkai-reader",
            enable_auto_commit=False,
            # An empty partition's first fetch would otherwise idle 500 ms before reporting its end.
            fetch_max_wait_ms=50,
        )
        await reader.start()
        try:
            tps = [TopicPartition(topic, p) for p in partitions]
            reader.assign(tps)
            await reader.seek_to_beginning(*tps)
            found = await _read_to_end(reader, tps, time.monotonic() + _READ_TIMEOUT_S)
        finally:
            await reader.stop()
        return [value for tp in tps for value in found[tp]]


async def _read_to_end(reader: Any, tps: list[Any], deadline: float) -> dict[Any, list[bytes]]:
    """Fetch until each partition's position reaches the high-water mark its first fetch reported.

    The end comes from fetch responses, not ``end_offsets``: Tansu answers ListOffsets(latest)
    with the last batch's base offset + 1, which cuts multi-record batches short.
    """
    found: dict[Any, list[bytes]] = {tp: [] for tp in tps}
    ends: dict[Any, int] = {}
    pending = set(tps)
    while pending:
        if time.monotonic() > deadline:
            raise TimeoutError(f"reading {tps[0].topic} did not reach its end")
        batch = await reader.getmany(timeout_ms=50)
        for tp in tps:
            highwater = reader.highwater(tp)
            if tp not in ends and highwater is not None:
                ends[tp] = highwater
            end = ends.get(tp)
            if end is None:
                continue
            found[tp].extend(r.value or b"" for r in batch.get(tp, ()) if r.offset < end)
            if tp in pending and await reader.position(tp) >= end:
                pending.discard(tp)
    return found


class _GroupConsumer(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka ships no type hints
    """One group member: polls, hands records to ``deliver`` one at a time, commits.

    ``_lock`` is held while a batch is handled and committed; a rebalance takes it before the
    partitions go, so it waits for the record in flight and the commit of what was finished.
    ``_epoch`` counts revocations: records of a revoked assignment are not handled (any more),
    because the next owner of their partitions re-reads them from the committed offsets.
    """

    def __init__(
        self,
        settings: Settings,
        group: str,
        topics: tuple[str, ...],
        handler: Handler,
        policy: DeliveryPolicy,
        send: _Send,
    ) -> None:
        self.group = group
        self.topics = topics
        self.handler = handler
        self.policy = policy
        self.send = send
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            client_id=f"gongkai-{group}",
            group_id=group,
            enable_auto_commit=False,
            # A new group starts at the oldest record: events published before it joined count.
            auto_offset_reset="earliest",
            session_timeout_ms=settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
            rebalance_timeout_ms=settings.kafka_rebalance_timeout_ms,
            max_poll_records=_MAX_POLL_RECORDS,
        )
        self._lock = asyncio.Lock()
        #: TopicPartition -> offset of the next record to finish: the offset to commit, ahead of it mid-batch.
        self._next: dict[Any, int] = {}
        self._epoch = 0
        self._joined = False
        self._failing = False
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        """Joined the group (assignment received) and polling without broker errors."""
        return self._joined and not self._failing and self._task is not None and not self._task.done()

    async def start(self) -> None:
        await self.consumer.start()
        _leave_even_at_generation_zero(self.consumer)
        self.consumer.subscribe(list(self.topics), listener=self)
        self._task = asyncio.create_task(self._run(), name=f"consume-{self.group}")

    async def stop(self) -> None:
        """Finish the record in flight and commit, then leave the group; each step bounded."""
        self._stopping = True
        if self._task is not None:
            if not self._lock.locked():
                self._task.cancel()  # idle in getmany: nothing to finish
            _, late = await asyncio.wait({self._task}, timeout=_CLOSE_TIMEOUT_S)
            if late:
                log.warning("consumer %s did not finish its record in %ss", self.group, _CLOSE_TIMEOUT_S)
                self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            await asyncio.wait_for(self.consumer.stop(), _CLOSE_TIMEOUT_S)
        except TimeoutError:
            log.warning("consumer %s did not leave its group in %ss", self.group, _CLOSE_TIMEOUT_S)

    # --- rebalance listener (called by aiokafka's coordinator) ---------------------------------

    async def on_partitions_revoked(self, revoked: set[Any]) -> None:
        self._epoch += 1
        async with self._lock:  # the batch in flight stops after its record and commits
            pass
        for tp in revoked:
            self._next.pop(tp, None)
        if revoked:
            log.info("group %s gives up %s", self.group, _names(revoked))

    async def on_partitions_assigned(self, assigned: set[Any]) -> None:
        self._joined = True
        log.info("group %s consumes %s", self.group, _names(assigned) or "nothing (members > partitions)")

    # --- the loop ------------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            while not self._stopping:
                batch = await self._poll()
                # getmany only returns records of the current assignment (it holds them back
                # while a rebalance is under way), so the batch is valid as of this epoch.
                epoch = self._epoch
                await self._note_positions(batch)
                if batch:
                    async with self._lock:
                        await self._process(batch, epoch)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("consumer of group %s stopped", self.group)
            raise

    async def _poll(self) -> _Batch:
        try:
            batch: _Batch = await self.consumer.getmany(timeout_ms=_POLL_MS, max_records=_MAX_POLL_RECORDS)
        except KafkaError as exc:
            self._failing = True
            log.warning("group %s cannot poll: %r", self.group, exc)
            await asyncio.sleep(_RETRY_S)
            return {}
        self._failing = False
        return batch

    async def _process(self, batch: _Batch, epoch: int) -> None:
        done: dict[Any, Any] = {}  # TopicPartition -> OffsetAndMetadata of the next record
        try:
            await self._handle_batch(batch, epoch, done)
        except KafkaError as exc:
            # A dead letter did not become durable: re-read from the first unfinished record.
            log.warning("group %s could not dead-letter, will retry: %r", self.group, exc)
            self._rewind(batch, done)
            await self._commit(done)
            await asyncio.sleep(_RETRY_S)
            return
        await self._commit(done)

    async def _handle_batch(self, batch: _Batch, epoch: int, done: dict[Any, Any]) -> None:
        for record in _in_time_order(batch):
            if self._stopping or self._epoch != epoch:
                return  # the rest is read again from the committed offset
            await self._handle(record)
            tp = TopicPartition(record.topic, record.partition)
            done[tp] = OffsetAndMetadata(record.offset + 1, "")
            self._next[tp] = record.offset + 1

    async def _handle(self, record: Any) -> None:
        raw: bytes = record.value or b""  # a null value is undecodable and gets dead-lettered
        letter = await deliver(
            group=self.group,
            topic=record.topic,
            raw=raw,
            handler=self.handler,
            policy=self.policy,
        )
        if letter is not None:
            target = dead_letter_target(record.topic)
            await self.send(target, record.key, letter.model_dump_json().encode())
            log.warning(
                "group %s dead-lettered %s[%d]@%d to %s",
                self.group,
                record.topic,
                record.partition,
                record.offset,
                target,
            )

    def _rewind(self, batch: _Batch, done: dict[Any, Any]) -> None:
        """getmany moved past the whole batch: go back to each partition's first unfinished record."""
        for tp, records in batch.items():
            first = done[tp].offset if tp in done else records[0].offset
            if first <= records[-1].offset:
                self.consumer.seek(tp, first)
                self._next[tp] = first

    # --- lag -----------------------------------------------------------------------------------

    async def _note_positions(self, batch: _Batch) -> None:
        """After a poll: a partition in ``batch`` is finished up to its first record; any other
        partition up to its position, once a fetch made that position valid (highwater known)."""
        assigned = self.consumer.assignment()
        for tp in list(self._next):
            if tp not in assigned:
                del self._next[tp]
        for tp in assigned:
            if tp in batch:
                self._next[tp] = batch[tp][0].offset
            elif self._highwater(tp) is not None:  # re-checks the assignment: a rebalance may run meanwhile
                try:
                    self._next[tp] = await asyncio.wait_for(self.consumer.position(tp), _POSITION_TIMEOUT_S)
                except (TimeoutError, KafkaError):  # unassigned or being reset meanwhile: unknown for now
                    self._next.pop(tp, None)

    def lag(self) -> Lag:
        """Per topic: the last fetched highwater mark minus the next offset to finish, summed over the
        partitions this member owns; a topic with a partition of unknown lag is left out."""
        lags: Lag = {}
        unknown: set[str] = set()
        for tp in self.consumer.assignment():
            highwater, following = self._highwater(tp), self._next.get(tp)
            if highwater is None or following is None:
                unknown.add(tp.topic)
                continue
            key = (self.group, tp.topic)
            lags[key] = lags.get(key, 0) + max(0, highwater - following)
        return {key: lag for key, lag in lags.items() if key[1] not in unknown}

    def _highwater(self, tp: Any) -> int | None:
        """The last fetched highwater mark; ``None`` before the first fetch or once ``tp`` moved away."""
        if tp not in self.consumer.assignment():
            return None  # aiokafka asserts the partition is assigned
        highwater: int | None = self.consumer.highwater(tp)
        return highwater

    async def _commit(self, done: dict[Any, Any]) -> None:
        if not done:
            return
        try:
            await self.consumer.commit(done)
        except KafkaError as exc:
            # Usually the partitions moved in a rebalance: their new owner re-reads these records,
            # which idempotent handlers tolerate (at-least-once).
            log.warning("group %s could not commit %s: %r", self.group, _names(done), exc)


def _leave_even_at_generation_zero(consumer: Any) -> None:
    """Make ``consumer.stop()`` leave its group also when the broker numbered the generation 0.

    aiokafka sends LeaveGroup only for ``generation > 0`` (Kafka numbers generations from 1;
    -1 means "not joined"). Brokers that number from 0, like Tansu, then keep a closed first
    member until its session times out, and the next member of the group joins beside that
    ghost, which may be handed partitions nobody reads until it is evicted.
    """
    coordinator = consumer._coordinator  # aiokafka's GroupCoordinator, created by start()
    leave_if_joined = coordinator._maybe_leave_group

    async def leave() -> None:
        if coordinator.generation == 0 and coordinator.member_id and coordinator._group_instance_id is None:
            try:
                await coordinator._send_req(LeaveGroupRequest(coordinator.group_id, coordinator.member_id))
            except KafkaError as exc:
                log.warning("could not leave group %s: %r", coordinator.group_id, exc)
            coordinator.reset_generation()
            return
        await leave_if_joined()

    coordinator._maybe_leave_group = leave


def _in_time_order(batch: _Batch) -> list[Any]:
    """The batch's records interleaved by timestamp; each partition keeps its own order.

    Kafka orders nothing across partitions, and getmany lists partitions in whatever order the
    fetch answered. Interleaving by time keeps a cause (``document.reviewed`` on one topic)
    ahead of its effect (``document.published`` on another) when both arrive in one batch, as
    on the embedded bus. It is best effort: handlers must still tolerate the reverse order.
    """
    return list(heapq.merge(*batch.values(), key=lambda record: record.timestamp))


def _names(tps: Any) -> str:
    return ", ".join(sorted(f"{tp.topic}[{tp.partition}]" for tp in tps))
