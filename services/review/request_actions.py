"""The clerk's actions on a case (``POST /api/v1/requests/{id}/actions``): input models → step events.

Each action is validated on its own here (types, caps, dates not in the future); whether the
case's state allows it is the domain's call (``cases.apply``), made before anything is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from gongkai.events.base import EventData
from gongkai.events.requests import (
    CaseDocument,
    ConsultationReplied,
    ConsultationReply,
    ConsultationStarted,
    CorrectionReceived,
    CorrectionRequested,
    DeadlineExtended,
    DeadlineNotified,
    FeeNoticed,
    FeePaid,
    Outcome,
    ReasonsRequested,
    ReceiptConfirmed,
    RequestClosed,
)
from services.review.cases import CLOSING_OUTCOMES, Calendar, Case, Rules, deadline
from services.review.fees import fee_per_item, fee_per_pages

__all__ = ["Action", "ActionContext", "AnyAction", "NoFeeDue", "to_step"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Text
    direction: Literal["sent", "received"]


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: date | None = Field(default=None, description="the day it happened (default: today)")
    note: str = Field(default="", max_length=2000)
    documents: list[DocumentIn] = Field(default_factory=list, max_length=50)
    postal_tracking: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None


class ConfirmReceipt(_Base):
    action: Literal["confirm_receipt"]


class RequestCorrection(_Base):
    action: Literal["request_correction"]
    items: list[Text] = Field(min_length=1, max_length=50, description="everything the applicant must correct")
    reply_by: date


class CorrectionIn(_Base):
    action: Literal["correction_received"]


class ConsultThirdParty(_Base):
    action: Literal["consult_third_party"]
    party: Literal["third_party", "other_agency"] = "third_party"
    consultee: Text


class ThirdPartyReplied(_Base):
    action: Literal["third_party_replied"]
    consultation: int | None = Field(default=None, ge=1, description="which consultation; default the only open one")
    reply: ConsultationReply


class Extend(_Base):
    action: Literal["extend"]
    days: int = Field(ge=1, le=20)
    reason: Text
    approver: Text


class AskReasons(_Base):
    action: Literal["ask_reasons"]


class NotifyDeadline(_Base):
    action: Literal["notify_deadline"]
    due_on: date


class FeeNotice(_Base):
    action: Literal["fee_notice"]
    basis: Literal["items", "pages"]
    pages: int | None = Field(default=None, ge=1, le=1_000_000)


class FeePaidIn(_Base):
    action: Literal["fee_paid"]


class FeeUnpaid(_Base):
    action: Literal["fee_unpaid"]


class Answer(_Base):
    action: Literal["answer"]
    outcome: Outcome


class AbandonNoCorrection(_Base):
    action: Literal["abandon_no_correction"]


class Withdraw(_Base):
    action: Literal["withdraw"]


AnyAction = (
    ConfirmReceipt
    | RequestCorrection
    | CorrectionIn
    | ConsultThirdParty
    | ThirdPartyReplied
    | Extend
    | AskReasons
    | NotifyDeadline
    | FeeNotice
    | FeePaidIn
    | FeeUnpaid
    | Answer
    | AbandonNoCorrection
    | Withdraw
)
Action = Annotated[AnyAction, Field(discriminator="action")]


class NoFeeDue(ValueError):
    pass


@dataclass(frozen=True)
class ActionContext:
    """What an action needs besides the case: the day, who acts, the calendar, the case's applicant."""

    on: date
    actor: str
    calendar: Calendar
    rules: Rules
    channel: str
    applicant_kind: str
    org_type: str | None
    monthly_ordinal: int


