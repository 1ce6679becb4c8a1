"""Review's consumers: document events in → its own state out (idempotent by event id).

Events are facts: a transition the state machine does not expect is logged and recorded as
ignored, never raised, so one odd event cannot block the stream.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import date
from typing import Any

from gongkai.bus import EventBus
from gongkai.db import Database
from gongkai.events import (
    DocumentActionAttributed,
    DocumentPublished,
    DocumentReviewed,
    DocumentSubmitted,
    DocumentValidityChanged,
    DocumentWithdrawn,
    Envelope,
    new_event,
)
from services.review import store
from services.review.domain import DocumentStatus, InvalidTransition, next_status, prescreen

log = logging.getLogger(__name__)

GROUP = "review"
ARCHIVE_REVIEWER = "archive-import"

PublishDue = Callable[[date], tuple[date | None, bool]]
Effect = Callable[[sqlite3.Connection], None]


def history_entry(event: Envelope, step: str, **extra: Any) -> dict[str, Any]:
    """Who, when, what, why: one line of a document's file."""
    return {"at": event.occurred_at.isoformat(), "step": step, "event_id": str(event.id), **extra}


class DocumentHandlers:
    def __init__(self, db: Database, bus: EventBus, publish_due: PublishDue) -> None:
        self.db = db
        self.bus = bus
        self.publish_due = publish_due

    async def __call__(self, event: Envelope) -> None:
        build: dict[str, Callable[[Envelope], Effect]] = {
            "document.submitted": self.submitted,
            "document.revised": self.submitted,
            "document.reviewed": self.reviewed,
            "document.published": self.published,
            "document.corrected": self.published,
            "document.withdrawn": self.withdrawn,
            "document.validity_changed": self.validity_changed,
            "document.action_attributed": self.action_attributed,
        }
        if event.type not in build:
            return
        await self.db.apply_once(GROUP, event, build[event.type](event))
        if event.type == "document.submitted":
            await self._approve_archive_item(event)

    def submitted(self, event: Envelope) -> Effect:
        data = DocumentSubmitted.model_validate(event.data)
        due, provisional = self.publish_due(data.formed_on or event.occurred_at.date())
        row = {
            "id": event.subject,
            "revision": data.revision,
            "title": data.title,
            "body": data.body,
            "original_title": data.original_title,
            "original_body": data.original_body,
            "category": data.category,
            "department": data.department,
            "doc_number": data.doc_number,
            "formed_on": data.formed_on.isoformat() if data.formed_on else None,
            "doc_type": data.doc_type,
            "publish_due": due.isoformat() if due else None,
            "publish_due_provisional": int(provisional),
            # Offsets refer to title + "\n" + body: the text the reviewer sees and redacts.
            "findings": [f.__dict__ for f in prescreen(data.title + "\n" + data.body)],
            "redactions": [],
            "rereview_on": None,
            "already_published_at": data.already_published_at.isoformat() if data.already_published_at else None,
            "source_file": data.source_file,
            "submitted_at": event.occurred_at.isoformat(),
        }
        step = "revise" if event.type == "document.revised" else "queue"

        def effect(conn: sqlite3.Connection) -> None:
            current = store.get_document(conn, event.subject)
            if current is None:
                status = next_status(DocumentStatus.SUBMITTED, "queue")
                entries = [history_entry(event, "submitted", source_file=data.source_file)]
                store.upsert_revision(conn, {**row, "status": status.value, "history": entries})
                return
            try:
                status = next_status(DocumentStatus(current["status"]), step)
            except InvalidTransition as exc:
                return _ignore(conn, event, exc)
            store.upsert_revision(conn, {**row, "status": status.value, "history": []})
            store.update(conn, event.subject, {}, history_entry(event, "revised", revision=data.revision))

        return effect

    def reviewed(self, event: Envelope) -> Effect:
        data = DocumentReviewed.model_validate(event.data)
        changes: dict[str, Any] = {"rereview_on": data.rereview_on.isoformat() if data.rereview_on else None}
        if data.redactions:
            changes["redactions"] = [r.model_dump() for r in data.redactions]
        reasons = [r.reason for r in data.redactions]
        return self._step(event, data.decision, changes, actor=data.reviewer, comment=data.comment, reasons=reasons)

    def published(self, event: Envelope) -> Effect:
        data = DocumentPublished.model_validate(event.data)
        return self._step(event, "publish", {"published_revision": data.revision}, revision=data.revision)

    def withdrawn(self, event: Envelope) -> Effect:
        data = DocumentWithdrawn.model_validate(event.data)
        return self._step(event, "withdraw", {}, comment=data.reason, attributed=True)

    def validity_changed(self, event: Envelope) -> Effect:
        data = DocumentValidityChanged.model_validate(event.data)

        def effect(conn: sqlite3.Connection) -> None:
            if store.get_document(conn, event.subject) is not None:
                entry = history_entry(
                    event,
                    "validity",
                    validity=data.validity,
                    replaced_by=data.replaced_by,
                    effective_on=data.effective_on.isoformat(),
                    note=data.note,
                )
                store.update(conn, event.subject, {"validity": data.validity}, _with_actor(conn, event, entry))

        return effect

    def action_attributed(self, event: Envelope) -> Effect:
        """Who withdrew or relabelled: into that step's history entry, whichever event arrives first."""
        data = DocumentActionAttributed.model_validate(event.data)

        def effect(conn: sqlite3.Connection) -> None:
            if event.causation_id is None:
                log.warning("%s on %s names no step; ignored", event.type, event.subject)
                return
            store.attribute(conn, event.subject, str(event.causation_id), data.actor)

        return effect

    def _step(
        self, event: Envelope, step: str, changes: dict[str, Any], *, attributed: bool = False, **extra: Any
    ) -> Effect:
        def effect(conn: sqlite3.Connection) -> None:
            doc = store.get_document(conn, event.subject)
            if doc is None:
                log.warning("%s for unknown document %s ignored", event.type, event.subject)
                return
            try:
                status = next_status(DocumentStatus(doc["status"]), step)
            except InvalidTransition as exc:
                return _ignore(conn, event, exc)
            entry = history_entry(event, step, **extra)
            if attributed:
                entry = _with_actor(conn, event, entry)
            store.update(conn, event.subject, {**changes, "status": status.value}, entry)

        return effect

    async def _approve_archive_item(self, event: Envelope) -> None:
        """Archive items that were already public skip review and keep their publication date.

        Emitted after the effect on every delivery, with an id derived from the cause, so a
        crash in between repeats the same event and downstream deduplicates it.
        """
        data = DocumentSubmitted.model_validate(event.data)
        if data.already_published_at is None:
            return
        approval = DocumentReviewed(
            decision="approve",
            comment="已公开的存档信息导入",
            reviewer=ARCHIVE_REVIEWER,
            revision=data.revision,
            published_at=data.already_published_at,
            **data.model_dump(
                include={"title", "body", "category", "department", "doc_number", "formed_on", "doc_type"}
            ),
        )
        await self.bus.publish(
            new_event(
                "document.reviewed",
                subject=event.subject,
                source="review",
                data=approval,
                cause=event,
                occurred_at=event.occurred_at,
            )
        )


def _with_actor(conn: sqlite3.Connection, event: Envelope, entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with the actor named for this public step, if that came first (see ``attribute``)."""
    actor = store.take_actor(conn, str(event.id))
    return {**entry, "actor": actor} if actor else entry


def _ignore(conn: sqlite3.Connection, event: Envelope, exc: InvalidTransition) -> None:
    log.warning("%s on %s ignored: %s", event.type, event.subject, exc)
    store.update(conn, event.subject, {}, history_entry(event, "ignored", reason=str(exc)))
