"""管理 · 用户与角色 and 管理 · API令牌 in the console (admins only), over the staff administration API.

Reads and writes ``/api/v1/admin/users`` and ``/api/v1/admin/tokens`` (``gongkai/staff_admin.py``) as the
signed-in admin, so the API's rules hold here too: nobody disables or demotes themselves or the last
enabled admin (409), disabling or a new password ends the user's sessions at once. The pages check
every value in Chinese before sending (the two passwords must match); the API's refusals are shown in
Chinese, and nothing is recorded on a refusal.

A new token is shown once, on the answer to the form that created it (``Cache-Control: no-store``, like
every console page), never in a URL or a redirect. The form's ``form_id`` goes as ``Idempotency-Key``:
a second submission creates nothing and, as the token is not kept anywhere, says so without it.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from gongkai.accounts import MAX_DISPLAY_NAME, MAX_PASSWORD, MIN_PASSWORD, InvalidAccount, check_username
from gongkai.auth import Role
from services.console.api_client import ApiError, ApiUnavailable
from services.console.web import PREFIX as CONSOLE
from services.console.web import ROLE_LABELS, Console, SignedInUser, first, form_key, see_other

__all__ = ["admin_router", "password_problems"]

PREFIX = "/console/admin"
ADMIN = (Role.ADMIN,)
USERS = "管理用户与角色"
TOKENS = "管理 API 令牌"
MAX_TOKEN_NAME = 50
USERNAME_RULE = "用户名应为 2–32 位小写字母、数字或“.”“_”“-”，以字母或数字开头（如 li.jingban）"
USER_DONE = {
    "created": "用户已创建，可以用设定的密码登录工作台。",
    "role": "角色已修改，在该用户下一次操作时生效。",
    "name": "姓名已修改，在该用户下一次打开页面时显示。",
    "disabled": "该用户已停用：其登录会话已全部结束，不能再登录，直至重新启用。",
    "enabled": "该用户已启用，可以重新登录。",
    "password": "新密码已设置：该用户的登录会话已全部结束，锁定（如有）已解除，需用新密码重新登录。",
    "replayed": "该表单已经提交过，用户已创建，本次未重复记录。",
}
TOKEN_DONE = {
    "revoked": "令牌已吊销，不能再用于调用接口（各服务最迟 30 秒内全部停止接受）。",
    "gone": "该令牌已不存在（可能刚刚已被吊销），列表为最新状态。",
}
NOTHING = "本次未作任何更改。"
_TOKEN_ID = re.compile(r"^[0-9a-f]{12}$")
#: The API's 422 field problems, as what the clerk can fix (its own messages are English rules).
FIELD_RULES = {
    "username": USERNAME_RULE + "。",
    "display_name": f"姓名最多 {MAX_DISPLAY_NAME} 个字符，不能含控制字符或换行。",
    "role": "请选择一个角色。",
    "password": (f"密码应为 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符，首尾不能有空格，不能含控制字符。"),
    "disabled": "状态无效。",
    "name": f"令牌名称应为 1–{MAX_TOKEN_NAME} 个字符，不能含控制字符或换行。",
}


def admin_router(console: Console) -> APIRouter:
    pages = APIRouter(prefix=PREFIX, include_in_schema=False)

    # 用户与角色 ----------------------------------------------------------------------------------

    @pages.get("/users", response_class=HTMLResponse)
    async def users(request: Request) -> Response:
        user = await console.allowed(request, ADMIN, USERS)
        if not isinstance(user, SignedInUser):
            return user
        return await _users_page(console, request, user, [], {}, 200)

    @pages.post("/users", response_class=HTMLResponse)
    async def create_user(request: Request) -> Response:
        allowed = await console.allowed_post(request, ADMIN, USERS)
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        values = {name: first(form, name).strip() for name in ("username", "display_name", "role")}
        username = values["username"].lower()
        errors = _new_user_problems(values, first(form, "password"), first(form, "password_again"))
        if errors:
            return await _users_page(console, request, user, [*errors, "用户未创建，" + NOTHING], values, 422)
        body = {**values, "username": username, "password": first(form, "password")}
        try:
            answer = await user.api.post("/api/v1/admin/users", body, idempotency_key=form_key(form))
        except ApiError as exc:
            if exc.status in (409, 422):
                lines = _refusal(exc, username, "用户未创建")
                return await _users_page(console, request, user, lines, values, exc.status)
            return console.api_failure(request, user, exc, missing=None, doing=USERS)
        except ApiUnavailable as exc:
            return console.api_failure(request, user, exc, missing=None, doing=USERS)
        created = answer.json()["username"]
        done = "replayed" if answer.headers.get("idempotent-replayed") else "created"
        return see_other(f"{PREFIX}/users/{created}?done={done}")

    @pages.get("/users/{username}", response_class=HTMLResponse)
    async def show_user(request: Request, username: str, done: Annotated[str, Query(max_length=30)] = "") -> Response:
        user = await console.allowed(request, ADMIN, USERS)
        if not isinstance(user, SignedInUser):
            return user
        return await _user_page(console, request, user, username, [], USER_DONE.get(done, ""), 200)

    @pages.post("/users/{username}/role", response_class=HTMLResponse)
    async def change_role(request: Request, username: str) -> Response:
        allowed = await console.allowed_post(request, ADMIN, USERS)
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        role = first(form, "role")
        if role not in {r.value for r in Role}:
            return await _user_page(console, request, user, username, ["请选择一个角色。" + NOTHING], "", 422)
        return await _change(console, request, user, username, {"role": role}, "role")

    @pages.post("/users/{username}/name", response_class=HTMLResponse)
    async def change_name(request: Request, username: str) -> Response:
        allowed = await console.allowed_post(request, ADMIN, USERS)
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        display_name = first(form, "display_name").strip()
        errors = _text_problems(display_name, "姓名", MAX_DISPLAY_NAME, required=True)
        if errors:
            lines = [*errors, "姓名未修改，" + NOTHING]
            return await _user_page(console, request, user, username, lines, "", 422, display_name=display_name)
        body = {"display_name": display_name}
        return await _change(console, request, user, username, body, "name", display_name=display_name)

    @pages.post("/users/{username}/status", response_class=HTMLResponse)
    async def change_status(request: Request, username: str) -> Response:
        allowed = await console.allowed_post(request, ADMIN, USERS)
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        action = first(form, "action")
        if action not in ("disable", "enable"):
            return await _user_page(console, request, user, username, ["请选择停用或启用。" + NOTHING], "", 422)
        body = {"disabled": action == "disable"}
        return await _change(console, request, user, username, body, "disabled" if body["disabled"] else "enabled")

    @pages.post("/users/{username}/password", response_class=HTMLResponse)
    async def set_password(request: Request, username: str) -> Response:
        allowed = await console.allowed_post(request, ADMIN, USERS)
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        name = _username(username)
        if name is None:
            return console.message(request, "未找到", "该用户不存在。", user=user, status=404)
        password = first(form, "password")
        errors = password_problems(password, first(form, "password_again"))
        if errors:
            return await _user_page(console, request, user, name, [*errors, "密码未修改，" + NOTHING], "", 422)
        try:
            await user.api.put(f"/api/v1/admin/users/{name}/password", {"password": password})
        except ApiError as exc:
            if exc.status == 422:
                lines = _refusal(exc, name, "密码未修改")
                return await _user_page(console, request, user, name, lines, "", 422)
            return console.api_failure(request, user, exc, missing="该用户不存在。", doing=USERS)
        except ApiUnavailable as exc:
            return console.api_failure(request, user, exc, missing=None, doing=USERS)
        if name == user.session.username:
            # One's own new password ended one's own session too: the sign-in page says why.
            response = see_other(f"{CONSOLE}/login?m=password&next={quote(f'{PREFIX}/users/{name}', safe='')}")
            console.clear_session_cookie(response, request)
            return response
        return see_other(f"{PREFIX}/users/{name}?done=password")

    # API令牌 -------------------------------------------------------------------------------------

    @pages.get("/tokens", response_class=HTMLResponse)
    async def tokens(request: Request, done: Annotated[str, Query(max_length=30)] = "") -> Response:
        user = await console.allowed(request, ADMIN, TOKENS)
        if not isinstance(user, SignedInUser):
            return user
        return await _tokens_page(console, request, user, errors=[], done=TOKEN_DONE.get(done, ""))

    @pages.post("/tokens", response_class=HTMLResponse)
    async def create_token(request: Request) -> Response:
        allowed = await console.allowed_post(request, ADMIN, TOKENS)
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        values = {"name": first(form, "name").strip(), "role": first(form, "role")}
        errors = _token_problems(values)
        if errors:
            return await _tokens_page(console, request, user, errors=[*errors, "令牌未创建，" + NOTHING], values=values)
        try:
            answer = await user.api.post("/api/v1/admin/tokens", values, idempotency_key=form_key(form))
        except ApiError as exc:
            if exc.status == 422:
                lines = _refusal(exc, "", "令牌未创建")
                return await _tokens_page(console, request, user, errors=lines, values=values, status=422)
            return console.api_failure(request, user, exc, missing=None, doing=TOKENS)
        except ApiUnavailable as exc:
            return console.api_failure(request, user, exc, missing=None, doing=TOKENS)
        # The answer to this very post is the only place the token appears (no redirect, no URL).
        return await _tokens_page(console, request, user, errors=[], created=answer.json())

    @pages.post("/tokens/{token_id}/revoke", response_class=HTMLResponse)
    async def revoke_token(request: Request, token_id: str) -> Response:
        allowed = await console.allowed_post(request, ADMIN, TOKENS)
        if not isinstance(allowed, tuple):
            return allowed
        user, _ = allowed
        if not _TOKEN_ID.match(token_id):
            return console.message(request, "未找到", "该令牌不存在。", user=user, status=404)
        try:
            await user.api.delete(f"/api/v1/admin/tokens/{token_id}")
        except ApiError as exc:
            if exc.status == 404:  # already revoked (a second submission, or another admin)
                return see_other(f"{PREFIX}/tokens?done=gone")
            return console.api_failure(request, user, exc, missing=None, doing=TOKENS)
        except ApiUnavailable as exc:
            return console.api_failure(request, user, exc, missing=None, doing=TOKENS)
        return see_other(f"{PREFIX}/tokens?done=revoked")

    return pages


# Pages -------------------------------------------------------------------------------------------


async def _users_page(
    console: Console,
    request: Request,
    user: SignedInUser,
    errors: list[str],
    values: Mapping[str, str],
    status: int,
) -> Response:
    listed = await console.fetch(request, user, "/api/v1/admin/users", missing=None, doing=USERS)
    if isinstance(listed, Response):
        return listed
    context = {
        "users": listed["items"],
        "errors": errors,
        "values": {"username": "", "display_name": "", "role": Role.CLERK.value, **values},
        "roles": _roles(),
        "min_password": MIN_PASSWORD,
        "form_id": secrets.token_urlsafe(18),
        "csrf_token": user.session.csrf_token,
    }
    return console.page(request, "users.html", context, user=user, status=status)


async def _user_page(
    console: Console,
    request: Request,
    user: SignedInUser,
    username: str,
    errors: list[str],
    done: str,
    status: int,
    *,
    display_name: str | None = None,
) -> Response:
    """One user's page; ``display_name`` is a name just refused, kept in its form (shown open)."""
    name = _username(username)
    if name is None:
        return console.message(request, "未找到", "该用户不存在。", user=user, status=404)
    shown = await console.fetch(request, user, f"/api/v1/admin/users/{name}", missing="该用户不存在。", doing=USERS)
    if isinstance(shown, Response):
        return shown
    context = {
        "shown": shown,
        "myself": shown["username"] == user.session.username,
        "display_name": shown["display_name"] if display_name is None else display_name,
        "name_refused": display_name is not None,
        "max_display_name": MAX_DISPLAY_NAME,
        "errors": errors,
        "done": done,
        "roles": _roles(),
        "min_password": MIN_PASSWORD,
        "csrf_token": user.session.csrf_token,
    }
    return console.page(request, "user.html", context, user=user, status=status)


