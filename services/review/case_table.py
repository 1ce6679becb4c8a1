"""The row mechanics every case store shares (requests, letters, proposals).

A case row keeps its accepted steps (the case is their fold), its full history (refused facts
included) and columns derived from the fold; some columns hold JSON, some booleans. Each store
names its table and those columns once and keeps only its own queries.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from gongkai.events import Envelope

__all__ = ["CaseTable", "step_entry"]


@dataclass(frozen=True)
class CaseTable:
    name: str
    json_columns: tuple[str, ...]
    bool_columns: tuple[str, ...] = ()

    def encode(self, values: dict[str, Any]) -> dict[str, Any]:
        return {k: self._encode_value(k, v) for k, v in values.items()}

    def _encode_value(self, key: str, value: Any) -> Any:
        if key in self.json_columns:
            return json.dumps(value, ensure_ascii=False)
        if key in self.bool_columns and value is not None:
            return int(value)
        return value

    def decode(self, cur: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
        record = dict(zip([c[0] for c in cur.description], row, strict=True))
        for key in self.json_columns:
            record[key] = json.loads(record[key])
        for key in self.bool_columns:
            record[key] = bool(record[key])
        return record

    def insert(self, conn: sqlite3.Connection, row: dict[str, Any]) -> bool:
        """Insert a new case; False (and nothing changed) when its id is already there."""
        values = self.encode(row)
        cur = conn.execute(
            f"INSERT OR IGNORE INTO {self.name} ({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})",
            values,
        )
        return cur.rowcount == 1

    def get(self, conn: sqlite3.Connection, case_id: str) -> dict[str, Any] | None:
        cur = conn.execute(f"SELECT * FROM {self.name} WHERE id = ?", (case_id,))
        row = cur.fetchone()
        return self.decode(cur, row) if row else None

    def select(self, conn: sqlite3.Connection, sql: str, args: Any = ()) -> list[dict[str, Any]]:
        cur = conn.execute(sql, args)
        return [self.decode(cur, row) for row in cur.fetchall()]

    def append_step(
        self, conn: sqlite3.Connection, case_id: str, entry: dict[str, Any], *, accepted: bool, changes: dict[str, Any]
    ) -> None:
        """Append ``entry`` to the history (and to the steps when ``accepted``) and set ``changes``."""
        row = conn.execute(f"SELECT steps, history FROM {self.name} WHERE id = ?", (case_id,)).fetchone()
        steps, history = json.loads(row[0]), json.loads(row[1])
        history.append(entry)
        if accepted:
            steps.append(entry)
        self.set_columns(conn, case_id, {**changes, "steps": steps, "history": history})

    def set_columns(self, conn: sqlite3.Connection, case_id: str, changes: dict[str, Any]) -> None:
        values = self.encode(changes)
        assignments = ", ".join(f"{k} = :{k}" for k in values)
        conn.execute(f"UPDATE {self.name} SET {assignments} WHERE id = :id", {**values, "id": case_id})


def step_entry(event: Envelope, data: dict[str, Any], *, actor: str | None) -> dict[str, Any]:
    """One line of a case's steps and history: the event, when it was recorded, who, and its data."""
    return {
        "type": event.type,
        "event_id": str(event.id),
        "at": event.recorded_at.isoformat(),
        "actor": actor,
        "data": data,
    }
