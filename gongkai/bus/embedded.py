"""Embedded EventBus: a durable SQLite (WAL) log with consumer groups and committed offsets.

One process, no server. ``publish`` returns after the transaction holding the event is
fsynced (``synchronous=FULL``); concurrent publishes share one commit (group commit).
Consumers in the same process are woken by the commit itself; writers in other processes
(``gongkai import`` while ``gongkai up`` runs) are noticed by a slow safety poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from gongkai.bus.base import EventBus, Handler, Lag
from gongkai.bus.delivery import DeliveryPolicy, dead_letter_target, deliver
from gongkai.bus.metrics import consumer_lag
from gongkai.db import Database
from gongkai.events import Envelope

__all__ = ["EmbeddedBus"]

log = logging.getLogger(__name__)
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS topics (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL REFERENCES topics(name),
    key TEXT NOT NULL,
    event_id TEXT UNIQUE,
    value BLOB NOT NULL,
    appended_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS log_topic_seq ON log(topic, seq);
CREATE TABLE IF NOT EXISTS offsets (grp TEXT NOT NULL, topic TEXT NOT NULL, seq INTEGER NOT NULL,
                                    PRIMARY KEY (grp, topic));
"""

_Record = tuple[str, str, str | None, bytes]  # topic, key, event id, value
_BATCH = 500


class EmbeddedBus(EventBus):
    def __init__(self, path: Path, *, policy: DeliveryPolicy | None = None, poll_s: float = 0.5) -> None:
        self.path = path
        self.policy = policy or DeliveryPolicy()
        self.poll_s = poll_s
        self._db = Database(path, schema=_SCHEMA, tracking=False)
        self._open = False
        self._pending: list[tuple[_Record, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._wake_flusher = asyncio.Event()
        self._wakeups: list[asyncio.Event] = []
        self._consumers: list[asyncio.Task[None]] = []
        self._running_consumers = 0
        self._stopping = False
        #: Each running consumer's group and its position per topic: the seq of the last record it finished.
        self._positions: list[tuple[str, dict[str, int]]] = []

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._open:
            return
        await self._db.open()
        await self._db.run(_create_topics, self.topics)
        self._open = True
        self._stopping = False
        self._flusher = asyncio.create_task(self._flush_forever(), name="bus-flusher")
        consumer_lag.watch(self)

    async def close(self) -> None:
        consumer_lag.unwatch(self)
        self._stopping = True
        for wake in self._wakeups:
            wake.set()
        if self._consumers:
            _, still = await asyncio.wait(self._consumers, timeout=10)
            for task in still:
                task.cancel()
            await asyncio.gather(*self._consumers, return_exceptions=True)
        self._consumers.clear()
        self._wakeups.clear()
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        await self._drain_pending()
        await self._db.close()
        self._open = False

    # --- producing -----------------------------------------------------------------------------

    async def publish(self, event: Envelope) -> None:
        self.check_topic(event.topic)
        await self._append(event.topic, event.subject, str(event.id), event.to_bytes())

    async def publish_many(self, events: Sequence[Envelope]) -> None:
        for event in events:
            self.check_topic(event.topic)
        await asyncio.gather(*(self._append(e.topic, e.subject, str(e.id), e.to_bytes()) for e in events))

    async def publish_raw(self, topic: str, *, key: str, value: bytes) -> None:
        self.check_topic(topic)
        await self._append(topic, key, None, value)

    async def _append(self, topic: str, key: str, event_id: str | None, value: bytes) -> None:
        if not self._open:
            raise RuntimeError("bus not started")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(((topic, key, event_id, value), done))
        self._wake_flusher.set()
        await done

    async def _flush_forever(self) -> None:
        while True:
            await self._wake_flusher.wait()
            self._wake_flusher.clear()
            await self._drain_pending()

    async def _drain_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:1000], self._pending[1000:]
            try:
                await self._db.transaction(_insert, [row for row, _ in batch])
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for _, done in batch:
                if not done.done():
                    done.set_result(None)
            for wake in self._wakeups:
                wake.set()

    # --- consuming -----------------------------------------------------------------------------

    async def subscribe(self, *, group: str, topics: Sequence[str], handler: Handler) -> None:
        for topic in topics:
            self.check_topic(topic)
        wake = asyncio.Event()
        self._wakeups.append(wake)
        task = asyncio.create_task(self._consume(group, tuple(topics), handler, wake), name=f"consume-{group}")
        self._consumers.append(task)

    @property
    def consuming(self) -> bool:
        return self._running_consumers == len(self._consumers) and not self._stopping

    async def _consume(self, group: str, topics: tuple[str, ...], handler: Handler, wake: asyncio.Event) -> None:
        offsets: dict[str, int] = await self._db.run(_load_offsets, group, topics)
        position = (group, offsets)  # ``offsets`` moves on with every finished record
        self._positions.append(position)
        self._running_consumers += 1
        try:
            while not self._stopping:
                wake.clear()
                rows = await self._db.run(_fetch, topics, offsets)
                if not rows:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), self.poll_s)
                    continue
                done: dict[str, int] = {}
                for seq, topic, key, value in rows:
                    if self._stopping:
                        break
                    letter = await deliver(group=group, topic=topic, raw=value, handler=handler, policy=self.policy)
                    if letter is not None:
                        await self._append(dead_letter_target(topic), key, None, letter.model_dump_json().encode())
                    offsets[topic] = done[topic] = seq
                # One commit per batch: handlers are idempotent, so a crash only replays a few.
                await self._db.transaction(_commit, group, done)
        finally:
            self._running_consumers -= 1
            self._positions = [p for p in self._positions if p is not position]

    # --- inspection (operators, tests, benchmarks) ---------------------------------------------

    def lag(self) -> Lag:
        """One aggregate query on a read-only connection of its own, run by the caller (the scrape).

        It counts index entries of the records not finished yet: nothing for a caught-up group, about
        40 ms for a backlog of a million records, on the event loop of the scrape.
        """
        positions = [(group, topic, seq) for group, offsets in list(self._positions) for topic, seq in offsets.items()]
        if not positions or not self._open:
            return {}
        conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
        try:
            rows = conn.execute(_LAG_SQL.format(values=",".join(["(?, ?, ?)"] * len(positions))), _flat(positions))
            lags: Lag = {}
            for group, topic, count in rows:
                lags[group, topic] = lags.get((group, topic), 0) + int(count)
            return lags
        finally:
            conn.close()

    async def read(self, topic: str) -> list[bytes]:
        self.check_topic(topic)
        return await self._db.run(_read, topic)


