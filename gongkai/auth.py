"""Staff API tokens and roles. Only a token's SHA-256 is stored; the token is shown once.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "auth.db"
>>> token = create_token(path, role=Role.CLERK, name="收文岗")
>>> verify_token(path, token).role
<Role.CLERK: 'clerk'>
>>> verify_token(path, "gk_wrong") is None
True
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from gongkai.db import connect, transaction

__all__ = ["Principal", "Role", "create_token", "list_tokens", "revoke_token", "token_id", "verify_token"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
"""


class Role(StrEnum):
    CLERK = "clerk"
    REVIEWER = "reviewer"
    PUBLISHER = "publisher"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role

    def may(self, *roles: Role) -> bool:
        """Admin may do everything; others only what their role names."""
        return self.role is Role.ADMIN or self.role in roles


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_id(token: str) -> str:
    """A token's id as ``list_tokens`` shows it: the first 12 hex digits of its SHA-256."""
    return _hash(token)[:12]


def create_token(
    path: Path,
    *,
    role: Role,
    name: str = "",
    created_at: datetime | None = None,
    with_it: Callable[[sqlite3.Connection, str, str], None] | None = None,
) -> str:
    """Create and store a new token; the caller prints it once, the store keeps only its hash.

    ``created_at`` defaults to now (pass the platform's clock); ``with_it(conn, token_id, created_at)``
    runs in the same transaction, for what must be kept with the token or not at all.
    """
    token = "gk_" + secrets.token_urlsafe(32)
    at = (created_at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    try:
        conn.executescript(_SCHEMA)
        with transaction(conn):
            conn.execute(
                "INSERT INTO tokens(token_hash, role, name, created_at) VALUES (?, ?, ?, ?)",
                (_hash(token), role.value, name, at),
            )
            if with_it is not None:
                with_it(conn, token_id(token), at)
    finally:
        conn.close()
    return token


def verify_token(path: Path, token: str) -> Principal | None:
    if not token.startswith("gk_") or len(token) > 200 or not path.exists():
        return None
    conn = connect(path)
    try:
        conn.executescript(_SCHEMA)
        row = conn.execute("SELECT name, role FROM tokens WHERE token_hash = ?", (_hash(token),)).fetchone()
    finally:
        conn.close()
    return Principal(name=row[0], role=Role(row[1])) if row else None


def list_tokens(path: Path) -> list[tuple[str, Role, str, str]]:
    """(id, role, name, created_at) of every token; the id is the first 12 hex digits of its hash."""
    if not path.exists():
        return []
    conn = connect(path)
    try:
        conn.executescript(_SCHEMA)
        rows = conn.execute(
            "SELECT token_hash, role, name, created_at FROM tokens ORDER BY created_at, rowid"
        ).fetchall()
    finally:
        conn.close()
    return [(h[:12], Role(role), name, at) for h, role, name, at in rows]


def revoke_token(path: Path, token_id: str) -> int:
    """Delete the token whose id (from ``list_tokens``) is ``token_id``; how many were deleted (0 or 1).

    Services cache a verified token for at most 30 s (``StaffAuth``), so a revoked one stops within that.
    """
    if len(token_id) < 8 or any(c not in "0123456789abcdef" for c in token_id) or not path.exists():
        return 0
    conn = connect(path)
    try:
        conn.executescript(_SCHEMA)
        matches = conn.execute("SELECT count(*) FROM tokens WHERE token_hash LIKE ?", (token_id + "%",)).fetchone()[0]
        if matches != 1:
            return 0
        return conn.execute("DELETE FROM tokens WHERE token_hash LIKE ?", (token_id + "%",)).rowcount
    finally:
        conn.close()
