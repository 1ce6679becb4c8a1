"""Stats' own state: counters by name, year and labels; a memo per subject; staff report entries.

Everything is updated in the transaction that records the processed event, so a replay after a
crash neither loses nor doubles a count.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from services.stats.domain import CounterDelta, Memo

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    name TEXT NOT NULL,
    year INTEGER NOT NULL,
    labels TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (name, year, labels)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS memos (
    subject TEXT PRIMARY KEY,
    memo TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS report_entries (
    year INTEGER NOT NULL,
    part TEXT NOT NULL,
    value TEXT NOT NULL,
    actor TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (year, part)
) WITHOUT ROWID;
"""

CounterKey = tuple[str, int, tuple[tuple[str, str], ...]]


def add(conn: sqlite3.Connection, deltas: list[CounterDelta]) -> None:
    conn.executemany(
        "INSERT INTO counters(name, year, labels, value) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(name, year, labels) DO UPDATE SET value = value + excluded.value",
        [(d.name, d.year, json.dumps(d.labels), d.amount) for d in deltas],
    )


def all_counters(conn: sqlite3.Connection) -> dict[CounterKey, int]:
    rows = conn.execute("SELECT name, year, labels, value FROM counters")
    return {(name, year, tuple((k, v) for k, v in json.loads(labels))): value for name, year, labels, value in rows}


def get_memo(conn: sqlite3.Connection, subject: str) -> Memo | None:
    row = conn.execute("SELECT memo FROM memos WHERE subject = ?", (subject,)).fetchone()
    return Memo.from_json(json.loads(row[0])) if row else None


def put_memo(conn: sqlite3.Connection, subject: str, memo: Memo) -> None:
    conn.execute(
        "INSERT INTO memos(subject, memo) VALUES (?, ?) ON CONFLICT(subject) DO UPDATE SET memo = excluded.memo",
        (subject, json.dumps(memo.to_json())),
    )


def count_open_overdue_requests(conn: sqlite3.Connection) -> int:
    row = conn.execute(
        "SELECT count(*) FROM memos WHERE json_extract(memo, '$.kind') = 'request' "
        "AND json_extract(memo, '$.overdue') AND NOT json_extract(memo, '$.closed')"
    ).fetchone()
    return int(row[0])


def put_entry(conn: sqlite3.Connection, year: int, part: str, value: Any, actor: str, recorded_at: str) -> None:
    """The latest entry of a report part (``table2``, ``section1`` …) for a year wins."""
    conn.execute(
        "INSERT INTO report_entries(year, part, value, actor, recorded_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(year, part) DO UPDATE SET value = excluded.value, actor = excluded.actor, "
        "recorded_at = excluded.recorded_at WHERE excluded.recorded_at >= report_entries.recorded_at",
        (year, part, json.dumps(value, ensure_ascii=False), actor, recorded_at),
    )


def entries(conn: sqlite3.Connection, year: int) -> dict[str, dict[str, Any]]:
    rows = conn.execute("SELECT part, value, actor, recorded_at FROM report_entries WHERE year = ?", (year,))
    return {part: {"value": json.loads(value), "actor": actor, "recorded_at": at} for part, value, actor, at in rows}
