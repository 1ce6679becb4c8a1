"""Review's HTTP surface: the review queue, a document's file, and the reviewer's decision."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gongkai.db import Database
from gongkai.events import DocumentReviewed, new_event
from gongkai.http import Reviewer, Staff
from gongkai.problems import Conflict, FieldProblem, NotFound, Problem
from gongkai.service import ServiceContext
from services.review import store
from services.review.domain import DocumentStatus, ReviewDecision

__all__ = ["router"]

DocId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="document id")]
REDACTION_MARK = "■"


class Redaction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: int = Field(ge=0)
    end: int = Field(ge=1)
    reason: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> Redaction:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class ReviewCommand(BaseModel):
    """The reviewer's decision. Offsets of redactions refer to ``title + "\\n" + body``."""

    model_config = ConfigDict(extra="forbid")
    decision: ReviewDecision
    comment: str = Field(default="", max_length=2000)
    redactions: list[Redaction] = Field(default_factory=list, max_length=500)
    override_findings: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> ReviewCommand:
        if self.decision is ReviewDecision.REDACT and not self.redactions:
            raise ValueError("a redact decision needs at least one redaction")
        if self.override_findings and not self.comment.strip():
            raise ValueError("overriding findings needs a comment saying why")
        return self


def router(ctx: ServiceContext, db: Database) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["review"])

    @api.get("/documents", summary="Documents by status (the review queue: status=in_review)")
    async def list_documents(
        _: Staff,
        status: DocumentStatus | None = None,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        rows = await db.run(store.list_documents, status, size, (page - 1) * size)
        return {"page": page, "size": size, "items": [_public_view(r) for r in rows]}

    @api.get("/documents/{doc_id}", summary="A document's review file")
    async def get_document(doc_id: DocId, _: Staff) -> dict[str, Any]:
        return _public_view(await _load(db, doc_id))

    @api.post("/documents/{doc_id}/review", status_code=202, summary="Approve, redact or reject")
    async def review(doc_id: DocId, command: ReviewCommand, reviewer: Reviewer, response: Response) -> dict[str, str]:
        doc = await _load(db, doc_id)
        if doc["status"] != DocumentStatus.IN_REVIEW:
            raise Conflict("only documents in review can be decided", state=doc["status"])
        text = _apply_redactions(doc["title"] + "\n" + doc["body"], command.redactions)
        _check_findings(doc, command)
        title, _, body = text.partition("\n")
        approved = command.decision is not ReviewDecision.REJECT
        data = DocumentReviewed(
            decision=command.decision.value,
            comment=command.comment,
            reviewer=reviewer.name,
            **(
                {k: doc[k] for k in ("category", "department", "doc_number", "formed_on")}
                | {"title": title, "body": body}
                if approved
                else {}
            ),
        )
        event = new_event("document.reviewed", subject=doc_id, source="review", data=data, recorded_at=ctx.clock.now())
        await ctx.bus.publish(event)
        response.headers["Location"] = f"/api/v1/documents/{doc_id}"
        return {"id": doc_id, "status": "approved" if approved else "rejected"}

    return api


async def _load(db: Database, doc_id: str) -> dict[str, Any]:
    doc = await db.run(store.get_document, doc_id)
    if doc is None:
        raise NotFound("document", doc_id)
    return doc


def _public_view(doc: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "id",
        "title",
        "status",
        "category",
        "department",
        "doc_number",
        "formed_on",
        "publish_due",
        "publish_due_provisional",
        "findings",
        "history",
    )
    return {k: doc[k] for k in keys}


def _apply_redactions(text: str, redactions: list[Redaction]) -> str:
    chars = list(text)
    for r in redactions:
        if r.end > len(chars):
            raise Problem(
                422,
                "请求参数有误",
                "A redaction lies outside the text.",
                "validation",
                [FieldProblem("redactions", f"end {r.end} exceeds the text length {len(chars)}")],
            )
        chars[r.start : r.end] = REDACTION_MARK * (r.end - r.start)
    return "".join(chars)


def _check_findings(doc: dict[str, Any], command: ReviewCommand) -> None:
    """Art. 17: personal data and secrecy markings must be redacted or consciously overridden."""
    if command.decision is ReviewDecision.REJECT or command.override_findings:
        return
    covered = [(r.start, r.end) for r in command.redactions]
    open_findings = [f for f in doc["findings"] if not any(s <= f["start"] and f["end"] <= e for s, e in covered)]
    if open_findings:
        kinds = ", ".join(sorted({f["kind"] for f in open_findings}))
        raise Conflict(
            f"unresolved findings ({kinds}): redact them or set override_findings with a comment",
            state="in_review",
        )