# --- SQL, run in the database thread --------------------------------------------------------------


def _create_topics(conn: sqlite3.Connection, topics: Sequence[str]) -> None:
    conn.executemany("INSERT OR IGNORE INTO topics(name) VALUES (?)", [(t,) for t in topics])


def _insert(conn: sqlite3.Connection, rows: list[_Record]) -> None:
    now = time.time()
    conn.executemany(
        "INSERT OR IGNORE INTO log(topic, key, event_id, value, appended_at) VALUES (?, ?, ?, ?, ?)",
        [(topic, key, event_id, value, now) for topic, key, event_id, value in rows],
    )


def _load_offsets(conn: sqlite3.Connection, group: str, topics: tuple[str, ...]) -> dict[str, int]:
    marks = ",".join("?" * len(topics))
    found = dict(conn.execute(f"SELECT topic, seq FROM offsets WHERE grp = ? AND topic IN ({marks})", (group, *topics)))
    return {topic: int(found.get(topic, 0)) for topic in topics}


def _fetch(
    conn: sqlite3.Connection, topics: tuple[str, ...], offsets: dict[str, int]
) -> list[tuple[int, str, str, bytes]]:
    """The next records of ``topics`` in log order, each topic read from its own committed offset."""
    rows = [
        row
        for topic in topics
        for row in conn.execute(
            "SELECT seq, topic, key, value FROM log WHERE topic = ? AND seq > ? ORDER BY seq LIMIT ?",
            (topic, offsets[topic], _BATCH),
        )
    ]
    return sorted(rows)[:_BATCH]


def _commit(conn: sqlite3.Connection, group: str, positions: dict[str, int]) -> None:
    conn.executemany(
        "INSERT INTO offsets(grp, topic, seq) VALUES (?, ?, ?) "
        "ON CONFLICT(grp, topic) DO UPDATE SET seq = excluded.seq WHERE excluded.seq > offsets.seq",
        [(group, topic, seq) for topic, seq in positions.items()],
    )


_LAG_SQL = """
WITH position(grp, topic, seq) AS (VALUES {values})
SELECT grp, topic, (SELECT count(*) FROM log WHERE log.topic = position.topic AND log.seq > position.seq)
FROM position
"""


def _flat(rows: list[tuple[str, str, int]]) -> list[str | int]:
    return [value for row in rows for value in row]


def _read(conn: sqlite3.Connection, topic: str) -> list[bytes]:
    return [row[0] for row in conn.execute("SELECT value FROM log WHERE topic = ? ORDER BY seq", (topic,))]
