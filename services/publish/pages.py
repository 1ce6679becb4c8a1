"""The public portal's pages, server-rendered in Simplified Chinese (no JavaScript needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from gongkai.clock import AGENCY_TZ
from gongkai.index import SearchIndex, SearchQuery
from gongkai.problems import NotFound
from gongkai.vocabulary import ART20_CATEGORIES, category_label

__all__ = ["router"]

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["category_label"] = category_label
templates.env.filters["local_date"] = lambda instant: instant.astimezone(AGENCY_TZ).date().isoformat()


def router(index: SearchIndex) -> APIRouter:
    pages = APIRouter(tags=["portal"], include_in_schema=False)

    @pages.get("/", response_class=HTMLResponse)
    async def search_page(
        request: Request,
        q: Annotated[str, Query(max_length=200)] = "",
        category: Annotated[str | None, Query(max_length=40)] = None,
        page: Annotated[int, Query(ge=1, le=1000)] = 1,
    ) -> HTMLResponse:
        found = await index.search(SearchQuery(q=q, category=category or None, page=page, size=10))
        return templates.TemplateResponse(
            request,
            "search.html",
            {"q": q, "category": category, "page": page, "found": found, "categories": ART20_CATEGORIES},
        )

    @pages.get("/documents/{doc_id}", response_class=HTMLResponse)
    async def document_page(request: Request, doc_id: str) -> HTMLResponse:
        doc = await index.get(doc_id) if len(doc_id) == 32 else None
        if doc is None:
            raise NotFound("published document", doc_id)
        return templates.TemplateResponse(request, "document.html", {"doc": doc})

    return pages
