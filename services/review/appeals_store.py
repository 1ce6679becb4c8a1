"""Appeals (行政复议, 行政诉讼) about disclosure decisions: the review service's table of them.

One row per appeal, rebuilt from ``appeal.*`` events; ``history`` keeps every event seen,
ignored ones included. The disclosure-request table is only read, to check a linked case exists.
``authority`` (复议机关 or 审理法院) and ``case_number`` (案号) are staff-only, like the note.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any

from services.review.appeals import Appeal

__all__ = [
    "APPEALS_SCHEMA",
    "count_appeals",
    "get_appeal",
    "insert_appeal",
    "list_appeals",
    "request_received_on",
    "to_appeal",
    "update_appeal",
    "upgrade",
]

APPEALS_SCHEMA = """
CREATE TABLE IF NOT EXISTS appeals (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    request_id TEXT,
    status TEXT NOT NULL,
    filed_on TEXT NOT NULL,
    result TEXT,
    decided_on TEXT,
    note TEXT NOT NULL DEFAULT '',
    authority TEXT,
    case_number TEXT,
    filed_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    history TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS appeals_status ON appeals(status, filed_on);
CREATE INDEX IF NOT EXISTS appeals_request ON appeals(request_id) WHERE request_id IS NOT NULL;
"""

#: Columns added since the table was first created: ``upgrade`` adds them to an older ``review.db``.
_ADDED_COLUMNS = {"authority": "TEXT", "case_number": "TEXT"}


def upgrade(conn: sqlite3.Connection) -> None:
    """Add the columns an appeals table created by an earlier version lacks (run once the schema exists)."""
    present = {row[1] for row in conn.execute("PRAGMA table_info(appeals)")}
    for name, declaration in _ADDED_COLUMNS.items():
        if name not in present:
            conn.execute(f"ALTER TABLE appeals ADD COLUMN {name} {declaration}")


def insert_appeal(conn: sqlite3.Connection, row: dict[str, Any]) -> bool:
    """Insert a new appeal; False (nothing written) when the id is taken."""
    values = {k: json.dumps(v, ensure_ascii=False) if k == "history" else v for k, v in row.items()}
    cur = conn.execute(
        f"INSERT OR IGNORE INTO appeals ({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})",
        values,
    )
    return cur.rowcount == 1


def get_appeal(conn: sqlite3.Connection, appeal_id: str) -> dict[str, Any] | None:
    cur = conn.execute("SELECT * FROM appeals WHERE id = ?", (appeal_id,))
    row = cur.fetchone()
    return _decode(cur, row) if row else None


def _where(request_id: str | None, status: str | None) -> tuple[str, list[str]]:
    clauses, args = [], []
    if request_id is not None:
        clauses.append("request_id = ?")
        args.append(request_id)
    if status is not None:
        clauses.append("status = ?")
        args.append(status)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", args


def list_appeals(
    conn: sqlite3.Connection, *, request_id: str | None, status: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    where, args = _where(request_id, status)
    cur = conn.execute(
        f"SELECT * FROM appeals {where} ORDER BY filed_on, recorded_at, id LIMIT ? OFFSET ?", (*args, limit, offset)
    )
    return [_decode(cur, row) for row in cur.fetchall()]


def count_appeals(conn: sqlite3.Connection, *, request_id: str | None, status: str | None) -> int:
    where, args = _where(request_id, status)
    return int(conn.execute(f"SELECT count(*) FROM appeals {where}", args).fetchone()[0])


def update_appeal(conn: sqlite3.Connection, appeal_id: str, changes: dict[str, Any], entry: dict[str, Any]) -> None:
    """Set ``changes`` and append ``entry`` to the history, in the caller's transaction."""
    history = json.loads(conn.execute("SELECT history FROM appeals WHERE id = ?", (appeal_id,)).fetchone()[0])
    history.append(entry)
    values = {**changes, "history": json.dumps(history, ensure_ascii=False)}
    assignments = ", ".join(f"{k} = :{k}" for k in values)
    conn.execute(f"UPDATE appeals SET {assignments} WHERE id = :id", {**values, "id": appeal_id})


def request_received_on(conn: sqlite3.Connection, request_id: str) -> tuple[bool, date | None]:
    """Whether the disclosure-request case exists, and its receipt day (None until confirmed)."""
    row = conn.execute("SELECT received_on FROM requests WHERE id = ?", (request_id,)).fetchone()
    if row is None:
        return False, None
    return True, date.fromisoformat(row[0]) if row[0] else None


def to_appeal(row: dict[str, Any]) -> Appeal:
    return Appeal(
        id=row["id"],
        kind=row["kind"],
        filed_on=date.fromisoformat(row["filed_on"]),
        request_id=row["request_id"],
        result=row["result"],
        decided_on=date.fromisoformat(row["decided_on"]) if row["decided_on"] else None,
    )


def _decode(cur: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    appeal = dict(zip([c[0] for c in cur.description], row, strict=True))
    appeal["history"] = json.loads(appeal["history"])
    return appeal
