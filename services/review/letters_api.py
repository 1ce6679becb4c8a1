"""Letters' HTTP surface in review: the clerk's steps, the reviewer's publication and its withdrawal, the writer's
tracking and rating.

Every command folds the letter's steps, checks the new step against the domain (``letters.apply``:
409 naming the state, 422 for bad values) before anything is recorded, publishes one event and
answers once the letters consumer has applied it (bounded wait), so the next read shows it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from gongkai.applied import Applied
from gongkai.clock import AGENCY_TZ
from gongkai.db import Database
from gongkai.events import Envelope, new_event
from gongkai.events.letters import (
    LetterAssigned,
    LetterChannel,
    LetterExtended,
    LetterFeedback,
    LetterKind,
    LetterPublished,
    LetterReplied,
    LetterTransferred,
    LetterUnpublished,
    Rating,
)
from gongkai.http import Clerk, Reviewer, Staff
from gongkai.problems import Conflict, FieldProblem, NotFound, Problem
from gongkai.service import ServiceContext
from gongkai.tracking import tracking_code_matches
from services.review import letters_store as store
from services.review import publication
from services.review.cases import Calendar
from services.review.letters import (
    CATEGORY_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    STEP_LABELS,
    InvalidStep,
    InvalidTransition,
    Letter,
    LetterStatus,
    LetterStep,
    apply,
    check_publishable,
    check_unpublishable,
    deadline,
    is_overdue,
    unpublishable,
)
from services.review.letters_handlers import rebuild
from services.review.letters_store import channel_of
from services.review.publication import UnpublishIn

__all__ = ["LetterCommands", "letters_router", "public_status", "staff_view"]

LetterId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="letter id")]
#: Public routes take any id up to 64 characters, so every wrong id gets the same 404 as a wrong code.
PublicLetterId = Annotated[str, Path(max_length=64, description="letter id")]
TrackingCode = Annotated[str, Query(max_length=64, description="the tracking code given when the letter was sent")]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]

NOT_FOUND = "No letter matches this id and tracking code."
_PUBLISHED_NS = uuid.UUID("6b1f7c8e-2d4a-4f0e-9c61-3a8d5e2f7b90")


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: date | None = Field(default=None, description="the day it happened (default: today)")
    note: str = Field(default="", max_length=2000)


class AssignIn(_Command):
    """Assign, or reassign, the letter to the department that handles it (交办)."""

    department: Text


class ExtendIn(_Command):
    """Extend the time limit once, to ``workdays`` working days from receipt in total."""

    workdays: StrictInt = Field(ge=1, le=60, description="the whole time limit after the extension (at most 10)")
    reason: Text


class TransferIn(_Command):
    """A petition (信访事项): transfer it to the petitions office, which closes it here."""

    to: Text = "信访部门"


class ReplyIn(_Command):
    """The reply; ``first_pass``: settled at the first pass (no return, no re-handling)."""

    body: LongText
    first_pass: StrictBool


class PublishIn(BaseModel):
    """The reviewer's texts for 公开信件选登, cleared of personal data."""

    model_config = ConfigDict(extra="forbid")
    title: Text
    body: LongText
    reply: LongText


def publication_event_id(event_type: str, letter_id: str, version: int) -> uuid.UUID:
    """One event per publication step and version; the first publication keeps its id (``letter.published:{id}``)."""
    first = f"letter.published:{letter_id}" if event_type == "letter.published" else None
    return publication.publication_event_id(_PUBLISHED_NS, event_type, letter_id, version, first=first)


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: Rating


def invalid(field: str, message: str) -> Problem:
    return Problem(422, "请求参数有误", message, "validation", [FieldProblem(field, message)])


def not_found() -> Problem:
    return Problem(404, "未找到", NOT_FOUND, "not-found")


