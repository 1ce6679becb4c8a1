"""The event envelope and the one catalog of topics and event types.

Every producer and consumer uses these models; the AsyncAPI and JSON Schema documents in
``docs/events/`` are generated from this module (``gongkai schemas``), never written by hand.

>>> event = new_event("document.submitted", subject="d1", source="intake",
...                   data=DocumentSubmitted(title="通知", body="正文", category="art20.1", department="办公室"))
>>> event.topic
'gongkai.documents'
"""

from __future__ import annotations

import builtins
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CATALOG",
    "TOPICS",
    "DocType",
    "DocumentContent",
    "DocumentPublished",
    "DocumentReviewed",
    "DocumentSubmitted",
    "DocumentValidityChanged",
    "DocumentWithdrawn",
    "Envelope",
    "EventSpec",
    "Redaction",
    "Topic",
    "UnknownEventType",
    "Validity",
    "dead_letter_topic",
    "derived_event_id",
    "new_event",
]


class Topic:
    """Topics by aggregate, not by service. ``PUBLIC_DOCUMENTS`` carries no personal data."""

    DOCUMENTS = "gongkai.documents"
    REQUESTS = "gongkai.requests"
    LETTERS = "gongkai.letters"
    PROPOSALS = "gongkai.proposals"
    APPEALS = "gongkai.appeals"
    PUBLIC_DOCUMENTS = "gongkai.public.documents"


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


_BASE_TOPICS = (
    Topic.DOCUMENTS,
    Topic.REQUESTS,
    Topic.LETTERS,
    Topic.PROPOSALS,
    Topic.APPEALS,
    Topic.PUBLIC_DOCUMENTS,
)
#: Every topic the platform uses, dead-letter topics included; created explicitly at start-up.
TOPICS: tuple[str, ...] = _BASE_TOPICS + tuple(dead_letter_topic(t) for t in _BASE_TOPICS)


