"""The public portal (政府信息公开专栏): search with filters and facets, document pages, the Atom feed.

Server-rendered in Simplified Chinese; no JavaScript and nothing from another site is needed.
Every text from a document is escaped by the templates; only the index's highlights (``<mark>``
around matches, everything else already escaped) are inserted as HTML.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from gongkai.clock import AGENCY_TZ
from gongkai.index import MAX_RESULT_WINDOW, VALIDITIES, InvalidQuery, SearchIndex, SearchQuery
from gongkai.portal import portal_templates
from gongkai.vocabulary import ART20_CATEGORIES, category_label
from services.publish import feeds

__all__ = ["DOC_TYPE_LABELS", "PAGE_SIZE", "VALIDITY_LABELS", "router"]

PAGE_SIZE = 10
MAX_PAGE = MAX_RESULT_WINDOW // PAGE_SIZE
VALIDITY_LABELS = {"in_force": "现行有效", "amended": "已修改", "repealed": "已废止"}
DOC_TYPE_LABELS = {"regulation": "规章", "normative": "行政规范性文件", "other": "其他文件"}
FACET_TITLES = {"category": "公开类别", "department": "发布机构", "year": "发布年份", "validity": "效力状态"}

templates = portal_templates(Path(__file__).parent / "templates")
templates.env.globals["category_label"] = category_label
templates.env.globals["validity_label"] = lambda code: VALIDITY_LABELS.get(code, code)
templates.env.globals["doc_type_label"] = lambda code: DOC_TYPE_LABELS.get(code, code)
templates.env.filters["local_date"] = lambda instant: instant.astimezone(AGENCY_TZ).date().isoformat()


@dataclass
class SearchForm:
    """The search page's parameters as typed in: blank means "any"; bad values are reported."""

    q: str = ""
    category: str = ""
    department: str = ""
    year: str = ""
    validity: str = ""
    date_from: str = ""
    date_to: str = ""
    page: int = 1
    errors: list[str] = field(default_factory=list)

    def query(self) -> SearchQuery | None:
        """The index query, or None (with ``errors`` said) when a value cannot be used."""
        year = _number(self.year, "年份", self.errors) if self.year else None
        date_from = _day(self.date_from, "起始日期", self.errors)
        date_to = _day(self.date_to, "截止日期", self.errors)
        if self.validity and self.validity not in VALIDITIES:
            self.errors.append("效力状态无效")
        if self.errors:
            return None
        try:
            return SearchQuery(
                q=self.q,
                category=self.category or None,
                department=self.department or None,
                year=year,
                validity=self.validity or None,  # type: ignore[arg-type]  # checked above
                published_from=date_from,
                published_to=date_to,
                page=self.page,
                size=PAGE_SIZE,
            )
        except InvalidQuery:
            self.errors.append("截止日期早于起始日期" if self.date_from and self.date_to else "页码超出范围")
            return None

    def url(self, **changes: Any) -> str:
        """This search with some parameters changed (a facet chosen, another page)."""
        params: dict[str, Any] = {
            "q": self.q,
            "category": self.category,
            "department": self.department,
            "year": self.year,
            "validity": self.validity,
            "from": self.date_from,
            "to": self.date_to,
            **changes,
        }
        kept = {key: value for key, value in params.items() if value not in ("", None) and (key, value) != ("page", 1)}
        return "/?" + urlencode(kept) if kept else "/"


def _number(text: str, label: str, errors: list[str]) -> int | None:
    if text.isdigit() and 1949 <= int(text) <= 2100:
        return int(text)
    errors.append(f"{label}无效")
    return None


def _day(text: str, label: str, errors: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(f"{label}无效，请使用 年-月-日 格式")
        return None


def page_numbers(current: int, last: int) -> list[int]:
    """Page numbers to offer: the first, the last, and a few around the current one."""
    shown = {1, last, *range(max(1, current - 2), min(last, current + 2) + 1)}
    return sorted(page for page in shown if 1 <= page <= last)


def router(index: SearchIndex) -> APIRouter:
    pages = APIRouter(tags=["portal"], include_in_schema=False)

    @pages.get("/", response_class=HTMLResponse)
    async def search_page(
        request: Request,
        q: Annotated[str, Query(max_length=200)] = "",
        category: Annotated[str, Query(max_length=40)] = "",
        department: Annotated[str, Query(max_length=100)] = "",
        year: Annotated[str, Query(max_length=10)] = "",
        validity: Annotated[str, Query(max_length=20)] = "",
        date_from: Annotated[str, Query(alias="from", max_length=20)] = "",
        date_to: Annotated[str, Query(alias="to", max_length=20)] = "",
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    ) -> HTMLResponse:
        form = SearchForm(q, category, department, year, validity, date_from, date_to, page)
        query = form.query()
        found = await index.search(query) if query is not None else None
        last = max(1, min(MAX_PAGE, math.ceil(found.total / PAGE_SIZE))) if found else 1
        context = {
            "form": form,
            "found": found,
            "last_page": last,
            "pages": page_numbers(page, last),
            "categories": ART20_CATEGORIES,
            "validities": VALIDITY_LABELS,
            "facet_titles": FACET_TITLES,
        }
        status = 422 if form.errors else 200
        return templates.TemplateResponse(request, "search.html", context, status_code=status)

    @pages.get("/documents/{doc_id}", response_class=HTMLResponse)
    async def document_page(request: Request, doc_id: str) -> HTMLResponse:
        doc = await index.get(doc_id) if len(doc_id) <= 64 else None
        if doc is None:
            return templates.TemplateResponse(request, "not_found.html", {"doc_id": doc_id}, status_code=404)
        paragraphs = [line.strip() for line in doc.body.split("\n") if line.strip()]
        successor = await index.get(doc.replaced_by) if doc.replaced_by else None
        context = {"doc": doc, "paragraphs": paragraphs, "successor": successor}
        return templates.TemplateResponse(request, "document.html", context)

    pages.include_router(feeds.router(index))
    return pages