class LetterCommands:
    """Loading letters and recording steps, shared by the API and the tracking page."""

    def __init__(self, ctx: ServiceContext, db: Database, applied: Applied) -> None:
        self.ctx, self.db, self.applied = ctx, db, applied

    @property
    def calendar(self) -> Calendar:
        return self.ctx.calendar.calendar

    async def load(self, letter_id: str) -> dict[str, Any]:
        row = await self.db.run(store.get_letter, letter_id)
        if row is None:
            raise NotFound("letter", letter_id)
        return row

    async def tracked(self, letter_id: str, code: str) -> dict[str, Any] | None:
        """The letter if ``code`` is its tracking code; None for every wrong id or code alike."""
        if len(letter_id) != 32:
            return None
        row = await self.db.run(store.get_letter, letter_id)
        if row is None or not tracking_code_matches(code, row["tracking_code_hash"]):
            return None
        return row

    def day(self, on: date | None) -> date:
        """The day of a step: today by default, never in the future, never before the records start."""
        today = self.ctx.clock.today()
        day = on or today
        if day > today:
            raise invalid("on", "the day of a step cannot be in the future")
        if day < self.ctx.settings.records_start_on:
            raise invalid("on", f"no record may be dated before {self.ctx.settings.records_start_on.isoformat()}")
        return day

    def check(self, letter: Letter, step: LetterStep) -> Letter:
        try:
            return apply(letter, step, self.calendar)
        except InvalidStep as exc:
            raise invalid(exc.field, str(exc)) from exc
        except InvalidTransition as exc:
            raise Conflict(str(exc), state=exc.status.value) from exc

    async def record(
        self, letter_id: str, letter: Letter, event_type: str, step: LetterStep, event_id: uuid.UUID | None = None
    ) -> Letter:
        """Check ``step``, publish it and wait until the letters consumer applied it; the letter after it."""
        after = self.check(letter, step)
        event = new_event(
            event_type,
            subject=letter_id,
            source="review",
            data=step,
            recorded_at=self.ctx.clock.now(),
            event_id=event_id,
        )
        await self.publish(event)
        return after

    async def publish(self, event: Envelope) -> None:
        self.applied.expect(event.id)
        try:
            await self.ctx.bus.publish(event)
        except BaseException:
            self.applied.forget(event.id)
            raise
        await self.applied.wait(event.id)

    async def feedback(self, letter_id: str, row: dict[str, Any], rating: Rating) -> Letter:
        step = LetterFeedback(rating=rating, on=self.ctx.clock.today())
        return await self.record(letter_id, rebuild(row), "letter.feedback", step)


