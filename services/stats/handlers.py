"""Stats' consumer: each event counted once (counters, memo and the event id commit together)."""

from __future__ import annotations

import sqlite3

from gongkai.applied import Applied
from gongkai.db import Database
from gongkai.events import Envelope
from services.stats import store
from services.stats.domain import CounterDelta, reduce
from services.stats.metrics import CounterMirror

GROUP = "stats"
_REPORT_EVENTS = ("report.figures_entered", "report.section_saved")


class StatsHandlers:
    def __init__(self, db: Database, mirror: CounterMirror, applied: Applied | None = None) -> None:
        self.db = db
        self.mirror = mirror
        self.applied = applied or Applied()

    async def __call__(self, event: Envelope) -> None:
        event.payload()  # an event that does not fit the catalog raises: retried, then dead-lettered
        if event.type in _REPORT_EVENTS:
            await self.db.apply_once(GROUP, event, lambda conn: _report_entry(conn, event))
            self.applied.done(event.id)
            return
        committed: list[CounterDelta] = []

        def effect(conn: sqlite3.Connection) -> None:
            reduction = reduce(event, store.get_memo(conn, event.subject))
            store.add(conn, reduction.deltas)
            if reduction.memo is not None:
                store.put_memo(conn, event.subject, reduction.memo)
            committed.extend(reduction.deltas)

        if await self.db.apply_once(GROUP, event, effect):
            self.mirror.add(committed)  # only once committed, so the mirror never runs ahead of the store


def _report_entry(conn: sqlite3.Connection, event: Envelope) -> None:
    data = dict(event.data)
    year, actor = int(data.pop("year")), str(data.pop("actor"))
    part = f"section{data['section']}" if event.type == "report.section_saved" else "table2"
    value = data["text"] if event.type == "report.section_saved" else data
    store.put_entry(conn, year, part, value, actor, event.recorded_at.isoformat())
