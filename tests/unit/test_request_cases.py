"""The request case (依申请公开): statutory deadlines pinned to real calendars, and every transition.

Due dates were counted by hand on the State Council's 放假安排 for 2025 and 2026 ("N个工作日":
the trigger day is not counted).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gongkai.events.requests import (
    OUTCOMES,
    Applicant,
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
from gongkai.workdays import WorkCalendar
from services.review.cases import (
    Case,
    CaseStatus,
    InvalidStep,
    InvalidTransition,
    Rules,
    apply,
    deadline,
    is_overdue,
    open_case,
)

CAL = WorkCalendar()
D = date.fromisoformat


def received(channel: str = "in_person", on: str | None = "2026-03-02") -> Case:
    data = RequestReceived(
        channel=channel,  # type: ignore[arg-type]
        applicant=Applicant(kind="natural_person", name="申请人", phone="13800000000"),
        description="某项目的批复文件",
        received_on=D(on) if on else None,
        tracking_code_hash="0" * 64,
    )
    return open_case(data, submitted_on=D(on or "2026-03-02"))


def step(kind: str, on: str, **extra: Any) -> RequestStep | RequestClosed:
    common: dict[str, Any] = {"on": D(on), "actor": "clerk"}
    if kind == "confirm":
        return ReceiptConfirmed(**common)
    if kind == "correct":
        return CorrectionRequested(**common, items=["请写明文件名称"], reply_by=D(extra.get("reply_by", "2026-04-30")))
    if kind == "corrected":
        return CorrectionReceived(**common)
    if kind == "consult":
        return ConsultationStarted(**common, party="third_party", consultee="某公司")
    if kind == "replied":
        return ConsultationReplied(**common, consultation=extra.get("n", 1), reply=extra.get("reply", "consent"))
    if kind == "extend":
        return DeadlineExtended(**common, days=extra.get("days", 20), reason="需调取档案", approver="主任")
    if kind == "reasons":
        return ReasonsRequested(**common)
    if kind == "notify":
        return DeadlineNotified(**common, due_on=D(extra["due_on"]))
    if kind == "fee":
        return FeeNoticed(**common, basis="pages", pages=150, amount_yuan=1700, pay_by=D(extra.get("pay_by", on)))
    if kind == "paid":
        return FeePaid(**common)
    closure = extra.get("closure", "answer")
    outcome = extra.get("outcome", "disclosed")
    return RequestClosed(
        **common, closure=closure, outcome=outcome, channel="in_person", applicant_kind="natural_person"
    )


def run(case: Case, *steps: RequestStep | RequestClosed, rules: Rules = Rules()) -> Case:
    for s in steps:
        case = apply(case, s, CAL, rules)
    return case


def due(case: Case, rules: Rules = Rules()) -> str | None:
    d = deadline(case, CAL, rules).due_on
    return d.isoformat() if d else None


# --- Deadlines on the real calendar ---------------------------------------------------------------


def test_twenty_working_days_across_spring_festival_2026_and_its_working_saturdays() -> None:
    # 2026-02-14 and 02-28 (Saturdays) are working days; 02-15…02-23 are the holiday.
    assert due(received(on="2026-02-05")) == "2026-03-11"


def test_twenty_working_days_across_national_day_2025() -> None:
    # 2025-09-28 (Sunday) and 10-11 (Saturday) are working days; 10-01…10-08 the holiday.
    assert due(received(on="2025-09-24")) == "2025-10-28"


def test_online_application_has_no_clock_until_receipt_is_confirmed() -> None:
    case = received("internet", on=None)
    assert case.status is CaseStatus.AWAITING_CONFIRMATION
    assert deadline(case, CAL).due_on is None
    # 中秋 2026-09-25 and 国庆 10-01…10-07 are off; 10-10 (Saturday) is a working day.
    confirmed = run(case, step("confirm", "2026-09-22"))
    assert confirmed.received_on == D("2026-09-22")
    assert due(confirmed) == "2026-10-27"


@pytest.mark.parametrize("channel", ["internet", "ordinary_post", "fax"])
def test_channels_whose_receipt_date_is_the_confirmation(channel: str) -> None:
    assert received(channel, on=None).status is CaseStatus.AWAITING_CONFIRMATION


@pytest.mark.parametrize("channel", ["in_person", "registered_post"])
def test_channels_whose_receipt_date_the_clerk_states(channel: str) -> None:
    case = received(channel, on="2026-03-02")
    assert case.status is CaseStatus.IN_PROGRESS
    assert due(case) == "2026-03-30"


def test_correction_stops_the_clock_and_restarts_it_from_the_corrected_application() -> None:
    asked = run(received(on="2026-02-05"), step("correct", "2026-02-10", reply_by="2026-03-10"))
    assert asked.status is CaseStatus.AWAITING_CORRECTION
    assert deadline(asked, CAL).due_on is None and deadline(asked, CAL).paused
    corrected = run(asked, step("corrected", "2026-03-02"))
    assert due(corrected) == "2026-03-30"


def test_correction_must_be_asked_within_seven_working_days_of_receipt() -> None:
    case = received(on="2026-02-05")  # 7th working day after: Saturday 2026-02-14 (调休)
    assert run(case, step("correct", "2026-02-14", reply_by="2026-03-10")).status is CaseStatus.AWAITING_CORRECTION
    with pytest.raises(InvalidStep, match="by 2026-02-14"):
        run(case, step("correct", "2026-02-24", reply_by="2026-03-10"))


def test_correction_is_asked_only_once() -> None:
    case = run(received(), step("correct", "2026-03-03"), step("corrected", "2026-03-05"))
    with pytest.raises(InvalidTransition, match="only once"):
        run(case, step("correct", "2026-03-06"))


def test_consultation_pauses_the_clock_for_its_working_days() -> None:
    case = received(on="2026-03-02")  # due 2026-03-30 without pauses
    consulting = run(case, step("consult", "2026-03-05"))
    # While open, the due date assumes the full 15-working-day window (清明 2026-04-04…06 off).
    assert deadline(consulting, CAL).paused
    assert due(consulting) == "2026-04-21"
    # Reply on 03-11: 03-06, 09, 10, 11 were paused → four more working days.
    answered = run(consulting, step("replied", "2026-03-11"))
    assert answered.status is CaseStatus.IN_PROGRESS
    assert due(answered) == "2026-04-03"


def test_a_late_or_missing_reply_pauses_the_clock_for_fifteen_working_days_at_most() -> None:
    consulting = run(received(on="2026-03-02"), step("consult", "2026-03-05"))
    with pytest.raises(InvalidStep, match="window ends"):
        run(consulting, step("replied", "2026-03-20", reply="no_reply"))
    silent = run(consulting, step("replied", "2026-03-26", reply="no_reply"))
    late = run(consulting, step("replied", "2026-04-01", reply="objection"))
    assert due(silent) == due(late) == "2026-04-21"


def test_overlapping_consultations_pause_each_day_once() -> None:
    case = run(
        received(on="2026-03-02"),
        step("consult", "2026-03-05"),
        step("consult", "2026-03-09"),
        step("replied", "2026-03-11", n=1),
    )
    assert case.status is CaseStatus.CONSULTING
    case = run(case, step("replied", "2026-03-12", n=2))
    # Paused: 03-06, 09, 10, 11, 12 → five working days after 03-30 (清明 04-04…06 off).
    assert due(case) == "2026-04-07"


def test_one_extension_of_at_most_twenty_working_days() -> None:
    case = received(on="2026-03-02")
    extended = run(case, step("extend", "2026-03-20", days=15))
    assert due(extended) == "2026-04-21"
    with pytest.raises(InvalidTransition, match="only once"):
        run(extended, step("extend", "2026-03-23", days=5))
    with pytest.raises(InvalidStep, match="at most 10"):
        run(case, step("extend", "2026-03-20", days=15), rules=Rules(max_extension_workdays=10))
    with pytest.raises(ValueError, match="less than or equal to 20"):
        step("extend", "2026-03-20", days=21)
    with pytest.raises(InvalidTransition, match="already passed"):
        run(case, step("extend", "2026-03-31", days=10))


def test_extension_correction_and_consultation_together() -> None:
    case = run(
        received(on="2026-02-05"),
        step("correct", "2026-02-10", reply_by="2026-03-10"),
        step("corrected", "2026-03-02"),  # clock restarts: due 03-30
        step("consult", "2026-03-05"),
        step("replied", "2026-03-11"),  # +4 → 04-03
        step("extend", "2026-03-25", days=20),  # +20 after 04-03, across 劳动节 05-01…05-05
    )
    assert due(case) == "2026-05-07"


def test_art35_notified_deadline_replaces_the_clock() -> None:
    case = run(
        received(on="2026-03-02"), step("reasons", "2026-03-03"), step("notify", "2026-03-04", due_on="2026-06-30")
    )
    assert due(case) == "2026-06-30"
    with pytest.raises(InvalidStep, match="later than"):
        run(received(on="2026-03-02"), step("notify", "2026-03-04", due_on="2026-03-20"))
    with pytest.raises(InvalidTransition):
        run(case, step("extend", "2026-03-05"))


def test_fee_notice_pauses_the_clock_until_payment_when_configured() -> None:
    noticed = run(received(on="2026-03-02"), step("fee", "2026-03-04", pay_by="2026-04-01"))
    assert noticed.status is CaseStatus.AWAITING_PAYMENT
    paid = run(noticed, step("paid", "2026-03-06"))  # 03-05 and 03-06 paused
    assert due(paid) == "2026-04-01"
    assert due(paid, Rules(fee_pauses_clock=False)) == "2026-03-30"


def test_provisional_due_date_becomes_exact_when_the_year_is_loaded() -> None:
    calendar = WorkCalendar()
    case = received(on="2026-12-15")
    before = deadline(case, calendar)
    assert (before.due_on, before.provisional) == (D("2027-01-13"), True)
    calendar.load_year(2027, holidays=[D("2027-01-01"), D("2027-01-04")], workdays=[])
    after = deadline(case, calendar)
    assert (after.due_on, after.provisional) == (D("2027-01-14"), False)


def test_overdue_only_while_the_clock_runs() -> None:
    case = received(on="2026-03-02")
    assert not is_overdue(case, deadline(case, CAL), D("2026-03-30"))
    assert is_overdue(case, deadline(case, CAL), D("2026-03-31"))
    answered = run(case, step("close", "2026-03-31"))
    assert not is_overdue(answered, deadline(answered, CAL), D("2026-04-30"))


# --- Closing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "outcome",
    [
        o
        for o in OUTCOMES
        if o not in ("other.no_correction", "other.fee_unpaid", "unavailable.unclear_after_correction")
    ],
)
def test_every_answer_outcome_closes_the_case(outcome: str) -> None:
    case = run(received(), step("close", "2026-03-10", outcome=outcome))
    assert (case.status, case.outcome, case.closed_on) == (CaseStatus.ANSWERED, outcome, D("2026-03-10"))


def test_unclear_after_correction_needs_a_correction() -> None:
    with pytest.raises(InvalidStep):
        run(received(), step("close", "2026-03-10", outcome="unavailable.unclear_after_correction"))
    case = run(
        received(),
        step("correct", "2026-03-03"),
        step("corrected", "2026-03-05"),
        step("close", "2026-03-10", outcome="unavailable.unclear_after_correction"),
    )
    assert case.outcome == "unavailable.unclear_after_correction"


def test_no_correction_closes_only_after_the_reply_by_date() -> None:
    asked = run(received(), step("correct", "2026-03-03", reply_by="2026-03-20"))
    abandon = {"closure": "no_correction", "outcome": "other.no_correction"}
    with pytest.raises(InvalidTransition, match="runs until 2026-03-20"):
        run(asked, step("close", "2026-03-20", **abandon))
    assert run(asked, step("close", "2026-03-23", **abandon)).outcome == "other.no_correction"
    with pytest.raises(InvalidStep):
        run(received(), step("close", "2026-03-10", outcome="other.no_correction"))


def test_unpaid_fee_closes_only_after_the_payment_period() -> None:
    noticed = run(received(), step("fee", "2026-03-04", pay_by="2026-04-01"))
    unpaid = {"closure": "fee_unpaid", "outcome": "other.fee_unpaid"}
    with pytest.raises(InvalidTransition):
        run(noticed, step("close", "2026-04-01", **unpaid))
    assert run(noticed, step("close", "2026-04-02", **unpaid)).outcome == "other.fee_unpaid"


def test_withdrawal_counts_as_other_and_is_possible_in_any_open_state() -> None:
    withdraw = {"closure": "withdrawn", "outcome": "other.other"}
    for case in (received("internet", on=None), received(), run(received(), step("consult", "2026-03-03"))):
        closed = run(case, step("close", "2026-03-10", **withdraw))
        assert (closed.status, closed.outcome) == (CaseStatus.WITHDRAWN, "other.other")


def test_on_the_spot_answer() -> None:
    assert run(received(on="2026-03-02"), step("close", "2026-03-02")).on_the_spot
    assert not run(received(on="2026-03-02"), step("close", "2026-03-03")).on_the_spot


def test_steps_cannot_go_back_in_time() -> None:
    case = run(received(on="2026-03-02"), step("consult", "2026-03-05"))
    with pytest.raises(InvalidStep, match="before"):
        run(case, step("replied", "2026-03-04"))
    with pytest.raises(InvalidStep, match="before"):
        run(received(on="2026-03-02"), step("close", "2026-03-01"))


# --- The transition table ---------------------------------------------------------------------------

ACTIONS = {
    "confirm": lambda: step("confirm", "2026-03-10"),
    "correct": lambda: step("correct", "2026-03-10"),
    "corrected": lambda: step("corrected", "2026-03-10"),
    "consult": lambda: step("consult", "2026-03-10"),
    "replied": lambda: step("replied", "2026-04-30", reply="consent"),
    "extend": lambda: step("extend", "2026-03-10", days=5),
    "reasons": lambda: step("reasons", "2026-03-10"),
    "notify": lambda: step("notify", "2026-03-10", due_on="2026-09-30"),
    "fee": lambda: step("fee", "2026-03-10", pay_by="2026-04-08"),
    "paid": lambda: step("paid", "2026-03-10"),
    "answer": lambda: step("close", "2026-03-10"),
    "withdraw": lambda: step("close", "2026-03-10", closure="withdrawn", outcome="other.other"),
}
STATES = {
    CaseStatus.AWAITING_CONFIRMATION: lambda: received("internet", on=None),
    CaseStatus.IN_PROGRESS: lambda: received(on="2026-03-02"),
    CaseStatus.AWAITING_CORRECTION: lambda: run(received(on="2026-03-02"), step("correct", "2026-03-03")),
    CaseStatus.CONSULTING: lambda: run(received(on="2026-03-02"), step("consult", "2026-03-03")),
    CaseStatus.AWAITING_PAYMENT: lambda: run(received(on="2026-03-02"), step("fee", "2026-03-03", pay_by="2026-03-31")),
    CaseStatus.ANSWERED: lambda: run(received(on="2026-03-02"), step("close", "2026-03-03")),
    CaseStatus.WITHDRAWN: lambda: run(
        received(on="2026-03-02"), step("close", "2026-03-03", closure="withdrawn", outcome="other.other")
    ),
}
#: What each state allows; everything else must be refused with InvalidTransition.
ALLOWED = {
    CaseStatus.AWAITING_CONFIRMATION: {"confirm", "withdraw"},
    CaseStatus.IN_PROGRESS: {"correct", "consult", "extend", "reasons", "notify", "fee", "answer", "withdraw"},
    CaseStatus.AWAITING_CORRECTION: {"corrected", "withdraw"},
    CaseStatus.CONSULTING: {"consult", "replied", "extend", "reasons", "notify", "withdraw"},
    CaseStatus.AWAITING_PAYMENT: {"paid", "withdraw"},
    CaseStatus.ANSWERED: set(),
    CaseStatus.WITHDRAWN: set(),
}


@pytest.mark.parametrize("status", list(STATES))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_transition_table(status: CaseStatus, action: str) -> None:
    case = STATES[status]()
    assert case.status is status
    if action in ALLOWED[status]:
        apply(case, ACTIONS[action](), CAL)
    else:
        with pytest.raises(InvalidTransition) as refused:
            apply(case, ACTIONS[action](), CAL)
        assert refused.value.status is status
