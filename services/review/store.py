"""Review's own state: each document's current revision, its review file and history, rebuilt from events."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any

from services.review.domain import DocumentStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    revision INTEGER NOT NULL,
    published_revision INTEGER,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    original_title TEXT,
    original_body TEXT,
    category TEXT NOT NULL,
    department TEXT NOT NULL,
    doc_number TEXT,
    formed_on TEXT,
    doc_type TEXT NOT NULL,
    validity TEXT NOT NULL DEFAULT 'in_force',
    publish_due TEXT,
    publish_due_provisional INTEGER NOT NULL DEFAULT 0,
    findings TEXT NOT NULL,
    redactions TEXT NOT NULL DEFAULT '[]',
    rereview_on TEXT,
    already_published_at TEXT,
    source_file TEXT,
    history TEXT NOT NULL,
    submitted_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_status ON documents(status, submitted_at);
CREATE INDEX IF NOT EXISTS documents_due ON documents(publish_due) WHERE status NOT IN ('published', 'withdrawn');
-- Who took a public step, kept until the step's own event arrives (the two come on different topics).
CREATE TABLE IF NOT EXISTS pending_actors (
    event_id TEXT PRIMARY KEY,
    actor TEXT NOT NULL
) WITHOUT ROWID;
"""

_JSON = ("findings", "redactions", "history")
#: Statuses in which a document still waits for publication (Art. 26 deadline running).
UNPUBLISHED = ("submitted", "in_review", "escalated", "approved")


def upsert_revision(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    """Insert a new document, or replace the text of an existing one with a new revision."""
    values = {k: json.dumps(v, ensure_ascii=False) if k in _JSON else v for k, v in row.items()}
    columns = ", ".join(values)
    updates = ", ".join(f"{k} = excluded.{k}" for k in values if k not in ("id", "submitted_at", "history"))
    conn.execute(
        f"INSERT INTO documents ({columns}) VALUES ({', '.join(':' + k for k in values)}) "
        f"ON CONFLICT(id) DO UPDATE SET {updates}",
        values,
    )


def get_document(conn: sqlite3.Connection, doc_id: str) -> dict[str, Any] | None:
    cur = conn.execute("SELECT * FROM documents WHERE id = ?", (doc_id,))
    row = cur.fetchone()
    return _decode(cur, row) if row else None


def _where(
    *, status: DocumentStatus | None, rereview_due_by: date | None, overdue_on: date | None
) -> tuple[str, list[str]]:
    clauses, args = [], []
    if status:
        clauses.append("status = ?")
        args.append(status.value)
    if rereview_due_by:
        clauses.append("status = 'rejected' AND rereview_on <= ?")
        args.append(rereview_due_by.isoformat())
    if overdue_on:
        clauses.append(f"status IN {UNPUBLISHED} AND publish_due < ?")
        args.append(overdue_on.isoformat())
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", args


def list_documents(
    conn: sqlite3.Connection,
    *,
    status: DocumentStatus | None,
    rereview_due_by: date | None,
    overdue_on: date | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    where, args = _where(status=status, rereview_due_by=rereview_due_by, overdue_on=overdue_on)
    cur = conn.execute(
        f"SELECT * FROM documents {where} ORDER BY submitted_at, id LIMIT ? OFFSET ?", (*args, limit, offset)
    )
    return [_decode(cur, row) for row in cur.fetchall()]


def count_documents(
    conn: sqlite3.Connection,
    *,
    status: DocumentStatus | None,
    rereview_due_by: date | None,
    overdue_on: date | None,
) -> int:
    """How many documents ``list_documents`` would list over all pages."""
    where, args = _where(status=status, rereview_due_by=rereview_due_by, overdue_on=overdue_on)
    return int(conn.execute(f"SELECT count(*) FROM documents {where}", args).fetchone()[0])


def update(conn: sqlite3.Connection, doc_id: str, changes: dict[str, Any], entry: dict[str, Any]) -> None:
    """Set ``changes`` and append ``entry`` to the history, in the caller's transaction."""
    history = json.loads(conn.execute("SELECT history FROM documents WHERE id = ?", (doc_id,)).fetchone()[0])
    history.append(entry)
    values = {k: json.dumps(v, ensure_ascii=False) if k in _JSON else v for k, v in changes.items()}
    values["history"] = json.dumps(history, ensure_ascii=False)
    assignments = ", ".join(f"{k} = :{k}" for k in values)
    conn.execute(f"UPDATE documents SET {assignments} WHERE id = :id", {**values, "id": doc_id})


def attribute(conn: sqlite3.Connection, doc_id: str, event_id: str, actor: str) -> None:
    """Name ``actor`` in the history entry of ``event_id``, or keep the name until that entry is written."""
    row = conn.execute("SELECT history FROM documents WHERE id = ?", (doc_id,)).fetchone()
    if row is None:
        return  # no such document here: nothing to name (its submission precedes this on the same topic)
    history = json.loads(row[0])
    entry = next((e for e in history if e.get("event_id") == event_id), None)
    if entry is None:
        conn.execute("INSERT OR REPLACE INTO pending_actors(event_id, actor) VALUES (?, ?)", (event_id, actor))
        return
    entry["actor"] = actor
    conn.execute("UPDATE documents SET history = ? WHERE id = ?", (json.dumps(history, ensure_ascii=False), doc_id))


def take_actor(conn: sqlite3.Connection, event_id: str) -> str | None:
    """The actor named for ``event_id`` before its own event arrived (removed once taken)."""
    row = conn.execute("DELETE FROM pending_actors WHERE event_id = ? RETURNING actor", (event_id,)).fetchone()
    return str(row[0]) if row else None


def count_overdue(conn: sqlite3.Connection, today: date) -> int:
    """Documents not yet published whose Art. 26 deadline has passed."""
    row = conn.execute(
        f"SELECT count(*) FROM documents WHERE status IN {UNPUBLISHED} AND publish_due < ?", (today.isoformat(),)
    ).fetchone()
    return int(row[0])


def _decode(cur: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    doc = dict(zip([c[0] for c in cur.description], row, strict=True))
    for key in _JSON:
        doc[key] = json.loads(doc[key])
    doc["publish_due_provisional"] = bool(doc["publish_due_provisional"])
    return doc