def letters_router(ctx: ServiceContext, db: Database, applied: Applied) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["letters"])
    commands = LetterCommands(ctx, db, applied)

    async def step(
        letter_id: str,
        event_type: str,
        build: Callable[[Letter, date], LetterStep],
        on: date | None,
        response: Response,
    ) -> dict[str, Any]:
        """Record a clerk's step built from the letter as it stands and the step's day."""
        row = await commands.load(letter_id)
        letter = rebuild(row)
        data = build(letter, commands.day(on))
        after = await commands.record(letter_id, letter, event_type, data)
        response.headers["Location"] = f"/api/v1/letters/{letter_id}"
        due = deadline(after, commands.calendar)
        return {
            "id": letter_id,
            "event": event_type,
            "status": after.status.value,
            "due_on": _iso(due.due_on),
            "due_provisional": due.provisional,
        }

    @api.get("/letters", summary="Letters and consultations, by status, kind and deadline")
    async def list_letters(
        _: Staff,
        status: Annotated[LetterStatus | None, Query(description="'open': not yet replied or transferred")] = None,
        kind: LetterKind | None = None,
        channel: Annotated[LetterChannel | None, Query(description="来信方式: online, post, phone, …")] = None,
        overdue: bool = False,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        today = ctx.clock.today()
        filters: dict[str, Any] = {
            "status": status.value if status else None,
            "kind": kind,
            "overdue_on": today if overdue else None,
            "channel": channel,
        }
        rows = await db.run(lambda conn: store.list_letters(conn, **filters, limit=size, offset=(page - 1) * size))
        total = await db.run(lambda conn: store.count_letters(conn, **filters))
        return {"page": page, "size": size, "total": total, "items": [_summary(r, today) for r in rows]}

    @api.get("/letters/{letter_id}", summary="A letter: contact, texts, time limit, reply, rating, every step")
    async def get_letter(letter_id: LetterId, _: Staff) -> dict[str, Any]:
        row = await commands.load(letter_id)
        return staff_view(row, rebuild(row), commands.calendar, ctx.clock.today())

    @api.get("/letters/{letter_id}/status", summary="Public tracking with the tracking code; no personal data")
    async def status(letter_id: PublicLetterId, code: TrackingCode = "") -> dict[str, Any]:
        row = await commands.tracked(letter_id, code)
        if row is None:
            raise not_found()
        return public_status(row, rebuild(row), commands.calendar)

    @api.post("/letters/{letter_id}/assign", status_code=202, summary="Assign or reassign the letter to a department")
    async def assign(letter_id: LetterId, command: AssignIn, clerk: Clerk, response: Response) -> dict[str, Any]:
        def build(letter: Letter, on: date) -> LetterStep:
            return LetterAssigned(on=on, actor=clerk.name, note=command.note, department=command.department)

        return await step(letter_id, "letter.assigned", build, command.on, response)

    @api.post(
        "/letters/{letter_id}/extend", status_code=202, summary="Extend the time limit once (at most 10 working days)"
    )
    async def extend(letter_id: LetterId, command: ExtendIn, clerk: Clerk, response: Response) -> dict[str, Any]:
        def build(letter: Letter, on: date) -> LetterStep:
            return LetterExtended(
                on=on, actor=clerk.name, note=command.note, workdays=command.workdays, reason=command.reason
            )

        return await step(letter_id, "letter.extended", build, command.on, response)

    @api.post("/letters/{letter_id}/transfer", status_code=202, summary="Transfer a petition to the petitions office")
    async def transfer(letter_id: LetterId, command: TransferIn, clerk: Clerk, response: Response) -> dict[str, Any]:
        def build(letter: Letter, on: date) -> LetterStep:
            return LetterTransferred(on=on, actor=clerk.name, note=command.note, to=command.to)

        return await step(letter_id, "letter.transferred", build, command.on, response)

    @api.post("/letters/{letter_id}/reply", status_code=202, summary="Record the reply")
    async def reply(letter_id: LetterId, command: ReplyIn, clerk: Clerk, response: Response) -> dict[str, Any]:
        def build(letter: Letter, on: date) -> LetterStep:
            due = deadline(letter, commands.calendar).due_on
            return LetterReplied(
                on=on,
                actor=clerk.name,
                note=command.note,
                body=command.body,
                first_pass=command.first_pass,
                due_on=due,
                on_time=due is None or on <= due,
            )

        return await step(letter_id, "letter.replied", build, command.on, response)

    @api.post(
        "/letters/{letter_id}/publish",
        status_code=202,
        summary="Publish a replied letter (公开信件选登) with texts cleared of personal data",
    )
    async def publish(
        letter_id: LetterId, command: PublishIn, reviewer: Reviewer, response: Response
    ) -> dict[str, Any]:
        row = await commands.load(letter_id)
        letter = rebuild(row)
        try:
            version = check_publishable(letter)
        except InvalidTransition as exc:
            raise Conflict(str(exc), state=exc.status.value) from exc
        texts = {"title": command.title, "body": command.body, "reply": command.reply}
        problems = unpublishable(texts, row["contact"])
        if problems:
            raise Problem(
                422,
                "公开文本仍含个人信息",
                "The texts still contain personal data or secrecy markings; remove them before publishing.",
                "personal-data",
                [FieldProblem(name, message) for name, message in problems],
            )
        assert letter.replied_on is not None
        data = LetterPublished(
            kind=letter.kind,
            category=letter.category,
            title=command.title,
            body=command.body,
            reply=command.reply,
            received_on=letter.received_on,
            replied_on=letter.replied_on,
            published_at=ctx.clock.now(),
            reviewer=reviewer.name,
            version=version,
        )
        # One event per version: a second publish (another reviewer at once) repeats this id and is dropped.
        event_id = publication_event_id("letter.published", letter_id, version)
        await commands.record(letter_id, letter, "letter.published", data, event_id=event_id)
        response.headers["Location"] = f"/api/v1/letters/{letter_id}"
        return {"id": letter_id, "event": "letter.published", "published": True, "version": version}

    @api.post(
        "/letters/{letter_id}/unpublish",
        status_code=202,
        summary="Take a published letter down (撤下公开), with a reason; it may be published again later",
    )
    async def unpublish(
        letter_id: LetterId, command: UnpublishIn, reviewer: Reviewer, response: Response
    ) -> dict[str, Any]:
        row = await commands.load(letter_id)
        letter = rebuild(row)
        try:
            version = check_unpublishable(letter)
        except InvalidTransition as exc:
            raise Conflict(str(exc), state=exc.status.value) from exc
        data = LetterUnpublished(on=commands.day(None), actor=reviewer.name, reason=command.reason, version=version)
        event_id = publication_event_id("letter.unpublished", letter_id, version)
        await commands.record(letter_id, letter, "letter.unpublished", data, event_id=event_id)
        response.headers["Location"] = f"/api/v1/letters/{letter_id}"
        return {"id": letter_id, "event": "letter.unpublished", "published": False, "version": version}

    @api.post("/letters/{letter_id}/feedback", status_code=202, summary="The writer rates the reply, once")
    async def feedback(letter_id: PublicLetterId, command: FeedbackIn, code: TrackingCode = "") -> dict[str, Any]:
        row = await commands.tracked(letter_id, code)
        if row is None:
            raise not_found()
        after = await commands.feedback(letter_id, row, command.rating)
        return {"id": letter_id, "event": "letter.feedback", "feedback": after.feedback}

    return api


def staff_view(row: dict[str, Any], letter: Letter, calendar: Calendar, today: date) -> dict[str, Any]:
    """Everything about a letter, for staff: the writer's contact and the clerk's note included.

    ``channel`` is None for a letter a clerk entered before channels were recorded.
    """
    due = deadline(letter, calendar)
    return {
        "id": row["id"],
        "kind": letter.kind,
        "category": letter.category,
        "status": letter.status.value,
        "received_on": letter.received_on.isoformat(),
        "due_on": _iso(due.due_on),
        "due_provisional": due.provisional,
        "overdue": is_overdue(letter, due, today),
        "workdays": letter.period,
        "extended": letter.extended_to is not None,
        "extension_reason": letter.extension_reason,
        "addressed_to": row["addressed_to"],
        "department": letter.department,
        "contact": row["contact"],
        "title": row["title"],
        "body": row["body"],
        "reply": letter.reply,
        "replied_on": _iso(letter.replied_on),
        "first_pass": letter.first_pass,
        "on_time": letter.on_time,
        "transferred_on": _iso(letter.transferred_on),
        "feedback": letter.feedback,
        "feedback_on": _iso(letter.feedback_on),
        "published": letter.published,
        "publication_version": letter.publication_version,
        "withdrawn": letter.withdrawn,
        "withdrawn_on": _iso(letter.withdrawn_on) if letter.withdrawn else None,
        "withdrawal_reason": letter.withdrawal_reason if letter.withdrawn else None,
        "channel": channel_of(row),
        "note": row["steps"][0]["data"].get("note", "") if row["steps"] else "",
        "recorded_by": row["recorded_by"],
        "submitted_at": row["submitted_at"],
        "history": [_history_entry(e) for e in row["history"]],
    }


def public_status(row: dict[str, Any], letter: Letter, calendar: Calendar) -> dict[str, Any]:
    """What the writer sees with the tracking code: no contact, no staff names, no notes, no departments,
    no reasons (a withdrawal shows as its step's label and day only)."""
    due = deadline(letter, calendar)
    return {
        "id": row["id"],
        "kind": letter.kind,
        "kind_label": KIND_LABELS[letter.kind],
        "category": letter.category,
        "category_label": CATEGORY_LABELS[letter.category],
        "status": letter.status.value,
        "status_label": STATUS_LABELS[letter.status.value],
        "received_on": letter.received_on.isoformat(),
        "due_on": _iso(due.due_on),
        "due_provisional": due.provisional,
        "replied_on": _iso(letter.replied_on),
        "transferred_on": _iso(letter.transferred_on),
        "reply": letter.reply,
        "feedback_given": letter.feedback is not None,
        "history": [{"on": _step_day(e), "step": e["type"], "label": STEP_LABELS[e["type"]]} for e in row["steps"]],
    }


def _summary(row: dict[str, Any], today: date) -> dict[str, Any]:
    keys = ("id", "kind", "category", "status", "title", "received_on", "due_on", "due_provisional", "department")
    overdue = row["status"] in ("open", "assigned") and bool(row["due_on"] and row["due_on"] < today.isoformat())
    return {k: row[k] for k in keys} | {"replied_on": row["replied_on"], "overdue": overdue, "channel": channel_of(row)}


_COMMON = frozenset({"on", "actor", "note"})


def _history_entry(entry: dict[str, Any]) -> dict[str, Any]:
    data = entry["data"]
    return {
        "step": entry["type"],
        "label": STEP_LABELS.get(entry["type"], entry["type"]),
        "on": _step_day(entry),
        "recorded_at": entry["at"],
        "actor": entry.get("actor"),
        "note": data.get("note", ""),
        "details": {k: v for k, v in data.items() if k not in _COMMON},
        "ignored": entry.get("ignored"),
    }


def _step_day(entry: dict[str, Any]) -> str:
    data = entry["data"]
    day = data.get("on") or data.get("received_on") or data.get("detected_on")
    if entry["type"] == "letter.published" or not day:
        return datetime.fromisoformat(entry["at"]).astimezone(AGENCY_TZ).date().isoformat()
    return str(day)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
