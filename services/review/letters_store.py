"""Mailbox letters and online consultations: the review service's table of them.

The only place the writer's contact (name, phone, email) and a clerk's note on the letter are kept. One
row per letter: the letter as received, the time limits in force at receipt, the accepted steps in order
(the letter is their fold, see ``letters.py``), the full history (refused facts included) and columns
derived from the fold for queries and gauges.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from services.review.case_table import CaseTable

__all__ = [
    "CHANNEL_SQL",
    "LETTERS_SCHEMA",
    "append_step",
    "channel_of",
    "count_letters",
    "count_pending",
    "get_letter",
    "insert_letter",
    "list_letters",
    "pending_letter_ids",
    "set_columns",
]

LETTERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS letters (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    contact TEXT NOT NULL,
    addressed_to TEXT,
    tracking_code_hash TEXT NOT NULL,
    recorded_by TEXT,
    submitted_at TEXT NOT NULL,
    received_on TEXT NOT NULL,
    workdays INTEGER NOT NULL,
    max_workdays INTEGER NOT NULL,
    status TEXT NOT NULL,
    department TEXT,
    due_on TEXT,
    due_provisional INTEGER NOT NULL DEFAULT 0,
    replied_on TEXT,
    closed_on TEXT,
    feedback TEXT,
    published INTEGER NOT NULL DEFAULT 0,
    overdue_notified TEXT,
    steps TEXT NOT NULL DEFAULT '[]',
    history TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS letters_status ON letters(status, due_on);
"""

TABLE = CaseTable(
    "letters", json_columns=("contact", "steps", "history"), bool_columns=("due_provisional", "published")
)
insert_letter = TABLE.insert
get_letter = TABLE.get
append_step = TABLE.append_step
set_columns = TABLE.set_columns
_PENDING = ("open", "assigned")
#: How the letter came: its opening step says so; letters from before the field came online when no clerk entered them.
CHANNEL_SQL = "coalesce(json_extract(steps, '$[0].data.channel'), CASE WHEN recorded_by IS NULL THEN 'online' END)"


def channel_of(row: dict[str, Any]) -> str | None:
    """The letter's channel as ``CHANNEL_SQL`` reads it; None for a clerk's letter from before channels were kept."""
    channel = row["steps"][0]["data"].get("channel") if row["steps"] else None
    return str(channel) if channel else ("online" if row["recorded_by"] is None else None)


def _filters(
    status: str | None, kind: str | None, overdue_on: date | None, channel: str | None = None
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    if status == "open":  # API.md: "open" means not yet closed (待办理 and 已交办)
        clauses.append(f"status IN {_PENDING}")
    elif status:
        clauses.append("status = ?")
        args.append(status)
    if kind:
        clauses.append("kind = ?")
        args.append(kind)
    if overdue_on:
        clauses.append(f"status IN {_PENDING} AND due_on < ?")
        args.append(overdue_on.isoformat())
    if channel:
        clauses.append(f"{CHANNEL_SQL} = ?")
        args.append(channel)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", args


def list_letters(
    conn: sqlite3.Connection,
    *,
    status: str | None = None,
    kind: str | None = None,
    overdue_on: date | None = None,
    channel: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    where, args = _filters(status, kind, overdue_on, channel)
    cur = conn.execute(
        f"SELECT * FROM letters {where} ORDER BY due_on IS NULL, due_on, submitted_at, id LIMIT ? OFFSET ?",
        (*args, limit, offset),
    )
    return [TABLE.decode(cur, row) for row in cur.fetchall()]


def count_letters(
    conn: sqlite3.Connection,
    *,
    status: str | None = None,
    kind: str | None = None,
    overdue_on: date | None = None,
    channel: str | None = None,
) -> int:
    where, args = _filters(status, kind, overdue_on, channel)
    return int(conn.execute(f"SELECT count(*) FROM letters {where}", args).fetchone()[0])


def pending_letter_ids(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(f"SELECT id FROM letters WHERE status IN {_PENDING} ORDER BY id")]


def count_pending(conn: sqlite3.Connection, today: date) -> dict[str, int]:
    """Letters not yet replied or transferred, and those among them past their time limit."""
    row = conn.execute(
        f"SELECT count(*), coalesce(sum(due_on < ?), 0) FROM letters WHERE status IN {_PENDING}",
        (today.isoformat(),),
    ).fetchone()
    return {"open": int(row[0]), "overdue": int(row[1])}
