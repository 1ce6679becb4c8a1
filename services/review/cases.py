"""The disclosure-request case (依申请公开案件): its state machine and its answer deadline. Pure.

A case is the fold of its steps (the request events, in order). ``apply`` checks one more step
against the law and the case's state and returns the new case, or raises ``InvalidTransition``
(the state forbids it: HTTP 409) or ``InvalidStep`` (the step itself is wrong: HTTP 422).

Deadlines (条例 Art. 30–35, spec §E), counted in working days where "N个工作日" excludes the
trigger day:

- the clock starts on the Art. 31 receipt date, and restarts on the day a correction arrives;
- ``answer_workdays`` (20) plus at most one extension (≤ 20) are counted from the clock's start,
  skipping the working days of every pause: a consultation (Art. 32/34) pauses the clock from
  the day after it is sent to its reply, at most its window (15 working days); a fee notice pauses
  it until payment when ``fee_pauses_clock`` (configurable: the law is silent);
- while a pause is open the due date assumes it runs its whole window, so it never moves later
  than shown, only earlier when the reply comes;
- an Art. 35 notified deadline replaces the computed one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Protocol

from gongkai.events.base import EventData
from gongkai.events.requests import (
    Channel,
    ConsultationReplied,
    ConsultationStarted,
    CorrectionReceived,
    CorrectionRequested,
    DeadlineExtended,
    DeadlineNotified,
    FeeNoticed,
    FeePaid,
    ReasonsRequested,
    ReceiptConfirmed,
    RequestClosed,
    RequestReceived,
    RequestStep,
)
from gongkai.workdays import WorkdayResult

__all__ = [
    "CLOSING_OUTCOMES",
    "OPEN_STATUSES",
    "Calendar",
    "Case",
    "CaseStatus",
    "Deadline",
    "InvalidStep",
    "InvalidTransition",
    "Rules",
    "apply",
    "deadline",
    "is_overdue",
    "open_case",
]

_ONE_DAY = timedelta(days=1)


class CaseStatus(StrEnum):
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # 待确认收到 (Art. 31)
    IN_PROGRESS = "in_progress"  # 办理中
    AWAITING_CORRECTION = "awaiting_correction"  # 待补正 (Art. 30)
    CONSULTING = "consulting"  # 征求意见中 (Art. 32/34): the clock is paused
    AWAITING_PAYMENT = "awaiting_payment"  # 待缴费 (Art. 42)
    ANSWERED = "answered"  # 已办结
    WITHDRAWN = "withdrawn"  # 申请人已撤回


OPEN_STATUSES = frozenset(CaseStatus) - {CaseStatus.ANSWERED, CaseStatus.WITHDRAWN}
#: Statuses in which the answer clock runs (or is paused for a bounded window) and can be overdue.
_CLOCKED = frozenset({CaseStatus.IN_PROGRESS, CaseStatus.CONSULTING, CaseStatus.AWAITING_PAYMENT})
#: Outcomes that only their own closing step may give, not a plain answer.
CLOSING_OUTCOMES = {
    "no_correction": "other.no_correction",
    "fee_unpaid": "other.fee_unpaid",
    "withdrawn": "other.other",
}


class InvalidTransition(Exception):
    """The case's state forbids this step (HTTP 409, naming the state)."""

    def __init__(self, status: CaseStatus, step: str, why: str = "") -> None:
        self.status = status
        self.step = step
        super().__init__(why or f"a case that is {status.value} cannot take '{step}'")


