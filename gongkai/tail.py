"""``gongkai tail TOPIC``: an operator's look at a topic, on either bus, without joining a consumer group.

It never commits an offset and never takes a partition from a service: the embedded log is opened
read-only, and on Kafka the partitions are assigned to a consumer without a group. By default each
event is one line of metadata (when, type and version, subject, id); ``--json`` prints whole records,
and internal topics carry personal data, so use it with care. Dead letters (``TOPIC.dlq``) show the
group, the error and the event they hold.

>>> line = summary(b'{"id": "6b1d0c6e-0000-4000-8000-000000000001", "type": "document.published", '
...                b'"version": 1, "occurred_at": "2026-03-02T02:00:00Z", "subject": "d1", "data": {}}')
>>> line
'2026-03-02T02:00:00Z  document.published v1  d1  6b1d0c6e-0000-4000-8000-000000000001'
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from gongkai.events import TOPICS
from gongkai.settings import Settings

__all__ = ["NoEventLog", "Record", "UnknownTopicName", "records", "render", "run", "summary"]

_POLL_S = 0.5
_BATCH = 500


class UnknownTopicName(ValueError):
    """The topic is not one of the catalog's."""


class NoEventLog(FileNotFoundError):
    """Embedded mode and no ``bus.db`` in the data directory."""


@dataclass(frozen=True)
class Record:
    key: str
    value: bytes


def records(
    settings: Settings,
    topic: str,
    *,
    last: int | None = 10,
    follow: bool = False,
    match: Callable[[bytes], bool] | None = None,
    poll_s: float = _POLL_S,
    should_stop: Callable[[], bool] = lambda: False,
) -> Iterator[Record]:
    """The ``last`` records of ``topic`` that ``match`` (all of them when ``last`` is ``None``), oldest first;
    then, with ``follow``, every new one as it arrives, until ``should_stop()`` (checked between polls)."""
    if topic not in TOPICS:
        raise UnknownTopicName(f"unknown topic {topic!r}; topics: {', '.join(TOPICS)}")
    if last is not None and last < 0:
        raise ValueError("last must be >= 0")
    source: _Source = (
        _KafkaSource(settings, topic) if settings.bus_kind == "kafka" else _EmbeddedSource(settings, topic)
    )
    try:
        if match is None:
            yield from source.backlog(last)
        else:
            kept: deque[Record] | list[Record] = deque(maxlen=last) if last is not None else []
            for record in source.backlog(None):
                if match(record.value):
                    kept.append(record)
                    if last is None:
                        yield record
            if last is not None:
                yield from kept
        if follow:
            for record in source.follow(poll_s, should_stop):
                if match is None or match(record.value):
                    yield record
    finally:
        source.close()


def summary(value: bytes) -> str:
    """One line for one record: an event, a dead letter, or whatever else is there."""
    try:
        doc = json.loads(value)
    except ValueError:
        return f"(undecodable record, {len(value)} bytes)"
    if not isinstance(doc, dict):
        return f"(not an event: {type(doc).__name__})"
    if "error" in doc and "group" in doc:  # a DeadLetter (gongkai/bus/delivery.py)
        event = doc.get("event") or {}
        held = f"{event.get('type', '?')} {event.get('subject', '?')} {event.get('id', '?')}" if event else "raw bytes"
        return (
            f"{doc.get('failed_at', '?')}  dead letter of {doc.get('group', '?')} after {doc.get('attempts', '?')} "
            f"attempts: {doc.get('error', '?')}  [{held}]"
        )
    return (
        f"{doc.get('occurred_at', '?')}  {doc.get('type', '?')} v{doc.get('version', '?')}  "
        f"{doc.get('subject', '?')}  {doc.get('id', '?')}"
    )


def render(record: Record, *, as_json: bool) -> str:
    return record.value.decode("utf-8", errors="replace") if as_json else summary(record.value)


def _event_type(value: bytes) -> str | None:
    try:
        doc = json.loads(value)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    event = doc.get("event") if "error" in doc and "group" in doc else doc
    kind = event.get("type") if isinstance(event, dict) else None
    return kind if isinstance(kind, str) else None


