"""Review's consumers: document events in → its own state out (idempotent by event id)."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from datetime import date

from gongkai.db import Database
from gongkai.events import DocumentReviewed, DocumentSubmitted, Envelope
from services.review import store
from services.review.domain import DocumentStatus, InvalidTransition, next_status, prescreen

log = logging.getLogger(__name__)

GROUP = "review"

PublishDue = Callable[[date], tuple[date | None, bool]]


def _entry(event: Envelope, step: str, **extra: object) -> dict[str, object]:
    return {"at": event.occurred_at.isoformat(), "step": step, "event_id": str(event.id), **extra}


class DocumentHandlers:
    def __init__(self, db: Database, publish_due: PublishDue) -> None:
        self.db = db
        self.publish_due = publish_due

    async def __call__(self, event: Envelope) -> None:
        handler = {
            "document.submitted": self.submitted,
            "document.reviewed": self.reviewed,
            "document.published": self.published,
        }.get(event.type)
        if handler is not None:
            await self.db.apply_once(GROUP, event, handler(event))

    def submitted(self, event: Envelope) -> Callable[[sqlite3.Connection], None]:
        data = DocumentSubmitted.model_validate(event.data)
        formed = data.formed_on or event.occurred_at.date()
        due, provisional = self.publish_due(formed)
        text = data.title + "\n" + data.body
        row = {
            "id": event.subject,
            "status": next_status(DocumentStatus.SUBMITTED, "queue").value,
            "title": data.title,
            "body": data.body,
            "category": data.category,
            "department": data.department,
            "doc_number": data.doc_number,
            "formed_on": data.formed_on.isoformat() if data.formed_on else None,
            "publish_due": due.isoformat() if due else None,
            "publish_due_provisional": int(provisional),
            "history": json.dumps([_entry(event, "submitted"), _entry(event, "queued")], ensure_ascii=False),
            "submitted_at": event.occurred_at.isoformat(),
        }
        # Offsets of findings refer to title + "\n" + body, the text the reviewer sees.
        return lambda conn: store.insert_document(conn, row, prescreen(text))

    def reviewed(self, event: Envelope) -> Callable[[sqlite3.Connection], None]:
        data = DocumentReviewed.model_validate(event.data)
        return self._step(event, data.decision, reviewer=data.reviewer, comment=data.comment)

    def published(self, event: Envelope) -> Callable[[sqlite3.Connection], None]:
        return self._step(event, "publish")

    def _step(self, event: Envelope, step: str, **extra: object) -> Callable[[sqlite3.Connection], None]:
        def effect(conn: sqlite3.Connection) -> None:
            doc = store.get_document(conn, event.subject)
            if doc is None:
                log.warning("%s for unknown document %s ignored", event.type, event.subject)
                return
            try:
                status = next_status(DocumentStatus(doc["status"]), step)
            except InvalidTransition as exc:
                log.warning("%s on %s ignored: %s", event.type, event.subject, exc)
                return
            store.set_status(conn, event.subject, status, _entry(event, str(step), **extra))

        return effect