async def _tokens_page(
    console: Console,
    request: Request,
    user: SignedInUser,
    *,
    errors: list[str],
    done: str = "",
    values: Mapping[str, str] | None = None,
    created: Mapping[str, Any] | None = None,
    status: int | None = None,
) -> Response:
    listed = await console.fetch(request, user, "/api/v1/admin/tokens", missing=None, doing=TOKENS)
    if isinstance(listed, Response):
        return listed
    context = {
        "tokens": listed["items"],
        "errors": errors,
        "done": done,
        "created": created,
        "values": {"name": "", "role": Role.CLERK.value, **(values or {})},
        "roles": _roles(),
        "form_id": secrets.token_urlsafe(18),
        "csrf_token": user.session.csrf_token,
    }
    return console.page(request, "tokens.html", context, user=user, status=status or (422 if errors else 200))


async def _change(
    console: Console,
    request: Request,
    user: SignedInUser,
    username: str,
    body: dict[str, Any],
    done: str,
    *,
    display_name: str | None = None,
) -> Response:
    """PATCH the user; the API's 409 (oneself, the last admin) and 422 shown on the user's page.

    ``display_name``: the name sent by the 修改姓名 form, kept in it when refused.
    """
    name = _username(username)
    if name is None:
        return console.message(request, "未找到", "该用户不存在。", user=user, status=404)
    try:
        await user.api.patch(f"/api/v1/admin/users/{name}", body)
    except ApiError as exc:
        if exc.status in (409, 422):
            lines = _refusal(exc, name, "姓名未修改" if "display_name" in body else "未修改")
            return await _user_page(console, request, user, name, lines, "", exc.status, display_name=display_name)
        return console.api_failure(request, user, exc, missing="该用户不存在。", doing=USERS)
    except ApiUnavailable as exc:
        return console.api_failure(request, user, exc, missing=None, doing=USERS)
    return see_other(f"{PREFIX}/users/{name}?done={done}")


