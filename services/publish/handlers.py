"""Publish's consumers.

* Decisions → the public stream: an approval becomes ``document.published`` (or
  ``document.corrected`` for a new revision of a public document), with an id derived from the
  decision, so a replay repeats the same event.
* The public stream → the index: every public event is applied through the same projection that
  ``gongkai reindex`` uses, keyed by the event's ``version``, so replays and late events are harmless.
"""

from __future__ import annotations

from datetime import datetime

from gongkai.bus import EventBus
from gongkai.events import DocumentContent, DocumentPublished, DocumentReviewed, Envelope, new_event
from gongkai.index import SearchIndex
from gongkai.index.projection import apply_public_event

GROUP = "publish"
INDEX_GROUP = "publish-index"


#: A revision's versions lie in their own band, so a correction outranks everything before it
#: even when the server clock stands still (drills, tests) or steps back.
REVISION_BAND = 10**16


def version_of(revision: int, instant: datetime) -> int:
    """Public changes of one document: by revision, then by the instant of the causing decision (µs)."""
    return revision * REVISION_BAND + int(instant.timestamp() * 1_000_000)


class PublishHandlers:
    def __init__(self, bus: EventBus, index: SearchIndex) -> None:
        self.bus = bus
        self.index = index

    async def __call__(self, event: Envelope) -> None:
        if event.type == "document.reviewed":
            await self.reviewed(event)

    async def reviewed(self, event: Envelope) -> None:
        data = DocumentReviewed.model_validate(event.data)
        if data.decision not in ("approve", "redact"):
            return
        if data.title is None or data.body is None or data.category is None or data.department is None:
            raise ValueError("an approval must carry the text to publish")
        correction = data.published_revision is not None
        current = await self.index.get(event.subject) if correction else None
        published = DocumentPublished(
            **data.model_dump(include=set(DocumentContent.model_fields)),
            validity=current.validity if current else "in_force",
            replaced_by=current.replaced_by if current else None,
            published_at=(current.published_at if current else None) or data.published_at or event.occurred_at,
            revision=data.revision,
            version=version_of(data.revision, event.occurred_at),
        )
        kind = "document.corrected" if correction else "document.published"
        await self.bus.publish(new_event(kind, subject=event.subject, source="publish", data=published, cause=event))


class IndexProjection:
    """Keeps the search index equal to the public stream."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    async def __call__(self, event: Envelope) -> None:
        await apply_public_event(self.index, event)
