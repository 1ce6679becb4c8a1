"""What intake accepts: validated drafts of documents for proactive disclosure (主动公开)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from gongkai.events import DocumentSubmitted
from gongkai.text import clean_text
from gongkai.vocabulary import is_known_category

__all__ = ["DocumentDraft"]

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class DocumentDraft(BaseModel):
    """``POST /api/v1/documents``: a clerk's draft; it goes to confidentiality review next."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[Line, StringConstraints(max_length=300)]
    # 200,000 characters keep every event well under Kafka's default 1 MB message limit.
    body: Annotated[str, StringConstraints(min_length=1, max_length=200_000)]
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

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if not is_known_category(value):
            raise ValueError("unknown category: use art20.1 … art20.15 or a configured agency category")
        return value

    @field_validator("body")
    @classmethod
    def _has_text(cls, value: str) -> str:
        if not clean_text(value):
            raise ValueError("the body is empty")
        return value

    def to_event_data(self) -> DocumentSubmitted:
        return DocumentSubmitted(
            title=clean_text(self.title),
            body=clean_text(self.body),
            category=self.category,
            department=clean_text(self.department),
            doc_number=clean_text(self.doc_number) if self.doc_number else None,
            formed_on=self.formed_on,
        )
