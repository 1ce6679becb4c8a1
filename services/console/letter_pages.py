"""信箱/咨询 in the console: the list of letters, entering a letter received on paper, by phone or at the counter,
the letter view, the clerk's steps and the reviewer's publication and its withdrawal.

Every page reads and writes through the letters API as the signed-in user (docs/letters.md); a letter a
clerk enters goes to intake's ``POST /api/v1/letters`` with how it came (来信方式), its receipt date and an
optional note for colleagues (staff only), and its tracking code is shown once. The view
offers the forms the letter's status allows: clerks assign, extend, transfer to 信访 and reply;
reviewers publish a replied letter (公开信件选登) with texts they have cleared of personal data, take a
published one down (撤下公开, a folded form with the reason) and may publish it again. The
API stays the judge: a step it refuses (409 for the state, 422 for the values or personal data still in
the texts) is shown in Chinese with nothing recorded. Each form carries its own ``form_id``, sent as
``Idempotency-Key``, so a form submitted twice is recorded once.
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
from gongkai.vocabulary import LETTER_CATEGORY_LABELS, LETTER_CHANNEL_LABELS, LETTER_KIND_LABELS, RATING_LABELS
from services.console.api_client import ApiError, ApiUnavailable
from services.console.api_text import conflict_lines, field_lines, in_chinese
from services.console.web import (
    PREFIX,
    Console,
    Form,
    SignedInUser,
    first,
    form_key,
    post_form,
)

__all__ = ["LETTER_ACTIONS", "allowed_letter_actions", "letter_router", "parse_paper_letter"]

READ = (Role.CLERK, Role.REVIEWER, Role.PUBLISHER)

STATUS_LABELS = {"open": "待办理", "assigned": "已交办", "replied": "已答复", "transferred": "已转信访部门办理"}
#: The list's status filter: the API's ``open`` means every letter not yet closed.
STATUS_FILTERS = {
    "open": "未办结（待办理、已交办）",
    "assigned": "已交办",
    "replied": "已答复",
    "transferred": "已转信访",
}
PENDING = ("open", "assigned")
SETTLED_AT_ONCE = "一次性办结：未退回补充、未重新办理"
PUBLISH_NOTE = "须删除来信人姓名、电话、邮箱等个人信息，否则不能公开"
#: How a clerk's letter came: every channel but the public form's (网上来信).
PAPER_CHANNELS = {code: label for code, label in LETTER_CHANNEL_LABELS.items() if code != "online"}
MAX_LETTER_NOTE = 500
MAX_REASON = 500


@dataclass(frozen=True)
class LetterAction:
    label: str
    consequence: str
    path: str
    role: Role


LETTER_ACTIONS: dict[str, LetterAction] = {
    "assign": LetterAction(
        "交办承办单位",
        "交办后状态为“已交办”，由承办单位办理；可以改派。办理期限自收信之日起计算，不因交办而改变。",
        "assign",
        Role.CLERK,
    ),
    "extend": LetterAction(
        "延长办理期限",
        "办理期限只能延长一次，须说明理由，并须在期限届满前办理；延长后的期限自收信之日起合计不超过{max}个工作日。",
        "extend",
        Role.CLERK,
    ),
    "transfer": LetterAction(
        "转信访部门办理",
        "属于信访事项的，转信访部门依照信访工作规定办理；本信件随即办结，单独统计，不计入信箱的按期答复率。",
        "transfer",
        Role.CLERK,
    ),
    "reply": LetterAction(
        "答复",
        "答复后办结，来信人可凭查询码查看答复并评价；晚于办理期限答复的，计为未按期答复。",
        "reply",
        Role.CLERK,
    ),
    "publish": LetterAction(
        "公开信件选登",
        PUBLISH_NOTE + "。公开的标题、来信和答复内容由审查员确认；公开后可以撤下，撤下后可以重新公开。",
        "publish",
        Role.REVIEWER,
    ),
    "unpublish": LetterAction(
        "撤下公开",
        "撤下后，该信件不再在门户网站“公开信件选登”中显示，原网址显示为未找到；撤下理由仅工作人员可见，"
        "不对外公开。撤下后可以重新公开。",
        "unpublish",
        Role.REVIEWER,
    ),
}
FIELD_LABELS = {
    "on": "日期",
    "note": "备注",
    "department": "承办单位",
    "workdays": "延长后的办理期限",
    "reason": "延长理由",
    "to": "转交部门",
    "body": "正文",
    "first_pass": "一次性办结",
    "title": "标题",
    "reply": "答复内容",
}
UNPUBLISH_FIELD_LABELS = {**FIELD_LABELS, "reason": "撤下理由"}
#: The names of the intake API's fields, for its 422 to a letter entered by a clerk.
NEW_FIELD_LABELS = {
    "kind": "来信类型",
    "category": "类别",
    "title": "标题",
    "body": "来信内容",
    "department": "收信部门",
    "received_on": "收信日期",
    "channel": "来信方式",
    "note": "备注",
    "contact": "来信人联系方式",
    "contact.name": "来信人姓名",
    "contact.phone": "来信人电话",
    "contact.email": "来信人电子邮箱",
}
_NEW_FIELDS = (
    "kind",
    "category",
    "channel",
    "department",
    "title",
    "body",
    "received_on",
    "name",
    "phone",
    "email",
    "note",
)
#: Mailboxes, as opposed to consultations: a writer who leaves a name must leave a phone or an e-mail.
_MAILBOXES = ("mayor_mailbox", "department_mailbox")
#: How long recording a letter waits for the review service to show it.
APPEAR_WAIT_S = 5.0
DONE = {name: f"已登记：{spec.label}。" for name, spec in LETTER_ACTIONS.items()} | {
    "publish": "已公开：该信件已在“公开信件选登”中发布。",
    "unpublish": "已撤下：该信件已从“公开信件选登”中撤下，门户网站不再显示。",
    "replayed": "该表单已经提交过，本次未重复记录。",
}
PAGE_SIZE = 50
_ID = re.compile(r"^[0-9a-f]{32}$")
_MAX_TEXT = 200
_MAX_LONG = 20_000
_MAX_NOTE = 2000
_WHAT = {"name": "来信人姓名", "phone": "来信人电话", "email": "来信人邮箱"}
_FINDINGS = {
    "id_number": "身份证号码",
    "bank_card": "银行卡号",
    "phone": "电话号码",
    "landline": "电话号码",
    "email": "电子邮箱地址",
    "secrecy_marking": "密级标志",
}


def allowed_letter_actions(letter: Mapping[str, Any], user: SignedInUser) -> list[str]:
    """The forms this user sees for the letter as it stands (the API's rules, to decide what to show)."""
    if letter["status"] in PENDING:
        names = ["assign", "transfer", "reply"]
        if not letter.get("extended"):
            names.insert(1, "extend")
    elif letter["status"] == "replied":
        names = ["unpublish"] if letter.get("published") else ["publish"]
    else:
        names = []
    return [n for n in names if user.may(LETTER_ACTIONS[n].role)]


# Shared by the letter and proposal pages ----------------------------------------------------------


def parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
    except ValueError:
        return None


def common_fields(form: Form, today: date, body: dict[str, Any], errors: list[str]) -> None:
    """The day (default today, never later) and the note of a step."""
    on = first(form, "on").strip()
    if on:
        day = parse_day(on)
        if day is None:
            errors.append("日期应为 YYYY-MM-DD 格式的日期。")
        elif day > today:
            errors.append("办理日期不能晚于今天。")
        else:
            body["on"] = on
    note = first(form, "note").strip()
    if len(note) > _MAX_NOTE:
        errors.append(f"备注不能超过 {_MAX_NOTE} 字。")
    elif note:
        body["note"] = note


def text_field(
    form: Form, name: str, label: str, body: dict[str, Any], errors: list[str], limit: int = _MAX_TEXT
) -> None:
    value = first(form, name).strip()
    if not value:
        errors.append(f"请填写{label}。")
    elif len(value) > limit:
        errors.append(f"{label}不能超过 {limit} 字。")
    else:
        body[name] = value


def parse_letter_action(form: Form, today: date, max_workdays: int) -> tuple[str, dict[str, Any] | None, list[str]]:
    """(action, the API body or None, what to correct) for one posted letter form."""
    action = first(form, "action")
    if action not in LETTER_ACTIONS:
        return action, None, ["无法识别的操作，本次未作任何记录。"]
    body: dict[str, Any] = {}
    errors: list[str] = []
    if action == "unpublish":
        text_field(form, "reason", "撤下理由", body, errors, MAX_REASON)
        return action, (None if errors else body), errors
    if action == "publish":
        text_field(form, "title", "公开的标题", body, errors)
        text_field(form, "body", "公开的来信内容", body, errors, _MAX_LONG)
        text_field(form, "reply", "公开的答复内容", body, errors, _MAX_LONG)
        return action, (None if errors else body), errors
    common_fields(form, today, body, errors)
    if action == "assign":
        text_field(form, "department", "承办单位", body, errors)
    elif action == "extend":
        raw = first(form, "workdays").strip()
        if not raw.isdigit() or not 1 <= int(raw) <= max_workdays:
            errors.append(f"延长后的办理期限应为 1 到 {max_workdays} 之间的工作日数。")
        else:
            body["workdays"] = int(raw)
        text_field(form, "reason", "延长理由", body, errors)
    elif action == "transfer":
        body["to"] = first(form, "to").strip()[:_MAX_TEXT] or "信访部门"
    elif action == "reply":
        text_field(form, "body", "答复内容", body, errors, _MAX_LONG)
        if first(form, "first_pass") not in ("", "1"):
            errors.append("“一次性办结”的值无效。")
        body["first_pass"] = first(form, "first_pass") == "1"
    return action, (None if errors else body), errors


def _personal_data(exc: ApiError) -> list[str]:
    """The publication API's refusal (English messages naming kind and position) in Chinese."""
    lines = ["未公开：" + PUBLISH_NOTE + "。以下内容仍需删除（本次未作任何记录）："]
    for item in exc.problem.get("errors") or []:
        if not isinstance(item, dict):
            continue
        label = FIELD_LABELS.get(str(item.get("field")), str(item.get("field")))
        message = str(item.get("message", ""))
        if hit := re.fullmatch(r"contains the writer's (\w+)", message):
            lines.append(f"{label}中含有{_WHAT.get(hit.group(1), hit.group(1))}。")
        elif hit := re.fullmatch(r"contains .* \((\w+)\) at (\d+)[–-](\d+)", message):
            what = _FINDINGS.get(hit.group(1), hit.group(1))
            lines.append(f"{label}第 {int(hit.group(2)) + 1}–{hit.group(3)} 个字符处含有{what}。")
        else:
            lines.append(f"{label}：{in_chinese(message)}")
    return lines


def _refusal(exc: ApiError, action: str) -> list[str]:
    label = LETTER_ACTIONS[action].label
    if exc.status == 409:
        return conflict_lines(exc, label, STATUS_LABELS, "信件")
    if str(exc.problem.get("type", "")).endswith("personal-data") and exc.problem.get("errors"):
        return _personal_data(exc)
    labels = UNPUBLISH_FIELD_LABELS if action == "unpublish" else FIELD_LABELS
    return [f"“{label}”未被记录，请修改后重新提交：", *field_lines(exc, labels)]


def parse_paper_letter(form: Form, today: date) -> tuple[dict[str, Any] | None, list[str]]:
    """The body of ``POST /api/v1/letters`` for a letter a clerk enters (by post, phone, at the counter, …).

    What the page can say plainly is checked here; the API checks the rest (phone and e-mail formats) and
    its refusals are listed by field.
    """
    values = {name: first(form, name).strip() for name in _NEW_FIELDS}
    errors: list[str] = []
    body: dict[str, Any] = {}
    if values["kind"] not in LETTER_KIND_LABELS:
        errors.append("请选择来信类型（市长信箱、部门信箱或在线咨询）。")
    else:
        body["kind"] = values["kind"]
    if values["category"] not in LETTER_CATEGORY_LABELS:
        errors.append("请选择类别（咨询、投诉、建议或求助）。")
    else:
        body["category"] = values["category"]
    if values["channel"] not in PAPER_CHANNELS:
        errors.append(f"请选择来信方式（{'、'.join(PAPER_CHANNELS.values())}）。")
    else:
        body["channel"] = values["channel"]
    if values["kind"] == "department_mailbox":
        text_field(form, "department", "收信部门（写给哪个部门的信箱）", body, errors, 100)
    elif values["department"]:
        errors.append("只有写给部门信箱的来信才填写收信部门：请清空“收信部门”，或将来信类型选为“部门信箱”。")
    text_field(form, "title", "标题", body, errors, _MAX_TEXT)
    text_field(form, "body", "来信内容", body, errors, 10_000)
    day = parse_day(values["received_on"])
    if day is None:
        errors.append("请以 YYYY-MM-DD 格式填写收信日期。")
    elif day > today:
        errors.append("收信日期不能晚于今天。")
    else:
        body["received_on"] = day.isoformat()
    contact = {k: values[k] for k in ("name", "phone", "email") if values[k]}
    if any(len(v) > 254 for v in contact.values()) or len(contact.get("name", "")) > 100:
        errors.append("来信人姓名不超过 100 字，电话、电子邮箱不超过 254 个字符。")
    if values["kind"] in _MAILBOXES and contact and not (contact.get("phone") or contact.get("email")):
        errors.append(
            "信箱来信留下姓名的，须同时登记联系电话或电子邮箱，以便答复；来信人未留联系方式的，姓名也不填"
            "（来信人凭查询码在网上查看答复）。"
        )
    if contact:
        body["contact"] = contact
    if len(values["note"]) > MAX_LETTER_NOTE:
        errors.append(f"备注不能超过 {MAX_LETTER_NOTE} 字。")
    elif values["note"]:
        body["note"] = values["note"]
    return (None, errors) if errors else (body, [])


async def filtered_list(
    user: SignedInUser,
    path: str,
    *,
    status: str,
    kind: str,
    overdue: str,
    page: int,
    statuses: Mapping[str, str],
    kinds: Mapping[str, str],
    kind_noun: str,
    flags: Mapping[str, tuple[str, str]] | None = None,
    ticked: frozenset[str] = frozenset(),
    extra: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One page of a list API filtered by status, kind and overdue, as the list templates show it.

    ``flags`` are the list's further checkboxes (the page's name → the API parameter and value it
    sends), ``ticked`` those the query has as ``=1``; ``extra`` further filters already checked, sent
    to the API and kept in the page's links as they are. Values the filters do not know are ignored with
    a message; API failures raise as for every call.
    """
    errors: list[str] = []
    params: dict[str, Any] = {}
    if status in statuses:
        params["status"] = status
    elif status:
        errors.append("无法识别的状态，已忽略该条件。")
    if kind in kinds:
        params["kind"] = kind
    elif kind:
        errors.append(f"无法识别的{kind_noun}，已忽略该条件。")
    if overdue == "1":
        params["overdue"] = "true"
    on = [name for name in (flags or {}) if name in ticked]
    params |= dict((flags or {})[name] for name in on)
    params |= dict(extra or {})
    listing = await user.api.get(path, params | {"page": page, "size": PAGE_SIZE})
    query = "&".join(f"{k}={v}" for k, v in (("status", params.get("status")), ("kind", params.get("kind"))) if v)
    query += "&overdue=1" if overdue == "1" else ""
    query += "".join(f"&{name}=1" for name in on)
    query += "".join(f"&{name}={value}" for name, value in (extra or {}).items())
    return {
        "items": listing["items"],
        "total": listing.get("total", len(listing["items"])),
        "filters": {
            "status": params.get("status", ""),
            "kind": params.get("kind", ""),
            "overdue": overdue == "1",
            **{name: name in on for name in flags or {}},
            **(extra or {}),
        },
        "errors": errors,
        "page": page,
        "more": page * PAGE_SIZE < int(listing.get("total", 0)),
        "query": query.lstrip("&"),
    }


def letter_router(console: Console, clock: Clock) -> APIRouter:
    pages = APIRouter(prefix=PREFIX, include_in_schema=False)
    missing = "未找到该信件。"

    @pages.get("/letters", response_class=HTMLResponse)
    async def letter_list(
        request: Request,
        status: Annotated[str, Query(max_length=30)] = "",
        kind: Annotated[str, Query(max_length=30)] = "",
        channel: Annotated[str, Query(max_length=30)] = "",
        overdue: Annotated[str, Query(max_length=5)] = "",
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    ) -> Response:
        user = await console.allowed(request, (*READ,), "查看信箱与咨询")
        if not isinstance(user, SignedInUser):
            return user
        try:
            listed = await filtered_list(
                user,
                "/api/v1/letters",
                status=status,
                kind=kind,
                overdue=overdue,
                page=page,
                statuses=STATUS_FILTERS,
                kinds=LETTER_KIND_LABELS,
                kind_noun="来信类型",
                extra={"channel": channel} if channel in LETTER_CHANNEL_LABELS else None,
            )
        except (ApiError, ApiUnavailable) as exc:
            return console.api_failure(request, user, exc, missing=missing)
        if channel and channel not in LETTER_CHANNEL_LABELS:
            listed["errors"].append("无法识别的来信方式，已忽略该条件。")
        context = {
            **listed,
            "channel_labels": LETTER_CHANNEL_LABELS,
            "status_labels": STATUS_LABELS,
            "status_filters": STATUS_FILTERS,
            "kind_labels": LETTER_KIND_LABELS,
            "category_labels": LETTER_CATEGORY_LABELS,
            "may_register": user.may(Role.CLERK),
            "today": clock.today().isoformat(),
        }
        return console.page(request, "letters.html", context, user=user)

    @pages.get("/letters/new", response_class=HTMLResponse)
    async def new_letter_form(request: Request) -> Response:
        user = await console.allowed(request, (Role.CLERK,), "登记来信")
        if not isinstance(user, SignedInUser):
            return user
        values = {"received_on": clock.today().isoformat(), "kind": "mayor_mailbox", "channel": "post"}
        return _new_letter_page(console, request, user, values, [], 200)

    @pages.post("/letters/new", response_class=HTMLResponse)
    async def record_letter(request: Request) -> Response:
        allowed = await console.allowed_post(request, (Role.CLERK,), "登记来信")
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        values = {name: first(form, name).strip() for name in _NEW_FIELDS}
        body, errors = parse_paper_letter(form, clock.today())
        if body is None:
            return _new_letter_page(console, request, user, values, errors, 422)
        try:
            answer = await user.api.post("/api/v1/letters", body, idempotency_key=form_key(form))
        except ApiError as exc:
            if exc.status == 422:
                lines = ["来信未被登记，请修改后重新提交：", *field_lines(exc, NEW_FIELD_LABELS)]
                return _new_letter_page(console, request, user, values, lines, 422)
            return console.api_failure(request, user, exc, missing=missing, doing="登记来信")
        except ApiUnavailable as exc:
            return console.api_failure(request, user, exc, missing=missing)
        filed = answer.json()
        letter_id, code = str(filed["id"]), str(filed.get("tracking_code", ""))
        notice = f"来信已登记。查询码：{code}（请告知来信人，用于在门户网站查看办理进度和答复；此后不再显示）。"
        if answer.headers.get("idempotent-replayed") == "true":
            notice = f"该表单已经提交过，本次未重复登记。查询码：{code}。"
        letter = await user.api.once_found(f"/api/v1/letters/{letter_id}", wait_s=APPEAR_WAIT_S)
        if letter is None:
            text = notice + "信件正在建立，请稍后在信件列表中打开。"
            return console.message(request, "来信已登记", text, user=user, status=202)
        return _letter_page(console, request, user, letter, clock.today(), done=notice)

    @pages.get("/letters/{letter_id}", response_class=HTMLResponse)
    async def letter_view(
        request: Request, letter_id: str, done: Annotated[str, Query(max_length=30)] = ""
    ) -> Response:
        user = await console.allowed(request, (*READ,), "查看信箱与咨询")
        if not isinstance(user, SignedInUser):
            return user
        if not _ID.match(letter_id):
            return console.message(request, "未找到", missing, user=user, status=404)
        letter = await console.fetch(request, user, f"/api/v1/letters/{letter_id}", missing=missing)
        if isinstance(letter, Response):
            return letter
        return _letter_page(console, request, user, letter, clock.today(), done=DONE.get(done, ""))

    @pages.post("/letters/{letter_id}/actions", response_class=HTMLResponse)
    async def letter_act(request: Request, letter_id: str) -> Response:
        allowed = await console.allowed_post(request, (Role.CLERK, Role.REVIEWER), "办理信件")
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        if not _ID.match(letter_id):
            return console.message(request, "未找到", missing, user=user, status=404)
        today = clock.today()
        action, body, errors = parse_letter_action(form, today, console.settings.letter_max_workdays)
        if action in LETTER_ACTIONS and not user.may(LETTER_ACTIONS[action].role):
            return console.forbidden(request, user, f"进行“{LETTER_ACTIONS[action].label}”")
        path = f"/api/v1/letters/{letter_id}"
        status = 422
        if body is not None:
            posted = await post_form(
                console,
                request,
                user,
                f"{path}/{LETTER_ACTIONS[action].path}",
                body,
                form,
                back=f"{PREFIX}/letters/{letter_id}",
                outcome=action,
                refusal=lambda exc: _refusal(exc, action),
                missing=missing,
            )
            if not isinstance(posted, tuple):
                return posted
            errors, status = posted
        letter = await console.fetch(request, user, path, missing=missing)
        if isinstance(letter, Response):
            return letter
        kept = {k: first(form, k) for k in ("department", "workdays", "reason", "to", "body", "title", "reply", "note")}
        if action == "reply":
            kept["first_pass"] = first(form, "first_pass")
        return _letter_page(
            console, request, user, letter, today, errors=errors, failed=action, kept=kept, status=status
        )

    return pages


def _new_letter_page(
    console: Console, request: Request, user: SignedInUser, values: Mapping[str, str], errors: list[str], status: int
) -> HTMLResponse:
    context = {
        "values": values,
        "errors": errors,
        "kinds": LETTER_KIND_LABELS,
        "categories": LETTER_CATEGORY_LABELS,
        "channels": PAPER_CHANNELS,
        "max_note": MAX_LETTER_NOTE,
        "form_id": secrets.token_urlsafe(18),
        "csrf_token": user.session.csrf_token,
    }
    return console.page(request, "letter_new.html", context, user=user, status=status)


def _letter_page(
    console: Console,
    request: Request,
    user: SignedInUser,
    letter: dict[str, Any],
    today: date,
    *,
    done: str = "",
    errors: list[str] | None = None,
    failed: str = "",
    kept: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    max_workdays = console.settings.letter_max_workdays
    forms = [
        {
            "name": name,
            "spec": LETTER_ACTIONS[name],
            "consequence": LETTER_ACTIONS[name].consequence.format(max=max_workdays),
            "form_id": secrets.token_urlsafe(18),
            "values": dict(kept or {}) if name == failed else {},
            "open": name == failed,
        }
        for name in allowed_letter_actions(letter, user)
    ]
    context = {
        "letter": letter,
        "status_label": STATUS_LABELS.get(letter["status"], letter["status"]),
        "kind_label": LETTER_KIND_LABELS.get(letter["kind"], letter["kind"]),
        "category_label": LETTER_CATEGORY_LABELS.get(letter["category"], letter["category"]),
        "channel_label": LETTER_CHANNEL_LABELS.get(letter.get("channel") or "", "未记录"),
        "max_reason": MAX_REASON,
        "rating_labels": RATING_LABELS,
        "channel_labels": LETTER_CHANNEL_LABELS,
        "history": list(reversed(letter.get("history") or [])),
        "forms": forms,
        "may_handle": user.may(Role.CLERK),
        "may_publish": user.may(Role.REVIEWER),
        "max_workdays": max_workdays,
        "settled_at_once": SETTLED_AT_ONCE,
        "publish_note": PUBLISH_NOTE,
        "today": today.isoformat(),
        "errors": errors or [],
        "done": done,
        "csrf_token": user.session.csrf_token,
    }
    return console.page(request, "letter.html", context, user=user, status=status)