class Envelope(BaseModel):
    """One event, close to CloudEvents' attributes. ``id`` is the dedupe key, ``subject`` the Kafka key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: uuid.UUID
    type: str
    version: int = 1
    occurred_at: datetime
    recorded_at: datetime
    source: str
    subject: str
    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    data: dict[str, Any]

    @property
    def topic(self) -> str:
        return spec_of(self.type).topic

    def to_bytes(self) -> bytes:
        """The same bytes on both buses (structured mode: one JSON value per event)."""
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)

    def payload(self) -> BaseModel:
        """The typed data model of this event, validated against the catalog."""
        return spec_of(self.type).model.model_validate(self.data)


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- Documents (主动公开) --------------------------------------------------------------------

#: 文种: 规章, 行政规范性文件, or anything else. Feeds table 二 of the annual report.
DocType = Literal["regulation", "normative", "other"]
#: 效力状态: 现行有效, 已修改, 已废止.
Validity = Literal["in_force", "amended", "repealed"]
Decision = Literal["approve", "reject", "redact", "escalate", "reopen"]


class DocumentContent(EventData):
    """What a document says and how it is filed: shared by drafts and publications."""

    title: str
    body: str
    category: str
    department: str
    doc_number: str | None = None
    formed_on: date | None = None
    doc_type: DocType = "other"


class DocumentSubmitted(DocumentContent):
    """A draft entered confidentiality review: new (``document.submitted``) or a corrected
    revision of a document (``document.revised``). ``title`` and ``body`` are the cleaned text;
    ``original_*`` keep what the clerk sent when the clean-up changed it."""

    revision: int = Field(default=1, ge=1)
    original_title: str | None = None
    original_body: str | None = None
    already_published_at: datetime | None = Field(
        default=None, description="archive imports that were public before: they keep this publication date"
    )
    source_file: str | None = Field(default=None, description="archive imports: the file it came from")


class Redaction(EventData):
    """``text[start:end]`` of ``title + "\n" + body`` is replaced by a visible mark, for ``reason``."""

    start: int = Field(ge=0)
    end: int = Field(ge=1)
    reason: str


class DocumentReviewed(EventData):
    """The confidentiality review (保密审查, 条例 Art. 17) decided on a document.

    On approval (``approve`` or ``redact``) the event carries the text to publish, redactions
    applied, so publish needs no other state. ``escalate`` sends it to the secrecy administration;
    its answer is a later decision. ``rereview_on`` (Art. 18) is set for rejected items, and
    ``reopen`` brings a rejected item back into review.
    """

    decision: Decision
    comment: str = ""
    reviewer: str
    revision: int = Field(default=1, ge=1)
    redactions: list[Redaction] = Field(default_factory=list)
    rereview_on: date | None = None
    title: str | None = None
    body: str | None = None
    category: str | None = None
    department: str | None = None
    doc_number: str | None = None
    formed_on: date | None = None
    doc_type: DocType = "other"
    published_at: datetime | None = Field(default=None, description="kept from an archive import")
    published_revision: int | None = Field(
        default=None, description="the revision public when this one was approved: set means a correction"
    )


class DocumentPublished(DocumentContent):
    """A document is on the public portal (``document.published``), or a corrected revision
    replaced it (``document.corrected``). Public stream: redacted text only, no personal data.

    ``version`` orders every public change of one document (microseconds of the causing decision):
    consumers keep the highest, so replays and late events are harmless.
    """

    validity: Validity = "in_force"
    replaced_by: str | None = Field(default=None, description="the document that amends or repeals this one")
    published_at: datetime
    revision: int = Field(default=1, ge=1, description="1 for the first publication, then one per correction")
    version: int = Field(default=1, ge=1)


class DocumentWithdrawn(EventData):
    """A publisher took a document off the portal and out of search. Public stream."""

    reason: str
    withdrawn_at: datetime
    version: int = Field(ge=1)


class DocumentValidityChanged(EventData):
    """A regulation was amended (已修改) or repealed (已废止); it stays public, labelled. Public stream."""

    validity: Validity
    effective_on: date
    replaced_by: str | None = Field(default=None, description="id of the document that replaces it")
    note: str = ""
    version: int = Field(ge=1)


@dataclass(frozen=True)
class EventSpec:
    type: str
    topic: str
    model: builtins.type[EventData]
    version: int
    summary: str
    public: bool = False


CATALOG: dict[str, EventSpec] = {
    spec.type: spec
    for spec in (
        EventSpec("document.submitted", Topic.DOCUMENTS, DocumentSubmitted, 1, "A draft entered review."),
        EventSpec("document.revised", Topic.DOCUMENTS, DocumentSubmitted, 1, "A corrected revision entered review."),
        EventSpec("document.reviewed", Topic.DOCUMENTS, DocumentReviewed, 1, "A reviewer decided."),
        EventSpec(
            "document.published", Topic.PUBLIC_DOCUMENTS, DocumentPublished, 1, "A document was published.", public=True
        ),
        EventSpec(
            "document.corrected",
            Topic.PUBLIC_DOCUMENTS,
            DocumentPublished,
            1,
            "A corrected revision replaced a published document.",
            public=True,
        ),
        EventSpec(
            "document.withdrawn",
            Topic.PUBLIC_DOCUMENTS,
            DocumentWithdrawn,
            1,
            "A document was taken off the portal.",
            public=True,
        ),
        EventSpec(
            "document.validity_changed",
            Topic.PUBLIC_DOCUMENTS,
            DocumentValidityChanged,
            1,
            "A regulation was amended or repealed; it stays public.",
            public=True,
        ),
    )
}


class UnknownEventType(KeyError):
    pass


def spec_of(event_type: str) -> EventSpec:
    try:
        return CATALOG[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


_DERIVED_NS = uuid.UUID("6f1c1f9e-4c1e-4b7e-9d8a-2a1f0c5e7b31")


def derived_event_id(cause: uuid.UUID, event_type: str, subject: str) -> uuid.UUID:
    """A deterministic id for an event caused by another one.

    A consumer that crashes after its effect but before committing re-emits the same id,
    so downstream consumers deduplicate the repeat.
    """
    return uuid.uuid5(_DERIVED_NS, f"{cause}:{event_type}:{subject}")


def new_event(
    event_type: str,
    *,
    subject: str,
    source: str,
    data: EventData,
    occurred_at: datetime | None = None,
    recorded_at: datetime | None = None,
    cause: Envelope | None = None,
    event_id: uuid.UUID | None = None,
) -> Envelope:
    """Build an envelope for a catalogued event type; ``cause`` links correlation and causation."""
    spec = spec_of(event_type)
    if not isinstance(data, spec.model):
        raise TypeError(f"{event_type} carries {spec.model.__name__}, not {type(data).__name__}")
    recorded = recorded_at or datetime.now(UTC)
    if event_id is None:
        event_id = derived_event_id(cause.id, event_type, subject) if cause else uuid.uuid4()
    return Envelope(
        id=event_id,
        type=event_type,
        version=spec.version,
        occurred_at=occurred_at or recorded,
        recorded_at=recorded,
        source=source,
        subject=subject,
        correlation_id=(cause.correlation_id or cause.id) if cause else None,
        causation_id=cause.id if cause else None,
        data=data.model_dump(mode="json"),
    )
