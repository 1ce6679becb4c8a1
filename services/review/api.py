"""Review's HTTP surface: the queue, a document's review file, decisions and corrected revisions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gongkai.db import Database
from gongkai.drafts import DocumentDraft
from gongkai.events import DocumentReviewed, Redaction, new_event
from gongkai.http import Clerk, Reviewer, Staff
from gongkai.problems import Conflict, FieldProblem, NotFound, Problem
from gongkai.service import ServiceContext
from services.review import store
from services.review.domain import (
    DocumentStatus,
    Finding,
    InvalidRedaction,
    ReviewDecision,
    Span,
    UnresolvedFindings,
    apply_redactions,
    may_decide,
    rereview_date,
    unresolved,
)

__all__ = ["router"]

DocId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="document id")]


class RedactionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: int = Field(ge=0)
    end: int = Field(ge=1)
    reason: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> RedactionIn:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class ReviewCommand(BaseModel):
    """The reviewer's decision. Offsets of redactions refer to ``title + "\\n" + body``."""

    model_config = ConfigDict(extra="forbid")
    decision: ReviewDecision
    comment: str = Field(default="", max_length=2000)
    redactions: list[RedactionIn] = Field(default_factory=list, max_length=500)
    override_findings: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> ReviewCommand:
        if self.decision is ReviewDecision.REDACT and not self.redactions:
            raise ValueError("a redact decision needs at least one redaction")
        if self.redactions and self.decision is not ReviewDecision.REDACT:
            raise ValueError("redactions go with the redact decision")
        needs_reason = self.override_findings or self.decision in (
            ReviewDecision.REJECT,
            ReviewDecision.ESCALATE,
            ReviewDecision.REOPEN,
        )
        if needs_reason and not self.comment.strip():
            raise ValueError(
                f"{self.decision.value}{' with override' if self.override_findings else ''} needs a comment saying why"
            )
        return self


def router(ctx: ServiceContext, db: Database) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["review"])

    @api.get("/documents", summary="Documents by status; the review queue is status=in_review")
    async def list_documents(
        _: Staff,
        status: DocumentStatus | None = None,
        rereview_due: Annotated[bool, Query(description="withheld documents due for re-review (Art. 18)")] = False,
        overdue: Annotated[bool, Query(description="unpublished past their Art. 26 deadline")] = False,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        today = ctx.clock.today()
        filters: dict[str, Any] = {
            "status": status,
            "rereview_due_by": today if rereview_due else None,
            "overdue_on": today if overdue else None,
        }
        rows = await db.run(lambda conn: store.list_documents(conn, **filters, limit=size, offset=(page - 1) * size))
        total = await db.run(lambda conn: store.count_documents(conn, **filters))
        return {"page": page, "size": size, "total": total, "items": [_summary(r) for r in rows]}

    @api.get("/documents/{doc_id}", summary="A document's review file: text, findings, decisions, history")
    async def get_document(doc_id: DocId, _: Staff) -> dict[str, Any]:
        return _file(await _load(db, doc_id))

    @api.post("/documents/{doc_id}/review", status_code=202, summary="Approve, redact, reject, escalate or reopen")
    async def review(doc_id: DocId, command: ReviewCommand, reviewer: Reviewer, response: Response) -> dict[str, str]:
        doc = await _load(db, doc_id)
        status = DocumentStatus(doc["status"])
        if not may_decide(status, command.decision):
            raise Conflict(
                f"a document that is {status.value} cannot be given '{command.decision.value}'", state=status.value
            )
        data = _decision(doc, command, reviewer.name, ctx)
        event = new_event("document.reviewed", subject=doc_id, source="review", data=data, recorded_at=ctx.clock.now())
        await ctx.bus.publish(event)
        response.headers["Location"] = f"/api/v1/documents/{doc_id}"
        return {"id": doc_id, "decision": command.decision.value}

    @api.post("/documents/{doc_id}/revisions", status_code=202, summary="Submit a corrected revision for review")
    async def revise(doc_id: DocId, draft: DocumentDraft, _: Clerk, response: Response) -> dict[str, Any]:
        doc = await _load(db, doc_id)
        if doc["status"] not in (DocumentStatus.PUBLISHED, DocumentStatus.REJECTED):
            raise Conflict("only published or rejected documents take a corrected revision", state=doc["status"])
        revision = doc["revision"] + 1
        event = new_event(
            "document.revised",
            subject=doc_id,
            source="review",
            data=draft.to_event_data(revision=revision),
            recorded_at=ctx.clock.now(),
        )
        await ctx.bus.publish(event)
        response.headers["Location"] = f"/api/v1/documents/{doc_id}"
        return {"id": doc_id, "revision": revision, "status": "submitted"}

    return api


def _decision(doc: dict[str, Any], command: ReviewCommand, reviewer: str, ctx: ServiceContext) -> DocumentReviewed:
    text = doc["title"] + "\n" + doc["body"]
    spans = [Span(r.start, r.end) for r in command.redactions]
    try:
        redacted = apply_redactions(text, spans)
    except InvalidRedaction as exc:
        raise Problem(422, "请求参数有误", str(exc), "validation", [FieldProblem("redactions", str(exc))]) from exc
    approving = command.decision in (ReviewDecision.APPROVE, ReviewDecision.REDACT)
    if approving and not command.override_findings:
        still_open = unresolved([Finding(**f) for f in doc["findings"]], spans)
        if still_open:
            raise Conflict(str(UnresolvedFindings(still_open)), state=doc["status"])
    rereview = (
        rereview_date(ctx.clock.today(), ctx.settings.rereview_months)
        if command.decision is ReviewDecision.REJECT
        else None
    )
    title, _, body = redacted.partition("\n")
    published = {
        "title": title,
        "body": body,
        "category": doc["category"],
        "department": doc["department"],
        "doc_number": doc["doc_number"],
        "formed_on": doc["formed_on"],
        "doc_type": doc["doc_type"],
    }
    return DocumentReviewed(
        decision=command.decision.value,
        comment=command.comment,
        reviewer=reviewer,
        revision=doc["revision"],
        redactions=[Redaction(start=r.start, end=r.end, reason=r.reason) for r in command.redactions],
        rereview_on=rereview,
        published_revision=doc["published_revision"] if approving else None,
        **(published if approving else {}),
    )


async def _load(db: Database, doc_id: str) -> dict[str, Any]:
    doc = await db.run(store.get_document, doc_id)
    if doc is None:
        raise NotFound("document", doc_id)
    return doc


_SUMMARY = (
    "id",
    "title",
    "status",
    "revision",
    "category",
    "department",
    "doc_number",
    "doc_type",
    "formed_on",
    "publish_due",
    "publish_due_provisional",
    "rereview_on",
    "validity",
)


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc[k] for k in _SUMMARY} | {"findings": len(doc["findings"])}


def _file(doc: dict[str, Any]) -> dict[str, Any]:
    keys = (
        *_SUMMARY,
        "published_revision",
        "body",
        "original_title",
        "original_body",
        "findings",
        "redactions",
        "source_file",
        "already_published_at",
        "history",
    )
    return {k: doc[k] for k in keys}