# Checks ------------------------------------------------------------------------------------------


def password_problems(password: str, again: str) -> list[str]:
    """The page's own checks of a new password, in Chinese; the password itself is never repeated."""
    if not password:
        return ["请填写密码。"]
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"密码至少 {MIN_PASSWORD} 个字符，现为 {len(password)} 个。")
    if len(password) > MAX_PASSWORD:
        problems.append(f"密码最多 {MAX_PASSWORD} 个字符。")
    if password.strip() != password:
        problems.append("密码首尾不能有空格。")
    if not password.isprintable():
        problems.append("密码不能含控制字符（如换行、制表符）。")
    if password != again:
        problems.append("两次输入的密码不一致。")
    return problems


def _new_user_problems(values: Mapping[str, str], password: str, again: str) -> list[str]:
    problems = []
    if not values["username"]:
        problems.append("请填写用户名。")
    else:
        try:
            check_username(values["username"])
        except InvalidAccount:
            problems.append(USERNAME_RULE + "。")
    problems += _text_problems(values["display_name"], "姓名", MAX_DISPLAY_NAME, required=False)
    if values["role"] not in {r.value for r in Role}:
        problems.append("请选择角色。")
    return problems + password_problems(password, again)


def _token_problems(values: Mapping[str, str]) -> list[str]:
    problems = _text_problems(values["name"], "令牌名称", MAX_TOKEN_NAME, required=True)
    if values["role"] not in {r.value for r in Role}:
        problems.append("请选择角色。")
    return problems


