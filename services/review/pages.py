"""The applicant's tracking page (办理进度查询): case id and tracking code in, status and dates out.

Every wrong id or code gets the same answer, so the page reveals nothing about which cases exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from gongkai.db import Database
from gongkai.service import ServiceContext
from gongkai.tracking import tracking_code_matches
from services.review import request_store as store
from services.review.case_view import public_status, templates
from services.review.cases import Rules
from services.review.request_handlers import rebuild

__all__ = ["pages_router"]

NOT_FOUND = "未找到与该申请编号和查询码相符的申请，请核对后重试。"


def pages_router(ctx: ServiceContext, db: Database, rules: Rules) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/requests/track", response_class=HTMLResponse)
    async def track(
        request: Request,
        id: Annotated[str, Query(max_length=200)] = "",
        code: Annotated[str, Query(max_length=200)] = "",
    ) -> HTMLResponse:
        context: dict[str, Any] = {"id": id.strip(), "code": code.strip(), "status": None, "error": None}
        if context["id"] and context["code"]:
            row = await db.run(store.get_request, context["id"]) if len(context["id"]) == 32 else None
            if row is not None and tracking_code_matches(context["code"], row["tracking_code_hash"]):
                case = rebuild(row, ctx.calendar.calendar, rules)
                context["status"] = public_status(row, case, ctx.calendar.calendar, rules)
            else:
                context["error"] = NOT_FOUND
        elif context["code"] and not context["id"]:
            context["error"] = "请填写申请编号。"
        status = 404 if context["error"] == NOT_FOUND else 200
        return templates.TemplateResponse(request, "track.html", context, status_code=status)

    return pages
