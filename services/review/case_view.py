"""How a case is shown: to staff (everything), to the public (status and dates only), and printed.

The public view is built from an allow-list of fields: no applicant data, no staff names, no notes
(a note may quote the applicant), no consultee names, nothing about appeals. The printed case file
also lists the case's appeals (复议机关 or 法院, 案号).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from gongkai.clock import AGENCY_TZ, Clock
from gongkai.portal import portal_templates
from gongkai.vocabulary import CHANNEL_LABELS, OUTCOME_LABELS
from services.review.cases import Calendar, Case, Rules, deadline, is_overdue

__all__ = [
    "APPEAL_KIND_LABELS",
    "APPEAL_RESULT_LABELS",
    "STATUS_LABELS",
    "STEP_LABELS",
    "case_file_html",
    "public_status",
    "staff_view",
]

STATUS_LABELS = {
    "awaiting_confirmation": "待确认收到",
    "in_progress": "办理中",
    "awaiting_correction": "待补正",
    "consulting": "征求意见中（答复期限暂停计算）",
    "awaiting_payment": "待缴纳信息处理费",
    "answered": "已办结",
    "withdrawn": "申请人已撤回",
}
STEP_LABELS = {
    "request.received": "收到申请",
    "request.receipt_confirmed": "确认收到申请",
    "request.correction_requested": "告知补正",
    "request.correction_received": "收到补正材料（答复期限重新计算）",
    "request.consultation_started": "征求第三方或其他机关意见（期间不计入答复期限）",
    "request.consultation_replied": "征求意见结束",
    "request.extended": "延长答复期限",
    "request.reasons_requested": "要求说明理由（第三十五条）",
    "request.deadline_notified": "告知延迟答复期限（第三十五条）",
    "request.fee_noticed": "发出收费通知",
    "request.fee_paid": "申请人已缴费",
    "request.closed": "办结",
    "request.overdue": "已超过答复期限",
}
DELIVERY_LABELS = {
    "paper": "纸质",
    "electronic": "电子",
    "post": "邮寄",
    "email": "电子邮件",
    "pickup": "自行领取",
    "online": "网上获取",
    "fax": "传真",
}
REPLY_LABELS = {
    "consent": "同意公开",
    "objection": "不同意公开（附理由）",
    "opinion": "提出意见",
    "no_reply": "逾期未答复",
}
APPEAL_KIND_LABELS = {
    "reconsideration": "行政复议",
    "litigation_direct": "行政诉讼（未经复议直接起诉）",
    "litigation_after_reconsideration": "行政诉讼（复议后起诉）",
}
APPEAL_RESULT_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果"}
CLOSURE_LABELS = {
    "answer": "答复",
    "no_correction": "逾期未补正",
    "fee_unpaid": "逾期未缴费",
    "withdrawn": "申请人撤回",
}

templates = portal_templates(Path(__file__).parent / "templates")
templates.env.globals.update(
    status_label=lambda code: STATUS_LABELS.get(code, code),
    step_label=lambda code: STEP_LABELS.get(code, code),
    outcome_label=lambda code: OUTCOME_LABELS.get(code, code or ""),
    channel_label=lambda code: CHANNEL_LABELS.get(code, code),
    delivery_label=lambda code: DELIVERY_LABELS.get(code, code),
    reply_label=lambda code: REPLY_LABELS.get(code, code),
    closure_label=lambda code: CLOSURE_LABELS.get(code, code),
    appeal_kind_label=lambda code: APPEAL_KIND_LABELS.get(code, code),
    appeal_result_label=lambda code: APPEAL_RESULT_LABELS.get(code, code),
)


def _deadline_fields(case: Case, calendar: Calendar, rules: Rules) -> dict[str, Any]:
    due = deadline(case, calendar, rules)
    return {
        "status": case.status.value,
        "status_label": STATUS_LABELS[case.status.value],
        "received_on": _iso(case.received_on),
        "due_on": _iso(due.due_on),
        "paused": due.paused,
        "due_provisional": due.provisional,
        "outcome": case.outcome,
        "outcome_label": OUTCOME_LABELS.get(case.outcome or ""),
        "closed_on": _iso(case.closed_on),
    }


def staff_view(row: dict[str, Any], case: Case, calendar: Calendar, rules: Rules, clock: Clock) -> dict[str, Any]:
    fields = _deadline_fields(case, calendar, rules)
    due = deadline(case, calendar, rules)
    return {
        "id": row["id"],
        "channel": row["channel"],
        "applicant": row["applicant"],
        "description": row["description"],
        "doc_number": row["doc_number"],
        "delivery": row["delivery"],
        "oral": row["oral"],
        "recorded_by": row["recorded_by"],
        "submitted_at": row["submitted_at"],
        **fields,
        "overdue": is_overdue(case, due, clock.today()),
        "correction": _correction(case),
        "consultations": [
            {
                "number": n,
                "party": c.party,
                "sent_on": _iso(c.start),
                "window_ends_on": _iso(c.window_end),
                "replied_on": _iso(c.end),
                "reply": c.reply,
            }
            for n, c in enumerate(case.consultations, start=1)
        ],
        "extension_days": case.extension_days,
        "notified_due_on": _iso(case.notified_due),
        "fee": _fee(case),
        "on_the_spot": case.on_the_spot,
        "history": [_history_entry(e) for e in row["history"]],
    }


def public_status(row: dict[str, Any], case: Case, calendar: Calendar, rules: Rules) -> dict[str, Any]:
    """What the applicant sees with the tracking code: no personal data, no staff, no notes."""
    history = [
        {"on": _step_day(e), "step": e["type"], "label": STEP_LABELS.get(e["type"], e["type"])} for e in row["steps"]
    ]
    return {"id": row["id"], "channel": row["channel"], **_deadline_fields(case, calendar, rules), "history": history}


def case_file_html(
    row: dict[str, Any],
    case: Case,
    calendar: Calendar,
    rules: Rules,
    clock: Clock,
    *,
    appeals: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The printable case file; ``appeals`` are the case's 行政复议 and 行政诉讼 (rows of the appeals table)."""
    view = staff_view(row, case, calendar, rules, clock)
    printed = clock.now().astimezone(AGENCY_TZ).strftime("%Y-%m-%d %H:%M")
    template = templates.env.get_template("case_file.html")
    return template.render(case=view, appeals=appeals, printed_at=printed)


