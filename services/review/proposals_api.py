"""Proposals' HTTP surface in review: the clerk's handling steps, publication of replies, the staff views.

Each command folds the proposal's steps, asks the pure domain (``proposals.py``) whether the step
is allowed (409 naming the state) and well-formed (422) before anything is recorded, publishes
one event and answers 202 once the proposals consumer has applied it (bounded wait), so the
clerk's next read shows it. A publication goes to the public topic with an id derived from the
proposal and its version (a retry emits the same event) and is applied to the store here at once, under
the consumer's name, so "once per reply" holds whether or not the consumer reads that topic. A take-down
(撤下公开) is recorded like a clerk's step, on the proposals topic with the reason; the proposals consumer
answers it on the public topic (``proposals_handlers.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from gongkai.applied import Applied
from gongkai.db import Database
from gongkai.drafts import MAX_BODY_CHARS
from gongkai.events import Envelope, new_event
from gongkai.events.base import EventData
from gongkai.events.letters import (
    ProposalCoOpinion,
    ProposalExtended,
    ProposalFeedback,
    ProposalKind,
    ProposalReplyUnpublished,
    Rating,
)
from gongkai.http import Clerk, Publisher, Staff
from gongkai.problems import Conflict, FieldProblem, NotFound, Problem
from gongkai.service import ServiceContext
from gongkai.settings import Settings
from gongkai.text import clean_text
from services.review import proposals_store as store
from services.review.proposals import (
    EVENT_TYPES,
    KIND_LABELS,
    MAX_EXTENDED_MONTHS,
    MIN_EXTENDED_MONTHS,
    RATING_LABELS,
    STATUS_LABELS,
    InvalidStep,
    InvalidTransition,
    Proposal,
    ProposalStatus,
    apply,
    check_on,
    check_unpublishable,
    co_unit_statuses,
    is_overdue,
    publication,
    reply_step,
)
from services.review.proposals_handlers import PROPOSALS_GROUP, effect_for, rebuild
from services.review.publication import UnpublishIn, publication_event_id

__all__ = ["proposals_router", "result_classes"]

ProposalId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="proposal id")]
_PUBLISHED_NS = uuid.UUID("5b0f9f5e-2f1d-4d8e-9c55-3f6a1b7e2c40")


def _has_text(value: str) -> str:
    cleaned = clean_text(value)
    if not cleaned:
        raise ValueError("the text is empty once control characters and blanks are removed")
    return cleaned


Unit = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_has_text)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500), AfterValidator(_has_text)]
ReplyBody = Annotated[str, StringConstraints(min_length=1, max_length=MAX_BODY_CHARS), AfterValidator(_has_text)]


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: date | None = Field(default=None, description="the day it happened (default: today)")
    note: str = Field(default="", max_length=2000)


class CoOpinionIn(_Step):
    """A co-handling unit (协办单位) gave its opinion to the lead unit."""

    unit: Unit = Field(description="one of the proposal's co_units")


class ExtendIn(_Step):
    """Wide-ranging, difficult: the reply is due ``months`` months after assignment instead of 3 (once)."""

    months: int = Field(ge=MIN_EXTENDED_MONTHS, le=MAX_EXTENDED_MONTHS)
    reason: Reason


class ReplyIn(_Step):
    """The handling reply (答复/复文) with its result class (A–D by default)."""

    result_class: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8)]
    body: ReplyBody


class FeedbackIn(_Step):
    """The proposer's assessment of the reply (满意 · 基本满意 · 不满意), once per reply."""

    rating: Rating


def result_classes(settings: Settings) -> Mapping[str, str]:
    """The jurisdiction's reply classes (``GONGKAI_PROPOSAL_RESULT_CLASSES``, A–D by default)."""
    return dict(settings.proposal_result_classes)


def invalid(field: str, message: str) -> Problem:
    return Problem(422, "请求参数有误", message, "validation", [FieldProblem(field, message)])


