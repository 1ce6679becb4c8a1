"""Signing in and out, the 工作台 (what waits for the signed-in role), and the console's own assets.

The 工作台 counts come from the list APIs as the signed-in user: reviewers the review queues, clerks
the requests, letters and proposals by deadline, publishers the replies to publish and what is public
(the documents they may withdraw or relabel); admin sees every section.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gongkai.accounts import SignedIn, SignInRefused, csrf_matches
from gongkai.auth import Role
from gongkai.clock import Clock
from services.console.api_client import ApiError, ApiUnavailable, UserApi
from services.console.web import (
    COOKIE,
    LOGIN_COOKIE,
    PREFIX,
    SECURITY_HEADERS,
    Console,
    SignedInUser,
    first,
    read_form,
    safe_next,
)

__all__ = ["pages_router"]

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
WRONG = "用户名或密码错误。"
LOCKED = "该用户名连续登录失败次数过多，已暂停登录 15 分钟，请稍后再试。如忘记密码，请联系系统管理员。"
NOTICES = {
    "expired": "登录已过期，请重新登录。",
    "signed_out": "您已安全退出。",
    "password": "您的密码已修改，原有登录已全部结束。请用新密码重新登录。",
}
UNAVAILABLE = "业务接口暂时无法访问，待办数量未能取得。请稍后刷新页面；如持续出现，请联系系统管理员。"


@dataclass(frozen=True)
class Card:
    label: str
    count: int
    capped: bool = False
    href: str | None = None
    alert: bool = False  # overdue: shown as needing attention


@dataclass(frozen=True)
class Section:
    title: str
    cards: list[Card]
    note: str = ""


def pages_router(console: Console, clock: Clock) -> APIRouter:
    pages = APIRouter(prefix=PREFIX, include_in_schema=False)

    def login_page(
        request: Request, *, next_url: str, error: str = "", notice: str = "", username: str = "", status: int = 200
    ) -> HTMLResponse:
        token = console.login_token(request)
        context = {"error": error, "notice": notice, "username": username, "next": next_url, "csrf_token": token}
        response = console.page(request, "login.html", context, status=status)
        console.set_login_cookie(response, request, token)
        return response

    @pages.get("/login", response_class=HTMLResponse)
    async def login_form(
        request: Request,
        next: Annotated[str, Query(max_length=500)] = "",
        m: Annotated[str, Query(max_length=20)] = "",
    ) -> Response:
        token = request.cookies.get(COOKIE, "")
        if token and await asyncio.to_thread(console.accounts.session, token) is not None:
            return RedirectResponse(safe_next(next), status_code=303)
        return login_page(request, next_url=safe_next(next), notice=NOTICES.get(m, ""))

    @pages.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        form = await read_form(request)
        if form is None:
            return login_page(request, next_url=f"{PREFIX}/", error="表单内容无法读取，请重新填写。", status=400)
        next_url = safe_next(first(form, "next"))
        username = first(form, "username").strip()[:64]
        if not csrf_matches(request.cookies.get(LOGIN_COOKIE, ""), first(form, "csrf_token")):
            error = "安全校验未通过（页面已过期或并非从本系统打开），未尝试登录。请重新输入后登录。"
            return login_page(request, next_url=next_url, error=error, username=username, status=403)
        if not username or not first(form, "password"):
            return login_page(request, next_url=next_url, error="请填写用户名和密码。", username=username, status=422)
        outcome = await asyncio.to_thread(console.accounts.sign_in, username, first(form, "password"))
        if isinstance(outcome, SignedIn):
            log.info("console: %s signed in", outcome.session.username)
            response = RedirectResponse(next_url, status_code=303, headers=SECURITY_HEADERS)
            console.set_session_cookie(response, request, outcome.token)
            response.delete_cookie(LOGIN_COOKIE, path=f"{PREFIX}/login")
            return response
        if outcome is SignInRefused.LOCKED:
            return login_page(request, next_url=next_url, error=LOCKED, username=username, status=429)
        return login_page(request, next_url=next_url, error=WRONG, username=username, status=401)

    @pages.post("/logout", response_class=HTMLResponse)
    async def logout(request: Request) -> Response:
        user = await console.user(request)
        if not isinstance(user, SignedInUser):
            return user
        form = await console.posted(request, user)
        if isinstance(form, HTMLResponse):
            return form
        await asyncio.to_thread(console.accounts.sign_out, request.cookies.get(COOKIE, ""))
        log.info("console: %s signed out", user.session.username)
        response = RedirectResponse(f"{PREFIX}/login?m=signed_out", status_code=303, headers=SECURITY_HEADERS)
        console.clear_session_cookie(response, request)
        return response

    @pages.get("", include_in_schema=False)
    async def console_root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)

    @pages.get("/", response_class=HTMLResponse)
    async def dashboard(request: Request) -> Response:
        user = await console.user(request)
        if not isinstance(user, SignedInUser):
            return user
        try:
            sections = await waiting_for(user, clock.today())
        except ApiError as exc:
            if exc.status == 401:
                return console.to_login(request, expired=True)
            return console.message(request, "待办数量未能取得", UNAVAILABLE, user=user, status=502)
        except ApiUnavailable:
            return console.message(request, "待办数量未能取得", UNAVAILABLE, user=user, status=502)
        return console.page(request, "dashboard.html", {"sections": sections, "today": clock.today()}, user=user)

    @pages.get("/assets/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        media = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}
        if name not in media:
            return Response(status_code=404)
        body = (STATIC / name).read_bytes()
        return Response(body, media_type=media[name], headers={"Cache-Control": "max-age=300"})

    return pages


async def waiting_for(user: SignedInUser, today: date) -> list[Section]:
    """The counts for the user's role, from the list APIs; admin sees every section."""
    sections: list[Section] = []
    if user.may(Role.REVIEWER):
        sections.append(await _documents(user.api))
    if user.may(Role.CLERK):
        sections.extend(await _cases(user.api, today))
    if user.may(Role.PUBLISHER):
        sections.append(await _publishing(user.api))
    if not sections:
        sections.append(Section("待办事项", [], note="当前角色没有需要在工作台跟踪的待办数量。"))
    return sections


