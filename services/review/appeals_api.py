"""Appeals' HTTP surface: clerks record 行政复议 and 行政诉讼 filings and their results (维持, 纠正, 其他).

Commands validate against the current state, publish the event and answer 202 once the appeals
consumer has applied it (bounded wait), so a result posted right after its filing is accepted.
A filing may name the reconsideration body or court (``authority``) and the case number
(``case_number``): staff data, like the note, never part of what the public sees.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from gongkai.applied import Applied
from gongkai.db import Database
from gongkai.events import AppealDecided, AppealFiled, Envelope, new_event
from gongkai.events.requests import AppealKind, AppealResult
from gongkai.http import Clerk, Staff
from gongkai.problems import Conflict, FieldProblem, NotFound, Problem
from gongkai.service import ServiceContext
from gongkai.text import clean_text
from services.review import appeals_store as store
from services.review.appeals import AppealStatus, InvalidDate, check_decided_on, check_filed_on

__all__ = ["appeals_router"]

AppealId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="appeal id")]
RequestRef = Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]{1,64}$", description="the disclosure request appealed")]
MAX_AUTHORITY = 100
MAX_CASE_NUMBER = 60
#: Raw text may carry blanks that cleaning removes; beyond this much it is refused unread (as intake does).
_RAW_FACTOR = 4
#: Control characters (tab and newline among them) and line or paragraph separators: a name or a number
#: is one line, and such a character in it is a mistake to show, not debris to drop silently.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(limit: int) -> AfterValidator:
    """Optional one-line staff text: refused with control characters or line breaks, else cleaned
    (``clean_text``: full-width letters and digits, stray spaces, invisible characters) and capped;
    blank counts as not given."""

    def check(value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) > limit * _RAW_FACTOR:
            raise PydanticCustomError("too_long", "at most {limit} characters", {"limit": limit})
        if _CONTROL.search(value):
            raise PydanticCustomError("control_characters", "must not contain control characters or line breaks")
        text = clean_text(value)
        if len(text) > limit:
            raise PydanticCustomError("too_long", "at most {limit} characters", {"limit": limit})
        return text or None

    return AfterValidator(check)


Authority = Annotated[
    str | None,
    _one_line(MAX_AUTHORITY),
    Field(description="复议机关 or 审理法院 (at most 100 characters); staff only"),
]
CaseNumber = Annotated[
    str | None,
    _one_line(MAX_CASE_NUMBER),
    Field(description="案号, e.g. （2026）浙0106行初123号 (at most 60 characters); staff only"),
]


class FileAppeal(BaseModel):
    """A filing: 行政复议 (``reconsideration``) or 行政诉讼, directly or after reconsideration."""

    model_config = ConfigDict(extra="forbid")
    kind: AppealKind
    request_id: RequestRef | None = None
    filed_on: date = Field(description="the day it was filed (YYYY-MM-DD)")
    note: str = Field(default="", max_length=2000)
    authority: Authority = None
    case_number: CaseNumber = None


class DecideAppeal(BaseModel):
    """The result: 维持 (``upheld``), 纠正 (``corrected``) or 其他 (``other``), and the day it came."""

    model_config = ConfigDict(extra="forbid")
    result: AppealResult
    on: date = Field(description="the day of the decision or judgment (YYYY-MM-DD)")
    note: str = Field(default="", max_length=2000)


def appeals_router(ctx: ServiceContext, db: Database, applied: Applied) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["appeals"])

    async def publish(event: Envelope) -> None:
        applied.expect(event.id)
        try:
            await ctx.bus.publish(event)
        except BaseException:
            applied.forget(event.id)
            raise
        await applied.wait(event.id)

    @api.post("/appeals", status_code=202, summary="Record a 行政复议 or 行政诉讼 about a disclosure decision")
    async def file_appeal(command: FileAppeal, clerk: Clerk, response: Response) -> dict[str, str]:
        received_on = await _received_on(db, command.request_id)
        try:
            check_filed_on(
                command.filed_on,
                today=ctx.clock.today(),
                records_start_on=ctx.settings.records_start_on,
                received_on=received_on,
            )
        except InvalidDate as exc:
            raise _invalid(exc) from exc
        data = AppealFiled(**command.model_dump(), actor=clerk.name)
        appeal_id = uuid.uuid4().hex
        event = new_event("appeal.filed", subject=appeal_id, source="review", data=data, recorded_at=ctx.clock.now())
        await publish(event)
        response.headers["Location"] = f"/api/v1/appeals/{appeal_id}"
        return {"id": appeal_id}

    @api.post("/appeals/{appeal_id}/result", status_code=202, summary="Record the result of an appeal")
    async def decide_appeal(
        appeal_id: AppealId, command: DecideAppeal, clerk: Clerk, response: Response
    ) -> dict[str, str]:
        row = await _load(db, appeal_id)
        if row["status"] != AppealStatus.PENDING:
            raise Conflict(f"appeal {appeal_id} already has a result ({row['result']})", state=row["status"])
        filed_on = date.fromisoformat(row["filed_on"])
        try:
            check_decided_on(command.on, filed_on=filed_on, today=ctx.clock.today())
        except InvalidDate as exc:
            raise _invalid(exc) from exc
        data = AppealDecided(**command.model_dump(), actor=clerk.name, kind=row["kind"], filed_on=filed_on)
        await publish(
            new_event("appeal.decided", subject=appeal_id, source="review", data=data, recorded_at=ctx.clock.now())
        )
        response.headers["Location"] = f"/api/v1/appeals/{appeal_id}"
        return {"id": appeal_id, "result": command.result}

    @api.get("/appeals/{appeal_id}", summary="An appeal: kind, linked request, status, result, history")
    async def get_appeal(appeal_id: AppealId, _: Staff) -> dict[str, Any]:
        return _view(await _load(db, appeal_id), history=True)

    @api.get("/appeals", summary="Appeals, optionally of one disclosure request or in one status")
    async def list_appeals(
        _: Staff,
        request_id: Annotated[str | None, Query(pattern=r"^[0-9A-Za-z_-]{1,64}$")] = None,
        status: AppealStatus | None = None,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        state = status.value if status else None
        rows = await db.run(
            lambda conn: store.list_appeals(
                conn, request_id=request_id, status=state, limit=size, offset=(page - 1) * size
            )
        )
        total = await db.run(lambda conn: store.count_appeals(conn, request_id=request_id, status=state))
        return {"page": page, "size": size, "total": total, "items": [_view(r, history=False) for r in rows]}

    return api


def _invalid(exc: InvalidDate) -> Problem:
    return Problem(422, "请求参数有误", str(exc), "validation", [FieldProblem(exc.field, str(exc))])


async def _received_on(db: Database, request_id: str | None) -> date | None:
    """The linked case's receipt day; 404 when no such disclosure request exists."""
    if request_id is None:
        return None
    found, received_on = await db.run(store.request_received_on, request_id)
    if not found:
        raise NotFound("request", request_id)
    return received_on


async def _load(db: Database, appeal_id: str) -> dict[str, Any]:
    row = await db.run(store.get_appeal, appeal_id)
    if row is None:
        raise NotFound("appeal", appeal_id)
    return row


_FIELDS = ("id", "kind", "request_id", "status", "filed_on", "result", "decided_on", "note", "authority", "case_number")


def _view(row: dict[str, Any], *, history: bool) -> dict[str, Any]:
    view = {k: row[k] for k in _FIELDS}
    return view | {"history": row["history"]} if history else view
