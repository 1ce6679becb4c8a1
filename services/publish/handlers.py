"""Publish's consumer: an approved document goes into the public index, then onto the public stream.

Idempotent without a tracking table: the index keeps the newest version per document, and the
``document.published`` event gets an id derived from its cause, so a replay repeats the same event.
"""

from __future__ import annotations

from gongkai.bus import EventBus
from gongkai.events import DocumentPublished, DocumentReviewed, Envelope, new_event
from gongkai.index import IndexedDocument, SearchIndex

GROUP = "publish"


class PublishHandlers:
    def __init__(self, bus: EventBus, index: SearchIndex) -> None:
        self.bus = bus
        self.index = index

    async def __call__(self, event: Envelope) -> None:
        if event.type == "document.reviewed":
            await self.reviewed(event)

    async def reviewed(self, event: Envelope) -> None:
        data = DocumentReviewed.model_validate(event.data)
        if data.decision == "reject":
            return
        if data.title is None or data.body is None or data.category is None or data.department is None:
            raise ValueError("an approval must carry the text to publish")
        published = DocumentPublished(
            title=data.title,
            body=data.body,
            category=data.category,
            department=data.department,
            doc_number=data.doc_number,
            formed_on=data.formed_on,
            published_at=event.occurred_at,  # from the cause, so a replay publishes the same instant
        )
        await self.index.upsert(
            IndexedDocument(
                id=event.subject,
                title=published.title,
                body=published.body,
                category=published.category,
                department=published.department,
                doc_number=published.doc_number,
                published_at=published.published_at,
                version=published.revision,
            )
        )
        await self.bus.publish(
            new_event(
                "document.published",
                subject=event.subject,
                source="publish",
                data=published,
                cause=event,
                occurred_at=published.published_at,
            )
        )
