"""The deadline sweep: refresh open cases' deadlines, announce the newly overdue ones.

One engine for every kind of case with a deadline (disclosure requests, letters, proposals): each
kind is a ``SweepSource`` that lists its open cases and refreshes one case in a transaction,
saying which due date, if any, to announce. Runs periodically on the injectable clock (and on
demand through the admin API). Deadlines are recomputed with the calendar as it is now, so
loading a year's 放假安排 turns provisional dates exact. The overdue event's id is derived from
the case and its due date: a second sweep, another replica or a restart repeats the same id,
which consumers drop.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from gongkai.bus import EventBus
from gongkai.clock import Clock
from gongkai.db import Database
from gongkai.events import Envelope, EventData, new_event
from gongkai.events.requests import RequestOverdue
from services.review import request_store as store
from services.review.cases import Calendar, Rules, deadline, is_overdue
from services.review.request_handlers import columns, rebuild

__all__ = ["Overdue", "Refreshed", "RequestSweep", "SweepResult", "SweepSource", "overdue_event", "sweep"]

_OVERDUE_NS = uuid.UUID("0d3c3f0e-5a4f-4f53-9a53-6f7d0c2b9e11")


@dataclass(frozen=True)
class Overdue:
    """A case found past ``due_on``, with what its overdue event needs (``data``)."""

    due_on: date
    data: EventData


#: (whether the stored deadline changed, the overdue to announce or None)
Refreshed = tuple[bool, Overdue | None]


class SweepSource(Protocol):
    name: str
    event_type: str

    def open_ids(self, conn: sqlite3.Connection) -> list[str]: ...

    def refresh(
        self, conn: sqlite3.Connection, case_id: str, cal: Calendar, today: date
    ) -> tuple[bool, Overdue | None]:
        """Refresh one case's stored deadline; (changed, the overdue to announce or None)."""
        ...


@dataclass(frozen=True)
class SweepResult:
    open_cases: int
    recomputed: int
    newly_overdue: int


def overdue_event(event_type: str, case_id: str, overdue: Overdue, now: datetime) -> Envelope:
    return new_event(
        event_type,
        subject=case_id,
        source="review",
        data=overdue.data,
        event_id=uuid.uuid5(_OVERDUE_NS, f"{event_type}:{case_id}:{overdue.due_on.isoformat()}"),
        recorded_at=now,
    )


async def sweep(
    db: Database, bus: EventBus, calendar: Callable[[], Calendar], sources: Sequence[SweepSource], clock: Clock
) -> dict[str, SweepResult]:
    cal, today, now = calendar(), clock.today(), clock.now()
    results = {}
    for source in sources:
        ids = await db.run(source.open_ids)
        recomputed, notices = 0, []
        for case_id in ids:
            # One transaction per case: a step applied meanwhile cannot be overwritten by stale columns.
            changed, overdue = await db.transaction(source.refresh, case_id, cal, today)
            recomputed += changed
            if overdue is not None:
                notices.append(overdue_event(source.event_type, case_id, overdue, now))
        if notices:
            await bus.publish_many(notices)
        results[source.name] = SweepResult(open_cases=len(ids), recomputed=recomputed, newly_overdue=len(notices))
    return results


class RequestSweep:
    """Disclosure requests: deadlines from the case's steps (``cases.deadline``)."""

    name = "requests"
    event_type = "request.overdue"

    def __init__(self, rules: Rules) -> None:
        self.rules = rules

    def open_ids(self, conn: sqlite3.Connection) -> list[str]:
        return store.open_request_ids(conn)

    def refresh(
        self, conn: sqlite3.Connection, case_id: str, cal: Calendar, today: date
    ) -> tuple[bool, Overdue | None]:
        row = store.get_request(conn, case_id)
        if row is None:
            return False, None
        case = rebuild(row, cal, self.rules)
        fresh = columns(case, cal, self.rules)
        changed = any(row[k] != (bool(v) if k in ("paused", "due_provisional") else v) for k, v in fresh.items())
        if changed:
            store.set_columns(conn, case_id, fresh)
        due = deadline(case, cal, self.rules)
        if not is_overdue(case, due, today) or due.due_on is None or row["overdue_notified"] == due.due_on.isoformat():
            return changed, None
        data = RequestOverdue(due_on=due.due_on, detected_on=today, channel=row["channel"])
        return changed, Overdue(due.due_on, data)
