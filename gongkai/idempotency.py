"""``Idempotency-Key`` on POST: the same key with the same body returns the first answer, records nothing new.

Keys are scoped by caller (a hash of the Authorization header) and route, and remembered for
``ttl`` seconds. The same key with a different body is refused with 422.

Anonymous callers (citizens filing online) are not told apart by any header, so for them the body
is part of the scope too: two citizens who happen to pick the same key each file their own
application, and only a caller who sends the very same body (personal data included) is answered
from the first, which tells them nothing they did not send.

Routes under ``own_keys`` (staff administration) are passed through untouched: their requests carry
passwords and their answers new tokens, and neither those nor a fast hash of such a body may be
written to ``idempotency.db``. They honour ``Idempotency-Key`` themselves (``gongkai/staff_admin.py``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import time

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gongkai.db import Database
from gongkai.problems import Problem, problem_response

__all__ = ["SCHEMA", "IdempotencyKeys"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    scope TEXT PRIMARY KEY,
    body_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    stored_at REAL NOT NULL
) WITHOUT ROWID;
"""
_MAX_KEY = 200
_Answer = tuple[str, int, list[list[str]], bytes]


class IdempotencyKeys:
    """ASGI middleware; ``path`` is its own SQLite database (the answers outlive restarts)."""

    def __init__(self, app: ASGIApp, db: Database, ttl: float = 24 * 3600, own_keys: tuple[str, ...] = ()) -> None:
        self.app = app
        self.db = db
        self.ttl = ttl
        self.own_keys = own_keys
        self._locks: dict[str, asyncio.Lock] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, b"idempotency-key")
        if scope["type"] != "http" or scope["method"] != "POST" or key is None or self._own(scope["path"]):
            await self.app(scope, receive, send)
            return
        if not key or len(key) > _MAX_KEY:
            problem = Problem(
                400, "Idempotency-Key 无效", f"Use 1–{_MAX_KEY} visible characters.", "bad-idempotency-key"
            )
            await problem_response(problem)(scope, receive, send)
            return
        try:
            body = await _read_body(receive)
        except StarletteHTTPException as exc:  # the body limit, met while reading
            await problem_response(Problem(exc.status_code, "请求体过大", str(exc.detail), "body-too-large"))(
                scope, receive, send
            )
            return
        authorization = _header(scope, b"authorization")
        body_hash = hashlib.sha256(body).hexdigest()
        caller = hashlib.sha256(authorization.encode()).hexdigest()[:16] if authorization else f"anonymous {body_hash}"
        where = f"{caller} {scope['path']} {key}"
        lock = self._locks.setdefault(where, asyncio.Lock())
        async with lock:
            try:
                await self._answer(where, body_hash, body, scope, send)
            finally:
                self._locks.pop(where, None)

    def _own(self, path: str) -> bool:
        return any(path == prefix or path.startswith(prefix + "/") for prefix in self.own_keys)

    async def _answer(self, where: str, body_hash: str, body: bytes, scope: Scope, send: Send) -> None:
        stored: _Answer | None = await self.db.run(_lookup, where, time.time() - self.ttl)
        if stored is not None:
            if stored[0] != body_hash:
                problem = Problem(
                    422,
                    "Idempotency-Key 已用于其他请求",
                    "This key was used with a different body.",
                    "idempotency-key-reused",
                )
                await problem_response(problem)(scope, _replay(body), send)
                return
            await _send_stored(send, stored[1], stored[2], stored[3])
            return
        status, headers, answer = await self._run_app(scope, body, send)
        if status < 500:
            await self.db.run(_store, where, body_hash, status, headers, answer)

    async def _run_app(self, scope: Scope, body: bytes, send: Send) -> tuple[int, list[list[str]], bytes]:
        status = 500
        headers: list[list[str]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in message.get("headers", [])]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, _replay(body), capture)
        return status, headers, b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k == name:
            return str(v.decode("latin-1")).strip()
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _send_stored(send: Send, status: int, headers: list[list[str]], body: bytes) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers] + [(b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _lookup(conn: sqlite3.Connection, where: str, oldest: float) -> _Answer | None:
    row = conn.execute(
        "SELECT body_hash, status, headers, body FROM answers WHERE scope = ? AND stored_at >= ?", (where, oldest)
    ).fetchone()
    return (row[0], row[1], json.loads(row[2]), row[3]) if row else None


def _store(
    conn: sqlite3.Connection, where: str, body_hash: str, status: int, headers: list[list[str]], body: bytes
) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO answers(scope, body_hash, status, headers, body, stored_at) VALUES (?, ?, ?, ?, ?, ?)",
        (where, body_hash, status, json.dumps(headers), body, time.time()),
    )
