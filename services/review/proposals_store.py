"""Deputies' suggestions and CPPCC proposals: the review service's table of them.

One row per proposal: the registration as received, the accepted steps in order (the proposal is
their fold, see ``proposals.py``), the full history (ignored facts, overdue notices and warnings
included), and columns derived from the fold for queries and gauges.

Numbers: a kind's numbers are unique within a year (of assignment), but intake cannot know which
are taken. A second registration with the same kind, year and number is recorded all the same
(refusing it would lose a real assignment whose number was mistyped), with ``duplicate_of``
naming the first and a warning in its history; it is handled like any other.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from services.review.case_table import CaseTable

__all__ = [
    "PROPOSALS_SCHEMA",
    "append_step",
    "count_gauges",
    "count_proposals",
    "find_duplicate",
    "get_proposal",
    "insert_proposal",
    "list_proposals",
    "number_key",
    "open_proposal_ids",
    "set_columns",
]

PROPOSALS_SCHEMA = """
CREATE TABLE IF NOT EXISTS proposals (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    number_key TEXT NOT NULL,
    year INTEGER NOT NULL,
    title TEXT NOT NULL,
    proposer TEXT NOT NULL,
    session TEXT NOT NULL,
    assigned_on TEXT NOT NULL,
    lead_unit TEXT NOT NULL,
    co_units TEXT NOT NULL DEFAULT '[]',
    recorded_by TEXT,
    recorded_at TEXT NOT NULL,
    duplicate_of TEXT,
    status TEXT NOT NULL,
    due_on TEXT NOT NULL,
    result_class TEXT,
    rating TEXT,
    rehandling INTEGER NOT NULL DEFAULT 0,
    replied_on TEXT,
    closed_on TEXT,
    overdue_notified TEXT,
    steps TEXT NOT NULL DEFAULT '[]',
    history TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS proposals_status ON proposals(status, due_on);
CREATE INDEX IF NOT EXISTS proposals_number ON proposals(kind, year, number_key);
"""

TABLE = CaseTable("proposals", json_columns=("co_units", "steps", "history"), bool_columns=("rehandling",))
insert_proposal = TABLE.insert
get_proposal = TABLE.get
append_step = TABLE.append_step
set_columns = TABLE.set_columns
_OPEN = ("assigned", "replied", "rehandling")
#: A reply is owed: only these can be overdue.
_AWAITING_REPLY = ("assigned", "rehandling")
#: The index in ``steps`` of the latest accepted reply (NULL before the first).
_LATEST_REPLY = (
    "(SELECT max(r.key) FROM json_each(proposals.steps) AS r"
    " WHERE json_extract(r.value, '$.type') = 'proposal.replied')"
)
#: The latest reply is public: a later publication step names its day and text (as the fold matches it), and no
#: take-down was accepted after that publication (accepted steps come in the order of their versions).
_LATEST_REPLY_PUBLISHED = f"""EXISTS (
    SELECT 1 FROM json_each(proposals.steps) AS p
    WHERE json_extract(p.value, '$.type') = 'proposal.reply_published' AND p.key > {_LATEST_REPLY}
      AND json_extract(p.value, '$.data.replied_on')
          = json_extract(proposals.steps, '$[' || {_LATEST_REPLY} || '].data.on')
      AND json_extract(p.value, '$.data.reply')
          = json_extract(proposals.steps, '$[' || {_LATEST_REPLY} || '].data.body')
      AND NOT EXISTS (
          SELECT 1 FROM json_each(proposals.steps) AS u
          WHERE json_extract(u.value, '$.type') = 'proposal.reply_unpublished' AND u.key > p.key))"""


def number_key(number: str) -> str:
    """A number as compared for duplicates: without blanks, case-folded.

    >>> number_key(" 第 0123号 ") == number_key("第0123号")
    True
    """
    return "".join(number.split()).casefold()


def find_duplicate(conn: sqlite3.Connection, *, kind: str, year: int, key: str, proposal_id: str) -> str | None:
    """The first other proposal registered with this kind, year and number, if any."""
    row = conn.execute(
        "SELECT id FROM proposals WHERE kind = ? AND year = ? AND number_key = ? AND id != ? ORDER BY rowid LIMIT 1",
        (kind, year, key, proposal_id),
    ).fetchone()
    return str(row[0]) if row else None


def _where(
    *, status: str | None, kind: str | None, overdue_on: date | None, reply_published: bool | None
) -> tuple[str, list[str]]:
    clauses, args = [], []
    if status is not None:
        clauses.append("status = ?")
        args.append(status)
    if kind is not None:
        clauses.append("kind = ?")
        args.append(kind)
    if overdue_on is not None:
        clauses.append(f"status IN {_AWAITING_REPLY} AND due_on < ?")
        args.append(overdue_on.isoformat())
    if reply_published is not None:
        clauses.append(f"{_LATEST_REPLY} IS NOT NULL AND {'' if reply_published else 'NOT '}{_LATEST_REPLY_PUBLISHED}")
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", args


def list_proposals(
    conn: sqlite3.Connection,
    *,
    status: str | None = None,
    kind: str | None = None,
    overdue_on: date | None = None,
    reply_published: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Proposals, soonest due first; ``reply_published`` (when given) keeps those with a reply whose
    latest reply is (True) or is not (False: not yet, or taken down) public."""
    where, args = _where(status=status, kind=kind, overdue_on=overdue_on, reply_published=reply_published)
    cur = conn.execute(
        f"SELECT * FROM proposals {where} ORDER BY due_on, assigned_on, rowid LIMIT ? OFFSET ?",
        (*args, limit, offset),
    )
    return [TABLE.decode(cur, row) for row in cur.fetchall()]


def count_proposals(
    conn: sqlite3.Connection,
    *,
    status: str | None = None,
    kind: str | None = None,
    overdue_on: date | None = None,
    reply_published: bool | None = None,
) -> int:
    where, args = _where(status=status, kind=kind, overdue_on=overdue_on, reply_published=reply_published)
    return int(conn.execute(f"SELECT count(*) FROM proposals {where}", args).fetchone()[0])


def open_proposal_ids(conn: sqlite3.Connection) -> list[str]:
    """Proposals that owe a reply (the sweep's work)."""
    return [r[0] for r in conn.execute(f"SELECT id FROM proposals WHERE status IN {_AWAITING_REPLY} ORDER BY id")]


def count_gauges(conn: sqlite3.Connection, today: date) -> dict[str, int]:
    """Proposals not yet closed, and those owing a reply past its due date."""
    row = conn.execute(
        f"""SELECT count(*), coalesce(sum(status IN {_AWAITING_REPLY} AND due_on < ?), 0)
            FROM proposals WHERE status IN {_OPEN}""",
        (today.isoformat(),),
    ).fetchone()
    return {"open": int(row[0]), "overdue": int(row[1])}
