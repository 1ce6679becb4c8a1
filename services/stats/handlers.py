"""Stats' consumer: counts each event once (the counter update and the event id commit together)."""

from __future__ import annotations

import sqlite3

from gongkai.db import Database
from gongkai.events import Envelope
from services.stats import store
from services.stats.domain import count
from services.stats.metrics import CounterMirror

GROUP = "stats"


class StatsHandlers:
    def __init__(self, db: Database, mirror: CounterMirror) -> None:
        self.db = db
        self.mirror = mirror

    async def __call__(self, event: Envelope) -> None:
        deltas = count(event)
        if not deltas:
            return

        def effect(conn: sqlite3.Connection) -> None:
            store.add(conn, deltas)

        if await self.db.apply_once(GROUP, event, effect):
            self.mirror.add(deltas)  # only once committed, so the mirror never runs ahead of the store
