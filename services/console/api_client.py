"""How the console reaches the platform: the public JSON API, as the signed-in user, never another service's code.

Embedded (``gongkai up``, ``GONGKAI_CONSOLE_API_URL`` unset) the calls go in-process to the very app that
serves the console, through ``httpx.ASGITransport``: no socket, but the same routes, authentication,
validation, idempotency and problem answers as any client gets. Run apart, they go over HTTP to
``GONGKAI_CONSOLE_API_URL`` (the gateway). Either way each call carries the user's session secret as
``Authorization: Bearer gks_…``, so the API decides what this user may do, and records them as the actor.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.types import ASGIApp

__all__ = ["Api", "ApiError", "ApiUnavailable", "UserApi"]

log = logging.getLogger(__name__)

_INTERNAL_BASE = "http://gongkai.internal"


class ApiUnavailable(Exception):
    """The API could not be reached or failed (5xx): the page says so and nothing is assumed recorded."""


@dataclass
class ApiError(Exception):
    """A 4xx answer: its status and RFC 9457 problem body."""

    status: int
    problem: dict[str, Any] = field(default_factory=dict)

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail", ""))

    @property
    def state(self) -> str | None:
        value = self.problem.get("state")
        return str(value) if value is not None else None


class Api:
    """One HTTP client for the console's process: in-process to ``app`` or remote to ``base_url``."""

    def __init__(self, base_url: str | None, timeout_s: float = 15.0) -> None:
        self.base_url = base_url
        self.timeout_s = timeout_s
        self._client: httpx.AsyncClient | None = None
        self._app: ASGIApp | None = None

    def client(self, app: ASGIApp) -> httpx.AsyncClient:
        if self._client is None or (self.base_url is None and self._app is not app):
            if self.base_url is None:
                # raise_app_exceptions=False: a failing route answers 500 like it would over HTTP.
                transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
                self._client = httpx.AsyncClient(transport=transport, base_url=_INTERNAL_BASE, timeout=self.timeout_s)
            else:
                self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout_s)
            self._app = app
        return self._client

    def as_user(self, app: ASGIApp, token: str) -> UserApi:
        return UserApi(self.client(app), token)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


@dataclass
class UserApi:
    """The API as one signed-in user sees it."""

    client: httpx.AsyncClient
    token: str

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json", **(extra or {})}

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            answer = await self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("console: %s %s failed: %s", method, path.split("?")[0], type(exc).__name__)
            raise ApiUnavailable(str(exc)) from exc
        if answer.status_code >= 500:
            raise ApiUnavailable(f"{method} {path} answered {answer.status_code}")
        if answer.status_code >= 400:
            try:
                problem = answer.json()
            except ValueError:
                problem = {}
            raise ApiError(answer.status_code, problem if isinstance(problem, dict) else {})
        return answer

    async def once_found(self, path: str, *, wait_s: float = 5.0) -> dict[str, Any] | None:
        """The item at ``path`` once it exists: a consumer opens what was just recorded a moment later
        (404 until then). None after ``wait_s`` or on any other failure: the caller says so."""
        deadline = time.monotonic() + wait_s
        while True:
            try:
                found: dict[str, Any] = await self.get(path)
                return found
            except ApiError as exc:
                if exc.status != 404:
                    return None
            except ApiUnavailable:
                return None
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.05)

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        answer = await self._send("GET", path, params=params, headers=self._headers())
        return answer.json()

    async def text(self, path: str) -> str:
        """A route that answers a document rather than JSON (the printable case file)."""
        answer = await self._send("GET", path, headers=self._headers({"Accept": "text/html"}))
        return answer.text

    async def post(self, path: str, body: Mapping[str, Any], *, idempotency_key: str | None = None) -> httpx.Response:
        """POST ``body``; with a key, a second submission of the same form replays the first answer."""
        extra = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return await self._send("POST", path, json=dict(body), headers=self._headers(extra))

    async def put(self, path: str, body: Mapping[str, Any], *, idempotency_key: str | None = None) -> httpx.Response:
        """PUT ``body`` (4xx raise ApiError, as for every call)."""
        extra = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return await self._send("PUT", path, json=dict(body), headers=self._headers(extra))

    async def patch(self, path: str, body: Mapping[str, Any]) -> httpx.Response:
        """PATCH ``body`` (4xx raise ApiError)."""
        return await self._send("PATCH", path, json=dict(body), headers=self._headers())

    async def delete(self, path: str) -> httpx.Response:
        """DELETE ``path`` (4xx raise ApiError)."""
        return await self._send("DELETE", path, headers=self._headers())

    async def file(self, path: str, params: Mapping[str, Any]) -> httpx.Response:
        """A GET answered with a file (the report's renderings): the whole response, bytes and media type."""
        return await self._send("GET", path, params=params, headers=self._headers({"Accept": "*/*"}))

    async def count(self, path: str, params: Mapping[str, Any], *, cap: int = 5000) -> tuple[int, bool]:
        """How many items a list route returns (all pages, up to ``cap``); True when capped."""
        first = await self.get(path, {**params, "page": 1, "size": 1})  # a list with a total says it at once
        if "total" in first:
            return int(first["total"]), False
        total = 0
        page = 1
        while True:
            answer = await self.get(path, {**params, "page": page, "size": 200})
            items = answer["items"]
            total += len(items)
            if len(items) < 200:
                return total, False
            if total >= cap:
                return total, True
            page += 1

    async def items(
        self, path: str, params: Mapping[str, Any], *, cap: int = 5000
    ) -> tuple[list[dict[str, Any]], bool]:
        """Every item of a list route (up to ``cap``); True when capped."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            answer = await self.get(path, {**params, "page": page, "size": 200})
            found.extend(answer["items"])
            if len(answer["items"]) < 200:
                return found, False
            if len(found) >= cap:
                return found, True
            page += 1

    async def gather(self, *calls: Any) -> list[Any]:
        return list(await asyncio.gather(*calls))
