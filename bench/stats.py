"""Stats benchmark: reducer throughput next to a raw baseline, and the annual report over many events.

    make bench-stats                 # 1,000,000 events for the report; 100,000 through SQLite
    EVENTS=100000 make bench-stats   # a quick look

Measured in one run, on one machine:
- decoding and the pure reducers (``reduce`` with an in-memory memo table) vs the raw baseline:
  ``json.loads`` and one dict increment per event (what counting costs without envelopes and rules);
- the embedded consumer's path (``StatsHandlers``: reducer + memo + counters + the processed-event
  record in one SQLite transaction per event) vs raw SQLite: the same upsert and the same tracking
  insert per event, committed per event, without decoding or reducing;
- the time to build the annual report (and render it to md, html and xlsx) from the counters that
  a million events produce, and the time for those events to be folded in.

The faust mode's throughput depends on the broker; it is measured by hand with
``tests/integration/test_stats_faust.py`` (see docs/operations.md), not here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from gongkai.db import Database
from gongkai.events import Envelope, new_event
from gongkai.events.requests import OUTCOMES, Applicant, RequestClosed, RequestReceived
from services.stats.domain import Memo, reduce
from services.stats.handlers import StatsHandlers
from services.stats.metrics import CounterMirror
from services.stats.report import annual_report
from services.stats.store import SCHEMA, CounterKey

COLUMNS = ("natural_person", "commercial", "research", "public_interest", "legal_service", "other")
CHANNELS = ("internet", "in_person", "registered_post", "ordinary_post", "fax")


def make_events(n: int, seed: int = 1) -> list[Envelope]:
    """Half receipts, half closings, over 2024–2026, in subject order."""
    rng = random.Random(seed)
    events: list[Envelope] = []
    start = date(2024, 1, 1)
    for i in range(n // 2):
        column = rng.choice(COLUMNS)
        applicant = (
            Applicant(kind="natural_person", name="甲", phone="13800000000")
            if column == "natural_person"
            else Applicant(kind="legal_person", org_type=column, name="乙", phone="13800000000")  # type: ignore[arg-type]
        )
        received_on = start + timedelta(days=rng.randrange(3 * 365))
        channel = rng.choice(CHANNELS)
        data = RequestReceived(
            channel=channel,  # type: ignore[arg-type]
            applicant=applicant,
            description="某文件",
            received_on=received_on,
            tracking_code_hash="0" * 64,
        )
        at = datetime(received_on.year, received_on.month, received_on.day, 2, tzinfo=UTC)
        subject = f"r{i}"
        events.append(new_event("request.received", subject=subject, source="bench", data=data, occurred_at=at))
        closed_on = received_on + timedelta(days=rng.randrange(40))
        closing = RequestClosed(
            on=closed_on,
            actor="c",
            closure="answer",
            outcome=rng.choice(OUTCOMES[:-3]),
            received_on=received_on,
            channel=channel,  # type: ignore[arg-type]
            applicant_kind=applicant.kind,
            org_type=applicant.org_type,
        )
        events.append(new_event("request.closed", subject=subject, source="bench", data=closing, occurred_at=at))
    return events


def fold(records: list[bytes]) -> dict[CounterKey, int]:
    counters: dict[CounterKey, int] = {}
    memos: dict[str, Memo] = {}
    for raw in records:
        event = Envelope.from_bytes(raw)
        reduction = reduce(event, memos.get(event.subject))
        if reduction.memo is not None:
            memos[event.subject] = reduction.memo
        for d in reduction.deltas:
            key = (d.name, d.year, d.labels)
            counters[key] = counters.get(key, 0) + d.amount
    return counters


def raw_fold(records: list[bytes]) -> dict[tuple[str, str, str], int]:
    """Decode each record and bump one counter keyed by its type, year and subject's last character."""
    counters: dict[tuple[str, str, str], int] = {}
    for raw in records:
        event = json.loads(raw)
        key = (event["type"], event["occurred_at"][:4], event["subject"][-1])
        counters[key] = counters.get(key, 0) + 1
    return counters


def timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def line(label: str, n: int, ours: float, baseline: float) -> None:
    print(f"{label:<46} {n / ours:>12,.0f} ev/s   baseline {n / baseline:>12,.0f} ev/s   ratio {baseline / ours:5.2f}")


async def sqlite_path(events: list[Envelope], directory: Path) -> tuple[float, float]:
    db = Database(directory / "stats.db", schema=SCHEMA)
    await db.open()
    handlers = StatsHandlers(db, CounterMirror())
    start = time.perf_counter()
    for event in events:
        await handlers(event)
    ours = time.perf_counter() - start
    await db.close()

    conn = sqlite3.connect(directory / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.executescript(SCHEMA + "CREATE TABLE seen (consumer TEXT, event_id TEXT, PRIMARY KEY (consumer, event_id));")
    rows = [(str(e.id), json.dumps((("applicant", "x"), ("channel", "y"))), e.occurred_at.year) for e in events]
    start = time.perf_counter()
    for event_id, labels, year in rows:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO seen VALUES ('stats', ?)", (event_id,))
        conn.execute(
            "INSERT INTO counters VALUES ('requests_received', ?, ?, 1) "
            "ON CONFLICT(name, year, labels) DO UPDATE SET value = value + 1",
            (year, labels),
        )
        conn.execute("COMMIT")
    baseline = time.perf_counter() - start
    conn.close()
    return ours, baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--sqlite-events", type=int, default=100_000)
    args = parser.parse_args()

    print(f"building {args.events:,} events …")
    events = make_events(args.events)
    n = len(events)
    records = [event.to_bytes() for event in events]
    counters: dict[CounterKey, int] = {}
    reducing = timed(lambda: counters.update(fold(records)))
    raw = timed(lambda: raw_fold(records))
    line("decode + pure reducers (memo in memory)", n, reducing, raw)

    sample = events[: args.sqlite_events]
    with tempfile.TemporaryDirectory() as tmp:
        ours, baseline = asyncio.run(sqlite_path(sample, Path(tmp)))
    line("embedded consumer (SQLite, one commit per event)", len(sample), ours, baseline)

    built: dict[str, object] = {}
    building = timed(lambda: built.update(annual_report(2025, counters, {}, agency="某市发展和改革委员会")))
    print(
        f"annual report 2025 from the counters of {n:,} events: {building * 1000:,.1f} ms "
        f"(folding the events took {reducing:,.1f} s)"
    )
    try:
        from services.stats.render import render
    except ImportError:
        return
    for fmt in ("md", "html", "xlsx"):
        seconds = timed(lambda fmt=fmt: render(built, fmt))
        print(f"  render {fmt:<5} {seconds * 1000:8,.1f} ms")


if __name__ == "__main__":
    main()
