"""Appeal events in → the appeals table (idempotent by event id).

行政复议 and 行政诉讼 are facts: a second result for a decided appeal is recorded in its history
as ignored, never raised, so one odd event cannot block the stream.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from gongkai.applied import Applied
from gongkai.db import Database
from gongkai.events import AppealDecided, AppealFiled, Envelope
from services.review import appeals_store as store
from services.review.appeals import AlreadyDecided, AppealStatus

__all__ = ["APPEALS_GROUP", "AppealHandlers"]

log = logging.getLogger(__name__)

APPEALS_GROUP = "review-appeals"

Effect = Callable[[sqlite3.Connection], None]


def history_entry(event: Envelope, step: str, **extra: Any) -> dict[str, Any]:
    return {"at": event.occurred_at.isoformat(), "step": step, "event_id": str(event.id), **extra}


class AppealHandlers:
    def __init__(self, db: Database, applied: Applied) -> None:
        self.db = db
        self.applied = applied

    async def __call__(self, event: Envelope) -> None:
        build: dict[str, Callable[[Envelope], Effect]] = {"appeal.filed": filed, "appeal.decided": decided}
        if event.type not in build:
            return
        await self.db.apply_once(APPEALS_GROUP, event, build[event.type](event))
        self.applied.done(event.id)


def filed(event: Envelope) -> Effect:
    data = AppealFiled.model_validate(event.data)
    entry = history_entry(event, "filed", actor=data.actor, on=data.filed_on.isoformat(), note=data.note)
    row = {
        "id": event.subject,
        "kind": data.kind,
        "request_id": data.request_id,
        "status": AppealStatus.PENDING.value,
        "filed_on": data.filed_on.isoformat(),
        "note": data.note,
        "authority": data.authority,
        "case_number": data.case_number,
        "filed_by": data.actor,
        "recorded_at": event.recorded_at.isoformat(),
        "history": [entry],
    }

    def effect(conn: sqlite3.Connection) -> None:
        if not store.insert_appeal(conn, row):
            log.warning("appeal.filed for existing appeal %s ignored", event.subject)
            store.update_appeal(conn, event.subject, {}, history_entry(event, "ignored", reason="already filed"))

    return effect


def decided(event: Envelope) -> Effect:
    data = AppealDecided.model_validate(event.data)

    def effect(conn: sqlite3.Connection) -> None:
        row = store.get_appeal(conn, event.subject)
        if row is None:
            log.warning("appeal.decided for unknown appeal %s ignored", event.subject)
            return
        try:
            appeal = store.to_appeal(row).decide(data.result, data.on)
        except AlreadyDecided as exc:
            log.warning("%s ignored: %s", event.type, exc)
            store.update_appeal(conn, event.subject, {}, history_entry(event, "ignored", reason=str(exc)))
            return
        changes = {"status": appeal.status.value, "result": data.result, "decided_on": data.on.isoformat()}
        entry = history_entry(
            event, "decided", actor=data.actor, on=data.on.isoformat(), result=data.result, note=data.note
        )
        store.update_appeal(conn, event.subject, changes, entry)

    return effect
