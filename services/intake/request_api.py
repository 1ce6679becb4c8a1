"""``POST /api/v1/requests``: an application for disclosure (依申请公开) becomes one durable event.

Anyone may file online (``channel: internet``); the paper channels (in person, registered or
ordinary post, fax) are entered by a clerk. The answer carries the tracking code (查询码) once;
only its hash is recorded. Applicants' personal data go only into ``request.received`` on the
internal ``gongkai.requests`` topic, never into an answer, a log or a metric.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response

from gongkai.auth import Principal, Role
from gongkai.events import new_event
from gongkai.http import StaffAuth, requires
from gongkai.problems import FieldProblem, Problem
from gongkai.service import ServiceContext
from gongkai.tracking import new_tracking_code, tracking_code_hash
from services.intake.fields import refuse
from services.intake.forms import Resubmission
from services.intake.request_form import (
    RequestApplication,
    application_issues,
    initial_status,
    to_request_received,
)

__all__ = ["AcceptedRequest", "accept_application", "requests_router"]

_JSON_TYPES = ("application/json",)


@dataclass(frozen=True)
class AcceptedRequest:
    """The answer to a filed application: the case id, the tracking code (shown once) and the first status."""

    id: str
    tracking_code: str
    status: Literal["in_progress", "awaiting_confirmation"]

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "tracking_code": self.tracking_code, "status": self.status}


async def optional_staff(request: Request) -> Principal | None:
    """The caller's staff principal, or None when no token is sent; a token that is sent must be valid (401)."""
    if "authorization" not in request.headers:
        return None
    auth: StaffAuth = request.app.state.staff_auth
    return await auth.principal(request)


async def json_body(request: Request) -> None:
    """Applications are JSON: another media type is refused with 415 before the body is looked at."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type not in _JSON_TYPES and not (media_type.startswith("application/") and media_type.endswith("+json")):
        raise Problem(415, "不支持的媒体类型", "Send the application as application/json.", "unsupported-media-type")


async def accept_application(
    ctx: ServiceContext,
    application: RequestApplication,
    caller: Principal | None,
    again: Resubmission | None = None,
) -> AcceptedRequest:
    """Check the rules, record ``request.received`` durably and return what the filer is told.

    ``again``: the identity of a citizen's form, so that sending it twice files it once (forms.py).
    """
    today = ctx.clock.today()
    issues = application_issues(
        application, today=today, records_start_on=ctx.settings.records_start_on, staff=caller is not None
    )
    if issues:
        raise refuse(
            [FieldProblem(i.field, i.message) for i in issues], "The application does not meet 条例 Art. 29/31"
        )
    request_id = again.subject if again else uuid.uuid4().hex
    code = again.tracking_code if again else new_tracking_code()
    data = to_request_received(
        application,
        tracking_code_hash=tracking_code_hash(code),
        today=today,
        recorded_by=caller.name if caller is not None else None,
    )
    event = new_event(
        "request.received",
        subject=request_id,
        source="intake",
        data=data,
        recorded_at=ctx.clock.now(),
        event_id=again.event_id if again else None,
    )
    await ctx.bus.publish(event)  # durable before we answer; a repeat of the same event id is dropped
    return AcceptedRequest(id=request_id, tracking_code=code, status=initial_status(application.channel))


def requests_router(ctx: ServiceContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["requests"])

    @api.post(
        "/requests",
        status_code=202,
        summary="File an application for disclosure (public online; clerk for paper channels)",
        dependencies=[Depends(json_body)],
        responses={
            401: {"description": "a paper channel without a staff token, or an unknown token"},
            403: {"description": "a paper channel with a token of another role than clerk or admin"},
            415: {"description": "the body is not JSON"},
            422: {"description": "the application is incomplete or breaks a rule of Art. 29/31"},
        },
    )
    async def file_request(
        application: RequestApplication,
        request: Request,
        response: Response,
        caller: Annotated[Principal | None, Depends(optional_staff)],
    ) -> dict[str, str]:
        if application.channel != "internet":
            # Paper channels are entered by staff at the agency: 401 without a token, 403 for other roles.
            if caller is None:
                raise Problem(
                    401,
                    "需要登录",
                    "Applications on paper (in_person, registered_post, ordinary_post, fax) are entered by a clerk "
                    "with a staff token (Authorization: Bearer …); applicants file online with channel internet.",
                    "unauthenticated",
                )
            caller = await requires(Role.CLERK)(request)
        accepted = await accept_application(ctx, application, caller)
        response.headers["Location"] = f"/api/v1/requests/{accepted.id}"
        return accepted.as_json()

    return api
