"""Requests' HTTP surface in review: the case list and file, the clerk's actions, public tracking."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response
from fastapi.responses import HTMLResponse

from gongkai.applied import Applied
from gongkai.db import Database
from gongkai.events import new_event
from gongkai.events.requests import CHANNELS
from gongkai.http import Clerk, Staff
from gongkai.problems import Conflict, FieldProblem, NotFound, Problem
from gongkai.service import ServiceContext
from gongkai.tracking import tracking_code_matches
from services.review import appeals_store
from services.review import request_store as store
from services.review.case_view import case_file_html, public_status, staff_view
from services.review.cases import CaseStatus, InvalidStep, InvalidTransition, Rules, apply, deadline
from services.review.request_actions import Action, ActionContext, NoFeeDue, to_step
from services.review.request_handlers import rebuild

__all__ = ["requests_router"]

RequestId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="request id")]
#: Far more than one application ever draws; the case file lists them all up to this.
_MAX_APPEALS_IN_FILE = 500


def invalid(field: str, message: str) -> Problem:
    return Problem(422, "请求参数有误", message, "validation", [FieldProblem(field, message)])


def requests_router(ctx: ServiceContext, db: Database, rules: Rules, applied: Applied) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["requests"])

    async def load(request_id: str) -> dict[str, Any]:
        row = await db.run(store.get_request, request_id)
        if row is None:
            raise NotFound("request", request_id)
        return row

    @api.get("/requests", summary="Disclosure requests, by status, channel and deadline")
    async def list_requests(
        _: Staff,
        status: CaseStatus | None = None,
        channel: Annotated[str | None, Query(pattern="^(" + "|".join(CHANNELS) + ")$")] = None,
        overdue: bool = False,
        due_within_days: Annotated[int | None, Query(ge=0, le=366, description="calendar days from today")] = None,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        from datetime import timedelta

        today = ctx.clock.today()
        rows = await db.run(
            lambda conn: store.list_requests(
                conn,
                status=status.value if status else None,
                channel=channel,
                overdue_on=today if overdue else None,
                due_by=today + timedelta(days=due_within_days) if due_within_days is not None else None,
                limit=size,
                offset=(page - 1) * size,
            )
        )
        return {"page": page, "size": size, "items": [_summary(r, today) for r in rows]}

    @api.get("/requests/deadlines", summary="What waits: unconfirmed, due today, due this week, overdue, provisional")
    async def deadlines(_: Staff) -> dict[str, Any]:
        """The counts of the 工作台 in one query (the list's ``overdue`` and ``due_on``, open cases only)."""
        from datetime import timedelta

        today = ctx.clock.today()
        week_end = today + timedelta(days=6 - today.weekday())  # this week's Sunday
        counts = await db.run(store.deadline_counts, today, week_end)
        return {"today": today.isoformat(), "week_ends_on": week_end.isoformat(), **counts}

    @api.get("/requests/{request_id}", summary="A case: applicant, dates, deadline, every step")
    async def get_request(request_id: RequestId, _: Staff) -> dict[str, Any]:
        row = await load(request_id)
        return staff_view(row, rebuild(row, ctx.calendar.calendar, rules), ctx.calendar.calendar, rules, ctx.clock)

    @api.get(
        "/requests/{request_id}/file",
        response_class=HTMLResponse,
        summary="The printable case file (案卷)",
    )
    async def case_file(request_id: RequestId, _: Staff) -> HTMLResponse:
        row = await load(request_id)
        case = rebuild(row, ctx.calendar.calendar, rules)
        appeals = await db.run(
            lambda conn: appeals_store.list_appeals(
                conn, request_id=request_id, status=None, limit=_MAX_APPEALS_IN_FILE, offset=0
            )
        )
        return HTMLResponse(case_file_html(row, case, ctx.calendar.calendar, rules, ctx.clock, appeals=appeals))

    @api.get("/requests/{request_id}/status", summary="Public tracking with the tracking code; no personal data")
    async def status(
        request_id: Annotated[str, Path(max_length=64)],
        code: Annotated[str, Query(max_length=64)] = "",
    ) -> dict[str, Any]:
        row = await db.run(store.get_request, request_id) if len(request_id) == 32 else None
        if row is None or not tracking_code_matches(code, row["tracking_code_hash"]):
            raise Problem(404, "未找到", "No application matches this id and tracking code.", "not-found")
        return public_status(row, rebuild(row, ctx.calendar.calendar, rules), ctx.calendar.calendar, rules)

    @api.post("/requests/{request_id}/actions", status_code=202, summary="Record a step of the workflow")
    async def act(
        request_id: RequestId, action: Annotated[Action, Body()], clerk: Clerk, response: Response
    ) -> dict[str, Any]:
        row = await load(request_id)
        calendar = ctx.calendar.calendar
        case = rebuild(row, calendar, rules)
        today = ctx.clock.today()
        on = action.on or today
        if on > today:
            raise invalid("on", "the day of a step cannot be in the future")
        if on < ctx.settings.records_start_on:
            raise invalid("on", f"no record may be dated before {ctx.settings.records_start_on.isoformat()}")
        ordinal = 1
        if action.action == "fee_notice" and case.received_on is not None:
            received_on = case.received_on
            ordinal = await db.run(
                lambda conn: store.monthly_ordinal(conn, row["applicant_key"], request_id, received_on)
            )
        step_ctx = ActionContext(
            on=on,
            actor=clerk.name,
            calendar=calendar,
            rules=rules,
            channel=row["channel"],
            applicant_kind=row["applicant_kind"],
            org_type=row["org_type"],
            monthly_ordinal=ordinal,
        )
        try:
            event_type, data = to_step(action, case, step_ctx)
            after = apply(case, data, calendar, rules)  # type: ignore[arg-type]
        except NoFeeDue as exc:
            raise invalid("basis", str(exc)) from exc
        except InvalidStep as exc:
            raise invalid(exc.field, str(exc)) from exc
        except InvalidTransition as exc:
            raise Conflict(str(exc), state=exc.status.value) from exc
        event = new_event(event_type, subject=request_id, source="review", data=data, recorded_at=ctx.clock.now())
        applied.expect(event.id)
        try:
            await ctx.bus.publish(event)
        except BaseException:
            applied.forget(event.id)
            raise
        await applied.wait(event.id)
        due = deadline(after, calendar, rules)
        response.headers["Location"] = f"/api/v1/requests/{request_id}"
        return {
            "id": request_id,
            "action": action.action,
            "event": event_type,
            "status": after.status.value,
            "due_on": due.due_on.isoformat() if due.due_on else None,
            "paused": due.paused,
        }

    return api


def _summary(row: dict[str, Any], today: Any) -> dict[str, Any]:
    keys = ("id", "status", "channel", "received_on", "due_on", "paused", "due_provisional", "outcome", "closed_on")
    overdue = row["status"] in ("in_progress", "consulting", "awaiting_payment") and bool(
        row["due_on"] and row["due_on"] < today.isoformat()
    )
    return {k: row[k] for k in keys} | {"applicant_name": row["applicant"]["name"], "overdue": overdue}
