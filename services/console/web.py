"""What every console page shares: templates, security headers, the signed-in session, forms and CSRF.

Sessions are server-side records in ``auth.db`` (``gongkai/accounts.py``); the browser holds only
the session secret in an HttpOnly, SameSite=Lax cookie scoped to ``/console`` (Secure over TLS or in
production). Every form carries the session's CSRF token, checked on every POST before anything else
happens; the sign-in form, which has no session yet, uses a double-submit cookie instead.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from gongkai.accounts import AccountStore, Session, csrf_matches
from gongkai.auth import Role
from gongkai.clock import AGENCY_TZ
from gongkai.settings import Settings
from services.console.api_client import Api, ApiError, ApiUnavailable, UserApi

__all__ = [
    "COOKIE",
    "LOGIN_COOKIE",
    "ROLE_LABELS",
    "Console",
    "Form",
    "SignedInUser",
    "templates",
]

COOKIE = "gongkai_console"
LOGIN_COOKIE = "gongkai_console_login"
PREFIX = "/console"
ROLE_LABELS = {
    Role.CLERK: "经办人员",
    Role.REVIEWER: "保密审查员",
    Role.PUBLISHER: "发布人员",
    Role.ADMIN: "管理员",
}
_MAX_FIELDS = 600
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

CSRF_MESSAGE = "安全校验未通过（表单已失效或并非从本系统页面提交），本次提交未作任何记录。请重新打开页面后再提交。"


def _local_time(value: str | None) -> str:
    """An ISO instant as Beijing time, minutes only (``2026-06-01 10:00``); dates stay as they are."""
    if not value:
        return ""
    if len(value) == 10:
        return value
    try:
        return datetime.fromisoformat(value).astimezone(AGENCY_TZ).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True, undefined=jinja2.Undefined
    )
)


@jinja2.pass_context
def _staff(context: Mapping[str, Any], username: str | None) -> str:
    """A user as 姓名（用户名） when the console knows the display name; API token names stay as they are."""
    if not username:
        return ""
    display = (context.get("staff_names") or {}).get(username)
    return f"{display}（{username}）" if display and display != username else username


templates.env.filters["local_time"] = _local_time
templates.env.filters["staff"] = _staff
templates.env.globals["role_labels"] = ROLE_LABELS


@dataclass(frozen=True)
class SignedInUser:
    """The session of this request and the API as this user."""

    session: Session
    api: UserApi

    def may(self, *roles: Role) -> bool:
        return self.session.principal.may(*roles)


Form = Mapping[str, list[str]]


#: How long a display name read from ``auth.db`` is used before it is read again (a rename shows within it).
NAMES_FOR_S = 10.0

#: When the platform's API cannot be reached or fails: nothing was done.
UNAVAILABLE = "业务接口暂时无法访问，本次操作未完成。请稍后重试；如持续出现，请联系系统管理员。"


class Console:
    """Settings, the account store and the API client, shared by the console's routes."""

    def __init__(self, settings: Settings, accounts: AccountStore, api: Api) -> None:
        self.settings = settings
        self.accounts = accounts
        self.api = api
        self._names: tuple[float, dict[str, str]] = (-NAMES_FOR_S, {})

    def staff_names(self) -> dict[str, str]:
        """Display names by username for the ``staff`` filter, read at most every ``NAMES_FOR_S`` seconds."""
        read_at, names = self._names
        if time.monotonic() - read_at >= NAMES_FOR_S:
            names = {user.username: user.display_name for user in self.accounts.user_records()}
            self._names = (time.monotonic(), names)
        return names

    # Responses -----------------------------------------------------------------------------------

    def page(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any],
        *,
        user: SignedInUser | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        full = {
            "user": user.session if user else None,
            "nav": _nav(user, request.url.path),
            "staff_names": self.staff_names() if user else {},
            **context,
        }
        return templates.TemplateResponse(request, name, full, status_code=status, headers=SECURITY_HEADERS)

    def message(
        self, request: Request, title: str, text: str, *, user: SignedInUser | None, status: int
    ) -> HTMLResponse:
        return self.page(request, "message.html", {"title": title, "text": text}, user=user, status=status)

    async def fetch(
        self,
        request: Request,
        user: SignedInUser,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        missing: str | None,
        doing: str = "执行此操作",
    ) -> dict[str, Any] | Response:
        """``GET path`` as the user, or the page saying why it could not be read (see ``api_failure``)."""
        try:
            found: dict[str, Any] = await user.api.get(path, params)
        except (ApiError, ApiUnavailable) as exc:
            return self.api_failure(request, user, exc, missing=missing, doing=doing)
        return found

    def api_failure(
        self, request: Request, user: SignedInUser, exc: Exception, *, missing: str | None, doing: str = "执行此操作"
    ) -> Response:
        """The page for an API call that failed: sign in again (401), not allowed (403), ``missing`` (404), else 502."""
        if isinstance(exc, ApiError):
            if exc.status == 401:
                return self.to_login(request, expired=True)
            if exc.status == 403:
                return self.forbidden(request, user, doing)
            if exc.status == 404 and missing is not None:
                return self.message(request, "未找到", missing, user=user, status=404)
        return self.message(request, "暂时无法完成", UNAVAILABLE, user=user, status=502)

    def forbidden(self, request: Request, user: SignedInUser, what: str) -> HTMLResponse:
        return self.message(
            request, "无权访问", f"您的角色（{ROLE_LABELS[user.session.role]}）无权{what}。", user=user, status=403
        )

    def to_login(self, request: Request, *, expired: bool) -> RedirectResponse:
        """To the sign-in page, which returns here afterwards (after a form post: to the page of the form)."""
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        else:
            referer = urlsplit(request.headers.get("referer", ""))
            same_site = referer.netloc == request.url.netloc
            target = referer.path + (f"?{referer.query}" if referer.query else "") if same_site else f"{PREFIX}/"
        target = safe_next(target)
        query = f"next={quote(target, safe='')}" + ("&m=expired" if expired else "")
        response = RedirectResponse(f"{PREFIX}/login?{query}", status_code=303, headers=SECURITY_HEADERS)
        if expired:
            self.clear_session_cookie(response, request)
        return response

    # Cookies -------------------------------------------------------------------------------------

    def secure(self, request: Request) -> bool:
        return request.url.scheme == "https" or self.settings.environment == "production"

    def set_session_cookie(self, response: Response, request: Request, token: str) -> None:
        response.set_cookie(COOKIE, token, path=PREFIX, httponly=True, samesite="lax", secure=self.secure(request))

    def clear_session_cookie(self, response: Response, request: Request) -> None:
        response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="lax", secure=self.secure(request))

    def login_token(self, request: Request) -> str:
        """The sign-in form's double-submit token: the cookie's value if it is one of ours, else a new one."""
        current = request.cookies.get(LOGIN_COOKIE, "")
        return current if 40 <= len(current) <= 64 and current.isascii() else secrets.token_urlsafe(32)

    def set_login_cookie(self, response: Response, request: Request, token: str) -> None:
        response.set_cookie(
            LOGIN_COOKIE, token, path=f"{PREFIX}/login", httponly=True, samesite="strict", secure=self.secure(request)
        )

    # Sessions ------------------------------------------------------------------------------------

    async def user(self, request: Request) -> SignedInUser | RedirectResponse:
        """The signed-in user, or the redirect to the sign-in page (saying so when a session ran out)."""
        token = request.cookies.get(COOKIE, "")
        session = await asyncio.to_thread(self.accounts.session, token) if token else None
        if session is None:
            return self.to_login(request, expired=bool(token))
        return SignedInUser(session, self.api.as_user(request.app, token))

    async def allowed(self, request: Request, roles: Sequence[Role], doing: str) -> SignedInUser | Response:
        """The signed-in user if their role is among ``roles`` (admin always); else the sign-in redirect or 403."""
        user = await self.user(request)
        if isinstance(user, SignedInUser) and not user.may(*roles):
            return self.forbidden(request, user, doing)
        return user

    async def allowed_post(
        self, request: Request, roles: Sequence[Role], doing: str
    ) -> tuple[SignedInUser, Form] | Response:
        """As ``allowed``, for a form post: the user and the form once its CSRF token matches."""
        user = await self.allowed(request, roles, doing)
        if not isinstance(user, SignedInUser):
            return user
        form = await self.posted(request, user)
        if isinstance(form, HTMLResponse):
            return form
        return user, form

    async def posted(self, request: Request, user: SignedInUser) -> Form | HTMLResponse:
        """The posted form once its CSRF token matches the session's; otherwise the refusal page."""
        form = await read_form(request)
        if form is None:
            return self.message(
                request, "无法读取表单", "表单内容无法读取，本次提交未作任何记录。", user=user, status=400
            )
        if not csrf_matches(user.session.csrf_token, first(form, "csrf_token")):
            return self.message(request, "安全校验未通过", CSRF_MESSAGE, user=user, status=403)
        return form