def run(
    settings: Settings,
    topic: str,
    *,
    last: int | None,
    follow: bool,
    types: Sequence[str],
    as_json: bool,
    echo: Callable[[str], Any],
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Print the records (only those of ``types`` when given); how many were printed. Ctrl-C ends quietly."""
    wanted = set(types)
    match = (lambda value: _event_type(value) in wanted) if wanted else None
    printed = 0
    with contextlib.suppress(KeyboardInterrupt):
        for record in records(settings, topic, last=last, follow=follow, match=match, should_stop=should_stop):
            echo(render(record, as_json=as_json))
            printed += 1
    return printed


class _Source(Protocol):
    def backlog(self, last: int | None) -> Iterator[Record]:
        """The last ``last`` records now in the topic (all when ``None``), oldest first."""

    def follow(self, poll_s: float, should_stop: Callable[[], bool]) -> Iterator[Record]:
        """Records appended after the backlog, as they arrive."""

    def close(self) -> None: ...


class _EmbeddedSource:
    """The SQLite log of ``gongkai/bus/embedded.py`` (tables ``log(seq, topic, key, value)``), read-only."""

    def __init__(self, settings: Settings, topic: str) -> None:
        path = settings.data_dir / "bus.db"
        if not path.exists():
            raise NoEventLog(f"no event log at {path} (give --data-dir, or set GONGKAI_BUS for Kafka)")
        self.topic = topic
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        self.after = 0

    def backlog(self, last: int | None) -> Iterator[Record]:
        if last is not None:
            newest = self.conn.execute("SELECT max(seq) FROM log WHERE topic = ?", (self.topic,)).fetchone()[0] or 0
            first = self.conn.execute(
                "SELECT min(seq) FROM (SELECT seq FROM log WHERE topic = ? ORDER BY seq DESC LIMIT ?)",
                (self.topic, last),
            ).fetchone()[0]
            self.after = first - 1 if first is not None else newest
        while batch := self._fetch():
            yield from batch

    def follow(self, poll_s: float, should_stop: Callable[[], bool]) -> Iterator[Record]:
        while not should_stop():
            batch = self._fetch()
            yield from batch
            if not batch:
                time.sleep(poll_s)

    def _fetch(self) -> list[Record]:
        rows = self.conn.execute(
            "SELECT seq, key, value FROM log WHERE topic = ? AND seq > ? ORDER BY seq LIMIT ?",
            (self.topic, self.after, _BATCH),
        ).fetchall()
        if rows:
            self.after = rows[-1][0]
        return [Record(key, bytes(value)) for _, key, value in rows]

    def close(self) -> None:
        self.conn.close()


class _KafkaSource:
    """kafka-python with the topic's partitions assigned: no group, no commits. Records of several
    partitions are shown in timestamp order; one key's records keep their order (one partition)."""

    def __init__(self, settings: Settings, topic: str) -> None:
        from kafka import KafkaConsumer, TopicPartition

        self.consumer = KafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap.split(","),
            client_id="gongkai-tail",
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=100,
        )
        partitions = sorted(self.consumer.partitions_for_topic(topic) or ())
        if not partitions:
            self.consumer.close()
            raise UnknownTopicName(f"topic {topic!r} does not exist on {settings.kafka_bootstrap}")
        self.tps = [TopicPartition(topic, p) for p in partitions]
        self.consumer.assign(self.tps)

    def backlog(self, last: int | None) -> Iterator[Record]:
        if last is None:
            self.consumer.seek_to_beginning(*self.tps)
        else:
            # Up to ``last`` per partition, then the newest ``last`` of them all. A broker may report an end
            # offset below the true one (Tansu does): starting earlier only reads a few records more.
            begins = self.consumer.beginning_offsets(self.tps)
            ends = self.consumer.end_offsets(self.tps)
            for tp in self.tps:
                self.consumer.seek(tp, max(begins[tp], ends[tp] - last))
        found = sorted(self._read_to_end(), key=_order)
        if last is not None:
            found = found[len(found) - last :] if last else []
        for *_, record in found:
            yield record

    def follow(self, poll_s: float, should_stop: Callable[[], bool]) -> Iterator[Record]:
        while not should_stop():
            batch = self.consumer.poll(timeout_ms=int(poll_s * 1000))
            arrived = sorted(
                ((m.timestamp, m.partition, m.offset, _record(m)) for ms in batch.values() for m in ms), key=_order
            )
            for *_, record in arrived:
                yield record

    def _read_to_end(self, timeout_s: float = 30.0) -> list[tuple[int, int, int, Record]]:
        """Fetch until each partition's position reaches the high-water mark its fetches report."""
        found: list[tuple[int, int, int, Record]] = []
        deadline = time.monotonic() + timeout_s
        pending = set(self.tps)
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {self.tps[0].topic} did not reach its end")
            for ms in self.consumer.poll(timeout_ms=100).values():
                found.extend((m.timestamp, m.partition, m.offset, _record(m)) for m in ms)
            for tp in list(pending):
                highwater = self.consumer.highwater(tp)
                if highwater is not None and self.consumer.position(tp) >= highwater:
                    pending.discard(tp)
        return found

    def close(self) -> None:
        self.consumer.close()


def _order(found: tuple[int, int, int, Record]) -> tuple[int, int, int]:
    return found[0], found[1], found[2]


def _record(message: Any) -> Record:
    key = message.key.decode("utf-8", errors="replace") if message.key is not None else ""
    return Record(key, bytes(message.value or b""))
