"""Data of document events (主动公开): drafts, review decisions and the public stream."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from gongkai.events.base import EventData

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


class DocumentActionAttributed(EventData):
    """Who took a public step on a document: its withdrawal or a 效力状态 change (留痕).

    The public event names no one, so the publish service follows it with this internal event,
    caused by it (``causation_id`` is the public event's id), for the document's history.
    """

    actor: str = Field(min_length=1, max_length=64, description="the staff user or API token that acted")
