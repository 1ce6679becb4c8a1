"""保密审查 in the console: the queue, a document's review view, the reviewer's decision form, and the
publisher's forms for a published document (撤回公开, 标注效力状态; their rules are in ``publishing.py``).

The page mirrors the review API's rules so it can explain them before sending anything (which
decisions a status allows, that findings must be redacted or consciously overridden, that reject,
escalate and reopen need a comment); the API stays the judge and its refusals are shown in the page.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from gongkai.auth import Role
from gongkai.vocabulary import category_label
from services.console.api_client import ApiError, ApiUnavailable
from services.console.api_text import conflict_lines, field_lines
from services.console.publishing import (
    FIELD_LABELS,
    PUBLISH,
    PUBLISH_ACTIONS,
    SUCCESSOR_VERBS,
    VALIDITY_LABELS,
    PublishForms,
    is_public,
    parse_validity,
    parse_withdrawal,
    resolve_successor,
)
from services.console.text_view import DEFAULT_REASONS, FINDING_LABELS, MAX_REASON, merge_spans, render
from services.console.web import (
    PREFIX,
    SECURITY_HEADERS,
    Console,
    Form,
    SignedInUser,
    first,
    form_key,
    see_other,
)

__all__ = ["review_router"]

#: Who may read documents' review files, and who may decide: the review API's own role checks.
READ = (Role.CLERK, Role.REVIEWER, Role.PUBLISHER)
DECIDE = (Role.REVIEWER,)

STATUS_LABELS = {
    "submitted": "已提交",
    "in_review": "待审查",
    "escalated": "已报请保密行政管理部门审查",
    "approved": "已批准，待发布",
    "published": "已公开",
    "rejected": "不予公开",
    "withdrawn": "已撤回",
}
DECISION_LABELS = {
    "approve": "批准公开",
    "reject": "不予公开",
    "escalate": "报请保密行政管理部门审查",
    "reopen": "重新审查",
}
#: The decisions each status allows (services/review/domain.py's transition table, as a reviewer meets it).
ALLOWED = {
    "in_review": ("approve", "reject", "escalate"),
    "escalated": ("approve", "reject"),
    "rejected": ("reopen",),
}
NEEDS_COMMENT = frozenset({"reject", "escalate", "reopen"})
STEP_LABELS = {
    "submitted": "提交审查",
    "revised": "提交修订稿",
    "approve": "批准公开",
    "redact": "删除部分内容后批准公开",
    "reject": "不予公开",
    "escalate": "报请保密行政管理部门审查",
    "reopen": "重新审查",
    "publish": "已发布",
    "withdraw": "撤回",
    "validity": "效力状态变更",
    "ignored": "未生效的操作",
}
DONE = {
    "approve": "已批准公开，文件将在发布后出现在门户网站。",
    "redact": "已批准公开：所选内容将以“■”替换后发布。",
    "reject": "已决定不予公开，到期将提示复审。",
    "escalate": "已报请保密行政管理部门审查。",
    "reopen": "文件已重新进入审查。",
    "replayed": "该表单已经提交过，本次未重复记录。",
    "pending": "决定已提交，正在处理；请稍后刷新本页查看最新状态。",
    "publish_pending": "已提交，正在处理；请稍后刷新本页查看最新状态。",
    **{name: action.done for name, action in PUBLISH_ACTIONS.items()},
}
VIEWS = {
    "in_review": ("待审查", {"status": "in_review"}),
    "escalated": ("已报请审查", {"status": "escalated"}),
    "rereview": ("到期复审", {"rereview_due": "true"}),
    "overdue": ("逾期未公开", {"overdue": "true"}),
    "rejected": ("不予公开", {"status": "rejected"}),
    "published": ("已公开", {"status": "published"}),
    "withdrawn": ("已撤回", {"status": "withdrawn"}),
    "all": ("全部", {}),
}
#: The views whose documents have been public: their 效力状态 is shown.
PUBLIC_VIEWS = frozenset({"published", "withdrawn", "all"})
MANUAL_ROWS = 3
_MAX_MANUAL_ROWS = 20
_MAX_COMMENT = 2000
_DOC_ID = re.compile(r"^[0-9a-f]{32}$")
PAGE_SIZE = 50
#: How long a decision page waits for review to apply the decision before showing the document again.
APPLY_WAIT_S = 5.0
#: How many successors named in a document's history get their titles looked up.
_MAX_SUCCESSORS = 5


@dataclass
class DecisionForm:
    """What the reviewer filled in (shown again with the messages when something is wrong)."""

    selected: set[int] = field(default_factory=set)
    reasons: dict[int, str] = field(default_factory=dict)
    manual: list[tuple[str, str, str]] = field(default_factory=lambda: [("", "", "")] * MANUAL_ROWS)
    comment: str = ""
    override: bool = False


def review_router(console: Console) -> APIRouter:
    pages = APIRouter(prefix=PREFIX, include_in_schema=False)

    @pages.get("/review", response_class=HTMLResponse)
    async def queue(
        request: Request,
        view: Annotated[str, Query(max_length=20)] = "",
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    ) -> Response:
        user = await console.allowed(request, (*READ,), "查看保密审查")
        if not isinstance(user, SignedInUser):
            return user
        if view not in VIEWS:
            # A publisher's documents are the published ones; everyone else starts with what waits for review.
            view = "published" if user.session.role is Role.PUBLISHER else "in_review"
        params = {**VIEWS[view][1], "page": page, "size": PAGE_SIZE}
        listing = await console.fetch(request, user, "/api/v1/documents", params, missing="未找到该文件。")
        if isinstance(listing, Response):
            return listing
        context = {
            "views": VIEWS,
            "view": view,
            "items": listing["items"],
            "page": page,
            "more": len(listing["items"]) == PAGE_SIZE,
            "status_labels": STATUS_LABELS,
            "validity_labels": VALIDITY_LABELS,
            "show_validity": view in PUBLIC_VIEWS,
            "category_label": category_label,
        }
        return console.page(request, "review_queue.html", context, user=user)

    @pages.get("/documents/{doc_id}", response_class=HTMLResponse)
    async def document(request: Request, doc_id: str, done: Annotated[str, Query(max_length=20)] = "") -> Response:
        user = await console.allowed(request, (*READ,), "查看保密审查")
        if not isinstance(user, SignedInUser):
            return user
        if not _DOC_ID.match(doc_id):
            return console.message(request, "未找到", "未找到该文件。", user=user, status=404)
        doc = await console.fetch(request, user, f"/api/v1/documents/{doc_id}", missing="未找到该文件。")
        if isinstance(doc, Response):
            return doc
        return await _document_page(console, request, user, doc, DecisionForm(), [], DONE.get(done, ""), 200)

    @pages.post("/documents/{doc_id}/decision", response_class=HTMLResponse)
    async def decide(request: Request, doc_id: str) -> Response:
        allowed = await console.allowed_post(request, (*DECIDE,), "作出保密审查决定")
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        if not _DOC_ID.match(doc_id):
            return console.message(request, "未找到", "未找到该文件。", user=user, status=404)
        doc = await console.fetch(request, user, f"/api/v1/documents/{doc_id}", missing="未找到该文件。")
        if isinstance(doc, Response):
            return doc
        command, state, errors = parse_decision(form, doc)
        if command is None:
            return await _document_page(console, request, user, doc, state, errors, "", 422)
        key = form_key(form)
        try:
            answer = await user.api.post(f"/api/v1/documents/{doc_id}/review", command, idempotency_key=key)
        except ApiError as exc:
            if exc.status in (409, 422):
                refusal = [_refusal(exc, doc)]
                return await _document_page(console, request, user, doc, state, refusal, "", exc.status)
            return console.api_failure(request, user, exc, missing="未找到该文件。")
        except ApiUnavailable as exc:
            return console.api_failure(request, user, exc, missing="未找到该文件。")
        if answer.headers.get("idempotent-replayed") == "true":
            outcome = "replayed"
        elif await _applied(user, doc_id, len(doc["history"])):
            outcome = command["decision"]
        else:
            outcome = "pending"
        return Response(
            status_code=303,
            headers={**SECURITY_HEADERS, "Location": f"{PREFIX}/documents/{doc_id}?done={outcome}"},
        )

    @pages.post("/documents/{doc_id}/withdraw", response_class=HTMLResponse)
    async def withdraw(request: Request, doc_id: str) -> Response:
        allowed = await console.allowed_post(request, (*PUBLISH,), "撤回已公开的文件")
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        return await _publish_step(console, request, user, form, doc_id, "withdraw")

    @pages.post("/documents/{doc_id}/validity", response_class=HTMLResponse)
    async def validity(request: Request, doc_id: str) -> Response:
        allowed = await console.allowed_post(request, (*PUBLISH,), "标注文件的效力状态")
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        return await _publish_step(console, request, user, form, doc_id, "validity")

    return pages


async def _publish_step(
    console: Console, request: Request, user: SignedInUser, form: Form, doc_id: str, action: str
) -> Response:
    """撤回公开 or 标注效力状态: check the form, send it with its form_id as Idempotency-Key, wait for the effect."""
    missing = "未找到该文件。"
    if not _DOC_ID.match(doc_id):
        return console.message(request, "未找到", missing, user=user, status=404)
    label = PUBLISH_ACTIONS[action].label
    try:
        doc = await user.api.get(f"/api/v1/documents/{doc_id}")
        if action == "withdraw":
            body, kept, errors = parse_withdrawal(form)
        else:
            body, kept, errors = parse_validity(form, doc)
            if body is not None and kept["successor"]:
                successor, problem = await resolve_successor(user.api, kept["successor"], doc_id)
                if problem is not None:
                    body, errors = None, [problem]
                elif successor is not None:
                    body["replaced_by"] = successor
    except (ApiError, ApiUnavailable) as exc:
        return console.api_failure(request, user, exc, missing=missing)
    forms = PublishForms(failed=action, kept=kept)
    if body is None:
        lines = [f"“{label}”未被记录，请修改后重新提交：", *errors]
        return await _document_page(console, request, user, doc, DecisionForm(), lines, "", 422, forms)
    try:
        answer = await user.api.post(f"/api/v1/documents/{doc_id}/{action}", body, idempotency_key=form_key(form))
    except ApiError as exc:
        if exc.status not in (409, 422):
            return console.api_failure(request, user, exc, missing=missing)
        try:  # the document as it is now: a 409 means someone else acted first
            doc = await user.api.get(f"/api/v1/documents/{doc_id}")
        except (ApiError, ApiUnavailable) as again:
            return console.api_failure(request, user, again, missing=missing)
        if exc.status == 409:
            status = doc["status"]
            now = "未在门户网站公开" if status == "published" else STATUS_LABELS.get(status, status)
            lines = conflict_lines(exc, label, {"not_published": now}, "文件")
            forms = PublishForms()
        else:
            lines = [f"“{label}”未被记录，请修改后重新提交：", *field_lines(exc, FIELD_LABELS)]
        return await _document_page(console, request, user, doc, DecisionForm(), lines, "", exc.status, forms)
    except ApiUnavailable as exc:
        return console.api_failure(request, user, exc, missing=missing)
    if answer.headers.get("idempotent-replayed") == "true":
        outcome = "replayed"
    elif await _public_change(user, doc_id, len(doc["history"]), body if action == "validity" else None):
        outcome = action
    else:
        outcome = "publish_pending"
    return see_other(f"{PREFIX}/documents/{doc_id}?done={outcome}")


async def _public_change(user: SignedInUser, doc_id: str, history_before: int, validity: dict[str, Any] | None) -> bool:
    """Wait (bounded) until the file records the step and the portal shows it.

    Withdrawn (``validity`` None): the public document is gone; relabelled: it shows the new validity and successor.
    """
    deadline = time.monotonic() + APPLY_WAIT_S
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        try:
            doc = await user.api.get(f"/api/v1/documents/{doc_id}")
            if len(doc["history"]) <= history_before:
                continue
            public = await user.api.get(f"/api/v1/public/documents/{doc_id}")
        except ApiError as exc:
            return exc.status == 404 and validity is None
        except ApiUnavailable:
            return False
        if validity is not None and (public["validity"], public.get("replaced_by")) == (
            validity["validity"],
            validity.get("replaced_by"),
        ):
            return True
    return False


async def _applied(user: SignedInUser, doc_id: str, history_before: int) -> bool:
    """Wait (bounded) until review has applied the decision, so the next page shows it."""
    deadline = time.monotonic() + APPLY_WAIT_S
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        try:
            doc = await user.api.get(f"/api/v1/documents/{doc_id}")
        except (ApiError, ApiUnavailable):
            return False
        if len(doc["history"]) > history_before:
            return True
    return False


def parse_decision(form: Form, doc: dict[str, Any]) -> tuple[dict[str, Any] | None, DecisionForm, list[str]]:
    """The review API command the form stands for, or the messages saying what to correct."""
    text = doc["title"] + "\n" + doc["body"]
    findings: Sequence[dict[str, Any]] = doc["findings"]
    errors: list[str] = []
    state = DecisionForm(comment=first(form, "comment").strip(), override=first(form, "override") == "1")
    decision = first(form, "decision")
    if decision not in DECISION_LABELS:
        errors.append("请选择一项审查决定（批准公开、不予公开、报请审查或重新审查）。")
    # A decision the status does not allow goes to the API all the same: a form submitted twice is
    # answered there from its Idempotency-Key (nothing recorded twice), anything else with 409.
    if len(state.comment) > _MAX_COMMENT:
        errors.append(f"审查意见不能超过 {_MAX_COMMENT} 个字。")

    spans: list[tuple[int, int, str]] = []
    for raw in form.get("redact", []):
        if not raw.isdigit() or int(raw) >= len(findings):
            errors.append("所选的删除项不存在，请重新勾选。")
            continue
        state.selected.add(int(raw))
    for index in range(len(findings)):
        state.reasons[index] = first(form, f"reason-{index}").strip()
    for index in sorted(state.selected):
        reason = state.reasons[index]
        if not reason:
            errors.append(f"请填写第 {index + 1} 项预审发现的删除理由。")
        elif len(reason) > MAX_REASON:
            errors.append(f"第 {index + 1} 项的删除理由不能超过 {MAX_REASON} 个字。")
        else:
            spans.append((findings[index]["start"], findings[index]["end"], reason))
    starts, ends, reasons = (form.get(name, []) for name in ("manual_start", "manual_end", "manual_reason"))
    rows = max(len(starts), len(ends), len(reasons))
    if rows > _MAX_MANUAL_ROWS:
        errors.append(f"手工删除最多 {_MAX_MANUAL_ROWS} 处。")
        rows = _MAX_MANUAL_ROWS
    state.manual = []
    for row in range(rows):
        start, end, reason = (values[row].strip() if row < len(values) else "" for values in (starts, ends, reasons))
        state.manual.append((start, end, reason))
        if not (start or end or reason):
            continue
        where = f"第 {row + 1} 行手工删除："
        if not (start.isdigit() and end.isdigit()):
            errors.append(where + "起始位置和结束位置须为整数。")
        elif not 0 <= int(start) < int(end) <= len(text):
            errors.append(where + f"位置须满足 0 ≤ 起始 < 结束 ≤ {len(text)}（全文共 {len(text)} 个字符）。")
        elif not reason:
            errors.append(where + "请填写删除理由。")
        elif len(reason) > MAX_REASON:
            errors.append(where + f"删除理由不能超过 {MAX_REASON} 个字。")
        else:
            spans.append((int(start), int(end), reason))
    state.manual += [("", "", "")] * max(0, MANUAL_ROWS - len(state.manual))

    label = DECISION_LABELS.get(decision, "")
    if decision == "approve":
        if state.override and not state.comment:
            errors.append("勾选“确认其余预审发现无需删除”时，须在审查意见中说明理由。")
        open_findings = [
            i for i, f in enumerate(findings) if not any(s <= f["start"] and f["end"] <= e for s, e, _ in spans)
        ]
        if open_findings and not state.override and not errors:
            listed = "、".join(
                f"第 {i + 1} 项（{FINDING_LABELS.get(findings[i]['kind'], '其他')}）" for i in open_findings
            )
            errors.append(
                f"尚有预审发现未删除：{listed}。请勾选“删除”，或勾选“确认其余预审发现无需删除”并在意见中说明理由。"
            )
    elif decision in NEEDS_COMMENT:
        if spans:
            errors.append(f"删除内容只随“批准公开”生效：请取消所选删除项后再选择“{label}”。")
        if not state.comment:
            errors.append(f"请在审查意见中说明“{label}”的理由。")
    if errors:
        return None, state, errors
    merged = merge_spans(spans)
    command: dict[str, Any] = {"decision": decision, "comment": state.comment}
    if decision == "approve":
        command["override_findings"] = state.override
        if merged:
            command["decision"] = "redact"
            command["redactions"] = [{"start": s, "end": e, "reason": r} for s, e, r in merged]
    return command, state, []


def _refusal(exc: ApiError, doc: dict[str, Any]) -> str:
    if exc.status == 409 and "unresolved findings" in exc.detail:
        return "尚有预审发现未删除，决定未被记录。请勾选“删除”，或勾选“确认其余预审发现无需删除”并说明理由。"
    if exc.status == 409:
        now = STATUS_LABELS.get(exc.state or "", exc.state or "")
        return f"文件状态已发生变化（当前：{now}），该决定未被记录。请查看最新状态后再操作。"
    return f"提交的内容未通过校验，决定未被记录（{exc.detail}）。"


async def _titles(user: SignedInUser, ids: Sequence[str]) -> dict[str, str]:
    """The titles of the documents named as successors (from their review files); unknown ones are left out."""

    async def title(doc_id: str) -> tuple[str, str | None]:
        try:
            found = await user.api.get(f"/api/v1/documents/{doc_id}")
        except (ApiError, ApiUnavailable):
            return doc_id, None
        return doc_id, str(found["title"])

    found = await asyncio.gather(*(title(doc_id) for doc_id in ids))
    return {doc_id: name for doc_id, name in found if name is not None}


async def _document_page(
    console: Console,
    request: Request,
    user: SignedInUser,
    doc: dict[str, Any],
    state: DecisionForm,
    errors: list[str],
    done: str,
    status: int,
    publishing: PublishForms | None = None,
) -> HTMLResponse:
    text = doc["title"] + "\n" + doc["body"]
    findings = doc["findings"]
    redactions = [(r["start"], r["end"]) for r in doc.get("redactions") or []]
    may_decide = user.may(*DECIDE)
    decisions = [(d, DECISION_LABELS[d]) for d in ALLOWED.get(doc["status"], ())] if may_decide else []
    # A publisher's refusal (``publishing`` given) says itself what was not recorded; a reviewer's gets the heading.
    errors_title = "" if publishing is not None else "决定未被记录，请修改后重新提交："
    publishing = publishing or PublishForms()
    relabels = [h for h in doc["history"] if h["step"] == "validity"]
    successor = relabels[-1].get("replaced_by") if relabels and doc.get("validity", "in_force") != "in_force" else None
    named = list(dict.fromkeys(h["replaced_by"] for h in reversed(relabels) if h.get("replaced_by")))
    withdrawals = [h for h in doc["history"] if h["step"] == "withdraw"]
    may_publish = user.may(*PUBLISH) and is_public(doc)
    context = {
        "doc": doc,
        "text_html": render(text, [(f["start"], f["end"]) for f in findings], redactions),
        "text_length": len(text),
        "findings": [
            {
                "index": i,
                "kind": FINDING_LABELS.get(f["kind"], f["kind"]),
                "excerpt": f.get("excerpt", ""),
                "start": f["start"],
                "end": f["end"],
                "reason": state.reasons.get(i) if i in state.reasons else DEFAULT_REASONS.get(f["kind"], ""),
            }
            for i, f in enumerate(findings)
        ],
        "redactions": doc.get("redactions") or [],
        "history": list(reversed(doc["history"])),
        "step_labels": STEP_LABELS,
        "status_label": STATUS_LABELS.get(doc["status"], doc["status"]),
        "category_label": category_label(doc["category"]),
        "may_decide": may_decide,
        "decisions": decisions,
        "errors_title": errors_title,
        "public": is_public(doc),
        "validity_labels": VALIDITY_LABELS,
        "successor": successor,
        "successor_verbs": SUCCESSOR_VERBS,
        "titles": await _titles(user, named[:_MAX_SUCCESSORS]),
        "withdrawal": withdrawals[-1] if doc["status"] == "withdrawn" and withdrawals else None,
        "may_publish": may_publish,
        "publish_forms": [
            {
                "name": name,
                "action": action,
                "form_id": secrets.token_urlsafe(18),
                "values": publishing.kept if publishing.failed == name else {},
                "open": publishing.failed == name,
            }
            for name, action in PUBLISH_ACTIONS.items()
        ]
        if may_publish
        else [],
        "publish_note": not user.may(*PUBLISH) and is_public(doc),
        "today": console.accounts.clock.today().isoformat(),  # the service's clock (GONGKAI_CLOCK)
        "state": state,
        "errors": errors,
        "done": done,
        "form_id": secrets.token_urlsafe(18),
        "csrf_token": user.session.csrf_token,
    }
    return console.page(request, "document.html", context, user=user, status=status)