def _text_problems(text: str, label: str, limit: int, *, required: bool) -> list[str]:
    if not text:
        return [f"请填写{label}。"] if required else []
    problems = []
    if len(text) > limit:
        problems.append(f"{label}最多 {limit} 个字符，现为 {len(text)} 个。")
    if any(unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp") for c in text):
        problems.append(f"{label}不能含控制字符或换行。")
    return problems


def _refusal(exc: ApiError, username: str, what: str) -> list[str]:
    """The API's 409 and 422 in Chinese: which rule, and that nothing was changed."""
    kind = exc.problem.get("type")
    if kind == "user-exists":
        return [f"用户名“{username}”已被使用，请换一个用户名。", f"{what}，{NOTHING}"]
    if kind == "self-lockout":
        return [
            "不能停用自己的账号，也不能撤销自己的管理员角色（否则您将无法再管理系统）；如确需调整，请由另一名管理员操作。",
            f"{what}，{NOTHING}",
        ]
    if kind == "last-admin":
        return [
            f"“{username}”是系统中最后一名启用的管理员，不能停用或改为其他角色，否则将无人能管理系统。"
            "请先任命或启用另一名管理员。",
            f"{what}，{NOTHING}",
        ]
    if exc.status == 409:
        return [f"{what}：当前状态不允许此操作（可能已有人修改过），页面已显示最新状态。{NOTHING}"]
    found = exc.problem.get("errors")
    fields = [str(e.get("field", "")) for e in found if isinstance(e, dict)] if isinstance(found, list) else []
    lines = [FIELD_RULES.get(f.removeprefix("body."), "提交的内容未通过系统校验。") for f in fields or [""]]
    return [*dict.fromkeys(lines), f"{what}，{NOTHING}"]


def _username(username: str) -> str | None:
    """A username from a console URL, or None (then nothing is asked of the API)."""
    try:
        return check_username(username)
    except InvalidAccount:
        return None


def _roles() -> list[tuple[str, str]]:
    return [(role.value, label) for role, label in ROLE_LABELS.items()]
