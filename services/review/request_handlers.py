"""Request events in → the case store (idempotent by event id).

A step that the case's state does not allow (two clerks acting at once, or facts arriving in an
unexpected order) is recorded in the history as ignored, never raised: one odd event must not
block the stream. Logs name cases by id only, never by applicant.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from gongkai.applied import Applied
from gongkai.clock import AGENCY_TZ
from gongkai.db import Database
from gongkai.events import CATALOG, Envelope
from gongkai.events.requests import Applicant, RequestClosed, RequestOverdue, RequestReceived, RequestStep
from gongkai.settings import Settings
from services.review import request_store as store
from services.review.case_table import step_entry
from services.review.cases import Calendar, Case, InvalidStep, InvalidTransition, Rules, apply, deadline, open_case

log = logging.getLogger(__name__)

__all__ = ["REQUESTS_GROUP", "STEP_TYPES", "RequestHandlers", "applicant_key", "columns", "rebuild", "rules_from"]

REQUESTS_GROUP = "review-requests"
#: Every request event that is a step of a case (all but its opening and the sweep's notices).
STEP_TYPES = frozenset(t for t, spec in CATALOG.items() if t.startswith("request.")) - {
    "request.received",
    "request.overdue",
}


def rules_from(settings: Settings) -> Rules:
    return Rules(fee_payment_workdays=settings.fee_payment_workdays, fee_pauses_clock=settings.fee_pauses_clock)


def applicant_key(applicant: Applicant) -> str:
    """Who the applicant is, for counting their applications per month (fees): ID number, else name + contact."""
    basis = applicant.id_number or "|".join((applicant.name, applicant.phone or "", applicant.email or ""))
    return hashlib.sha256(("applicant:" + basis.upper()).encode()).hexdigest()


def rebuild(row: dict[str, Any], calendar: Calendar, rules: Rules) -> Case:
    """The case as the fold of its accepted steps."""
    opening, *steps = row["steps"]
    received = RequestReceived.model_validate({**opening["data"], "applicant": row["applicant"]})
    case = open_case(received, submitted_on=_local_day(row["submitted_at"]))
    for step in steps:
        model = CATALOG[step["type"]].model
        case = apply(case, model.model_validate(step["data"]), calendar, rules)  # type: ignore[arg-type]
    return case


def columns(case: Case, calendar: Calendar, rules: Rules) -> dict[str, Any]:
    """The queryable columns derived from a case."""
    due = deadline(case, calendar, rules)
    return {
        "status": case.status.value,
        "received_on": _iso(case.received_on),
        "due_on": _iso(due.due_on),
        "paused": int(due.paused),
        "due_provisional": int(due.provisional),
        "outcome": case.outcome,
        "closed_on": _iso(case.closed_on),
    }


class RequestHandlers:
    def __init__(self, db: Database, calendar: Callable[[], Calendar], rules: Rules, applied: Applied) -> None:
        self.db = db
        self.calendar = calendar
        self.rules = rules
        self.applied = applied

    async def __call__(self, event: Envelope) -> None:
        if event.type == "request.received":
            effect = self.opened(event)
        elif event.type == "request.overdue":
            effect = self.overdue(event)
        elif event.type in STEP_TYPES:
            effect = self.step(event)
        else:
            return
        await self.db.apply_once(REQUESTS_GROUP, event, effect)
        self.applied.done(event.id)

    def opened(self, event: Envelope) -> Callable[[sqlite3.Connection], None]:
        data = RequestReceived.model_validate(event.data)
        opening = step_entry(event, data.model_dump(mode="json", exclude={"applicant"}), actor=data.recorded_by)
        case = open_case(data, submitted_on=event.occurred_at.astimezone(AGENCY_TZ).date())
        row = {
            "id": event.subject,
            "channel": data.channel,
            "applicant": data.applicant.model_dump(mode="json"),
            "applicant_key": applicant_key(data.applicant),
            "applicant_kind": data.applicant.kind,
            "org_type": data.applicant.org_type,
            "description": data.description,
            "doc_number": data.doc_number,
            "delivery": data.delivery.model_dump(mode="json"),
            "oral": int(data.oral),
            "tracking_code_hash": data.tracking_code_hash,
            "recorded_by": data.recorded_by,
            "submitted_at": event.occurred_at.isoformat(),
            "steps": [opening],
            "history": [opening],
        }

        def effect(conn: sqlite3.Connection) -> None:
            store.insert_request(conn, {**row, **columns(case, self.calendar(), self.rules)})

        return effect

    def step(self, event: Envelope) -> Callable[[sqlite3.Connection], None]:
        data = event.payload()
        assert isinstance(data, RequestStep | RequestClosed)

        def effect(conn: sqlite3.Connection) -> None:
            row = store.get_request(conn, event.subject)
            if row is None:
                log.warning("%s for unknown request %s ignored", event.type, event.subject)
                return
            calendar = self.calendar()
            entry = step_entry(event, data.model_dump(mode="json"), actor=data.actor)
            try:
                case = apply(rebuild(row, calendar, self.rules), data, calendar, self.rules)
            except (InvalidTransition, InvalidStep) as exc:
                log.warning("%s on request %s ignored: %s", event.type, event.subject, exc)
                store.append_step(conn, event.subject, {**entry, "ignored": str(exc)}, accepted=False, changes={})
                return
            store.append_step(conn, event.subject, entry, accepted=True, changes=columns(case, calendar, self.rules))

        return effect

    def overdue(self, event: Envelope) -> Callable[[sqlite3.Connection], None]:
        data = RequestOverdue.model_validate(event.data)

        def effect(conn: sqlite3.Connection) -> None:
            if store.get_request(conn, event.subject) is None:
                return
            entry = step_entry(event, data.model_dump(mode="json"), actor="system")
            changes = {"overdue_notified": data.due_on.isoformat()}
            store.append_step(conn, event.subject, entry, accepted=False, changes=changes)

        return effect


def _local_day(instant: str) -> date:
    return datetime.fromisoformat(instant).astimezone(AGENCY_TZ).date()


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
