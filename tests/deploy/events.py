"""Public document events as the publish service emits them (``gongkai.public.documents``)."""

from __future__ import annotations

from datetime import UTC, datetime

from gongkai.events import DocumentPublished, DocumentWithdrawn, Envelope, new_event

WHEN = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def published(doc_id: str, title: str, *, version: int = 1) -> Envelope:
    data = DocumentPublished(
        title=title,
        body="本机关内设机构和职能调整如下。联系电话■■■■■■■■■■■。",
        category="art20.1",
        department="市政府办公室",
        doc_number="某政办〔2026〕3号",
        published_at=WHEN,
        version=version,
    )
    return new_event("document.published", subject=doc_id, source="publish", data=data, occurred_at=WHEN)


def withdrawn(doc_id: str, *, version: int) -> Envelope:
    data = DocumentWithdrawn(reason="内容已过时", withdrawn_at=WHEN, version=version)
    return new_event("document.withdrawn", subject=doc_id, source="publish", data=data, occurred_at=WHEN)
