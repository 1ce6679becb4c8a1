"""A service's own SQLite database, driven from asyncio through one dedicated thread.

Tracking records (processed event ids) live in the same database as the state they guard,
so a consumer's effect and its "seen" mark commit in one transaction: replays are harmless.

>>> import asyncio, tempfile, pathlib
>>> async def demo() -> int:
...     db = Database(pathlib.Path(tempfile.mkdtemp()) / "x.db", schema="CREATE TABLE t (n INTEGER);")
...     await db.open()
...     await db.transaction(lambda c: c.execute("INSERT INTO t VALUES (1)"))
...     n = await db.run(lambda c: c.execute("SELECT count(*) FROM t").fetchone()[0])
...     await db.close()
...     return n
>>> asyncio.run(demo())
1
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, TypeVar

from gongkai.events import Envelope

__all__ = ["Database", "transaction"]

T = TypeVar("T")

_TRACKING = """
CREATE TABLE IF NOT EXISTS processed_events (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    processed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (consumer, event_id)
) WITHOUT ROWID;
"""


class Database:
    def __init__(
        self,
        path: Path,
        *,
        schema: str = "",
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        tracking: bool = True,
    ) -> None:
        self.path = path
        self.schema = (_TRACKING if tracking else "") + schema
        self.synchronous = synchronous
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        if self._conn is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"db-{self.path.stem}")
        self._conn = await self._submit(self._connect)

    def _connect(self) -> sqlite3.Connection:
        conn = connect(self.path, synchronous=self.synchronous)
        conn.executescript(self.schema)
        return conn

    async def close(self) -> None:
        if self._conn is not None:
            await self._submit(self._conn.close)
            self._conn = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def _submit(self, fn: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            raise RuntimeError(f"database {self.path.name} is not open")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(connection, *args)`` in the database thread (reads, or writes that commit themselves)."""
        return await self._submit(self._call, fn, args, False)

    async def transaction(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(connection, *args)`` inside ``BEGIN IMMEDIATE … COMMIT``; any exception rolls back."""
        return await self._submit(self._call, fn, args, True)

    async def apply_once(self, consumer: str, event: Envelope, effect: Callable[[sqlite3.Connection], object]) -> bool:
        """Apply ``effect`` and record ``event.id`` for ``consumer`` atomically; skip an event seen before.

        Returns False when the event had already been applied (a replay after a crash or rebalance).
        """
        return await self.transaction(_apply_once, consumer, str(event.id), effect)

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...], in_transaction: bool) -> T:
        assert self._conn is not None
        if not in_transaction:
            return fn(self._conn, *args)
        with transaction(self._conn):
            return fn(self._conn, *args)


def _apply_once(
    conn: sqlite3.Connection, consumer: str, event_id: str, effect: Callable[[sqlite3.Connection], object]
) -> bool:
    seen = conn.execute(
        "SELECT 1 FROM processed_events WHERE consumer = ? AND event_id = ?", (consumer, event_id)
    ).fetchone()
    if seen:
        return False
    effect(conn)
    conn.execute("INSERT INTO processed_events(consumer, event_id) VALUES (?, ?)", (consumer, event_id))
    return True


def connect(path: Path, *, synchronous: str = "FULL") -> sqlite3.Connection:
    """A connection in autocommit mode with WAL, so readers never block the writer."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` takes the write lock up front, so two writers never deadlock on upgrade."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
