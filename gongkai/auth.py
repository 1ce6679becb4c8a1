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
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from gongkai.db import connect

__all__ = ["Principal", "Role", "create_token", "verify_token"]

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


def create_token(path: Path, *, role: Role, name: str = "") -> str:
    """Create and store a new token; the caller prints it once, the store keeps only its hash."""
    token = "gk_" + secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    try:
        conn.executescript(_SCHEMA)
        conn.execute("INSERT INTO tokens(token_hash, role, name) VALUES (?, ?, ?)", (_hash(token), role.value, name))
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
