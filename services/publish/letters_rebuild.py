"""``gongkai publish rebuild-letters``: rebuild the published letters (``publish.db``) from the public stream.

The whole of ``gongkai.public.letters`` is read from the log, then, in one transaction on ``publish.db``,
the tables of published letters and of their versions are emptied, the publish-letters group's marks of
processed events removed, and every event applied again with the consumer's own code (``effect_of``),
each marked processed as the consumer would. Readers keep the old tables until the commit (WAL) and then
see the new ones at once; the live consumer waits for the commit and then skips what was replayed (the
marks) and applies what came after. So the service may keep running; nothing is swapped or moved aside.

``check=True`` rolls back instead of committing: it only tells whether the tables differ from the log's.

>>> import inspect
>>> list(inspect.signature(rebuild_letters).parameters)
['settings', 'check']
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

from gongkai.bus import open_bus
from gongkai.events import Envelope, Topic, UnknownEventType
from gongkai.settings import Settings
from services.publish.letters import LETTERS_GROUP, effect_of, letters_database

__all__ = ["LetterRebuild", "rebuild_letters", "snapshot"]

log = logging.getLogger(__name__)

#: The tables the replay rebuilds, with the order that makes a snapshot comparable.
_TABLES = {"published_letters": "id", "letter_versions": "id"}


@dataclass(frozen=True)
class LetterRebuild:
    events: int  # records read from the topic
    shown: int  # letters and proposal replies public after the rebuild
    withdrawn: int  # letters and proposal replies taken down (tombstones)
    changed: int  # letters and proposal replies whose rows differ between the tables before and after

    @property
    def identical(self) -> bool:
        return self.changed == 0


class _CheckOnly(Exception):
    """Raised inside the transaction to roll the rebuild back after comparing."""

    def __init__(self, result: LetterRebuild) -> None:
        self.result = result


def snapshot(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the rebuilt tables, in a fixed order."""
    return {table: conn.execute(f"SELECT * FROM {table} ORDER BY {key}").fetchall() for table, key in _TABLES.items()}


async def rebuild_letters(settings: Settings, *, check: bool = False) -> LetterRebuild:
    bus = open_bus(settings)
    await bus.start()
    try:
        records = await bus.read(Topic.PUBLIC_LETTERS)
    finally:
        await bus.close()
    events = [event for event in map(_parse, records) if event is not None]
    db = letters_database(settings)
    await db.open()
    try:
        return await db.transaction(_replay, events, len(records), check)
    except _CheckOnly as only:
        return only.result
    finally:
        await db.close()


def _replay(conn: sqlite3.Connection, events: list[Envelope], read: int, check: bool) -> LetterRebuild:
    before = snapshot(conn)
    for table in _TABLES:
        conn.execute(f"DELETE FROM {table}")
    conn.execute("DELETE FROM processed_events WHERE consumer = ?", (LETTERS_GROUP,))
    seen: set[str] = set()
    for event in events:
        effect = effect_of(event)
        if effect is None or str(event.id) in seen:  # a repeat in the log is applied once, as by the consumer
            continue
        effect(conn)
        seen.add(str(event.id))
        conn.execute("INSERT INTO processed_events(consumer, event_id) VALUES (?, ?)", (LETTERS_GROUP, str(event.id)))
    after = snapshot(conn)
    changed = sum(_changed(before[t], after[t]) for t in _TABLES)
    result = LetterRebuild(
        events=read,
        shown=len(after["published_letters"]),
        withdrawn=sum(1 for row in after["letter_versions"] if row[2] is not None),
        changed=changed,
    )
    if check:
        raise _CheckOnly(result)
    return result


def _changed(before: list[tuple[Any, ...]], after: list[tuple[Any, ...]]) -> int:
    """How many ids (first column) have another row, or none, after than before."""
    old, new = {row[0]: row for row in before}, {row[0]: row for row in after}
    return sum(1 for key in old.keys() | new.keys() if old.get(key) != new.get(key))


def _parse(raw: bytes) -> Envelope | None:
    """An event of the catalog, or None for what the live consumer dead-lettered (undecodable, unknown type)."""
    try:
        event = Envelope.from_bytes(raw)
        event.payload()
    except (ValueError, UnknownEventType):
        log.warning("skipping a record of %s that is not a catalogued event", Topic.PUBLIC_LETTERS)
        return None
    return event
