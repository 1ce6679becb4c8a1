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
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from gongkai.events.base import EventData
from gongkai.events.documents import (
    Decision,
    DocType,
    DocumentActionAttributed,
    DocumentContent,
    DocumentPublished,
    DocumentReviewed,
    DocumentSubmitted,
    DocumentValidityChanged,
    DocumentWithdrawn,
    Redaction,
    Validity,
)
from gongkai.events.letters import (
    LetterAssigned,
    LetterExtended,
    LetterFeedback,
    LetterOverdue,
    LetterPublished,
    LetterReceived,
    LetterReplied,
    LetterTransferred,
    LetterUnpublished,
    LetterWithdrawn,
    ProposalCoOpinion,
    ProposalExtended,
    ProposalFeedback,
    ProposalOverdue,
    ProposalRegistered,
    ProposalReplied,
    ProposalReplyPublished,
    ProposalReplyUnpublished,
    ProposalReplyWithdrawn,
)
from gongkai.events.reports import ReportFiguresEntered, ReportSectionSaved
from gongkai.events.requests import (
    AppealDecided,
    AppealFiled,
    ConsultationReplied,
    ConsultationStarted,
    CorrectionReceived,
    CorrectionRequested,
    DeadlineExtended,
    DeadlineNotified,
    FeeNoticed,
    FeePaid,
    ReasonsRequested,
    ReceiptConfirmed,
    RequestClosed,
    RequestOverdue,
    RequestReceived,
)