def proposals_router(ctx: ServiceContext, db: Database, applied: Applied) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["proposals"])
    classes = result_classes(ctx.settings)

    async def load(proposal_id: str) -> dict[str, Any]:
        row = await db.run(store.get_proposal, proposal_id)
        if row is None:
            raise NotFound("proposal", proposal_id)
        return row

    def day_of(command: _Step) -> date:
        on = command.on or ctx.clock.today()
        try:
            check_on(on, today=ctx.clock.today(), records_start_on=ctx.settings.records_start_on)
        except InvalidStep as exc:
            raise invalid(exc.field, str(exc)) from exc
        return on

    async def record(
        proposal_id: str,
        proposal: Proposal,
        action: str,
        build: Callable[[], EventData],
        response: Response,
        event_id: uuid.UUID | None = None,
    ) -> dict[str, Any]:
        """Check ``build()``'s step against the domain, publish it, wait until it is applied."""
        try:
            data = build()
            after = apply(proposal, data, result_classes=classes)
        except InvalidTransition as exc:
            raise Conflict(str(exc), state=exc.status.value) from exc
        except InvalidStep as exc:
            raise invalid(exc.field, str(exc)) from exc
        event_type = EVENT_TYPES[type(data)]
        event = new_event(
            event_type, subject=proposal_id, source="review", data=data, recorded_at=ctx.clock.now(), event_id=event_id
        )
        applied.expect(event.id)
        try:
            await ctx.bus.publish(event)
        except BaseException:
            applied.forget(event.id)
            raise
        await applied.wait(event.id)
        response.headers["Location"] = f"/api/v1/proposals/{proposal_id}"
        return {
            "id": proposal_id,
            "action": action,
            "event": event_type,
            "status": after.status.value,
            "due_on": after.due_on.isoformat(),
        }

    @api.post("/proposals/{proposal_id}/co-opinion", status_code=202, summary="Record a co-handling unit's opinion")
    async def co_opinion(
        proposal_id: ProposalId, command: CoOpinionIn, clerk: Clerk, response: Response
    ) -> dict[str, Any]:
        proposal = rebuild(await load(proposal_id))
        on = day_of(command)

        def step() -> ProposalCoOpinion:
            return ProposalCoOpinion(on=on, actor=clerk.name, note=command.note, unit=command.unit)

        return await record(proposal_id, proposal, "co_opinion", step, response)

    @api.post("/proposals/{proposal_id}/extend", status_code=202, summary="Extend the reply period once (4–6 months)")
    async def extend(proposal_id: ProposalId, command: ExtendIn, clerk: Clerk, response: Response) -> dict[str, Any]:
        proposal = rebuild(await load(proposal_id))
        on = day_of(command)

        def step() -> ProposalExtended:
            return ProposalExtended(
                on=on, actor=clerk.name, note=command.note, months=command.months, reason=command.reason
            )

        return await record(proposal_id, proposal, "extend", step, response)

    @api.post("/proposals/{proposal_id}/reply", status_code=202, summary="Record the reply, with its result class")
    async def reply(proposal_id: ProposalId, command: ReplyIn, clerk: Clerk, response: Response) -> dict[str, Any]:
        proposal = rebuild(await load(proposal_id))
        on = day_of(command)

        def step() -> EventData:
            return reply_step(
                proposal,
                on=on,
                actor=clerk.name,
                result_class=command.result_class,
                body=command.body,
                note=command.note,
            )

        return await record(proposal_id, proposal, "reply", step, response)

    @api.post("/proposals/{proposal_id}/feedback", status_code=202, summary="Record the proposer's assessment")
    async def feedback(
        proposal_id: ProposalId, command: FeedbackIn, clerk: Clerk, response: Response
    ) -> dict[str, Any]:
        proposal = rebuild(await load(proposal_id))
        on = day_of(command)

        def step() -> ProposalFeedback:
            return ProposalFeedback(on=on, actor=clerk.name, note=command.note, rating=command.rating)

        return await record(proposal_id, proposal, "feedback", step, response)

    @api.post("/proposals/{proposal_id}/publish", status_code=202, summary="Make the latest reply public (once)")
    async def publish(proposal_id: ProposalId, publisher: Publisher, response: Response) -> dict[str, Any]:
        proposal = rebuild(await load(proposal_id))
        try:
            data = publication(proposal, published_at=ctx.clock.now(), publisher=publisher.name)
            after = apply(proposal, data)
        except InvalidTransition as exc:
            raise Conflict(str(exc), state=exc.status.value) from exc
        # Derived from the proposal and the version (the first publication keeps its key from before versions,
        # the reply's number): a retry after a crash, or a second publisher at once, emits the same event.
        event_id = publication_event_id(
            _PUBLISHED_NS,
            "proposal.reply_published",
            proposal_id,
            data.version,
            first=f"{proposal_id}:{len(proposal.replies)}",
        )
        event = new_event(
            "proposal.reply_published",
            subject=proposal_id,
            source="review",
            data=data,
            event_id=event_id,
            recorded_at=ctx.clock.now(),
        )
        await ctx.bus.publish(event)
        await _apply_here(db, event)
        response.headers["Location"] = f"/api/v1/proposals/{proposal_id}"
        return {
            "id": proposal_id,
            "action": "publish",
            "event": event.type,
            "status": after.status.value,
            "replied_on": data.replied_on.isoformat(),
            "version": data.version,
        }

    @api.post(
        "/proposals/{proposal_id}/unpublish",
        status_code=202,
        summary="Take the public reply down (撤下公开), with a reason; the latest reply may be published again",
    )
    async def unpublish(
        proposal_id: ProposalId, command: UnpublishIn, publisher: Publisher, response: Response
    ) -> dict[str, Any]:
        proposal = rebuild(await load(proposal_id))
        try:
            version = check_unpublishable(proposal)
        except InvalidTransition as exc:
            raise Conflict(str(exc), state=exc.status.value) from exc

        def step() -> ProposalReplyUnpublished:
            today = ctx.clock.today()
            return ProposalReplyUnpublished(on=today, actor=publisher.name, reason=command.reason, version=version)

        event_id = publication_event_id(_PUBLISHED_NS, "proposal.reply_unpublished", proposal_id, version)
        answer = await record(proposal_id, proposal, "unpublish", step, response, event_id=event_id)
        return answer | {"published": False, "version": version}

    @api.get("/proposals/{proposal_id}", summary="A suggestion or proposal: dates, units, replies, every step")
    async def get_proposal(proposal_id: ProposalId, _: Staff) -> dict[str, Any]:
        row = await load(proposal_id)
        return staff_view(row, rebuild(row), ctx.clock.today(), classes)

    @api.get("/proposals", summary="Suggestions and proposals, by status, kind and overdue, soonest due first")
    async def list_proposals(
        _: Staff,
        status: ProposalStatus | None = None,
        kind: ProposalKind | None = None,
        overdue: bool = False,
        reply_published: Annotated[
            bool | None,
            Query(description="false: the latest reply is not yet public (the publisher's work); true: it is"),
        ] = None,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        today = ctx.clock.today()
        filters: dict[str, Any] = {
            "status": status.value if status else None,
            "kind": kind,
            "overdue_on": today if overdue else None,
            "reply_published": reply_published,
        }
        rows = await db.run(lambda conn: store.list_proposals(conn, **filters, limit=size, offset=(page - 1) * size))
        total = await db.run(lambda conn: store.count_proposals(conn, **filters))
        return {"page": page, "size": size, "total": total, "items": [_summary(r, today) for r in rows]}

    return api


async def _apply_here(db: Database, event: Envelope) -> None:
    """Apply a public-topic event to the store now, under the consumer's name (it is then dropped as seen)."""
    effect = effect_for(event)
    assert effect is not None
    await db.apply_once(PROPOSALS_GROUP, event, effect)


def staff_view(row: dict[str, Any], proposal: Proposal, today: date, classes: Mapping[str, str]) -> dict[str, Any]:
    """Everything about a proposal, for staff. ``published``: one of its replies is on the portal now (each
    reply's ``published``: it was made public and not taken down since); ``withdrawn``: taken down since."""
    co_units = co_unit_statuses(proposal, today)
    return {
        "id": row["id"],
        "kind": proposal.kind,
        "kind_label": KIND_LABELS[proposal.kind],
        "number": proposal.number,
        "title": proposal.title,
        "proposer": proposal.proposer,
        "session": proposal.session,
        "status": proposal.status.value,
        "status_label": STATUS_LABELS[proposal.status.value],
        "assigned_on": proposal.assigned_on.isoformat(),
        "due_on": proposal.due_on.isoformat(),
        "overdue": is_overdue(proposal, today),
        "extension": (
            {"months": e.months, "reason": e.reason, "on": e.on.isoformat()}
            if (e := proposal.extension) is not None
            else None
        ),
        "lead_unit": proposal.lead_unit,
        "co_units": list(proposal.co_units),
        "co_opinion_due_on": proposal.co_opinion_due.isoformat(),
        "co_opinions": [
            {"unit": c.unit, "due_on": c.due_on.isoformat(), "given_on": _iso(c.given_on), "late": c.late}
            for c in co_units
        ],
        "late_co_units": [c.unit for c in co_units if c.late],
        "result_class": proposal.result_class,
        "result_label": classes.get(proposal.result_class) if proposal.result_class else None,
        "rating": proposal.rating,
        "rating_label": RATING_LABELS.get(proposal.rating or ""),
        "rehandling": proposal.rehandling,
        "rehandling_due_on": _iso(proposal.rehandling_due),
        "replies": [
            {
                "round": n,
                "on": r.on.isoformat(),
                "result_class": r.result_class,
                "body": r.body,
                "rehandling": r.rehandling,
                "due_on": r.due_on.isoformat(),
                "on_time": r.on_time,
                "published": r.published,
            }
            for n, r in enumerate(proposal.replies, start=1)
        ],
        "feedbacks": [{"on": f.on.isoformat(), "rating": f.rating} for f in proposal.feedbacks],
        "published": proposal.published,
        "publication_version": proposal.publication_version,
        "withdrawn": proposal.withdrawn,
        "withdrawn_on": _iso(proposal.withdrawn_on),
        "withdrawal_reason": proposal.withdrawal_reason,
        "closed_on": _iso(proposal.closed_on),
        "duplicate_of": row["duplicate_of"],
        "recorded_by": row["recorded_by"],
        "history": [_history_entry(e) for e in row["history"]],
    }


_SUMMARY = ("id", "kind", "number", "title", "proposer", "status", "assigned_on", "due_on", "lead_unit")


def _summary(row: dict[str, Any], today: date) -> dict[str, Any]:
    overdue = row["status"] in ("assigned", "rehandling") and row["due_on"] < today.isoformat()
    return {k: row[k] for k in _SUMMARY} | {
        "result_class": row["result_class"],
        "rating": row["rating"],
        "rehandling": row["rehandling"],
        "duplicate_of": row["duplicate_of"],
        "overdue": overdue,
    }


_COMMON = frozenset({"on", "actor", "note"})


def _history_entry(entry: dict[str, Any]) -> dict[str, Any]:
    data = entry["data"]
    return {
        "step": entry["type"],
        "on": data.get("on") or data.get("assigned_on") or data.get("detected_on"),
        "recorded_at": entry["at"],
        "actor": entry.get("actor"),
        "note": data.get("note", ""),
        "details": {k: v for k, v in data.items() if k not in _COMMON},
        "ignored": entry.get("ignored"),
        "warning": entry.get("warning"),
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
