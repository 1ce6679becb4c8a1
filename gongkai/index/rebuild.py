"""``gongkai reindex``: rebuild the search index from the public stream and swap it in at once.

Searches keep answering from the live index while the new one is filled; the swap is atomic
(SQLite: the pointer file, read by every process before each operation; Elasticsearch: the
alias). Events that arrive meanwhile are not lost: the stream is read again just before and just
after the swap, and whatever was not applied yet is applied (every effect is keyed by version,
so applying an event twice is harmless). The live consumer goes on writing to whichever index
is live when it writes.

>>> import inspect
>>> list(inspect.signature(reindex).parameters)
['settings', 'progress']
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator

from gongkai.bus import EventBus, open_bus
from gongkai.events import Envelope, Topic
from gongkai.index import open_index
from gongkai.index.base import SearchIndex
from gongkai.index.projection import apply_public_events
from gongkai.settings import Settings

__all__ = ["Progress", "reindex", "replay"]

log = logging.getLogger(__name__)

#: Called with (events applied, events to apply) as the rebuild goes on.
Progress = Callable[[int, int], None]
_CHUNK = 1_000


async def reindex(settings: Settings, *, progress: Progress | None = None) -> int:
    """Rebuild the index the settings name from ``gongkai.public.documents``; the live documents after the swap."""
    bus = open_bus(settings)
    index = open_index(settings)
    await bus.start()
    try:
        async with index:
            applied: set[str] = set()

            async def fill(fresh: SearchIndex) -> None:
                await replay(bus, fresh, applied, progress=progress)
                await replay(bus, fresh, applied)  # what arrived while we were at it

            await index.rebuild(fill)
            # Events the live consumer wrote to the old index between our last read and the swap.
            await replay(bus, index, applied)
            return await index.count()
    finally:
        await bus.close()


async def replay(bus: EventBus, index: SearchIndex, applied: set[str], *, progress: Progress | None = None) -> int:
    """Apply every public event whose id is not in ``applied`` (and add it); how many were new."""
    records = await bus.read(Topic.PUBLIC_DOCUMENTS)
    fresh = [raw for raw in records if _event_id(raw) not in applied]
    total = len(fresh)
    done = 0
    if progress is not None:
        progress(0, total)
    for chunk in _chunks(fresh):
        events = [event for event in map(_parse, chunk) if event is not None]
        await apply_public_events(index, events)
        applied.update(str(event.id) for event in events)
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    return total


def _chunks(records: list[bytes]) -> Iterator[list[bytes]]:
    for start in range(0, len(records), _CHUNK):
        yield records[start : start + _CHUNK]


def _event_id(raw: bytes) -> str | None:
    try:
        value = json.loads(raw).get("id")
    except (ValueError, AttributeError):
        return None
    return str(value) if value is not None else None


def _parse(raw: bytes) -> Envelope | None:
    try:
        return Envelope.from_bytes(raw)
    except ValueError:
        # Not one of ours (a foreign producer): the index has nothing to learn from it.
        log.warning("skipping a record of %s that is not an event", Topic.PUBLIC_DOCUMENTS)
        return None
