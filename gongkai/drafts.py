"""A document draft as staff send it, validated once for every service that accepts one.

Intake takes new drafts (``POST /api/v1/documents``); review takes corrected revisions of a
document it holds (``POST /api/v1/documents/{id}/revisions``). Both validate the same way.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from gongkai.events import DocType, DocumentSubmitted
from gongkai.text import clean_text
from gongkai.vocabulary import is_known_category

__all__ = ["MAX_BODY_CHARS", "DocumentDraft"]

#: 200,000 characters keep every event well under Kafka's default 1 MB message limit.
MAX_BODY_CHARS = 200_000

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class DocumentDraft(BaseModel):
    """A draft for proactive disclosure (主动公开); it goes to confidentiality review next."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[Line, StringConstraints(max_length=300)]
    body: Annotated[str, StringConstraints(min_length=1, max_length=MAX_BODY_CHARS)]
    category: Annotated[Line, StringConstraints(max_length=40)] = Field(
        description="An Art. 20 item (art20.1 … art20.15) or an agency category"
    )
    department: Annotated[Line, StringConstraints(max_length=100)]
    doc_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = Field(
        default=None, description="文号, e.g. 某发改〔2026〕12号"
    )
    formed_on: date | None = Field(
        default=None,
        ge=date(1949, 10, 1),
        le=date(2099, 12, 31),
        description="the day the information was formed or changed",
    )
    doc_type: DocType = Field(default="other", description="文种: regulation (规章), normative (行政规范性文件), other")

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if not is_known_category(value):
            raise ValueError("unknown category: use art20.1 … art20.15 or a configured agency category")
        return value

    @field_validator("title", "body")
    @classmethod
    def _has_text(cls, value: str) -> str:
        if not clean_text(value):
            raise ValueError("the text is empty once control characters and blanks are removed")
        return value

    def to_event_data(self, *, revision: int = 1) -> DocumentSubmitted:
        """The cleaned text for review and publication; the clerk's original where it differs."""
        title, body = clean_text(self.title), clean_text(self.body)
        return DocumentSubmitted(
            title=title,
            body=body,
            category=self.category,
            department=clean_text(self.department),
            doc_number=clean_text(self.doc_number) if self.doc_number else None,
            formed_on=self.formed_on,
            doc_type=self.doc_type,
            revision=revision,
            original_title=self.title if title != self.title else None,
            original_body=self.body if body != self.body else None,
        )
