"""Letter events in → the letters table (idempotent by event id).

``letter.received`` opens a letter with the time limits in force that day; every later step is
folded onto it (``letters.apply``). A step the letter's state does not allow (two clerks acting at
once, a second rating) is recorded in the history as ignored, never raised: one odd event must not
block the stream. ``letter.published`` comes from the public topic. Logs name letters by id only,
never by writer.

``letter.unpublished`` (a reviewer took a published letter down, with the reason: internal) is answered on
the public stream by ``letter.withdrawn``, which carries only the instant and the version. It is published
*before* the step is recorded, with an id derived from the step, so a crash in between re-publishes the
same event (dropped as a repeat downstream) and never loses it; a step the letter refuses (stale, or the
letter unknown) publishes nothing. ``letter.withdrawn`` itself is the portal's business, not a step here.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import date
from typing import Any

from gongkai.applied import Applied
from gongkai.db import Database
from gongkai.events import CATALOG, Envelope
from gongkai.events.letters import LetterOverdue, LetterPublished, LetterReceived, LetterUnpublished, LetterWithdrawn
from gongkai.service import ServiceContext
from services.review import letters_store as store
from services.review.case_table import step_entry
from services.review.cases import Calendar
from services.review.letters import (
    InvalidStep,
    InvalidTransition,
    Letter,
    LetterStep,
    apply,
    deadline,
    open_letter,
    rules_from,
)
from services.review.publication import publish_withdrawal

__all__ = ["LETTERS_GROUP", "STEP_TYPES", "LetterHandlers", "columns", "rebuild"]

log = logging.getLogger(__name__)

LETTERS_GROUP = "review-letters"
#: Letter events that are steps of a letter: all but its opening, the sweep's notices and the portal's withdrawal.
STEP_TYPES = frozenset(t for t in CATALOG if t.startswith("letter.")) - {
    "letter.received",
    "letter.overdue",
    "letter.withdrawn",
}
#: Not kept in the opening step: the contact and the code's hash have their own columns, the texts too.
_OPENING_EXCLUDE = {"contact", "tracking_code_hash", "title", "body"}

Effect = Callable[[sqlite3.Connection], None]


def rebuild(row: dict[str, Any]) -> Letter:
    """The letter as the fold of its accepted steps (accepted once: date-dependent checks are not re-run)."""
    received_on = date.fromisoformat(row["received_on"])
    letter = Letter(
        kind=row["kind"],
        category=row["category"],
        received_on=received_on,
        workdays=row["workdays"],
        max_workdays=row["max_workdays"],
        last_on=received_on,
    )
    for step in row["steps"][1:]:
        model = CATALOG[step["type"]].model
        letter = apply(letter, model.model_validate(step["data"]))  # type: ignore[arg-type]
    return letter


def columns(letter: Letter, calendar: Calendar) -> dict[str, Any]:
    """The queryable columns derived from a letter."""
    due = deadline(letter, calendar)
    closed = letter.replied_on or letter.transferred_on
    return {
        "status": letter.status.value,
        "department": letter.department,
        "due_on": _iso(due.due_on),
        "due_provisional": due.provisional,
        "replied_on": _iso(letter.replied_on),
        "closed_on": _iso(closed),
        "feedback": letter.feedback,
        "published": letter.published,
    }


class LetterHandlers:
    def __init__(self, ctx: ServiceContext, db: Database, applied: Applied) -> None:
        self.ctx, self.db, self.applied = ctx, db, applied
        self.rules = rules_from(ctx.settings)

    async def __call__(self, event: Envelope) -> None:
        if event.type == "letter.received":
            effect = self.received(event)
        elif event.type == "letter.overdue":
            effect = self.overdue(event)
        elif event.type in STEP_TYPES:
            if event.type == "letter.unpublished":
                await self.withdraw_publicly(event)
            effect = self.step(event)
        else:
            return
        await self.db.apply_once(LETTERS_GROUP, event, effect)
        self.applied.done(event.id)

    def received(self, event: Envelope) -> Effect:
        data = LetterReceived.model_validate(event.data)
        opening = step_entry(event, data.model_dump(mode="json", exclude=_OPENING_EXCLUDE), actor=data.recorded_by)
        letter = open_letter(data, self.rules)
        row = {
            "id": event.subject,
            "kind": data.kind,
            "category": data.category,
            "title": data.title,
            "body": data.body,
            "contact": data.contact.model_dump(mode="json"),
            "addressed_to": data.department,
            "tracking_code_hash": data.tracking_code_hash,
            "recorded_by": data.recorded_by,
            "submitted_at": event.occurred_at.isoformat(),
            "received_on": data.received_on.isoformat(),
            "workdays": letter.workdays,
            "max_workdays": letter.max_workdays,
            "steps": [opening],
            "history": [opening],
        }

        def effect(conn: sqlite3.Connection) -> None:
            if not store.insert_letter(conn, {**row, **columns(letter, self.ctx.calendar.calendar)}):
                log.warning("letter.received for existing letter %s ignored", event.subject)
                ignored = {**opening, "ignored": "a letter with this id was already received"}
                store.append_step(conn, event.subject, ignored, accepted=False, changes={})

        return effect

    def step(self, event: Envelope) -> Effect:
        data = event.payload()
        assert isinstance(data, LetterStep)

        def effect(conn: sqlite3.Connection) -> None:
            row = store.get_letter(conn, event.subject)
            if row is None:
                log.warning("%s for unknown letter %s ignored", event.type, event.subject)
                return
            calendar = self.ctx.calendar.calendar
            record = step_entry(event, data.model_dump(mode="json"), actor=_actor(data))
            try:
                letter = apply(rebuild(row), data)
            except (InvalidTransition, InvalidStep) as exc:
                log.warning("%s on letter %s ignored: %s", event.type, event.subject, exc)
                store.append_step(conn, event.subject, {**record, "ignored": str(exc)}, accepted=False, changes={})
                return
            store.append_step(conn, event.subject, record, accepted=True, changes=columns(letter, calendar))

        return effect

    async def withdraw_publicly(self, event: Envelope) -> None:
        """``letter.withdrawn`` on the public stream for an unpublication the letter accepts (id from the step)."""
        data = LetterUnpublished.model_validate(event.data)
        row = await self.db.run(store.get_letter, event.subject)
        if row is None:
            return
        try:
            apply(rebuild(row), data)
        except (InvalidTransition, InvalidStep):
            return  # stale or refused: recorded as ignored by ``step``, nothing to take off the portal
        withdrawn = LetterWithdrawn(withdrawn_at=event.occurred_at, version=data.version)
        await publish_withdrawal(self.ctx, event, "letter.withdrawn", withdrawn)

    def overdue(self, event: Envelope) -> Effect:
        data = LetterOverdue.model_validate(event.data)

        def effect(conn: sqlite3.Connection) -> None:
            row = store.get_letter(conn, event.subject)
            if row is None:
                return
            record = step_entry(event, data.model_dump(mode="json"), actor="system")
            changes = {"overdue_notified": data.due_on.isoformat()}
            store.append_step(conn, event.subject, record, accepted=False, changes=changes)

        return effect


def _actor(data: LetterStep) -> str | None:
    """Who took the step: the clerk, the reviewer who published it, nobody named for the writer's rating."""
    if isinstance(data, LetterPublished):
        return data.reviewer
    return getattr(data, "actor", None)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