__all__ = [
    "CATALOG",
    "TOPICS",
    "AppealDecided",
    "AppealFiled",
    "ConsultationReplied",
    "ConsultationStarted",
    "CorrectionReceived",
    "CorrectionRequested",
    "DeadlineExtended",
    "DeadlineNotified",
    "Decision",
    "DocType",
    "DocumentActionAttributed",
    "DocumentContent",
    "DocumentPublished",
    "DocumentReviewed",
    "DocumentSubmitted",
    "DocumentValidityChanged",
    "DocumentWithdrawn",
    "Envelope",
    "EventData",
    "EventSpec",
    "FeeNoticed",
    "FeePaid",
    "LetterAssigned",
    "LetterExtended",
    "LetterFeedback",
    "LetterOverdue",
    "LetterPublished",
    "LetterReceived",
    "LetterReplied",
    "LetterTransferred",
    "LetterUnpublished",
    "LetterWithdrawn",
    "ProposalCoOpinion",
    "ProposalExtended",
    "ProposalFeedback",
    "ProposalOverdue",
    "ProposalRegistered",
    "ProposalReplied",
    "ProposalReplyPublished",
    "ProposalReplyUnpublished",
    "ProposalReplyWithdrawn",
    "ReasonsRequested",
    "ReceiptConfirmed",
    "Redaction",
    "ReportFiguresEntered",
    "ReportSectionSaved",
    "RequestClosed",
    "RequestOverdue",
    "RequestReceived",
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
    REPORTS = "gongkai.reports"
    PUBLIC_LETTERS = "gongkai.public.letters"
    PUBLIC_DOCUMENTS = "gongkai.public.documents"


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


_BASE_TOPICS = (
    Topic.DOCUMENTS,
    Topic.REQUESTS,
    Topic.LETTERS,
    Topic.PROPOSALS,
    Topic.APPEALS,
    Topic.REPORTS,
    Topic.PUBLIC_DOCUMENTS,
    Topic.PUBLIC_LETTERS,
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
        EventSpec(
            "document.action_attributed",
            Topic.DOCUMENTS,
            DocumentActionAttributed,
            1,
            "Who withdrew or relabelled a document (the public event it follows names no one).",
        ),
        *(
            EventSpec(name, Topic.REQUESTS, model, 1, summary)
            for name, model, summary in (
                ("request.received", RequestReceived, "An application for disclosure entered the agency."),
                ("request.receipt_confirmed", ReceiptConfirmed, "Receipt confirmed (Art. 31); the clock starts."),
                ("request.correction_requested", CorrectionRequested, "The applicant was asked to correct (Art. 30)."),
                (
                    "request.correction_received",
                    CorrectionReceived,
                    "The corrected application arrived; clock restarts.",
                ),
                ("request.consultation_started", ConsultationStarted, "A third party or agency was consulted."),
                ("request.consultation_replied", ConsultationReplied, "A consultation ended (reply or silence)."),
                ("request.extended", DeadlineExtended, "The answer deadline was extended once (Art. 33)."),
                ("request.reasons_requested", ReasonsRequested, "Reasons asked for an excessive request (Art. 35)."),
                ("request.deadline_notified", DeadlineNotified, "A later deadline was notified (Art. 35)."),
                ("request.fee_noticed", FeeNoticed, "A processing-fee notice was sent (Art. 42)."),
                ("request.fee_paid", FeePaid, "The processing fee was paid."),
                ("request.closed", RequestClosed, "The case ended with an outcome of table 三."),
                ("request.overdue", RequestOverdue, "An open case passed its answer deadline."),
            )
        ),
        EventSpec("appeal.filed", Topic.APPEALS, AppealFiled, 1, "A reconsideration or lawsuit was filed."),
        EventSpec("appeal.decided", Topic.APPEALS, AppealDecided, 1, "A reconsideration or lawsuit was decided."),
        *(
            EventSpec(name, Topic.LETTERS, model, 1, summary)
            for name, model, summary in (
                ("letter.received", LetterReceived, "A mailbox letter or consultation reached the agency."),
                ("letter.assigned", LetterAssigned, "A letter was assigned or reassigned to a department."),
                ("letter.extended", LetterExtended, "A letter's time limit was extended once."),
                ("letter.transferred", LetterTransferred, "A petition was transferred to the petitions office."),
                ("letter.replied", LetterReplied, "A letter was answered."),
                ("letter.feedback", LetterFeedback, "The writer rated the reply."),
                ("letter.overdue", LetterOverdue, "An open letter passed its time limit."),
                ("letter.unpublished", LetterUnpublished, "A reviewer took a published letter down, with a reason."),
            )
        ),
        *(
            EventSpec(name, Topic.PROPOSALS, model, 1, summary)
            for name, model, summary in (
                ("proposal.registered", ProposalRegistered, "A suggestion or proposal was assigned to the agency."),
                ("proposal.co_opinion", ProposalCoOpinion, "A co-handling unit gave its opinion."),
                ("proposal.extended", ProposalExtended, "The reply period was extended (at most 6 months)."),
                ("proposal.replied", ProposalReplied, "The agency replied, with a result class."),
                ("proposal.feedback", ProposalFeedback, "The proposer assessed the reply."),
                ("proposal.overdue", ProposalOverdue, "An unanswered proposal passed its due date."),
                (
                    "proposal.reply_unpublished",
                    ProposalReplyUnpublished,
                    "A publisher took a proposal's public reply down, with a reason.",
                ),
            )
        ),
        EventSpec(
            "letter.published",
            Topic.PUBLIC_LETTERS,
            LetterPublished,
            1,
            "A letter and its reply were published (公开信件选登).",
            public=True,
        ),
        EventSpec(
            "letter.withdrawn",
            Topic.PUBLIC_LETTERS,
            LetterWithdrawn,
            1,
            "A published letter was taken off the portal.",
            public=True,
        ),
        EventSpec(
            "proposal.reply_published",
            Topic.PUBLIC_LETTERS,
            ProposalReplyPublished,
            1,
            "A proposal's handling reply was published.",
            public=True,
        ),
        EventSpec(
            "proposal.reply_withdrawn",
            Topic.PUBLIC_LETTERS,
            ProposalReplyWithdrawn,
            1,
            "A published proposal reply was taken off the portal.",
            public=True,
        ),
        EventSpec("report.figures_entered", Topic.REPORTS, ReportFiguresEntered, 1, "Staff entered 表二 figures."),
        EventSpec("report.section_saved", Topic.REPORTS, ReportSectionSaved, 1, "Staff saved a prose section."),
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
