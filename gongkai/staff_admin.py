"""Staff administration over HTTP, for admins: console users and their roles, and API tokens.

The operations of ``gongkai user …`` and ``gongkai token …`` (gongkai/cli.py) on the same ``auth.db``,
for the console's 管理 pages and for scripts; mounted by every service (``gongkai/runtime.py``), routed
to review by the gateway like the calendar's admin API.

* ``GET /api/v1/admin/users``, ``GET …/users/{username}``: username, display name, role, disabled, created.
* ``POST /api/v1/admin/users`` (username, display_name, role, password): 201; a taken name 409.
* ``PATCH /api/v1/admin/users/{username}`` (role, disabled, display_name): disabling ends the user's
  sessions at once; a role applies at the user's next request.
* ``PUT /api/v1/admin/users/{username}/password`` (password): 204; the sessions end, a lock-out is lifted.
* ``GET /api/v1/admin/tokens``: id, role, name, created (never a token, nor its hash beyond the id).
* ``POST /api/v1/admin/tokens`` (role, name): 201 with the token, shown this once.
* ``DELETE /api/v1/admin/tokens/{token_id}``: 204; this process forgets it at once, others within 30 s.

Nobody locks the agency out: an admin signed in with a console session cannot disable or demote
themselves (409 ``self-lockout``: an API token names a holder, not a user, so this applies to sessions),
and no change may leave no enabled admin (409 ``last-admin``, checked in the same transaction).

Passwords and tokens are never logged, never in a problem answer, never in a metric label (routes are
labelled by template). That is also why the two creating POSTs keep their own ``Idempotency-Key``
instead of the generic middleware's store (which keeps the answer and a SHA-256 of the body): here
``auth.db`` remembers, per caller and key, the fingerprint of the request without its password and
the answer without the token. A second submission replays the created user (201), or, for a token,
answers 200 with its id, role and name and ``"token": null``: the token is shown once, and only to
the request that created it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sqlite3
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, model_validator

from gongkai.accounts import (
    MAX_DISPLAY_NAME,
    SESSION_PREFIX,
    AccountStore,
    DuplicateUser,
    InvalidAccount,
    LastAdmin,
    UnknownUser,
    UserRecord,
    normalize_username,
)
from gongkai.auth import Principal, Role, create_token, list_tokens, revoke_token
from gongkai.db import connect
from gongkai.http import Admin
from gongkai.problems import FieldProblem, NotFound, Problem

__all__ = ["OWN_IDEMPOTENCY_KEYS", "RequestKeys", "staff_router"]

log = logging.getLogger(__name__)

PREFIX = "/api/v1/admin"
#: The routes that honour ``Idempotency-Key`` themselves (the generic middleware passes them through).
OWN_IDEMPOTENCY_KEYS = (f"{PREFIX}/users", f"{PREFIX}/tokens")
MAX_TOKEN_NAME = 50
_MAX_KEY = 200
_NO_STORE = {"Cache-Control": "no-store"}


def _token_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("a token's name (who or what holds it) is not blank")
    if any(unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp") for c in value):
        raise ValueError("a token's name has no control or format characters and no line breaks")
    return value


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=MAX_DISPLAY_NAME)
    role: Role
    password: str  # its rules (accounts.check_password) answer by field, never echoing it


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    disabled: StrictBool | None = None
    display_name: str | None = Field(default=None, max_length=MAX_DISPLAY_NAME)

    @model_validator(mode="after")
    def _something(self) -> UserChange:
        if self.role is None and self.disabled is None and self.display_name is None:
            raise ValueError("name at least one of role, disabled, display_name")
        return self


class NewPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    name: Annotated[str, Field(max_length=MAX_TOKEN_NAME), AfterValidator(_token_name)]


class RequestKeys:
    """``Idempotency-Key`` of the creating POSTs, in ``auth.db``: a fingerprint and a shareable answer.

    Blocking (call from a thread). Within a process the router serialises creations, so a key is looked
    up and kept around the creation it guards; review, the only process the gateway sends these routes
    to, runs once.
    """

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS admin_request_keys (
        scope TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        answer TEXT NOT NULL,
        stored_at REAL NOT NULL
    ) WITHOUT ROWID;
    """

    def __init__(self, path: Path, ttl: float = 24 * 3600) -> None:
        self.path = path
        self.ttl = ttl

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(self.path)
        try:
            conn.executescript(self.SCHEMA)
            yield conn
        finally:
            conn.close()

    def find(self, scope: str, fingerprint: str) -> dict[str, Any] | None:
        """The answer kept for ``scope``; a 422 problem when the key came with another request."""
        with self._conn() as conn:
            row = conn.execute(
                "SELECT fingerprint, answer FROM admin_request_keys WHERE scope = ? AND stored_at >= ?",
                (scope, time.time() - self.ttl),
            ).fetchone()
        if row is None:
            return None
        if row[0] != fingerprint:
            raise Problem(
                422,
                "Idempotency-Key 已用于其他请求",
                "This key was used with a different body.",
                "idempotency-key-reused",
            )
        answer: dict[str, Any] = json.loads(row[1])
        return answer

    def keep(self, conn: sqlite3.Connection, scope: str, fingerprint: str, answer: dict[str, Any]) -> None:
        """Keep ``answer`` for ``scope`` on ``conn``: inside the transaction that creates what it answers,
        so a crash keeps both or neither."""
        now = time.time()
        conn.execute(self.SCHEMA)  # one statement: executescript would commit the caller's transaction
        conn.execute("DELETE FROM admin_request_keys WHERE stored_at < ?", (now - self.ttl,))
        conn.execute(
            "INSERT OR REPLACE INTO admin_request_keys(scope, fingerprint, answer, stored_at) VALUES (?, ?, ?, ?)",
            (scope, fingerprint, json.dumps(answer, ensure_ascii=False), now),
        )


