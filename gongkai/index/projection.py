"""The search index as a projection of the public stream (``gongkai.public.documents``).

The publish service's live consumer and ``gongkai reindex`` apply events through the same
functions, so a rebuilt index equals the live one. Every effect is keyed by the event's
``version``: replays, duplicates and late events change nothing.

>>> from gongkai.events import DocumentWithdrawn, new_event
>>> from datetime import UTC, datetime
>>> event = new_event("document.withdrawn", subject="d1", source="publish",
...                   data=DocumentWithdrawn(reason="有误", withdrawn_at=datetime.now(UTC), version=7))
>>> PUBLIC_EVENT_TYPES >= {event.type}
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from gongkai.events import DocumentPublished, DocumentValidityChanged, DocumentWithdrawn, Envelope
from gongkai.index.base import IndexedDocument, SearchIndex

__all__ = ["PUBLIC_EVENT_TYPES", "apply_public_event", "apply_public_events", "indexed_document"]

#: The event types that change the index; any other event is ignored.
PUBLIC_EVENT_TYPES: Final = frozenset(
    {"document.published", "document.corrected", "document.withdrawn", "document.validity_changed"}
)
_BATCH = 500


def indexed_document(event: Envelope) -> IndexedDocument:
    """The document a ``document.published`` or ``document.corrected`` event puts in the index."""
    data = DocumentPublished.model_validate(event.data)
    return IndexedDocument(
        id=event.subject,
        title=data.title,
        body=data.body,
        category=data.category,
        department=data.department,
        doc_number=data.doc_number,
        published_at=data.published_at,
        version=data.version,
        doc_type=data.doc_type,
        validity=data.validity,
        replaced_by=data.replaced_by,
    )


async def apply_public_event(index: SearchIndex, event: Envelope) -> None:
    """Apply one public event to ``index``: publish or correct, withdraw, relabel validity."""
    if event.type in ("document.published", "document.corrected"):
        await index.upsert(indexed_document(event))
    elif event.type == "document.withdrawn":
        await index.delete(event.subject, DocumentWithdrawn.model_validate(event.data).version)
    elif event.type == "document.validity_changed":
        change = DocumentValidityChanged.model_validate(event.data)
        await index.set_validity(event.subject, change.validity, change.version, replaced_by=change.replaced_by)


async def apply_public_events(index: SearchIndex, events: Iterable[Envelope]) -> int:
    """Apply many events as :func:`apply_public_event` would, batching publications.

    Upserts and deletes commute (the highest version wins, a tombstone wins a tie), so
    publications may wait in a batch while a withdrawal goes ahead; a validity change needs
    the document in place, so it flushes the batch first. Returns how many events were applied.
    """
    pending: list[IndexedDocument] = []
    applied = 0
    for event in events:
        if event.type not in PUBLIC_EVENT_TYPES:
            continue
        applied += 1
        if event.type in ("document.published", "document.corrected"):
            pending.append(indexed_document(event))
            if len(pending) >= _BATCH:
                await index.upsert_many(pending)
                pending = []
            continue
        if event.type == "document.validity_changed" and pending:
            await index.upsert_many(pending)
            pending = []
        await apply_public_event(index, event)
    if pending:
        await index.upsert_many(pending)
    return applied