_EVENT_TYPES = {
    "confirm_receipt": "request.receipt_confirmed",
    "request_correction": "request.correction_requested",
    "correction_received": "request.correction_received",
    "consult_third_party": "request.consultation_started",
    "third_party_replied": "request.consultation_replied",
    "extend": "request.extended",
    "ask_reasons": "request.reasons_requested",
    "notify_deadline": "request.deadline_notified",
    "fee_notice": "request.fee_noticed",
    "fee_paid": "request.fee_paid",
}
_CLOSURES = {"answer": "answer", "abandon_no_correction": "no_correction", "fee_unpaid": "fee_unpaid"}


def to_step(action: AnyAction, case: Case, ctx: ActionContext) -> tuple[str, EventData]:
    """The event type and data an action records."""
    common: dict[str, Any] = {
        "on": ctx.on,
        "actor": ctx.actor,
        "note": action.note,
        "documents": [CaseDocument(title=d.title, direction=d.direction) for d in action.documents],
        "postal_tracking": action.postal_tracking,
    }
    name: str = action.action
    if name in _EVENT_TYPES:
        return _EVENT_TYPES[name], _step_data(action, case, ctx, common)
    closure = _CLOSURES.get(name, "withdrawn")
    outcome = action.outcome if isinstance(action, Answer) else CLOSING_OUTCOMES[closure]
    due = deadline(case, ctx.calendar, ctx.rules).due_on
    closed = RequestClosed(
        **common,
        closure=closure,  # type: ignore[arg-type]
        outcome=outcome,  # type: ignore[arg-type]
        on_the_spot=closure == "answer" and ctx.on == case.received_on and case.correction_asked_on is None,
        due_on=due,
        on_time=due is None or ctx.on <= due,
        received_on=case.received_on,
        channel=ctx.channel,  # type: ignore[arg-type]
        applicant_kind=ctx.applicant_kind,  # type: ignore[arg-type]
        org_type=ctx.org_type,  # type: ignore[arg-type]
    )
    return "request.closed", closed


def _step_data(action: AnyAction, case: Case, ctx: ActionContext, common: dict[str, Any]) -> EventData:
    match action:
        case ConfirmReceipt():
            return ReceiptConfirmed(**common)
        case RequestCorrection():
            return CorrectionRequested(**common, items=action.items, reply_by=action.reply_by)
        case CorrectionIn():
            return CorrectionReceived(**common)
        case ConsultThirdParty():
            return ConsultationStarted(**common, party=action.party, consultee=action.consultee)
        case ThirdPartyReplied():
            number = action.consultation or (case.open_consultations[:1] or [len(case.consultations) or 1])[0]
            return ConsultationReplied(**common, consultation=number, reply=action.reply)
        case Extend():
            return DeadlineExtended(**common, days=action.days, reason=action.reason, approver=action.approver)
        case AskReasons():
            return ReasonsRequested(**common)
        case NotifyDeadline():
            return DeadlineNotified(**common, due_on=action.due_on)
        case FeeNotice():
            return _fee_notice(action, ctx, common)
        case FeePaidIn():
            return FeePaid(**common)
    raise ValueError(f"unknown action {action!r}")


def _fee_notice(action: FeeNotice, ctx: ActionContext, common: dict[str, Any]) -> FeeNoticed:
    if action.basis == "pages":
        if action.pages is None:
            raise NoFeeDue("a per-page fee needs the number of pages")
        amount = fee_per_pages(action.pages)
        ordinal = None
    else:
        if action.pages is not None:
            raise NoFeeDue("per item and per page are never charged together: leave pages out")
        amount, ordinal = fee_per_item(ctx.monthly_ordinal), ctx.monthly_ordinal
    if amount == 0:
        raise NoFeeDue(
            "no fee is due: the first 10 applications per month and the first 30 pages are free (国办函〔2020〕109号)"
        )
    pay_by = ctx.calendar.add_workdays(ctx.on, ctx.rules.fee_payment_workdays).day
    return FeeNoticed(
        **common,
        basis=action.basis,
        pages=action.pages,
        monthly_ordinal=ordinal,
        amount_yuan=amount,
        pay_by=pay_by,
    )