def staff_router(accounts: AccountStore, tokens_path: Path) -> APIRouter:
    """The admin API over ``accounts`` and the token store at ``tokens_path`` (both ``auth.db``)."""
    api = APIRouter(prefix=PREFIX, tags=["admin"])
    keys = RequestKeys(tokens_path)
    creating = asyncio.Lock()  # one creation at a time in this process: a key's lookup and keeping enclose it

    @api.get("/users", summary="Console users, their roles and whether they are disabled")
    async def users(_: Admin) -> JSONResponse:
        found = await asyncio.to_thread(accounts.user_records)
        return _json({"items": [_user(u) for u in found]})

    @api.get("/users/{username}", summary="One console user")
    async def user(username: str, _: Admin) -> JSONResponse:
        return _json(_user(await _existing(accounts, username)))

    @api.post("/users", status_code=201, summary="Create a console user")
    async def create_user(body: NewUser, request: Request, admin: Admin) -> JSONResponse:
        scope = _key_scope(request)
        name = normalize_username(body.username)
        fingerprint = _fingerprint(name, body.display_name.strip(), body.role.value)
        async with creating:
            if scope and (kept := await asyncio.to_thread(keys.find, scope, fingerprint)) is not None:
                return _json(kept, 201, replayed=True)

            def keep(conn: sqlite3.Connection, created: UserRecord) -> None:
                if scope:
                    keys.keep(conn, scope, fingerprint, _user(created))

            try:
                created = await asyncio.to_thread(
                    accounts.create_user, body.username, body.password, body.role, body.display_name, with_it=keep
                )
            except InvalidAccount as exc:
                raise _refusal(exc) from None
            answer = _user(created)
        log.info("%s created the user %s with the role %s", admin.name, name, body.role.value)
        return _json(answer, 201, location=f"{PREFIX}/users/{name}")

    @api.patch("/users/{username}", summary="Change a user's role, display name, or disable / enable it")
    async def change_user(username: str, body: UserChange, request: Request, admin: Admin) -> JSONResponse:
        name = normalize_username(username)[:64]
        demoting = body.role is not None and body.role is not Role.ADMIN
        if _session_user(request, admin) == name and (body.disabled or demoting):
            raise Problem(
                409,
                "不能停用自己的账号或撤销自己的管理员角色",
                "An admin cannot disable or demote themselves; another admin can.",
                "self-lockout",
            )
        try:
            changed = await asyncio.to_thread(
                accounts.update_user, name, role=body.role, disabled=body.disabled, display_name=body.display_name
            )
        except InvalidAccount as exc:
            raise _refusal(exc) from None
        log.info("%s changed the user %s: role %s, disabled %s", admin.name, name, changed.role.value, changed.disabled)
        return _json(_user(changed))

    @api.put("/users/{username}/password", status_code=204, summary="Set a new password (ends the user's sessions)")
    async def set_password(username: str, body: NewPassword, admin: Admin) -> Response:
        found = await _existing(accounts, username)
        try:
            await asyncio.to_thread(accounts.reset_password, found.username, body.password)
        except InvalidAccount as exc:
            raise _refusal(exc) from None
        log.info("%s set a new password for the user %s", admin.name, found.username)
        return Response(status_code=204, headers=_NO_STORE)

    @api.get("/tokens", summary="API tokens: id, role, name, created (never the tokens)")
    async def tokens(_: Admin) -> JSONResponse:
        found = await asyncio.to_thread(list_tokens, tokens_path)
        return _json({"items": [_token(*t) for t in found]})

    @api.post("/tokens", status_code=201, summary="Create an API token (shown once in this answer)")
    async def create(body: NewToken, request: Request, admin: Admin) -> JSONResponse:
        scope = _key_scope(request)
        fingerprint = _fingerprint(body.role.value, body.name)
        async with creating:
            if scope and (kept := await asyncio.to_thread(keys.find, scope, fingerprint)) is not None:
                return _json({**kept, "token": None}, 200, replayed=True)
            answers: list[dict[str, Any]] = []

            def keep(conn: sqlite3.Connection, ident: str, created_at: str) -> None:
                answers.append(_token(ident, body.role, body.name, created_at))
                if scope:
                    keys.keep(conn, scope, fingerprint, answers[0])

            secret = await asyncio.to_thread(
                create_token,
                tokens_path,
                role=body.role,
                name=body.name,
                created_at=accounts.clock.now(),
                with_it=keep,
            )
            answer, ident = answers[0], answers[0]["id"]
        log.info("%s created the token %s with the role %s", admin.name, ident, body.role.value)
        return _json({**answer, "token": secret}, 201, location=f"{PREFIX}/tokens/{ident}")

    @api.delete("/tokens/{token_id}", status_code=204, summary="Revoke an API token")
    async def revoke(token_id: str, request: Request, admin: Admin) -> Response:
        ident = token_id.strip().lower()[:64]
        if not await asyncio.to_thread(revoke_token, tokens_path, ident):
            raise NotFound("token", ident)
        request.app.state.staff_auth.forget()
        log.info("%s revoked the token %s", admin.name, ident)
        return Response(status_code=204, headers=_NO_STORE)

    return api


