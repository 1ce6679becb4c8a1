"""Public search and the published documents (no authentication: this is the portal's data)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from gongkai.index import InvalidQuery, SearchIndex, SearchQuery
from gongkai.problems import FieldProblem, NotFound, Problem
from gongkai.vocabulary import category_label

__all__ = ["router"]

DocId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="document id")]


def router(index: SearchIndex) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["public"])

    @api.get("/search", summary="Full-text search of published documents")
    async def search(
        q: Annotated[str, Query(max_length=200)] = "",
        category: Annotated[str | None, Query(max_length=40)] = None,
        department: Annotated[str | None, Query(max_length=100)] = None,
        year: Annotated[int | None, Query(ge=1949, le=2100)] = None,
        page: Annotated[int, Query(ge=1, le=1000)] = 1,
        size: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> dict[str, Any]:
        try:
            query = SearchQuery(q=q, category=category, department=department, year=year, page=page, size=size)
        except InvalidQuery as exc:
            raise Problem(422, "请求参数有误", str(exc), "validation", [FieldProblem("page", str(exc))]) from exc
        found = await index.search(query)
        hits = [
            {**asdict(hit), "published_at": hit.published_at.isoformat(), "url": f"/documents/{hit.id}"}
            for hit in found.hits
        ]
        return {"total": found.total, "page": page, "size": size, "hits": hits, "facets": found.facets}

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
            "published_at": doc.published_at.isoformat(),
            "url": f"/documents/{doc.id}",
        }

    return api
