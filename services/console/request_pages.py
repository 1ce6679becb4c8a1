"""依申请公开 in the console: the case list, recording a paper application, the case view, its actions and appeals.

Every page reads and writes through the requests and appeals APIs as the signed-in user. The case view
offers only the actions the case's status allows (docs/requests.md's status table), each folded in a
``<details>`` whose summary states its legal consequence (the likely next one open), with the step's
papers one per line; it lists the case's 行政复议 and 行政诉讼 and lets clerks record one and its result.
The API stays the judge: a step it refuses (409 for the state, 422 for the values) is
shown in the page in Chinese, with nothing recorded. Each rendered form carries its own ``form_id``,
sent as ``Idempotency-Key``, so a form submitted twice is recorded once.
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
from gongkai.vocabulary import APPLICANT_COLUMNS, CHANNEL_LABELS, OUTCOME_LABELS
from services.console.api_client import ApiError, ApiUnavailable
from services.console.api_text import APPEAL_RESULT_LABELS, conflict_lines, field_lines
from services.console.web import (
    PREFIX,
    SECURITY_HEADERS,
    Console,
    Form,
    SignedInUser,
    first,
    form_key,
    post_form,
)

__all__ = ["ACTIONS", "ALLOWED", "APPEAL_KINDS", "PAPERS", "next_action", "request_router"]

#: Who may read cases (the API's ``Staff``) and who may record applications and steps (``Clerk``).
READ = (Role.CLERK, Role.REVIEWER, Role.PUBLISHER)
ACT = (Role.CLERK,)

STATUS_LABELS = {
    "awaiting_confirmation": "待确认收到",
    "in_progress": "办理中",
    "awaiting_correction": "待补正",
    "consulting": "征求意见中",
    "awaiting_payment": "待缴费",
    "answered": "已办结",
    "withdrawn": "已撤回",
}
#: The channels a clerk records (online applications come in through the portal).
PAPER_CHANNELS = ("in_person", "registered_post", "ordinary_post", "fax")
#: Art. 31: these channels carry their receipt date; the others get it from 确认收到.
DATED_CHANNELS = ("in_person", "registered_post")
ORG_TYPES = {k: v for k, v in APPLICANT_COLUMNS.items() if k not in ("natural_person", "total")}
KIND_LABELS = {"natural_person": "自然人", "legal_person": "法人或其他组织"}
DELIVERY_FORMS = {"paper": "纸质", "electronic": "电子"}
DELIVERY_METHODS = {"post": "邮寄", "email": "电子邮件", "pickup": "自行领取", "online": "网上获取", "fax": "传真"}
PARTY_LABELS = {"third_party": "第三方", "other_agency": "其他行政机关"}
REPLY_LABELS = {
    "consent": "同意公开",
    "objection": "不同意公开（附理由）",
    "opinion": "提出意见",
    "no_reply": "逾期未答复",
}
BASIS_LABELS = {"items": "按件计收", "pages": "按量（页数）计收"}


@dataclass(frozen=True)
class ActionSpec:
    """One step of the workflow as a form: its button, its legal consequence and its own fields."""

    label: str
    consequence: str
    fields: tuple[str, ...] = ()
    closes: bool = False  # ends the case: shown apart, as a danger button


ACTIONS: dict[str, ActionSpec] = {
    "confirm_receipt": ActionSpec(
        "确认收到申请",
        "以确认之日为收到申请之日，答复期限自次日起计算20个工作日（条例第三十一条、第三十三条）。",
    ),
    "request_correction": ActionSpec(
        "告知补正",
        "补正告知：收到补正材料后答复期限重新计算（条例第三十条）。应在收到申请之日起7个工作日内一次性告知需要补正的"
        "全部事项和合理的补正期限；待补正期间不计算答复期限。",
        ("items", "reply_by"),
    ),
    "correction_received": ActionSpec(
        "收到补正材料",
        "答复期限自收到补正材料之日起重新计算20个工作日（条例第三十条、第三十三条）。",
    ),
    "abandon_no_correction": ActionSpec(
        "逾期未补正，不再处理",
        "申请人无正当理由逾期不补正的，视为放弃申请，行政机关不再处理（条例第三十条）；只能在补正期限届满后登记。",
        closes=True,
    ),
    "consult_third_party": ActionSpec(
        "征求意见",
        "征求意见期间不计入答复期限（第三十二、三十三条）；第三方应自收到征求意见书之日起15个工作日内提出意见。",
        ("party", "consultee"),
    ),
    "third_party_replied": ActionSpec(
        "登记意见答复",
        "征求意见结束，答复期限恢复计算；“逾期未答复”只能在15个工作日届满后登记（条例第三十二条）。",
        ("reply", "consultation"),
    ),
    "extend": ActionSpec(
        "延长答复期限",
        "延长答复期限不超过20个工作日，须经负责人同意（第三十三条）；只能延长一次，并须在答复期限届满前作出。",
        ("days", "reason", "approver"),
    ),
    "ask_reasons": ActionSpec(
        "要求说明理由",
        "申请数量、频次明显超过合理范围的，可以要求申请人说明理由（条例第三十五条）；本步骤仅作记录，不改变答复期限。",
    ),
    "notify_deadline": ActionSpec(
        "告知延迟答复期限",
        "申请数量、频次明显超过合理范围的，可以确定延迟答复的合理期限并告知申请人（条例第三十五条）；"
        "告知的日期取代原答复期限，须晚于原期限。",
        ("due_on",),
    ),
    "fee_notice": ActionSpec(
        "发出收费通知",
        "按件或按量收取信息处理费（条例第四十二条、国办函〔2020〕109号），金额由系统按标准计算；"
        "缴费期间不计入答复期限（本机关设置）。",
        ("basis", "pages"),
    ),
    "fee_paid": ActionSpec("申请人已缴费", "申请人缴纳信息处理费后，答复期限恢复计算。"),
    "fee_unpaid": ActionSpec(
        "逾期未缴费，不再处理",
        "申请人逾期未按收费通知要求缴纳费用的，行政机关不再处理该申请（条例第四十二条）；只能在缴费期限届满后登记。",
        closes=True,
    ),
    "answer": ActionSpec(
        "作出答复并办结",
        "按表三的办理结果登记答复并办结，计入年度报告（条例第三十六条、第五十条）；答复须在所有征求意见结束、"
        "没有待补正或待缴费事项时作出。",
        ("outcome",),
        closes=True,
    ),
    "withdraw": ActionSpec(
        "申请人撤回申请",
        "申请人撤回申请的，办结，计入表三“（六）其他处理 3.其他”。",
        closes=True,
    ),
}
#: The actions each status allows (docs/requests.md, "Statuses and actions"): only these are shown.
ALLOWED: dict[str, tuple[str, ...]] = {
    "awaiting_confirmation": ("confirm_receipt", "withdraw"),
    "in_progress": (
        "request_correction",
        "consult_third_party",
        "extend",
        "ask_reasons",
        "notify_deadline",
        "fee_notice",
        "answer",
        "withdraw",
    ),
    "awaiting_correction": ("correction_received", "abandon_no_correction", "withdraw"),
    "consulting": (
        "consult_third_party",
        "third_party_replied",
        "extend",
        "ask_reasons",
        "notify_deadline",
        "withdraw",
    ),
    "awaiting_payment": ("fee_paid", "fee_unpaid", "withdraw"),
}
#: The papers (文书) a step usually goes with, by direction, offered in its form one per line: a hint, never
#: prefilled (only what the clerk types is recorded). Every step accepts papers in both directions.
PAPERS: dict[str, tuple[tuple[str, str], ...]] = {
    "confirm_receipt": (("received", "政府信息公开申请表"),),
    "request_correction": (("sent", "补正告知书"),),
    "correction_received": (("received", "补正材料"),),
    "abandon_no_correction": (("sent", "不再处理告知书"),),
    "consult_third_party": (("sent", "征求意见书"),),
    "third_party_replied": (("received", "第三方书面意见"),),
    "extend": (("sent", "延长答复期限告知书"),),
    "ask_reasons": (("sent", "要求说明理由通知书"), ("received", "申请人的理由说明")),
    "notify_deadline": (("sent", "延迟答复告知书"),),
    "fee_notice": (("sent", "信息处理费缴费通知书"),),
    "fee_paid": (("received", "缴费凭证"),),
    "fee_unpaid": (("sent", "不再处理告知书"),),
    "answer": (("sent", "政府信息公开申请答复书"),),
    "withdraw": (("received", "撤回申请书"),),
}
PAPER_FIELDS = {"sent": "documents_sent", "received": "documents_received"}
PAPER_LABELS = {"sent": "发出的文书", "received": "收到的文书"}
_MAX_PAPERS = 50

APPEAL_KINDS = {
    "reconsideration": "行政复议",
    "litigation_direct": "行政诉讼（未经复议直接起诉）",
    "litigation_after_reconsideration": "行政诉讼（复议后起诉）",
}
APPEAL_STATUS_LABELS = {"pending": "尚未审结", "decided": "已审结"}
APPEAL_CONSEQUENCE = (
    "申请人对本案的政府信息公开工作提起行政复议或行政诉讼的，在此登记；计入年度报告表四相应类别的“尚未审结”栏，"
    "登记结果后改计入“结果维持”“结果纠正”或“其他结果”栏（条例第五十一条）。每件复议或诉讼只登记一次。"
)
RESULT_CONSEQUENCE = "登记复议决定或裁判的结果后，该件计入表四的相应结果栏，不再计为“尚未审结”；结果只能登记一次。"
APPEAL_FIELD_LABELS = {
    "kind": "复议诉讼类别",
    "filed_on": "提起日期",
    "authority": "复议机关或审理法院",
    "case_number": "案号",
    "request_id": "所涉申请",
    "result": "结果",
    "on": "结果日期",
    "note": "备注",
}

#: The names of the API's fields, for its 422 answers.
FIELD_LABELS = {
    "on": "日期",
    "items": "补正事项",
    "reply_by": "补正期限",
    "party": "征求对象类型",
    "consultee": "征求对象",
    "reply": "答复意见",
    "consultation": "征求意见序号",
    "days": "延长天数",
    "reason": "延长理由",
    "approver": "批准负责人",
    "due_on": "告知的答复期限",
    "basis": "计费方式",
    "pages": "页数",
    "outcome": "办理结果",
    "note": "备注",
    "postal_tracking": "邮件号码",
    "channel": "收到渠道",
    "received_on": "收到日期",
    "description": "所需信息的描述",
    "doc_number": "文号",
    "oral": "口头申请",
    "applicant": "申请人",
    "applicant.kind": "申请人类型",
    "applicant.org_type": "组织类型",
    "applicant.name": "申请人姓名或名称",
    "applicant.id_number": "身份证件号码",
    "applicant.phone": "联系电话",
    "applicant.email": "电子邮箱",
    "applicant.address": "通信地址",
    "delivery": "获取方式",
    "delivery.form": "获取信息的载体形式",
    "delivery.method": "获取信息的方式",
    "documents": "文书",
}
DONE = {name: f"已登记：{spec.label}。" for name, spec in ACTIONS.items()} | {
    "appeal": "已登记：行政复议或行政诉讼。",
    "appeal_result": "已登记：复议或诉讼的结果。",
    "replayed": "该表单已经提交过，本次未重复记录。",
}
#: What a failed action form keeps of what was typed, shown again in the form.
_KEPT = (
    "on",
    "note",
    "postal_tracking",
    "items",
    "reply_by",
    "party",
    "consultee",
    "reply",
    "consultation",
    "days",
    "reason",
    "approver",
    "due_on",
    "basis",
    "pages",
    "outcome",
    "documents_sent",
    "documents_received",
)
PAGE_SIZE = 50
_MAX_TEXT = 200
_MAX_NOTE = 2000
#: The appeals API's limits for the reconsideration body or court and the case number (one line each).
APPEAL_TEXT_FIELDS = {"authority": ("复议机关或审理法院", 100), "case_number": ("案号", 60)}
#: Control characters (tab, newline) and line separators, which the appeals API refuses in those fields.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
#: How long recording an application waits for the case to appear before showing it.
APPEAR_WAIT_S = 5.0
#: The printable case file is the API's own HTML (inline styles, no script): its own policy.
FILE_HEADERS = SECURITY_HEADERS | {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
}


def request_router(console: Console, clock: Clock) -> APIRouter:
    pages = APIRouter(prefix=PREFIX, include_in_schema=False)

    @pages.get("/requests", response_class=HTMLResponse)
    async def case_list(
        request: Request,
        status: Annotated[str, Query(max_length=30)] = "",
        channel: Annotated[str, Query(max_length=30)] = "",
        overdue: Annotated[str, Query(max_length=5)] = "",
        due: Annotated[str, Query(max_length=10)] = "",
        provisional: Annotated[str, Query(max_length=5)] = "",
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    ) -> Response:
        user = await console.allowed(request, (*READ,), "查看依申请公开案件")
        if not isinstance(user, SignedInUser):
            return user
        errors: list[str] = []
        params: dict[str, Any] = {}
        if status in STATUS_LABELS:
            params["status"] = status
        if channel in CHANNEL_LABELS:
            params["channel"] = channel
        if overdue == "1":
            params["overdue"] = "true"
        due = due.strip()
        if due:
            if due.isdigit() and int(due) <= 366:
                params["due_within_days"] = int(due)
            else:
                errors.append("“到期天数”应为 0 到 366 之间的整数，已忽略该条件。")
                due = ""
        filters = {
            "status": params.get("status", ""),
            "channel": params.get("channel", ""),
            "overdue": overdue == "1",
            "due": due,
            "provisional": provisional == "1",
        }
        try:
            if filters["provisional"]:
                # The API has no filter for provisional deadlines: every open case with a due date, filtered here.
                found, capped = await user.api.items("/api/v1/requests", params | {"due_within_days": 366})
                items = [c for c in found if c.get("due_provisional")]
                more = False
            else:
                listing = await user.api.get("/api/v1/requests", params | {"page": page, "size": PAGE_SIZE})
                items, capped = listing["items"], False
                more = len(items) == PAGE_SIZE
        except (ApiError, ApiUnavailable) as exc:
            return console.api_failure(request, user, exc, missing=MISSING)
        query = "&".join(
            f"{k}={v}" for k, v in (("status", filters["status"]), ("channel", filters["channel"]), ("due", due)) if v
        )
        query += "&overdue=1" if filters["overdue"] else ""
        context = {
            "items": items,
            "filters": filters,
            "errors": errors,
            "page": page,
            "more": more,
            "capped": capped,
            "query": query.lstrip("&"),
            "status_labels": STATUS_LABELS,
            "channel_labels": CHANNEL_LABELS,
            "may_act": user.may(*ACT),
            "today": clock.today().isoformat(),
        }
        return console.page(request, "requests.html", context, user=user)

    @pages.get("/requests/new", response_class=HTMLResponse)
    async def new_form(request: Request) -> Response:
        user = await console.allowed(request, (*ACT,), "登记依申请公开申请")
        if not isinstance(user, SignedInUser):
            return user
        return _new_page(console, request, user, {"received_on": clock.today().isoformat()}, [], 200)

    @pages.post("/requests/new", response_class=HTMLResponse)
    async def record(request: Request) -> Response:
        allowed = await console.allowed_post(request, (*ACT,), "登记依申请公开申请")
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        values = {name: first(form, name).strip() for name in _APPLICATION_FIELDS}
        body, errors = parse_application(form)
        if body is None:
            return _new_page(console, request, user, values, errors, 422)
        try:
            answer = await user.api.post("/api/v1/requests", body, idempotency_key=form_key(form))
        except ApiError as exc:
            if exc.status == 422:
                return _new_page(console, request, user, values, field_lines(exc, FIELD_LABELS), 422)
            return console.api_failure(request, user, exc, missing=MISSING)
        except ApiUnavailable as exc:
            return console.api_failure(request, user, exc, missing=MISSING)
        filed = answer.json()
        request_id, code = str(filed["id"]), str(filed["tracking_code"])
        notice = f"申请已登记。查询码：{code}（请告知申请人，用于在门户网站查询办理进度；此后不再显示）。"
        if answer.headers.get("idempotent-replayed") == "true":
            notice = f"该表单已经提交过，本次未重复登记。查询码：{code}。"
        case = await user.api.once_found(f"/api/v1/requests/{request_id}", wait_s=APPEAR_WAIT_S)
        if case is None:
            text = notice + "案件正在建立，请稍后在案件列表中打开。"
            return console.message(request, "申请已登记", text, user=user, status=202)
        return await _case_page(console, request, user, case, clock.today(), done=notice)

    @pages.get("/requests/{request_id}", response_class=HTMLResponse)
    async def case_view(request: Request, request_id: str, done: Annotated[str, Query(max_length=30)] = "") -> Response:
        user = await console.allowed(request, (*READ,), "查看依申请公开案件")
        if not isinstance(user, SignedInUser):
            return user
        if not _REQUEST_ID.match(request_id):
            return _not_found(console, request, user)
        case = await console.fetch(request, user, f"/api/v1/requests/{request_id}", missing=MISSING)
        if isinstance(case, Response):
            return case
        return await _case_page(console, request, user, case, clock.today(), done=DONE.get(done, ""))

    @pages.get("/requests/{request_id}/file", response_class=HTMLResponse)
    async def case_file(request: Request, request_id: str) -> Response:
        user = await console.allowed(request, (*READ,), "查看依申请公开案件")
        if not isinstance(user, SignedInUser):
            return user
        if not _REQUEST_ID.match(request_id):
            return _not_found(console, request, user)
        try:
            html = await user.api.text(f"/api/v1/requests/{request_id}/file")
        except (ApiError, ApiUnavailable) as exc:
            return console.api_failure(request, user, exc, missing=MISSING)
        return HTMLResponse(html, headers=FILE_HEADERS)

    @pages.post("/requests/{request_id}/actions", response_class=HTMLResponse)
    async def act(request: Request, request_id: str) -> Response:
        allowed = await console.allowed_post(request, (*ACT,), "办理依申请公开案件")
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        if not _REQUEST_ID.match(request_id):
            return _not_found(console, request, user)
        today = clock.today()
        body, errors = parse_action(form)
        name = first(form, "action")
        kept = {k: first(form, k) for k in _KEPT}
        path = f"/api/v1/requests/{request_id}"
        status = 422
        if body is not None:
            step = str(body["action"])
            posted = await post_form(
                console,
                request,
                user,
                f"{path}/actions",
                body,
                form,
                back=f"{PREFIX}/requests/{request_id}",
                outcome=step,
                refusal=lambda exc: _refusal(exc, step),
                missing=MISSING,
            )
            if not isinstance(posted, tuple):
                return posted
            errors, status = posted
        case = await console.fetch(request, user, path, missing=MISSING)
        if isinstance(case, Response):
            return case
        failed = name if status == 422 else ""  # after a 409 the forms are those of the state as it now is
        return await _case_page(
            console, request, user, case, today, errors=errors, status=status, failed=failed, kept=kept
        )

    @pages.post("/requests/{request_id}/appeals", response_class=HTMLResponse)
    async def file_appeal(request: Request, request_id: str) -> Response:
        allowed = await console.allowed_post(request, (*ACT,), "登记行政复议或行政诉讼")
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        if not _REQUEST_ID.match(request_id):
            return _not_found(console, request, user)
        today = clock.today()
        path = f"/api/v1/requests/{request_id}"
        case = await console.fetch(request, user, path, missing=MISSING)
        if isinstance(case, Response):
            return case
        kept = {k: first(form, k) for k in ("kind", "filed_on", "note", *APPEAL_TEXT_FIELDS)}
        body, errors = parse_appeal(form, today, case.get("received_on"))
        status = 422
        if body is not None:
            body["request_id"] = request_id
            posted = await post_form(
                console,
                request,
                user,
                "/api/v1/appeals",
                body,
                form,
                back=f"{PREFIX}/requests/{request_id}#appeals",
                outcome="appeal",
                refusal=lambda exc: ["复议或诉讼未被登记，请修改后重新提交：", *field_lines(exc, APPEAL_FIELD_LABELS)],
                missing=MISSING,
                refused=(422,),
                doing="登记行政复议或行政诉讼",
            )
            if not isinstance(posted, tuple):
                return posted
            errors, status = posted
        return await _case_page(
            console, request, user, case, today, errors=errors, status=status, failed="appeal", kept=kept
        )

    @pages.post("/requests/{request_id}/appeals/{appeal_id}/result", response_class=HTMLResponse)
    async def decide_appeal(request: Request, request_id: str, appeal_id: str) -> Response:
        allowed = await console.allowed_post(request, (*ACT,), "登记行政复议或行政诉讼的结果")
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        if not _REQUEST_ID.match(request_id) or not _REQUEST_ID.match(appeal_id):
            return _not_found(console, request, user)
        today = clock.today()
        path = f"/api/v1/requests/{request_id}"
        try:
            case, appeal = await user.api.gather(user.api.get(path), user.api.get(f"/api/v1/appeals/{appeal_id}"))
        except (ApiError, ApiUnavailable) as exc:
            return console.api_failure(request, user, exc, missing="未找到该申请或该复议、诉讼。")
        if appeal.get("request_id") != request_id:
            return console.message(request, "未找到", "该申请没有这件复议或诉讼。", user=user, status=404)
        kept = {k: first(form, k) for k in ("result", "on", "note")}
        body, errors = parse_appeal_result(form, today, str(appeal["filed_on"]))
        status = 422
        if body is not None:
            posted = await post_form(
                console,
                request,
                user,
                f"/api/v1/appeals/{appeal_id}/result",
                body,
                form,
                back=f"{PREFIX}/requests/{request_id}#appeals",
                outcome="appeal_result",
                refusal=_result_refusal,
                missing=MISSING,
                doing="登记复议或诉讼的结果",
            )
            if not isinstance(posted, tuple):
                return posted
            errors, status = posted
        failed = f"result-{appeal_id}" if status == 422 else ""
        return await _case_page(
            console, request, user, case, today, errors=errors, status=status, failed=failed, kept=kept
        )

    return pages


def _result_refusal(exc: ApiError) -> list[str]:
    if exc.status == 409:
        return conflict_lines(exc, "登记结果", APPEAL_STATUS_LABELS, "复议或诉讼")
    return ["结果未被登记，请修改后重新提交：", *field_lines(exc, APPEAL_FIELD_LABELS)]


# Forms -----------------------------------------------------------------------------------------

_APPLICATION_FIELDS = (
    "channel",
    "kind",
    "org_type",
    "name",
    "id_number",
    "phone",
    "email",
    "address",
    "description",
    "doc_number",
    "delivery_form",
    "delivery_method",
    "received_on",
    "oral",
)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
    except ValueError:
        return None


def parse_application(form: Form) -> tuple[dict[str, Any] | None, list[str]]:
    """The body of ``POST /api/v1/requests`` for a paper application, or what to correct first.

    Only what the page can say plainly is checked here; the API checks the rest (contacts, ID numbers,
    the receipt date against the calendar) and its refusals are shown too.
    """
    values = {name: first(form, name).strip() for name in _APPLICATION_FIELDS}
    errors: list[str] = []
    if values["channel"] not in PAPER_CHANNELS:
        errors.append("请选择收到申请的渠道（当面提交、邮寄需签收、平常信函或传真）。")
    if values["kind"] not in KIND_LABELS:
        errors.append("请选择申请人类型（自然人或法人或其他组织）。")
    if values["kind"] == "legal_person" and values["org_type"] not in ORG_TYPES:
        errors.append("法人或其他组织申请的，请选择组织类型。")
    if not values["name"]:
        errors.append("请填写申请人姓名或者名称（条例第二十九条）。")
    if not values["description"]:
        errors.append("请填写申请公开的政府信息的名称、文号或者便于查询的其他特征性描述（条例第二十九条）。")
    if not any(values[k] for k in ("phone", "email", "address")):
        errors.append("请至少填写一种联系方式（联系电话、电子邮箱或通信地址）。")
    received_on = None
    if values["channel"] in DATED_CHANNELS and values["received_on"]:
        received_on = _date(values["received_on"])
        if received_on is None:
            errors.append("收到日期应为 YYYY-MM-DD 格式的日期。")
    if values["delivery_form"] and values["delivery_form"] not in DELIVERY_FORMS:
        errors.append("请从列表中选择获取信息的载体形式。")
    if values["delivery_method"] and values["delivery_method"] not in DELIVERY_METHODS:
        errors.append("请从列表中选择获取信息的方式。")
    if values["oral"] and values["channel"] != "in_person":
        errors.append("口头申请只能当面提出（条例第二十九条）：请将渠道选为“当面提交”，或取消“口头申请”。")
    if errors:
        return None, errors
    applicant: dict[str, Any] = {"kind": values["kind"], "name": values["name"]}
    if values["kind"] == "legal_person":
        applicant["org_type"] = values["org_type"]
    for name in ("id_number", "phone", "email", "address"):
        if values[name]:
            applicant[name] = values[name]
    body: dict[str, Any] = {
        "channel": values["channel"],
        "applicant": applicant,
        "description": values["description"],
        "oral": values["oral"] == "1",
    }
    if values["doc_number"]:
        body["doc_number"] = values["doc_number"]
    if values["delivery_form"] or values["delivery_method"]:
        body["delivery"] = {"form": values["delivery_form"] or "paper", "method": values["delivery_method"] or "post"}
    if received_on is not None:
        body["received_on"] = received_on.isoformat()
    return body, []


def parse_action(form: Form) -> tuple[dict[str, Any] | None, list[str]]:
    """The body of ``POST /api/v1/requests/{id}/actions`` the form stands for, or what to correct.

    Whether the case's status allows the action is left to the API (a stale page gets its 409).
    """
    name = first(form, "action")
    spec = ACTIONS.get(name)
    if spec is None:
        return None, ["未知的操作，本次未作任何记录。请重新打开案件页面后再提交。"]
    errors: list[str] = []
    body: dict[str, Any] = {"action": name}
    on = first(form, "on").strip()
    if on:
        if (on_day := _date(on)) is None:
            errors.append("办理日期应为 YYYY-MM-DD 格式的日期。")
        else:
            body["on"] = on_day.isoformat()
    note = first(form, "note").strip()
    if len(note) > _MAX_NOTE:
        errors.append(f"备注不能超过 {_MAX_NOTE} 个字。")
    elif note:
        body["note"] = note
    tracking = first(form, "postal_tracking").strip()
    if len(tracking) > 64:
        errors.append("邮件号码不能超过 64 个字符。")
    elif tracking:
        body["postal_tracking"] = tracking

    def text(field: str, what: str) -> None:
        value = first(form, field).strip()
        if not value:
            errors.append(f"请填写{what}。")
        elif len(value) > _MAX_TEXT:
            errors.append(f"{what}不能超过 {_MAX_TEXT} 个字。")
        else:
            body[field] = value

    def choice(field: str, labels: Mapping[str, str], what: str) -> None:
        value = first(form, field)
        if value not in labels:
            errors.append(f"请从列表中选择{what}。")
        else:
            body[field] = value

    def integer(field: str, low: int, high: int, what: str, *, required: bool = True) -> None:
        value = first(form, field).strip()
        if not value and not required:
            return
        if not value.isdigit() or not low <= int(value) <= high:
            errors.append(f"{what}应为 {low} 到 {high} 之间的整数。")
        else:
            body[field] = int(value)

    def day(field: str, what: str) -> None:
        value = _date(first(form, field).strip())
        if value is None:
            errors.append(f"请以 YYYY-MM-DD 格式填写{what}。")
        else:
            body[field] = value.isoformat()

    if "items" in spec.fields:
        items = [line.strip() for line in first(form, "items").splitlines() if line.strip()]
        if not items:
            errors.append("请逐行填写需要补正的全部事项（一次性告知）。")
        elif len(items) > 50 or any(len(item) > _MAX_TEXT for item in items):
            errors.append(f"补正事项最多 50 项，每项不超过 {_MAX_TEXT} 个字。")
        else:
            body["items"] = items
    if "reply_by" in spec.fields:
        day("reply_by", "补正期限")
    if "party" in spec.fields:
        choice("party", PARTY_LABELS, "征求对象类型")
    if "consultee" in spec.fields:
        text("consultee", "征求对象（第三方或机关的名称）")
    if "reply" in spec.fields:
        choice("reply", REPLY_LABELS, "答复意见")
    if "consultation" in spec.fields:
        integer("consultation", 1, 1000, "征求意见序号", required=False)
    if "days" in spec.fields:
        integer("days", 1, 20, "延长的工作日数")
    if "reason" in spec.fields:
        text("reason", "延长理由")
    if "approver" in spec.fields:
        text("approver", "批准延长的负责人")
    if "due_on" in spec.fields:
        day("due_on", "告知申请人的答复期限")
    if "basis" in spec.fields:
        choice("basis", BASIS_LABELS, "计费方式")
        if body.get("basis") == "pages":
            integer("pages", 1, 1_000_000, "页数")
    if "outcome" in spec.fields:
        choice("outcome", OUTCOME_LABELS, "办理结果")
    papers, paper_errors = parse_papers(form)
    errors += paper_errors
    if papers:
        body["documents"] = papers
    return (None, errors) if errors else (body, [])


def parse_papers(form: Form) -> tuple[list[dict[str, str]], list[str]]:
    """The step's papers (the API's ``documents``): one title a line, sent and received; or what to correct."""
    papers: list[dict[str, str]] = []
    errors: list[str] = []
    for direction, field in PAPER_FIELDS.items():
        titles = [" ".join(line.split()) for line in first(form, field).splitlines()]
        for title in filter(None, titles):
            if len(title) > _MAX_TEXT:
                errors.append(f"{PAPER_LABELS[direction]}“{title[:20]}…”的名称超过 {_MAX_TEXT} 个字，请缩短。")
            papers.append({"title": title, "direction": direction})
    if len(papers) > _MAX_PAPERS:
        errors.append(f"一个步骤最多登记 {_MAX_PAPERS} 件文书（现为 {len(papers)} 件）。")
    return papers, errors


def parse_appeal(form: Form, today: date, received_on: str | None) -> tuple[dict[str, Any] | None, list[str]]:
    """The body of ``POST /api/v1/appeals`` for this case (without its id), or what to correct."""
    errors: list[str] = []
    kind = first(form, "kind")
    if kind not in APPEAL_KINDS:
        errors.append("请选择类别：行政复议、行政诉讼（未经复议直接起诉）或行政诉讼（复议后起诉）。")
    filed_on = _date(first(form, "filed_on").strip())
    if filed_on is None:
        errors.append("请以 YYYY-MM-DD 格式填写提起复议或诉讼的日期。")
    elif filed_on > today:
        errors.append("提起日期不能晚于今天。")
    elif received_on and filed_on.isoformat() < received_on:
        errors.append(f"提起日期不能早于收到申请之日（{received_on}）。")
    texts: dict[str, str] = {}
    for field, (label, limit) in APPEAL_TEXT_FIELDS.items():
        value = first(form, field).strip()
        if _CONTROL.search(value):
            errors.append(f"{label}只能是一行文字，不能含换行、制表符等控制字符。")
        elif len(" ".join(value.split())) > limit:
            errors.append(f"{label}不能超过 {limit} 个字（现为 {len(' '.join(value.split()))} 个）。")
        elif value:
            texts[field] = value
    note = first(form, "note").strip()
    if len(note) > _MAX_NOTE:
        errors.append(f"备注不能超过 {_MAX_NOTE} 个字。")
    if errors or filed_on is None:
        return None, errors
    body: dict[str, Any] = {"kind": kind, "filed_on": filed_on.isoformat(), **texts}
    if note:
        body["note"] = note
    return body, []


def parse_appeal_result(form: Form, today: date, filed_on: str) -> tuple[dict[str, Any] | None, list[str]]:
    """The body of ``POST /api/v1/appeals/{id}/result``, or what to correct."""
    errors: list[str] = []
    result = first(form, "result")
    if result not in APPEAL_RESULT_LABELS:
        errors.append("请选择结果：结果维持、结果纠正或其他结果。")
    on = _date(first(form, "on").strip())
    if on is None:
        errors.append("请以 YYYY-MM-DD 格式填写复议决定或裁判的日期。")
    elif on > today:
        errors.append("结果日期不能晚于今天。")
    elif on.isoformat() < filed_on:
        errors.append(f"结果日期不能早于提起复议或诉讼之日（{filed_on}）。")
    note = first(form, "note").strip()
    if len(note) > _MAX_NOTE:
        errors.append(f"备注不能超过 {_MAX_NOTE} 个字。")
    if errors or on is None:
        return None, errors
    body: dict[str, Any] = {"result": result, "on": on.isoformat()}
    if note:
        body["note"] = note
    return body, []


def next_action(case: Mapping[str, Any]) -> str | None:
    """The step most likely next for the case as it stands: its form is the one shown open.

    A case in progress that has had no step but its receipt is first checked for completeness (补正 within
    7 working days); after that the next step is usually the answer.
    """
    status = case.get("status")
    if status == "in_progress":
        untouched = not any(case.get(k) for k in ("correction", "consultations", "fee", "extension_days"))
        steps = [h.get("step") for h in case.get("history") or []]
        fresh = untouched and set(steps) <= {"request.received", "request.receipt_confirmed"}
        return "request_correction" if fresh else "answer"
    return {
        "awaiting_confirmation": "confirm_receipt",
        "awaiting_correction": "correction_received",
        "consulting": "third_party_replied",
        "awaiting_payment": "fee_paid",
    }.get(str(status))


# Pages -----------------------------------------------------------------------------------------


def _new_page(
    console: Console,
    request: Request,
    user: SignedInUser,
    values: Mapping[str, str],
    errors: list[str],
    status: int,
) -> HTMLResponse:
    context = {
        "values": values,
        "errors": errors,
        "channels": {k: CHANNEL_LABELS[k] for k in PAPER_CHANNELS},
        "kinds": KIND_LABELS,
        "org_types": ORG_TYPES,
        "delivery_forms": DELIVERY_FORMS,
        "delivery_methods": DELIVERY_METHODS,
        "form_id": secrets.token_urlsafe(18),
        "csrf_token": user.session.csrf_token,
    }
    return console.page(request, "request_new.html", context, user=user, status=status)


async def _case_page(
    console: Console,
    request: Request,
    user: SignedInUser,
    case: dict[str, Any],
    today: date,
    *,
    errors: list[str] | None = None,
    done: str = "",
    status: int = 200,
    failed: str = "",
    kept: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The case view; ``failed`` names the form just refused (shown open, with ``kept``, what was typed)."""
    may_act = user.may(*ACT)
    allowed = ALLOWED.get(case["status"], ()) if may_act else ()
    opened = failed if failed in allowed else next_action(case)
    forms = [
        {
            "name": name,
            "spec": ACTIONS[name],
            "form_id": secrets.token_urlsafe(18),
            "open": name == opened,
            "values": dict(kept or {}) if name == failed else {},
            "papers": PAPERS.get(name, ()),
        }
        for name in sorted(allowed, key=lambda n: ACTIONS[n].closes)
    ]
    try:
        appeals: list[dict[str, Any]] | None
        appeals, _ = await user.api.items("/api/v1/appeals", {"request_id": case["id"]}, cap=200)
    except (ApiError, ApiUnavailable):
        appeals = None  # the case is shown all the same, saying its appeals could not be read
    open_consultations = [c for c in case.get("consultations") or [] if not c.get("replied_on")]
    context = {
        "case": case,
        "status_label": STATUS_LABELS.get(case["status"], case["status"]),
        "channel_label": CHANNEL_LABELS.get(case["channel"], case["channel"]),
        "kind_label": KIND_LABELS.get(case["applicant"].get("kind", ""), ""),
        "org_label": ORG_TYPES.get(case["applicant"].get("org_type") or "", ""),
        "outcome_label": OUTCOME_LABELS.get(case.get("outcome") or "", ""),
        "history": list(reversed(case.get("history") or [])),
        "forms": forms,
        "may_act": may_act,
        "open_consultations": open_consultations,
        "party_labels": PARTY_LABELS,
        "reply_labels": REPLY_LABELS,
        "basis_labels": BASIS_LABELS,
        "outcome_labels": OUTCOME_LABELS,
        "delivery_forms": DELIVERY_FORMS,
        "delivery_methods": DELIVERY_METHODS,
        "paper_fields": PAPER_FIELDS,
        "paper_labels": PAPER_LABELS,
        "appeals": sorted(appeals, key=lambda a: (a["filed_on"], a["id"])) if appeals is not None else None,
        "appeal_kinds": APPEAL_KINDS,
        "appeal_results": APPEAL_RESULT_LABELS,
        "appeal_status_labels": APPEAL_STATUS_LABELS,
        "appeal_consequence": APPEAL_CONSEQUENCE,
        "result_consequence": RESULT_CONSEQUENCE,
        "appeal_form_id": secrets.token_urlsafe(18),
        "result_form_ids": {a["id"]: secrets.token_urlsafe(18) for a in appeals or []},
        "failed": failed,
        "kept": dict(kept or {}),
        "today": today.isoformat(),
        "errors": errors or [],
        "done": done,
        "csrf_token": user.session.csrf_token,
    }
    return console.page(request, "request.html", context, user=user, status=status)


def _refusal(exc: ApiError, action: str) -> list[str]:
    label = ACTIONS[action].label
    if exc.status == 409:
        return conflict_lines(exc, label, STATUS_LABELS, "申请")
    return [f"“{label}”未被记录，请修改后重新提交：", *field_lines(exc, FIELD_LABELS, frozenset(ACTIONS))]


MISSING = "未找到该申请。"


def _not_found(console: Console, request: Request, user: SignedInUser) -> HTMLResponse:
    return console.message(request, "未找到", MISSING, user=user, status=404)
