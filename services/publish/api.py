"""Public search and the published documents (no authentication: this is the portal's data)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from gongkai.auth import Principal
from gongkai.events import (
    DocumentActionAttributed,
    DocumentValidityChanged,
    DocumentWithdrawn,
    Envelope,
    Validity,
    new_event,
)
from gongkai.http import Publisher
from gongkai.index import IndexedDocument, InvalidQuery, SearchIndex, SearchQuery
from gongkai.problems import Conflict, FieldProblem, NotFound, Problem
from gongkai.service import ServiceContext
from gongkai.vocabulary import category_label

__all__ = ["publisher_router", "router"]

DocId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="document id")]
DocIdValue = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


def router(index: SearchIndex) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["public"])

    @api.get("/search", summary="Full-text search of published documents")
    async def search(
        q: Annotated[str, Query(max_length=200)] = "",
        category: Annotated[str | None, Query(max_length=40)] = None,
        department: Annotated[str | None, Query(max_length=100)] = None,
        year: Annotated[int | None, Query(ge=1949, le=2100)] = None,
        validity: Annotated[Validity | None, Query(description="效力状态")] = None,
        published_from: Annotated[date | None, Query(alias="from", description="published on or after")] = None,
        published_to: Annotated[date | None, Query(alias="to", description="published on or before")] = None,
        page: Annotated[int, Query(ge=1, le=1000)] = 1,
        size: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> dict[str, Any]:
        try:
            query = SearchQuery(
                q=q,
                category=category,
                department=department,
                year=year,
                validity=validity,
                published_from=published_from,
                published_to=published_to,
                page=page,
                size=size,
            )
        except InvalidQuery as exc:
            raise Problem(422, "请求参数有误", str(exc), "validation", [FieldProblem(exc.field, str(exc))]) from exc
        found = await index.search(query)
        hits = [
            {**asdict(hit), "published_at": hit.published_at.isoformat(), "url": f"/documents/{hit.id}"}
            for hit in found.hits
        ]
        return {
            "total": found.total,
            "total_exact": found.exact,
            "page": page,
            "size": size,
            "hits": hits,
            "facets": found.facets,
        }

    @api.get("/public/documents/{doc_id}", summary="One published document")
    async def public_document(doc_id: DocId) -> dict[str, Any]:
        doc = await index.get(doc_id)
        if doc is None:
            raise NotFound("published document", doc_id)
        return {
            "id": doc.id,
            "title": doc.title,
            "body": doc.body,
            "category": doc.category,
            "category_label": category_label(doc.category),
            "department": doc.department,
            "doc_number": doc.doc_number,
            "doc_type": doc.doc_type,
            "validity": doc.validity,
            "replaced_by": doc.replaced_by,
            "published_at": doc.published_at.isoformat(),
            "url": f"/documents/{doc.id}",
        }

    return api


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a withdrawal needs a reason")
        return value.strip()


class ValidityChange(BaseModel):
    """效力状态: a regulation amended (已修改) or repealed (已废止) stays public, labelled."""

    model_config = ConfigDict(extra="forbid")
    validity: Validity
    effective_on: date
    replaced_by: DocIdValue | None = None
    note: str = Field(default="", max_length=500)


def publisher_router(ctx: ServiceContext, index: SearchIndex) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["publish"])

    @api.post("/documents/{doc_id}/withdraw", status_code=202, summary="Take a document off the portal")
    async def withdraw(doc_id: DocId, body: Withdrawal, publisher: Publisher, response: Response) -> dict[str, str]:
        current = await _published(index, doc_id)
        now = ctx.clock.now()
        data = DocumentWithdrawn(reason=body.reason, withdrawn_at=now, version=_next_version(current, now))
        await _publish_attributed(
            ctx,
            new_event("document.withdrawn", subject=doc_id, source="publish", data=data, recorded_at=now),
            publisher,
        )
        response.headers["Location"] = f"/api/v1/documents/{doc_id}"
        return {"id": doc_id, "status": "withdrawn"}

    @api.post("/documents/{doc_id}/validity", status_code=202, summary="Mark a regulation amended or repealed")
    async def change_validity(
        doc_id: DocId, body: ValidityChange, publisher: Publisher, response: Response
    ) -> dict[str, str]:
        current = await _published(index, doc_id)
        if body.replaced_by == doc_id:
            raise Problem(
                422,
                "请求参数有误",
                "A document cannot replace itself.",
                "validation",
                [FieldProblem("replaced_by", "must name another document")],
            )
        if body.replaced_by and await index.get(body.replaced_by) is None:
            raise Problem(
                422,
                "请求参数有误",
                "The replacing document is not published.",
                "validation",
                [FieldProblem("replaced_by", "no published document has this id")],
            )
        now = ctx.clock.now()
        data = DocumentValidityChanged(**body.model_dump(), version=_next_version(current, now))
        changed = new_event("document.validity_changed", subject=doc_id, source="publish", data=data, recorded_at=now)
        await _publish_attributed(ctx, changed, publisher)
        response.headers["Location"] = f"/api/v1/public/documents/{doc_id}"
        return {"id": doc_id, "validity": body.validity}

    return api


async def _publish_attributed(ctx: ServiceContext, public: Envelope, publisher: Principal) -> None:
    """The public step, then who took it on the internal topic (the public stream names no one).

    A crash in between loses only the name in the document's history; the step itself stands.
    """
    await ctx.bus.publish(public)
    attribution = DocumentActionAttributed(actor=publisher.name or publisher.role.value)
    await ctx.bus.publish(
        new_event(
            "document.action_attributed",
            subject=public.subject,
            source="publish",
            data=attribution,
            cause=public,
            occurred_at=public.occurred_at,
            recorded_at=public.recorded_at,
        )
    )


async def _published(index: SearchIndex, doc_id: str) -> IndexedDocument:
    current = await index.get(doc_id)
    if current is None:
        raise Conflict("only a published document can be withdrawn or relabelled", state="not_published")
    return current


def _next_version(current: IndexedDocument, now: datetime) -> int:
    """Later than everything the index holds for this document, within its revision's band."""
    return max(int(now.timestamp() * 1_000_000), current.version + 1)