async def _documents(api: UserApi) -> Section:
    path = "/api/v1/documents"
    views = (
        ("待审查", "in_review", {"status": "in_review"}, False),
        ("已报请保密行政管理部门", "escalated", {"status": "escalated"}, False),
        ("到期复审（不予公开满期）", "rereview", {"rereview_due": "true"}, False),
        ("超过公开期限未公开", "overdue", {"overdue": "true"}, True),
    )
    counts = await asyncio.gather(*(api.count(path, params) for _, _, params, _ in views))
    cards = [
        Card(label, n, capped, f"{PREFIX}/review?view={view}", alert and n > 0)
        for (label, view, _, alert), (n, capped) in zip(views, counts, strict=True)
    ]
    return Section("保密审查", cards)


async def _cases(api: UserApi, today: date) -> list[Section]:
    """Requests by deadline (today, this week to Sunday, overdue, provisional), letters and proposals."""
    cases = f"{PREFIX}/requests"
    waiting, letters, proposals = await asyncio.gather(
        api.get("/api/v1/requests/deadlines"), _letters(api), _proposals(api)
    )
    week_end = date.fromisoformat(str(waiting["week_ends_on"]))
    overdue = int(waiting["overdue"])
    requests = Section(
        "依申请公开",
        [
            Card("待确认收到", int(waiting["awaiting_confirmation"]), False, f"{cases}?status=awaiting_confirmation"),
            Card("今日到期", int(waiting["due_today"]), False, f"{cases}?due=0"),
            Card(
                "本周内到期（至周日）", int(waiting["due_this_week"]), False, f"{cases}?due={(week_end - today).days}"
            ),
            Card("已逾期", overdue, False, f"{cases}?overdue=1", overdue > 0),
            Card("期限暂定（节假日安排未公布）", int(waiting["provisional"]), False, f"{cases}?provisional=1"),
        ],
    )
    return [requests, letters, proposals]


async def _letters(api: UserApi) -> Section:
    (pending, _), (overdue, _) = await asyncio.gather(
        api.count("/api/v1/letters", {"status": "open"}), api.count("/api/v1/letters", {"overdue": "true"})
    )
    letters = f"{PREFIX}/letters"
    return Section(
        "信箱与咨询",
        [
            Card("待办理", pending, href=f"{letters}?status=open"),
            Card("已超期", overdue, href=f"{letters}?overdue=1", alert=overdue > 0),
        ],
    )


async def _proposals(api: UserApi) -> Section:
    (assigned, _), (rehandling, _), (overdue, _) = await asyncio.gather(
        api.count("/api/v1/proposals", {"status": "assigned"}),
        api.count("/api/v1/proposals", {"status": "rehandling"}),
        api.count("/api/v1/proposals", {"overdue": "true"}),
    )
    proposals = f"{PREFIX}/proposals"
    return Section(
        "建议提案",
        [
            Card("办理中", assigned, href=f"{proposals}?status=assigned"),
            Card("重新办理", rehandling, href=f"{proposals}?status=rehandling"),
            Card("已超期", overdue, href=f"{proposals}?overdue=1", alert=overdue > 0),
        ],
    )


#: 第二十条（一）行政法规、规章和规范性文件: the documents whose 效力状态 a publisher keeps current.
REGULATIONS = {"category": "art20.1", "validity": "in_force"}


async def _publishing(api: UserApi) -> Section:
    """Replies to publish (the latest reply of a proposal not yet public), and what is public now."""
    (replies, replies_capped), (published, published_capped), regulations = await asyncio.gather(
        api.count("/api/v1/proposals", {"reply_published": "false"}),
        api.count("/api/v1/documents", {"status": "published"}),
        api.get("/api/v1/search", {**REGULATIONS, "size": 1}),
    )
    return Section(
        "公开发布",
        [
            Card("待公开的建议提案答复", replies, replies_capped, f"{PREFIX}/proposals?unpublished=1"),
            Card("已公开文件", published, published_capped, f"{PREFIX}/review?view=published"),
            Card(
                "现行有效的规章和规范性文件",
                int(regulations["total"]),
                not regulations.get("total_exact", True),
                "/?" + urlencode(REGULATIONS),
            ),
        ],
        note="撤回已公开的文件、标注规章和规范性文件的效力状态（已修改、已废止）：在“已公开文件”中打开该文件办理。",
    )
