"""The request case store: the only place where applicants' personal data is kept.

One row per case: the application as received (applicant included), the accepted steps in order
(the case is their fold, see ``cases.py``), the full history for the case file (ignored facts
included), and columns derived from the fold for queries and gauges.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from services.review.case_table import CaseTable

__all__ = [
    "REQUESTS_SCHEMA",
    "append_step",
    "count_by_deadline",
    "get_request",
    "insert_request",
    "list_requests",
    "monthly_ordinal",
    "open_request_ids",
    "set_columns",
]

REQUESTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    channel TEXT NOT NULL,
    applicant TEXT NOT NULL,
    applicant_key TEXT NOT NULL,
    applicant_kind TEXT NOT NULL,
    org_type TEXT,
    description TEXT NOT NULL,
    doc_number TEXT,
    delivery TEXT NOT NULL,
    oral INTEGER NOT NULL DEFAULT 0,
    tracking_code_hash TEXT NOT NULL,
    recorded_by TEXT,
    submitted_at TEXT NOT NULL,
    received_on TEXT,
    due_on TEXT,
    paused INTEGER NOT NULL DEFAULT 0,
    due_provisional INTEGER NOT NULL DEFAULT 0,
    outcome TEXT,
    closed_on TEXT,
    overdue_notified TEXT,
    steps TEXT NOT NULL DEFAULT '[]',
    history TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS requests_status ON requests(status, due_on);
CREATE INDEX IF NOT EXISTS requests_applicant ON requests(applicant_key, received_on);
"""

TABLE = CaseTable(
    "requests",
    json_columns=("applicant", "delivery", "steps", "history"),
    bool_columns=("oral", "paused", "due_provisional"),
)
insert_request = TABLE.insert
get_request = TABLE.get
append_step = TABLE.append_step
set_columns = TABLE.set_columns
_OPEN = ("awaiting_confirmation", "in_progress", "awaiting_correction", "consulting", "awaiting_payment")


def list_requests(
    conn: sqlite3.Connection,
    *,
    status: str | None = None,
    channel: str | None = None,
    overdue_on: date | None = None,
    due_by: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    clauses, args = [], []
    if status:
        clauses.append("status = ?")
        args.append(status)
    if channel:
        clauses.append("channel = ?")
        args.append(channel)
    if overdue_on:
        clauses.append("status IN ('in_progress', 'consulting', 'awaiting_payment') AND due_on < ?")
        args.append(overdue_on.isoformat())
    if due_by:
        clauses.append(f"status IN {_OPEN} AND due_on <= ?")
        args.append(due_by.isoformat())
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    cur = conn.execute(
        f"SELECT * FROM requests {where} ORDER BY due_on IS NULL, due_on, submitted_at, id LIMIT ? OFFSET ?",
        (*args, limit, offset),
    )
    return [TABLE.decode(cur, row) for row in cur.fetchall()]


#: Running cases whose clock has passed the due date (the list's ``overdue``).
_RUNNING = ("in_progress", "consulting", "awaiting_payment")


def deadline_counts(conn: sqlite3.Connection, today: date, week_end: date) -> dict[str, int]:
    """What waits, counted in one pass: unconfirmed, due today, due by ``week_end``, overdue, provisional."""
    running = ", ".join(f"'{s}'" for s in _RUNNING)
    row = conn.execute(
        f"""SELECT
            count(*) FILTER (WHERE status = 'awaiting_confirmation'),
            count(*) FILTER (WHERE due_on = :today),
            count(*) FILTER (WHERE due_on BETWEEN :today AND :week_end),
            count(*) FILTER (WHERE status IN ({running}) AND due_on < :today),
            count(*) FILTER (WHERE due_on IS NOT NULL AND due_provisional)
        FROM requests WHERE status IN {_OPEN}""",
        {"today": today.isoformat(), "week_end": week_end.isoformat()},
    ).fetchone()
    names = ("awaiting_confirmation", "due_today", "due_this_week", "overdue", "provisional")
    return dict(zip(names, (int(n or 0) for n in row), strict=True))


def open_request_ids(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(f"SELECT id FROM requests WHERE status IN {_OPEN} ORDER BY id")]


def monthly_ordinal(conn: sqlite3.Connection, applicant_key: str, request_id: str, received_on: date) -> int:
    """Which application of this applicant in ``received_on``'s calendar month this case is (fees, 109号文)."""
    month = received_on.isoformat()[:7]
    row = conn.execute(
        "SELECT count(*) FROM requests WHERE applicant_key = ? AND substr(received_on, 1, 7) = ? "
        "AND (received_on < ? OR (received_on = ? AND submitted_at <= "
        "(SELECT submitted_at FROM requests WHERE id = ?)))",
        (applicant_key, month, received_on.isoformat(), received_on.isoformat(), request_id),
    ).fetchone()
    return max(1, int(row[0]))


def count_by_deadline(conn: sqlite3.Connection, today: date, soon: date) -> dict[str, int]:
    """Open cases, those overdue, those due between today and ``soon``, those with a provisional date."""
    row = conn.execute(
        f"""SELECT count(*),
                   coalesce(sum(status IN ('in_progress', 'consulting', 'awaiting_payment') AND due_on < :today), 0),
                   coalesce(sum(due_on >= :today AND due_on <= :soon), 0),
                   coalesce(sum(due_provisional), 0)
            FROM requests WHERE status IN {_OPEN}""",
        {"today": today.isoformat(), "soon": soon.isoformat()},
    ).fetchone()
    return {"open": row[0], "overdue": row[1], "due_soon": row[2], "provisional": row[3]}
