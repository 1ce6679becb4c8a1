"""The FastAPI app factory: problem+json errors, body limits, staff authentication, health and metrics.

Every service's HTTP surface is built here, so errors and limits look the same everywhere.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gongkai.accounts import SESSION_PREFIX, AccountStore
from gongkai.auth import Principal, Role, verify_token
from gongkai.db import Database
from gongkai.idempotency import IdempotencyKeys
from gongkai.metrics import REGISTRY
from gongkai.problems import FieldProblem, Problem, problem_response

__all__ = ["BodyLimit", "StaffAuth", "create_app", "requires"]

log = logging.getLogger(__name__)


def _field_name(loc: Sequence[int | str]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(Problem(400, "请求体不是有效的 JSON", "The body is not valid JSON.", "malformed-json"))
    fields = [FieldProblem(_field_name(e.get("loc", ())), str(e.get("msg", "invalid"))) for e in errors]
    return problem_response(Problem(422, "请求参数有误", "Some fields are missing or invalid.", "validation", fields))


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem_response(exc, headers)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "未找到", 405: "不支持该请求方法", 413: "请求体过大", 415: "不支持的媒体类型"}
    return problem_response(Problem(exc.status_code, titles.get(exc.status_code, "请求错误"), str(exc.detail)))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(Problem(500, "服务器内部错误", "An unexpected error occurred; it has been logged."))


async def _on_unicode_error(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(Problem(400, "请求体不是有效的 UTF-8", "The body must be UTF-8 encoded.", "bad-encoding"))


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413, by header or while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise StarletteHTTPException(413, f"Request bodies are limited to {self.limit} bytes.")
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            Problem(413, "请求体过大", f"Request bodies are limited to {self.limit} bytes.", "body-too-large")
        )
        await response(scope, receive, send)


class StaffAuth:
    """Resolves ``Authorization: Bearer`` tokens against the token store, with a short cache.

    Console sessions (``gks_…``, forwarded by the console for the signed-in user) are looked up in
    ``accounts`` on every request, uncached, so signing out or expiring ends them at once.
    """

    def __init__(self, path: Path, ttl_s: float = 30.0, accounts: AccountStore | None = None) -> None:
        self.path = path
        self.ttl_s = ttl_s
        self.accounts = accounts
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def principal(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Problem(401, "需要登录", "A staff token is required (Authorization: Bearer …).", "unauthenticated")
        found = await self._lookup(token.strip())
        if found is None:
            raise Problem(401, "令牌无效", "The token is unknown or revoked.", "unauthenticated")
        return found

    async def _lookup(self, token: str) -> Principal | None:
        if token.startswith(SESSION_PREFIX):
            return await asyncio.to_thread(self.accounts.principal, token) if self.accounts else None
        now = time.monotonic()
        cached = self._cache.get(token)
        if cached and cached[0] > now:
            return cached[1]
        found = await asyncio.to_thread(verify_token, self.path, token)
        if found is not None:
            self._cache[token] = (now + self.ttl_s, found)
        return found

    def forget(self) -> None:
        """Drop the cache (after a revocation here; other processes forget within ``ttl_s``)."""
        self._cache.clear()


def requires(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency that admits staff with one of ``roles`` (admin always): 401 without a token, 403 else."""

    async def dependency(request: Request) -> Principal:
        auth: StaffAuth = request.app.state.staff_auth
        principal = await auth.principal(request)
        if not principal.may(*roles):
            wanted = ", ".join(r.value for r in roles)
            raise Problem(403, "无权执行此操作", f"This needs the role {wanted}.", "forbidden")
        return principal

    return dependency


Clerk = Annotated[Principal, Depends(requires(Role.CLERK))]
Reviewer = Annotated[Principal, Depends(requires(Role.REVIEWER))]
Publisher = Annotated[Principal, Depends(requires(Role.PUBLISHER))]
Staff = Annotated[Principal, Depends(requires(Role.CLERK, Role.REVIEWER, Role.PUBLISHER))]
Admin = Annotated[Principal, Depends(requires(Role.ADMIN))]


HTTP_REQUESTS = Counter(
    "gongkai_http_requests_total", "HTTP requests by route template, method and status.", ["route", "method", "status"]
)
HTTP_SECONDS = Histogram("gongkai_http_request_duration_seconds", "HTTP request latency by route template.", ["route"])


class RequestMetrics:
    """Counts and times requests. Labels use the route template (``/api/v1/documents/{doc_id}``),
    never the raw path or query string, so no id or search term reaches a label."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def remember(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember)
        finally:
            template = getattr(scope.get("route"), "path", "unmatched")  # the router fills scope in place
            HTTP_REQUESTS.labels(template, scope["method"], str(status)).inc()
            HTTP_SECONDS.labels(template).observe(time.perf_counter() - start)


def create_app(
    *,
    title: str,
    routers: Sequence[APIRouter],
    staff_auth: StaffAuth,
    max_body_bytes: int,
    ready: Callable[[], bool],
    idempotency: Database,
    own_idempotency_keys: tuple[str, ...] = (),
    lifespan: Any = None,
) -> FastAPI:
    """The app; POSTs under ``own_idempotency_keys`` honour ``Idempotency-Key`` themselves (see IdempotencyKeys)."""
    app = FastAPI(title=title, version="1", lifespan=lifespan)
    app.state.staff_auth = staff_auth
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(UnicodeDecodeError, _on_unicode_error)
    app.add_exception_handler(Exception, _on_unexpected)
    app.add_middleware(RequestMetrics)
    app.add_middleware(IdempotencyKeys, db=idempotency, own_keys=own_idempotency_keys)
    app.add_middleware(BodyLimit, limit=max_body_bytes)  # added last: the outermost, before anything reads
    app.include_router(_operations_router(ready))
    for router in routers:
        app.include_router(router)
    return app


def _operations_router(ready: Callable[[], bool]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> Response:
        if ready():
            return JSONResponse({"status": "ready"})
        return problem_response(Problem(503, "服务启动中", "Consumers are not running yet.", "not-ready"))

    @router.get("/metrics")
    async def metrics() -> Response:
        return PlainTextResponse(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return router
