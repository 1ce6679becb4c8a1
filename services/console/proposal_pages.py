"""建议提案 in the console: the list, registering an assignment (交办), the proposal view and its steps.

Every page reads and writes through the proposals API as the signed-in user (docs/letters.md). Clerks
register suggestions and proposals and record co-units' opinions, the one extension (4–6 months from
assignment), replies with their result class and the proposer's assessment; publishers make the latest
reply public, take a public reply down (撤下公开, a folded form with the reason, as for letters) and may
publish the latest reply again. The view offers only the forms the status allows; the API's refusals (409,
422) are shown in Chinese with nothing recorded, and each form's ``form_id`` is its ``Idempotency-Key``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from gongkai.auth import Role
from gongkai.clock import Clock
from gongkai.vocabulary import PROPOSAL_KIND_LABELS, RATING_LABELS, RESULT_CLASS_LABELS
from services.console.api_client import ApiError, ApiUnavailable
from services.console.api_text import conflict_lines, field_lines
from services.console.letter_pages import (
    MAX_REASON,
    common_fields,
    filtered_list,
    parse_day,
    text_field,
)
from services.console.web import (
    PREFIX,
    Console,
    Form,
    SignedInUser,
    first,
    form_key,
    post_form,
    see_other,
)

__all__ = ["PROPOSAL_ACTIONS", "allowed_proposal_actions", "proposal_router"]

READ = (Role.CLERK, Role.REVIEWER, Role.PUBLISHER)

STATUS_LABELS = {"assigned": "办理中", "replied": "已答复", "rehandling": "重新办理", "closed": "已办结"}
SESSION_LABELS = {"session": "大会（会议）期间提出", "recess": "闭会期间提出"}
EXTEND_MONTHS = (4, 5, 6)
STEP_LABELS = {
    "proposal.registered": "登记交办",
    "proposal.co_opinion": "协办单位提出意见",
    "proposal.extended": "延长办理期限",
    "proposal.replied": "答复",
    "proposal.feedback": "代表（委员）评价",
    "proposal.reply_published": "公开答复",
    "proposal.reply_unpublished": "撤下公开",
    "proposal.overdue": "已超过答复期限",
}


@dataclass(frozen=True)
class ProposalAction:
    label: str
    consequence: str
    path: str
    role: Role


PROPOSAL_ACTIONS: dict[str, ProposalAction] = {
    "co_opinion": ProposalAction(
        "登记协办单位意见",
        "协办单位应自交办之日起一个月内向主办单位提出协办意见；逾期的在页面中标明。",
        "co-opinion",
        Role.CLERK,
    ),
    "extend": ProposalAction(
        "延长办理期限",
        "情况复杂、涉及面广、确需延期的，可延长办理期限，自交办之日起不超过六个月（4–6个月），须说明理由；"
        "只能延长一次，并须在三个月期限届满前办理。",
        "extend",
        Role.CLERK,
    ),
    "reply": ProposalAction(
        "答复",
        "答复须注明办理结果类别；答复后由代表（委员）评价，不满意的应在一个月内重新办理并再次答复。",
        "reply",
        Role.CLERK,
    ),
    "feedback": ProposalAction(
        "登记代表（委员）评价",
        "满意或基本满意的，办结；不满意的，转入重新办理，自评价之日起一个月内再次答复。重新办理后的评价无论结果均办结。",
        "feedback",
        Role.CLERK,
    ),
    "publish": ProposalAction(
        "公开答复",
        "公开最新一次答复及其办理结果类别；每次答复只能公开一次（撤下后可以重新公开），公开前请确认答复中不含个人信息。",
        "publish",
        Role.PUBLISHER,
    ),
    "unpublish": ProposalAction(
        "撤下公开",
        "撤下后，该建议提案的答复不再在门户网站“公开信件选登”中显示，原网址显示为未找到；撤下理由仅工作人员可见，"
        "不对外公开。撤下后可以重新公开最新一次答复。",
        "unpublish",
        Role.PUBLISHER,
    ),
}
FIELD_LABELS = {
    "on": "日期",
    "note": "备注",
    "unit": "协办单位",
    "months": "延长后的办理期限",
    "reason": "延期理由",
    "result_class": "办理结果类别",
    "body": "答复内容",
    "rating": "评价",
    "kind": "类型",
    "number": "编号",
    "title": "标题",
    "proposer": "提出人",
    "assigned_on": "交办日期",
    "lead_unit": "主办单位",
    "co_units": "协办单位",
    "session": "提出时间",
}
UNPUBLISH_FIELD_LABELS = {**FIELD_LABELS, "reason": "撤下理由"}
DONE = {name: f"已登记：{spec.label}。" for name, spec in PROPOSAL_ACTIONS.items()} | {
    "publish": "已公开：最新一次答复已发布。",
    "unpublish": "已撤下：该建议提案的答复已从“公开信件选登”中撤下，门户网站不再显示。",
    "registered": "建议提案已登记。",
    "replayed": "该表单已经提交过，本次未重复记录。",
}
APPEAR_WAIT_S = 5.0
_ID = re.compile(r"^[0-9a-f]{32}$")
_REGISTRATION_FIELDS = ("kind", "number", "title", "proposer", "assigned_on", "lead_unit", "co_units", "session")


def result_classes(console: Console) -> dict[str, str]:
    """The jurisdiction's result classes (the API's), the national defaults when none are configured."""
    return dict(console.settings.proposal_result_classes) or dict(RESULT_CLASS_LABELS)


def allowed_proposal_actions(proposal: Mapping[str, Any], user: SignedInUser) -> list[str]:
    status = proposal["status"]
    names: list[str] = []
    if status == "assigned":
        if any(not c.get("given_on") for c in proposal.get("co_opinions") or []):
            names.append("co_opinion")
        if proposal.get("extension") is None:
            names.append("extend")
        names.append("reply")
    elif status == "rehandling":
        names.append("reply")
    elif status == "replied":
        names.append("feedback")
    replies = proposal.get("replies") or []
    if replies and not replies[-1].get("published") and status in ("replied", "closed", "rehandling"):
        names.append("publish")
    if proposal.get("published"):  # a reply is on the portal (the latest, or an earlier one not yet replaced)
        names.append("unpublish")
    return [n for n in names if user.may(PROPOSAL_ACTIONS[n].role)]


def parse_proposal_action(
    form: Form, today: date, classes: Mapping[str, str]
) -> tuple[str, dict[str, Any] | None, list[str]]:
    action = first(form, "action")
    if action not in PROPOSAL_ACTIONS:
        return action, None, ["无法识别的操作，本次未作任何记录。"]
    body: dict[str, Any] = {}
    errors: list[str] = []
    if action == "publish":
        return action, body, errors
    if action == "unpublish":
        text_field(form, "reason", "撤下理由", body, errors, MAX_REASON)
        return action, (None if errors else body), errors
    common_fields(form, today, body, errors)
    if action == "co_opinion":
        text_field(form, "unit", "协办单位", body, errors, 100)
    elif action == "extend":
        raw = first(form, "months").strip()
        if raw not in {str(m) for m in EXTEND_MONTHS}:
            errors.append("延长后的办理期限应为自交办之日起 4、5 或 6 个月（不超过六个月）。")
        else:
            body["months"] = int(raw)
        text_field(form, "reason", "延期理由", body, errors, 500)
    elif action == "reply":
        if first(form, "result_class") not in classes:
            errors.append("请从列表中选择办理结果类别。")
        else:
            body["result_class"] = first(form, "result_class")
        text_field(form, "body", "答复内容", body, errors, 100_000)
    elif action == "feedback":
        if first(form, "rating") not in RATING_LABELS:
            errors.append("请选择代表（委员）的评价：满意、基本满意或不满意。")
        else:
            body["rating"] = first(form, "rating")
    return action, (None if errors else body), errors


def parse_registration(form: Form, today: date) -> tuple[dict[str, Any] | None, list[str]]:
    values = {name: first(form, name).strip() for name in _REGISTRATION_FIELDS}
    errors: list[str] = []
    body: dict[str, Any] = {}
    if values["kind"] not in PROPOSAL_KIND_LABELS:
        errors.append("请选择类型（人大代表建议或政协提案）。")
    else:
        body["kind"] = values["kind"]
    text_field(form, "number", "编号", body, errors, 50)
    text_field(form, "title", "标题", body, errors, 300)
    text_field(form, "proposer", "提出人", body, errors, 100)
    text_field(form, "lead_unit", "主办单位", body, errors, 100)
    day = parse_day(values["assigned_on"])
    if day is None:
        errors.append("请填写交办日期（YYYY-MM-DD）。")
    elif day > today:
        errors.append("交办日期不能晚于今天。")
    else:
        body["assigned_on"] = day.isoformat()
    units = [u.strip() for u in values["co_units"].splitlines() if u.strip()]
    if len(units) != len(set(units)):
        errors.append("协办单位重复填写。")
    elif values["lead_unit"] and values["lead_unit"] in units:
        errors.append("主办单位不能同时作为协办单位。")
    elif any(len(u) > 100 for u in units) or len(units) > 20:
        errors.append("协办单位至多 20 个，每个不超过 100 字。")
    else:
        body["co_units"] = units
    if values["session"] not in SESSION_LABELS:
        errors.append("请选择提出时间（大会期间或闭会期间）。")
    else:
        body["session"] = values["session"]
    return (None, errors) if errors else (body, [])


def _refusal(exc: ApiError, action: str) -> list[str]:
    label = PROPOSAL_ACTIONS[action].label
    if exc.status == 409:
        return conflict_lines(exc, label, STATUS_LABELS, "建议提案")
    labels = UNPUBLISH_FIELD_LABELS if action == "unpublish" else FIELD_LABELS
    return [f"“{label}”未被记录，请修改后重新提交：", *field_lines(exc, labels)]


def proposal_router(console: Console, clock: Clock) -> APIRouter:
    pages = APIRouter(prefix=PREFIX, include_in_schema=False)
    missing = "未找到该建议或提案。"

    @pages.get("/proposals", response_class=HTMLResponse)
    async def proposal_list(
        request: Request,
        status: Annotated[str, Query(max_length=30)] = "",
        kind: Annotated[str, Query(max_length=30)] = "",
        overdue: Annotated[str, Query(max_length=5)] = "",
        unpublished: Annotated[str, Query(max_length=5)] = "",
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    ) -> Response:
        user = await console.allowed(request, (*READ,), "查看建议提案")
        if not isinstance(user, SignedInUser):
            return user
        try:
            listed = await filtered_list(
                user,
                "/api/v1/proposals",
                status=status,
                kind=kind,
                overdue=overdue,
                page=page,
                statuses=STATUS_LABELS,
                kinds=PROPOSAL_KIND_LABELS,
                kind_noun="类型",
                flags={"unpublished": ("reply_published", "false")},  # the publisher's 工作台 links here
                ticked=frozenset({"unpublished"} if unpublished == "1" else ()),
            )
        except (ApiError, ApiUnavailable) as exc:
            return console.api_failure(request, user, exc, missing=missing)
        context = {
            **listed,
            "status_labels": STATUS_LABELS,
            "kind_labels": PROPOSAL_KIND_LABELS,
            "rating_labels": RATING_LABELS,
            "may_register": user.may(Role.CLERK),
            "today": clock.today().isoformat(),
        }
        return console.page(request, "proposals.html", context, user=user)

    @pages.get("/proposals/new", response_class=HTMLResponse)
    async def new_form(request: Request) -> Response:
        user = await console.allowed(request, (Role.CLERK,), "登记建议提案")
        if not isinstance(user, SignedInUser):
            return user
        values = {"assigned_on": clock.today().isoformat(), "session": "session"}
        return _new_page(console, request, user, values, [], 200)

    @pages.post("/proposals/new", response_class=HTMLResponse)
    async def register(request: Request) -> Response:
        allowed = await console.allowed_post(request, (Role.CLERK,), "登记建议提案")
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        values = {name: first(form, name).strip() for name in _REGISTRATION_FIELDS}
        body, errors = parse_registration(form, clock.today())
        if body is None:
            return _new_page(console, request, user, values, errors, 422)
        try:
            answer = await user.api.post("/api/v1/proposals", body, idempotency_key=form_key(form))
        except ApiError as exc:
            if exc.status == 422:
                return _new_page(console, request, user, values, field_lines(exc, FIELD_LABELS), 422)
            return console.api_failure(request, user, exc, missing=missing)
        except ApiUnavailable as exc:
            return console.api_failure(request, user, exc, missing=missing)
        proposal_id = str(answer.json()["id"])
        if await user.api.once_found(f"/api/v1/proposals/{proposal_id}", wait_s=APPEAR_WAIT_S) is None:
            text = "建议提案已登记，正在建立，请稍后在列表中打开。"
            return console.message(request, "已登记", text, user=user, status=202)
        outcome = "replayed" if answer.headers.get("idempotent-replayed") == "true" else "registered"
        return see_other(f"{PREFIX}/proposals/{proposal_id}?done={outcome}")

    @pages.get("/proposals/{proposal_id}", response_class=HTMLResponse)
    async def proposal_view(
        request: Request, proposal_id: str, done: Annotated[str, Query(max_length=30)] = ""
    ) -> Response:
        user = await console.allowed(request, (*READ,), "查看建议提案")
        if not isinstance(user, SignedInUser):
            return user
        if not _ID.match(proposal_id):
            return console.message(request, "未找到", missing, user=user, status=404)
        proposal = await console.fetch(request, user, f"/api/v1/proposals/{proposal_id}", missing=missing)
        if isinstance(proposal, Response):
            return proposal
        return _proposal_page(console, request, user, proposal, clock.today(), done=DONE.get(done, ""))

    @pages.post("/proposals/{proposal_id}/actions", response_class=HTMLResponse)
    async def proposal_act(request: Request, proposal_id: str) -> Response:
        allowed = await console.allowed_post(request, (Role.CLERK, Role.PUBLISHER), "办理建议提案")
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        if not _ID.match(proposal_id):
            return console.message(request, "未找到", missing, user=user, status=404)
        today = clock.today()
        action, body, errors = parse_proposal_action(form, today, result_classes(console))
        if action in PROPOSAL_ACTIONS and not user.may(PROPOSAL_ACTIONS[action].role):
            return console.forbidden(request, user, f"进行“{PROPOSAL_ACTIONS[action].label}”")
        path = f"/api/v1/proposals/{proposal_id}"
        status = 422
        if body is not None:
            posted = await post_form(
                console,
                request,
                user,
                f"{path}/{PROPOSAL_ACTIONS[action].path}",
                body,
                form,
                back=f"{PREFIX}/proposals/{proposal_id}",
                outcome=action,
                refusal=lambda exc: _refusal(exc, action),
                missing=missing,
            )
            if not isinstance(posted, tuple):
                return posted
            errors, status = posted
        proposal = await console.fetch(request, user, path, missing=missing)
        if isinstance(proposal, Response):
            return proposal
        kept = {k: first(form, k) for k in ("unit", "months", "reason", "result_class", "body", "rating", "note")}
        return _proposal_page(
            console, request, user, proposal, today, errors=errors, failed=action, kept=kept, status=status
        )

    return pages


def _new_page(
    console: Console, request: Request, user: SignedInUser, values: Mapping[str, str], errors: list[str], status: int
) -> HTMLResponse:
    context = {
        "values": values,
        "errors": errors,
        "kinds": PROPOSAL_KIND_LABELS,
        "sessions": SESSION_LABELS,
        "form_id": secrets.token_urlsafe(18),
        "csrf_token": user.session.csrf_token,
    }
    return console.page(request, "proposal_new.html", context, user=user, status=status)


def _proposal_page(
    console: Console,
    request: Request,
    user: SignedInUser,
    proposal: dict[str, Any],
    today: date,
    *,
    done: str = "",
    errors: list[str] | None = None,
    failed: str = "",
    kept: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    forms = [
        {
            "name": name,
            "spec": PROPOSAL_ACTIONS[name],
            "form_id": secrets.token_urlsafe(18),
            "values": dict(kept or {}) if name == failed else {},
            "open": name == failed,
        }
        for name in allowed_proposal_actions(proposal, user)
    ]
    classes = result_classes(console)
    context = {
        "p": proposal,
        "status_label": STATUS_LABELS.get(proposal["status"], proposal["status"]),
        "kind_label": PROPOSAL_KIND_LABELS.get(proposal["kind"], proposal["kind"]),
        "session_labels": SESSION_LABELS,
        "result_classes": classes,
        "rating_labels": RATING_LABELS,
        "step_labels": STEP_LABELS,
        "pending_units": [c["unit"] for c in proposal.get("co_opinions") or [] if not c.get("given_on")],
        "extend_months": EXTEND_MONTHS,
        "max_reason": MAX_REASON,
        "history": list(reversed(proposal.get("history") or [])),
        "forms": forms,
        "may_handle": user.may(Role.CLERK),
        "may_publish": user.may(Role.PUBLISHER),
        "today": today.isoformat(),
        "errors": errors or [],
        "done": done,
        "csrf_token": user.session.csrf_token,
    }
    return console.page(request, "proposal.html", context, user=user, status=status)