def _nav(user: SignedInUser | None, path: str) -> list[tuple[str, str, bool]]:
    """The console's navigation for this user's role: (label, href, current)."""
    if user is None:
        return []
    items = [("工作台", f"{PREFIX}/", path in (PREFIX, f"{PREFIX}/"))]
    if user.may(Role.CLERK, Role.REVIEWER, Role.PUBLISHER):
        reviewing = path.startswith((f"{PREFIX}/review", f"{PREFIX}/documents/"))
        items.append(("保密审查", f"{PREFIX}/review", reviewing))
        items.append(("依申请公开", f"{PREFIX}/requests", path.startswith(f"{PREFIX}/requests")))
        items.append(("信箱与咨询", f"{PREFIX}/letters", path.startswith(f"{PREFIX}/letters")))
        items.append(("建议提案", f"{PREFIX}/proposals", path.startswith(f"{PREFIX}/proposals")))
        items.append(("年度报告", f"{PREFIX}/reports", path.startswith(f"{PREFIX}/reports")))
    if user.may(Role.ADMIN):
        items.append(("用户与角色", f"{PREFIX}/admin/users", path.startswith(f"{PREFIX}/admin/users")))
        items.append(("API令牌", f"{PREFIX}/admin/tokens", path.startswith(f"{PREFIX}/admin/tokens")))
        items.append(("工作日历", f"{PREFIX}/admin/calendar", path.startswith(f"{PREFIX}/admin/calendar")))
    return items