def _correction(case: Case) -> dict[str, Any] | None:
    if case.correction_asked_on is None:
        return None
    return {
        "asked_on": _iso(case.correction_asked_on),
        "reply_by": _iso(case.correction_reply_by),
        "received_on": _iso(case.correction_received_on),
    }


def _fee(case: Case) -> dict[str, Any] | None:
    if case.fee is None:
        return None
    return {
        "noticed_on": _iso(case.fee.start),
        "pay_by": _iso(case.fee.window_end),
        "paid_on": _iso(case.fee.end),
        "amount_yuan": case.fee_amount_yuan,
    }


def _history_entry(entry: dict[str, Any]) -> dict[str, Any]:
    data = entry["data"]
    return {
        "step": entry["type"],
        "label": STEP_LABELS.get(entry["type"], entry["type"]),
        "on": _step_day(entry),
        "recorded_at": entry["at"],
        "actor": entry.get("actor"),
        "note": data.get("note", ""),
        "documents": data.get("documents", []),
        "postal_tracking": data.get("postal_tracking"),
        "details": {k: v for k, v in data.items() if k not in _COMMON},
        "ignored": entry.get("ignored"),
    }


_COMMON = frozenset({"on", "actor", "note", "documents", "postal_tracking", "tracking_code_hash"})


def _step_day(entry: dict[str, Any]) -> str:
    data = entry["data"]
    day = data.get("on") or data.get("received_on") or data.get("detected_on")
    if day:
        return str(day)
    return datetime.fromisoformat(entry["at"]).astimezone(AGENCY_TZ).date().isoformat()


def _iso(day: Any) -> str | None:
    return day.isoformat() if day else None