async def _existing(accounts: AccountStore, username: str) -> UserRecord:
    name = normalize_username(username)[:64]
    found = await asyncio.to_thread(accounts.user, name)
    if found is None:
        raise NotFound("user", name)
    return found


def _user(user: UserRecord) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "disabled": user.disabled,
        "created_at": user.created_at,
    }


def _token(ident: str, role: Role, name: str, created_at: str) -> dict[str, Any]:
    return {"id": ident, "role": role.value, "name": name, "created_at": created_at}


def _json(body: dict[str, Any], status: int = 200, *, location: str = "", replayed: bool = False) -> JSONResponse:
    headers = dict(_NO_STORE)
    if location:
        headers["Location"] = location
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=status, headers=headers)


def _refusal(exc: InvalidAccount) -> Problem:
    """The store's refusal as a problem; its messages name rules, never a password."""
    if isinstance(exc, UnknownUser):
        return Problem(404, "未找到", str(exc), "not-found")
    if isinstance(exc, DuplicateUser):
        return Problem(409, "用户名已被使用", str(exc), "user-exists")
    if isinstance(exc, LastAdmin):
        return Problem(
            409, "至少要保留一名启用的管理员", f"{exc}: enable or appoint another admin first.", "last-admin"
        )
    field = exc.field or "body"
    return Problem(422, "请求参数有误", str(exc), "validation", [FieldProblem(field, str(exc))])


def _session_user(request: Request, principal: Principal) -> str | None:
    """The username when the caller is a console session; None for an API token (it names a holder)."""
    _, _, token = request.headers.get("authorization", "").partition(" ")
    return principal.name if token.strip().startswith(SESSION_PREFIX) else None


def _key_scope(request: Request) -> str | None:
    """Who sent which ``Idempotency-Key`` to which route, or None without a key."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > _MAX_KEY:
        raise Problem(400, "Idempotency-Key 无效", f"Use 1–{_MAX_KEY} visible characters.", "bad-idempotency-key")
    caller = hashlib.sha256(request.headers.get("authorization", "").strip().encode()).hexdigest()[:16]
    return f"{caller} {request.url.path} {key}"


def _fingerprint(*fields: str) -> str:
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()
