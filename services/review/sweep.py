"""The deadline sweep: recompute open cases' deadlines, announce the newly overdue ones.

Runs periodically on the injectable clock (and on demand through the admin API). Deadlines are
recomputed from each case's steps with the calendar as it is now, so loading a year's 放假安排
turns provisional dates exact. ``request.overdue`` gets an id derived from the case and its due
date: a second sweep, another replica or a restart repeats the same id, which consumers drop.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from gongkai.bus import EventBus
from gongkai.clock import Clock
from gongkai.db import Database
from gongkai.events import Envelope, new_event
from gongkai.events.requests import RequestOverdue
from services.review import request_store as store
from services.review.cases import Calendar, Rules, deadline, is_overdue
from services.review.request_handlers import columns, rebuild

__all__ = ["SweepResult", "sweep"]

_OVERDUE_NS = uuid.UUID("0d3c3f0e-5a4f-4f53-9a53-6f7d0c2b9e11")


@dataclass(frozen=True)
class SweepResult:
    open_cases: int
    recomputed: int
    newly_overdue: int


async def sweep(
    db: Database, bus: EventBus, calendar: Callable[[], Calendar], rules: Rules, clock: Clock
) -> SweepResult:
    cal, today, now = calendar(), clock.today(), clock.now()
    ids = await db.run(store.open_request_ids)
    recomputed, notices = 0, []
    for request_id in ids:
        # One transaction per case: a step applied meanwhile cannot be overwritten by stale columns.
        outcome = await db.transaction(_recompute, request_id, cal, rules, today)
        if outcome is None:
            continue
        changed, overdue_due, channel = outcome
        recomputed += changed
        if overdue_due is not None:
            notices.append(_notice(request_id, channel, overdue_due, today, now))
    if notices:
        await bus.publish_many(notices)
    return SweepResult(open_cases=len(ids), recomputed=recomputed, newly_overdue=len(notices))


def _recompute(
    conn: sqlite3.Connection, request_id: str, cal: Calendar, rules: Rules, today: date
) -> tuple[bool, date | None, str] | None:
    """Refresh one case's derived columns; say whether they changed and the due date to announce, if any."""
    row = store.get_request(conn, request_id)
    if row is None:
        return None
    case = rebuild(row, cal, rules)
    fresh = columns(case, cal, rules)
    changed = any(row[k] != (bool(v) if k in ("paused", "due_provisional") else v) for k, v in fresh.items())
    if changed:
        store.set_columns(conn, request_id, fresh)
    due = deadline(case, cal, rules).due_on
    overdue = is_overdue(case, deadline(case, cal, rules), today) and due is not None
    announce = due if overdue and due is not None and row["overdue_notified"] != due.isoformat() else None
    return changed, announce, row["channel"]


def _notice(request_id: str, channel: str, due_on: date, today: date, now: datetime) -> Envelope:
    return new_event(
        "request.overdue",
        subject=request_id,
        source="review",
        data=RequestOverdue(due_on=due_on, detected_on=today, channel=channel),  # type: ignore[arg-type]
        event_id=uuid.uuid5(_OVERDUE_NS, f"{request_id}:{due_on.isoformat()}"),
        recorded_at=now,
    )