async def read_form(request: Request) -> Form | None:
    """An ``application/x-www-form-urlencoded`` body (python-multipart is not a dependency); None if unreadable."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    body = await request.body()
    if body and media_type != "application/x-www-form-urlencoded":
        return None
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=_MAX_FIELDS, errors="strict")
    except ValueError:
        return None


def first(form: Form, name: str) -> str:
    values = form.get(name)
    return values[0] if values else ""


def safe_next(target: str) -> str:
    """Where to go after signing in: a path inside the console, never another site."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(f"{PREFIX}/") or "\\" in target or "//" in target:
        return f"{PREFIX}/"
    return target


def conflict_text(label: str, state: str, what: str) -> str:
    """The API's 409: the step ``label`` was not recorded because the ``what`` is now in ``state``."""
    return (
        f"“{label}”未被记录：该{what}当前状态为“{state}”，不能进行此操作（可能已有人办理过，或页面已过期）。"
        "页面已显示最新状态，本次未作任何记录。"
    )


_FORM_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def form_key(form: Form) -> str | None:
    """The ``Idempotency-Key`` of a rendered form (its random ``form_id``): a second submission replays the first."""
    form_id = first(form, "form_id")
    return f"console-{form_id}" if _FORM_ID.match(form_id) else None


def see_other(location: str) -> Response:
    """After a form post: on to the page that shows its effect (303), with the console's security headers."""
    return Response(status_code=303, headers={**SECURITY_HEADERS, "Location": location})


async def post_form(
    console: Console,
    request: Request,
    user: SignedInUser,
    target: str,
    body: Mapping[str, Any],
    form: Form,
    *,
    back: str,
    outcome: str,
    refusal: Callable[[ApiError], list[str]],
    missing: str | None,
    refused: tuple[int, ...] = (409, 422),
    doing: str = "执行此操作",
) -> Response | tuple[list[str], int]:
    """Post a form's step as the user, with the form's ``Idempotency-Key``.

    Recorded: the redirect to ``back`` saying so (``done=outcome``; ``done=replayed`` for a second
    submission of the same form). Refused with a status in ``refused``: the lines ``refusal`` makes of
    it and the status, for the page to show the form again. Anything else: the failure page.
    """
    try:
        answer = await user.api.post(target, body, idempotency_key=form_key(form))
    except ApiError as exc:
        if exc.status not in refused:
            return console.api_failure(request, user, exc, missing=missing, doing=doing)
        return refusal(exc), exc.status
    except ApiUnavailable as exc:
        return console.api_failure(request, user, exc, missing=missing, doing=doing)
    done = "replayed" if answer.headers.get("idempotent-replayed") == "true" else outcome
    path, _, fragment = back.partition("#")
    return see_other(f"{path}?done={done}" + (f"#{fragment}" if fragment else ""))
