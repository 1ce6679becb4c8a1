"""The writer's tracking page (来信办理查询): letter id and tracking code in, status, dates and reply out,
and a form to rate the reply once (满意, 基本满意, 不满意). Plain HTML forms, no script.

Every wrong id or code gets the same answer, so the page reveals nothing about which letters exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from gongkai.applied import Applied
from gongkai.db import Database
from gongkai.events.letters import Rating
from gongkai.portal import portal_templates
from gongkai.problems import Problem
from gongkai.service import ServiceContext
from services.review.letters import RATING_LABELS
from services.review.letters_api import LetterCommands, public_status
from services.review.letters_handlers import rebuild

__all__ = ["letter_pages_router"]

NOT_FOUND = "未找到与该信件编号和查询码相符的来信，请核对后重试。"
_RATINGS: dict[str, Rating] = {
    "satisfied": "satisfied",
    "basically_satisfied": "basically_satisfied",
    "dissatisfied": "dissatisfied",
}

templates = portal_templates(Path(__file__).parent / "templates")
templates.env.globals.update(rating_label=lambda code: RATING_LABELS.get(code, code), ratings=RATING_LABELS)


def letter_pages_router(ctx: ServiceContext, db: Database, applied: Applied) -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    commands = LetterCommands(ctx, db, applied)

    async def render(request: Request, letter_id: str, code: str, **extra: Any) -> HTMLResponse:
        context: dict[str, Any] = {"id": letter_id, "code": code, "status": None, "error": None, "thanks": False}
        context.update(extra)
        status_code = int(context.pop("status_code", 200))
        if letter_id and code and context["error"] is None:
            row = await commands.tracked(letter_id, code)
            if row is None:
                context["error"], status_code = NOT_FOUND, 404
            else:
                context["status"] = public_status(row, rebuild(row), commands.calendar)
        elif code and not letter_id:
            context["error"] = "请填写信件编号。"
        return templates.TemplateResponse(request, "letter_track.html", context, status_code=status_code)

    @pages.get("/letters/track", response_class=HTMLResponse)
    async def track(
        request: Request,
        id: Annotated[str, Query(max_length=200)] = "",
        code: Annotated[str, Query(max_length=200)] = "",
    ) -> HTMLResponse:
        return await render(request, id.strip(), code.strip())

    @pages.post("/letters/track", response_class=HTMLResponse)
    async def rate(request: Request) -> HTMLResponse:
        try:
            form = parse_qs((await request.body()).decode("utf-8"), max_num_fields=10)
        except (UnicodeDecodeError, ValueError):
            return await render(request, "", "", error="提交的内容无法识别，请重新填写。", status_code=400)
        letter_id, code, rating = (form.get(k, [""])[0].strip()[:200] for k in ("id", "code", "rating"))
        row = await commands.tracked(letter_id, code)
        if row is None:
            return await render(request, letter_id, code, error=NOT_FOUND, status_code=404)
        if rating not in _RATINGS:
            return await render(request, letter_id, code, rating_error="请选择一项评价。", status_code=422)
        try:
            await commands.feedback(letter_id, row, _RATINGS[rating])
        except Problem as problem:
            message = _refusal(row["status"], problem.status)
            return await render(request, letter_id, code, rating_error=message, status_code=problem.status)
        return await render(request, letter_id, code, thanks=True)

    return pages


def _refusal(letter_status: str, status_code: int) -> str:
    if status_code != 409:
        return "暂时无法记录评价，请稍后重试。"
    if letter_status == "replied":
        return "该答复已评价，每封来信只能评价一次。"
    return "来信尚未答复，答复后才能评价。"