class InvalidStep(ValueError):
    """The step contradicts the law or the case's dates (HTTP 422)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class Calendar(Protocol):
    def is_workday(self, day: date) -> bool: ...
    def is_provisional(self, day: date) -> bool: ...
    def add_workdays(self, start: date, n: int) -> WorkdayResult: ...


@dataclass(frozen=True)
class Rules:
    """The statutory periods, in working days; settings may change the ones the law leaves open."""

    answer_workdays: int = 20  # Art. 33
    correction_within_workdays: int = 7  # Art. 30
    consultation_workdays: int = 15  # Art. 32, 34
    max_extension_workdays: int = 20  # Art. 33
    fee_payment_workdays: int = 20  # 109号文; whether it pauses the clock is configurable
    fee_pauses_clock: bool = True


@dataclass(frozen=True)
class Pause:
    """A span in which the answer clock stops: (start, end], or (start, window_end] while open."""

    kind: str  # "consultation" | "fee"
    start: date
    window_end: date
    end: date | None = None
    party: str = ""
    reply: str | None = None

    @property
    def last_day(self) -> date:
        return min(self.end, self.window_end) if self.end else self.window_end


@dataclass(frozen=True)
class Case:
    channel: Channel
    status: CaseStatus
    received_on: date | None
    earliest_on: date | None = None  # online applications: nothing happens before submission
    clock_start: date | None = None
    last_on: date | None = None
    correction_asked_on: date | None = None
    correction_reply_by: date | None = None
    correction_received_on: date | None = None
    consultations: tuple[Pause, ...] = ()
    fee: Pause | None = None
    fee_amount_yuan: int | None = None
    extension_days: int = 0
    notified_due: date | None = None
    reasons_requested_on: date | None = None
    closed_on: date | None = None
    closure: str | None = None
    outcome: str | None = None
    on_the_spot: bool = False
    steps: int = field(default=1)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def open_consultations(self) -> list[int]:
        return [n for n, c in enumerate(self.consultations, start=1) if c.end is None]


@dataclass(frozen=True)
class Deadline:
    """``due_on`` is None while no clock runs (awaiting receipt confirmation or a correction)."""

    due_on: date | None
    paused: bool
    provisional: bool


def open_case(received: RequestReceived, submitted_on: date) -> Case:
    """A new case: the clock starts at once when the channel fixes the receipt date (Art. 31)."""
    if received.received_on is not None:
        return Case(
            channel=received.channel,
            status=CaseStatus.IN_PROGRESS,
            received_on=received.received_on,
            clock_start=received.received_on,
            last_on=received.received_on,
        )
    earliest = submitted_on if received.channel == "internet" else None
    return Case(
        channel=received.channel, status=CaseStatus.AWAITING_CONFIRMATION, received_on=None, earliest_on=earliest
    )


def apply(case: Case, step: RequestStep | RequestClosed, calendar: Calendar, rules: Rules = Rules()) -> Case:
    """The case after ``step``, or ``InvalidTransition`` / ``InvalidStep``."""
    handler = _HANDLERS.get(type(step))
    if handler is None:
        raise InvalidStep("action", f"{type(step).__name__} is not a step of a request case")
    _check_chronology(case, step.on)
    new = handler(case, step, calendar, rules)
    return replace(new, last_on=max(step.on, case.last_on or step.on), steps=case.steps + 1)


def deadline(case: Case, calendar: Calendar, rules: Rules = Rules()) -> Deadline:
    """The answer deadline as the case stands (for a closed case: as it stood when it closed)."""
    if case.clock_start is None:
        return Deadline(None, paused=False, provisional=False)
    if case.status is CaseStatus.AWAITING_CORRECTION or (
        case.correction_asked_on is not None and case.correction_received_on is None
    ):
        return Deadline(None, paused=True, provisional=False)
    paused = case.status in (CaseStatus.CONSULTING, CaseStatus.AWAITING_PAYMENT)
    if case.notified_due is not None:
        return Deadline(case.notified_due, paused=paused, provisional=False)
    day, provisional = _count(case, calendar, rules)
    return Deadline(day, paused=paused, provisional=provisional)


def is_overdue(case: Case, due: Deadline, today: date) -> bool:
    return case.status in _CLOCKED and due.due_on is not None and today > due.due_on


def _count(case: Case, calendar: Calendar, rules: Rules) -> tuple[date, bool]:
    assert case.clock_start is not None
    paused = _paused_days(case, rules)
    remaining = rules.answer_workdays + case.extension_days
    day, provisional = case.clock_start, False
    while remaining:
        day += _ONE_DAY
        provisional = provisional or calendar.is_provisional(day)
        if day not in paused and calendar.is_workday(day):
            remaining -= 1
    return day, provisional


def _paused_days(case: Case, rules: Rules) -> frozenset[date]:
    pauses = list(case.consultations)
    if case.fee is not None and rules.fee_pauses_clock:
        pauses.append(case.fee)
    days: set[date] = set()
    for pause in pauses:
        day = pause.start
        while day < pause.last_day:
            day += _ONE_DAY
            days.add(day)
    return frozenset(days)


def _check_chronology(case: Case, on: date) -> None:
    floor = max((d for d in (case.last_on, case.received_on, case.earliest_on) if d is not None), default=None)
    if floor is not None and on < floor:
        raise InvalidStep("on", f"{on.isoformat()} is before the case's last step ({floor.isoformat()})")


def _require(case: Case, step: str, *allowed: CaseStatus) -> None:
    if case.status not in allowed:
        raise InvalidTransition(case.status, step)


def _confirm(case: Case, step: ReceiptConfirmed, calendar: Calendar, rules: Rules) -> Case:
    _require(case, "confirm_receipt", CaseStatus.AWAITING_CONFIRMATION)
    return replace(case, status=CaseStatus.IN_PROGRESS, received_on=step.on, clock_start=step.on)


def _ask_correction(case: Case, step: CorrectionRequested, calendar: Calendar, rules: Rules) -> Case:
    if case.correction_asked_on is not None:
        raise InvalidTransition(case.status, "request_correction", "a correction may be asked only once (Art. 30)")
    _require(case, "request_correction", CaseStatus.IN_PROGRESS)
    assert case.received_on is not None
    latest = calendar.add_workdays(case.received_on, rules.correction_within_workdays).day
    if step.on > latest:
        raise InvalidStep(
            "on",
            f"a correction must be asked within {rules.correction_within_workdays} working days "
            f"of receipt, by {latest.isoformat()} (Art. 30)",
        )
    if step.reply_by <= step.on:
        raise InvalidStep("reply_by", "the reply-by date must be after the day the correction is asked")
    return replace(
        case, status=CaseStatus.AWAITING_CORRECTION, correction_asked_on=step.on, correction_reply_by=step.reply_by
    )


def _correction_received(case: Case, step: CorrectionReceived, calendar: Calendar, rules: Rules) -> Case:
    _require(case, "correction_received", CaseStatus.AWAITING_CORRECTION)
    return replace(case, status=CaseStatus.IN_PROGRESS, correction_received_on=step.on, clock_start=step.on)


def _consult(case: Case, step: ConsultationStarted, calendar: Calendar, rules: Rules) -> Case:
    _require(case, "consult_third_party", CaseStatus.IN_PROGRESS, CaseStatus.CONSULTING)
    window = calendar.add_workdays(step.on, rules.consultation_workdays).day
    pause = Pause("consultation", start=step.on, window_end=window, party=step.party)
    return replace(case, status=CaseStatus.CONSULTING, consultations=(*case.consultations, pause))


def _consultation_replied(case: Case, step: ConsultationReplied, calendar: Calendar, rules: Rules) -> Case:
    _require(case, "third_party_replied", CaseStatus.CONSULTING)
    if step.consultation not in case.open_consultations:
        raise InvalidStep("consultation", f"consultation {step.consultation} is not open on this case")
    index = step.consultation - 1
    pause = case.consultations[index]
    if step.reply == "no_reply" and step.on < pause.window_end:
        raise InvalidStep("reply", f"silence can be recorded only when the window ends ({pause.window_end})")
    closed = replace(pause, end=step.on, reply=step.reply)
    consultations = (*case.consultations[:index], closed, *case.consultations[index + 1 :])
    still_open = any(c.end is None for c in consultations)
    return replace(
        case, consultations=consultations, status=CaseStatus.CONSULTING if still_open else CaseStatus.IN_PROGRESS
    )


def _extend(case: Case, step: DeadlineExtended, calendar: Calendar, rules: Rules) -> Case:
    _require(case, "extend", CaseStatus.IN_PROGRESS, CaseStatus.CONSULTING)
    if case.extension_days:
        raise InvalidTransition(case.status, "extend", "the deadline may be extended only once (Art. 33)")
    if case.notified_due is not None:
        raise InvalidTransition(case.status, "extend", "an Art. 35 notified deadline already replaces the clock")
    if step.days > rules.max_extension_workdays:
        raise InvalidStep("days", f"an extension is at most {rules.max_extension_workdays} working days (Art. 33)")
    due = deadline(case, calendar, rules).due_on
    if due is not None and step.on > due:
        raise InvalidTransition(case.status, "extend", f"the deadline {due.isoformat()} has already passed")
    return replace(case, extension_days=step.days)


def _reasons(case: Case, step: ReasonsRequested, calendar: Calendar, rules: Rules) -> Case:
    _require(case, "ask_reasons", CaseStatus.IN_PROGRESS, CaseStatus.CONSULTING)
    return replace(case, reasons_requested_on=step.on)


def _notify_deadline(case: Case, step: DeadlineNotified, calendar: Calendar, rules: Rules) -> Case:
    _require(case, "notify_deadline", CaseStatus.IN_PROGRESS, CaseStatus.CONSULTING)
    due = deadline(case, calendar, rules).due_on
    if due is not None and step.due_on <= due:
        raise InvalidStep("due_on", f"an Art. 35 deadline must be later than the current one ({due.isoformat()})")
    return replace(case, notified_due=step.due_on)


def _fee_notice(case: Case, step: FeeNoticed, calendar: Calendar, rules: Rules) -> Case:
    _require(case, "fee_notice", CaseStatus.IN_PROGRESS)
    if case.fee is not None:
        raise InvalidTransition(case.status, "fee_notice", "a fee notice was already sent for this case")
    if step.pay_by <= step.on:
        raise InvalidStep("pay_by", "the payment period must end after the notice")
    pause = Pause("fee", start=step.on, window_end=step.pay_by)
    return replace(case, status=CaseStatus.AWAITING_PAYMENT, fee=pause, fee_amount_yuan=step.amount_yuan)


def _fee_paid(case: Case, step: FeePaid, calendar: Calendar, rules: Rules) -> Case:
    _require(case, "fee_paid", CaseStatus.AWAITING_PAYMENT)
    assert case.fee is not None
    return replace(case, status=CaseStatus.IN_PROGRESS, fee=replace(case.fee, end=step.on))


def _close(case: Case, step: RequestClosed, calendar: Calendar, rules: Rules) -> Case:
    action = {"answer": "answer", "no_correction": "abandon_no_correction", "fee_unpaid": "fee_unpaid"}.get(
        step.closure, "withdraw"
    )
    if step.closure == "answer":
        _require(case, action, CaseStatus.IN_PROGRESS)
        if step.outcome in CLOSING_OUTCOMES.values() and step.outcome != "other.other":
            raise InvalidStep("outcome", f"'{step.outcome}' is given by its own action, not by an answer")
        if step.outcome == "unavailable.unclear_after_correction" and case.correction_received_on is None:
            raise InvalidStep("outcome", "'unavailable.unclear_after_correction' needs a correction received first")
    elif step.closure == "no_correction":
        _require(case, action, CaseStatus.AWAITING_CORRECTION)
        assert case.correction_reply_by is not None
        if step.on <= case.correction_reply_by:
            raise InvalidTransition(
                case.status, action, f"the correction period runs until {case.correction_reply_by.isoformat()}"
            )
    elif step.closure == "fee_unpaid":
        _require(case, action, CaseStatus.AWAITING_PAYMENT)
        assert case.fee is not None
        if step.on <= case.fee.window_end:
            raise InvalidTransition(case.status, action, f"the payment period runs until {case.fee.window_end}")
    else:
        _require(case, action, *OPEN_STATUSES)
    if step.closure != "answer" and step.outcome != CLOSING_OUTCOMES[step.closure]:
        raise InvalidStep("outcome", f"'{action}' closes the case as '{CLOSING_OUTCOMES[step.closure]}'")
    status = CaseStatus.WITHDRAWN if step.closure == "withdrawn" else CaseStatus.ANSWERED
    spot = step.closure == "answer" and step.on == case.received_on and case.correction_asked_on is None
    return replace(case, status=status, closed_on=step.on, closure=step.closure, outcome=step.outcome, on_the_spot=spot)


_HANDLERS: dict[type[EventData], Callable[[Case, Any, Calendar, Rules], Case]] = {
    ReceiptConfirmed: _confirm,
    CorrectionRequested: _ask_correction,
    CorrectionReceived: _correction_received,
    ConsultationStarted: _consult,
    ConsultationReplied: _consultation_replied,
    DeadlineExtended: _extend,
    ReasonsRequested: _reasons,
    DeadlineNotified: _notify_deadline,
    FeeNoticed: _fee_notice,
    FeePaid: _fee_paid,
    RequestClosed: _close,
}
