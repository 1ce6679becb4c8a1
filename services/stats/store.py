"""Stats' own state: counters by name, year and labels, updated with the processed-event record."""

from __future__ import annotations

import json
import sqlite3

from services.stats.domain import CounterDelta

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    name TEXT NOT NULL,
    year INTEGER NOT NULL,
    labels TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (name, year, labels)
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
