"""Properties of the request case that hold for any sequence of steps (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai.events.requests import RequestClosed, RequestStep
from services.review.cases import Case, InvalidStep, InvalidTransition, apply, deadline
from tests.unit.test_request_cases import CAL, received, step

KINDS = [
    "confirm",
    "correct",
    "corrected",
    "consult",
    "replied",
    "extend",
    "reasons",
    "fee",
    "paid",
    "close",
    "withdraw",
]


def make(kind: str, on: date, case: Case) -> RequestStep | RequestClosed:
    day = on.isoformat()
    later = (on + timedelta(days=20)).isoformat()
    if kind == "correct":
        return step("correct", day, reply_by=later)
    if kind == "replied":
        return step("replied", day, n=(case.open_consultations or [1])[0], reply="consent")
    if kind == "extend":
        return step("extend", day, days=1 + on.day % 20)
    if kind == "fee":
        return step("fee", day, pay_by=later)
    if kind == "withdraw":
        return step("close", day, closure="withdrawn", outcome="other.other")
    return step(kind, day)


steps = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(min_value=0, max_value=12)), max_size=14)


@settings(max_examples=300, deadline=None)
@given(channel=st.sampled_from(["internet", "in_person", "fax"]), script=steps)
def test_any_sequence_of_steps_keeps_the_laws_invariants(channel: str, script: list[tuple[str, int]]) -> None:
    case = received(channel, on=None if channel != "in_person" else "2026-03-02")
    on = date(2026, 3, 2)
    corrections = extensions = 0
    for kind, gap in script:
        on += timedelta(days=gap)
        proposed = make(kind, on, case)
        try:
            after = apply(case, proposed, CAL)
        except (InvalidTransition, InvalidStep):
            continue  # refused: the case is unchanged (apply is pure)
        assert case.is_open, "a closed case accepted a step"
        corrections += kind == "correct"
        extensions += kind == "extend"
        case = after
        due = deadline(case, CAL)
        if due.due_on is not None and case.clock_start is not None and case.notified_due is None:
            assert due.due_on >= CAL.add_workdays(case.clock_start, 20 + case.extension_days).day
        if case.status.value == "consulting":
            assert due.paused
    assert corrections <= 1 and extensions <= 1
    assert case.extension_days <= 20


@settings(max_examples=200, deadline=None)
@given(sent=st.integers(0, 15), reply_after=st.integers(0, 40))
def test_a_reply_never_moves_the_due_date_later_than_shown_while_consulting(sent: int, reply_after: int) -> None:
    start = received(on="2026-03-02")
    sent_on = date(2026, 3, 2) + timedelta(days=sent)
    consulting = apply(start, step("consult", sent_on.isoformat()), CAL)
    replied = apply(consulting, step("replied", (sent_on + timedelta(days=reply_after)).isoformat()), CAL)
    shown, final = deadline(consulting, CAL).due_on, deadline(replied, CAL).due_on
    assert shown is not None and final is not None
    assert deadline(start, CAL).due_on <= final <= shown  # type: ignore[operator]
