"""Letters as a source of the deadline sweep: refresh stored due dates, announce ``letter.overdue`` once per date."""

from __future__ import annotations

import sqlite3
from datetime import date

from gongkai.events.letters import LetterOverdue
from gongkai.service import ServiceContext
from services.review import letters_store as store
from services.review.cases import Calendar
from services.review.letters import deadline, is_overdue
from services.review.letters_handlers import columns, rebuild
from services.review.sweep import Overdue, Refreshed

__all__ = ["LetterSweep"]


class LetterSweep:
    """Letters not yet replied or transferred: their due date in working days from receipt."""

    name = "letters"
    event_type = "letter.overdue"

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def open_ids(self, conn: sqlite3.Connection) -> list[str]:
        return store.pending_letter_ids(conn)

    def refresh(self, conn: sqlite3.Connection, case_id: str, cal: Calendar, today: date) -> Refreshed:
        row = store.get_letter(conn, case_id)
        if row is None:
            return False, None
        letter = rebuild(row)
        fresh = columns(letter, cal)
        changed = any(row[k] != v for k, v in fresh.items())
        if changed:
            store.set_columns(conn, case_id, fresh)
        due = deadline(letter, cal)
        if (
            not is_overdue(letter, due, today)
            or due.due_on is None
            or row["overdue_notified"] == due.due_on.isoformat()
        ):
            return changed, None
        data = LetterOverdue(due_on=due.due_on, detected_on=today, kind=letter.kind)
        return changed, Overdue(due.due_on, data)
