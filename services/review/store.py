"""Review's own state: documents under review and their history, rebuilt from events."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from typing import Any

from services.review.domain import DocumentStatus, Finding

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    category TEXT NOT NULL,
    department TEXT NOT NULL,
    doc_number TEXT,
    formed_on TEXT,
    publish_due TEXT,
    publish_due_provisional INTEGER NOT NULL DEFAULT 0,
    findings TEXT NOT NULL,
    history TEXT NOT NULL,
    submitted_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_status ON documents(status, submitted_at);
"""

_COLUMNS = (
    "id, status, title, body, category, department, doc_number, formed_on, publish_due, "
    "publish_due_provisional, findings, history, submitted_at"
)


def insert_document(conn: sqlite3.Connection, row: dict[str, Any], findings: list[Finding]) -> None:
    conn.execute(
        f"INSERT OR IGNORE INTO documents ({_COLUMNS}) VALUES "
        "(:id, :status, :title, :body, :category, :department, :doc_number, :formed_on, :publish_due, "
        ":publish_due_provisional, :findings, :history, :submitted_at)",
        {**row, "findings": json.dumps([asdict(f) for f in findings], ensure_ascii=False)},
    )


def get_document(conn: sqlite3.Connection, doc_id: str) -> dict[str, Any] | None:
    cur = conn.execute(f"SELECT {_COLUMNS} FROM documents WHERE id = ?", (doc_id,))
    row = cur.fetchone()
    return _decode(cur, row) if row else None


def list_documents(
    conn: sqlite3.Connection, status: DocumentStatus | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    where, args = ("WHERE status = ?", [status.value]) if status else ("", [])
    cur = conn.execute(
        f"SELECT {_COLUMNS} FROM documents {where} ORDER BY submitted_at, id LIMIT ? OFFSET ?",
        (*args, limit, offset),
    )
    return [_decode(cur, row) for row in cur.fetchall()]


def set_status(conn: sqlite3.Connection, doc_id: str, status: DocumentStatus, entry: dict[str, Any]) -> None:
    history = json.loads(conn.execute("SELECT history FROM documents WHERE id = ?", (doc_id,)).fetchone()[0])
    history.append(entry)
    conn.execute(
        "UPDATE documents SET status = ?, history = ? WHERE id = ?",
        (status.value, json.dumps(history, ensure_ascii=False), doc_id),
    )


def _decode(cur: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    doc = dict(zip([c[0] for c in cur.description], row, strict=True))
    doc["findings"] = json.loads(doc["findings"])
    doc["history"] = json.loads(doc["history"])
    doc["publish_due_provisional"] = bool(doc["publish_due_provisional"])
    return doc
