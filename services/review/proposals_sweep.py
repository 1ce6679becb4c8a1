"""Proposals as a source of the deadline sweep: announce ``proposal.overdue`` once per due date.

A proposal is overdue when a reply is owed past its due date: the first reply (3 months after
assignment, or the extended period) or the re-handling reply (1 month after the dissatisfied
assessment). Periods are calendar months, so the working-day calendar is not consulted.
"""

from __future__ import annotations

import sqlite3
from datetime import date

from gongkai.events.letters import ProposalOverdue
from gongkai.service import ServiceContext
from services.review import proposals_store as store
from services.review.cases import Calendar
from services.review.proposals import is_overdue
from services.review.proposals_handlers import columns, rebuild
from services.review.sweep import Overdue, Refreshed

__all__ = ["ProposalSweep"]


class ProposalSweep:
    name = "proposals"
    event_type = "proposal.overdue"

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def open_ids(self, conn: sqlite3.Connection) -> list[str]:
        return store.open_proposal_ids(conn)

    def refresh(self, conn: sqlite3.Connection, case_id: str, cal: Calendar, today: date) -> Refreshed:
        row = store.get_proposal(conn, case_id)
        if row is None:
            return False, None
        proposal = rebuild(row)
        fresh = columns(proposal)
        changed = any(row[k] != v for k, v in fresh.items())
        if changed:
            store.set_columns(conn, case_id, fresh)
        due = proposal.due_on
        if not is_overdue(proposal, today) or row["overdue_notified"] == due.isoformat():
            return changed, None
        return changed, Overdue(due, ProposalOverdue(due_on=due, detected_on=today, kind=proposal.kind))
