"""Mailbox letters and online consultations (信箱, 在线咨询): every transition, and time limits on the real calendar.

Due dates were counted by hand on the State Council's 2026 放假安排 ("N个工作日": the trigger day is
not counted): 国庆 2026 is 10-01…10-07 off, Saturday 10-10 is worked.
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import replace
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from gongkai.events.letters import (
    LetterAssigned,
    LetterExtended,
    LetterFeedback,
    LetterPublished,
    LetterReceived,
    LetterReplied,
    LetterTransferred,
    LetterUnpublished,
)
from gongkai.settings import Settings
from gongkai.workdays import WorkCalendar
from services.review.letters import (
    InvalidStep,
    InvalidTransition,
    Letter,
    LetterRules,
    LetterStatus,
    LetterStep,
    apply,
    check_publishable,
    check_unpublishable,
    deadline,
    is_overdue,
    open_letter,
    rules_from,
    unpublishable,
)

CAL = WorkCalendar()
D = date.fromisoformat


def received(on: str = "2026-09-29", kind: str = "mayor_mailbox", category: str = "complaint", **rules: Any) -> Letter:
    data = LetterReceived(
        kind=kind,  # type: ignore[arg-type]
        category=category,  # type: ignore[arg-type]
        title="小区噪音扰民",
        body="夜间施工噪音严重。",
        received_on=D(on),
        tracking_code_hash="0" * 64,
    )
    return open_letter(data, LetterRules(**rules))


def step(kind: str, on: str = "2026-09-30", **extra: Any) -> LetterStep:
    common: dict[str, Any] = {"on": D(on), "actor": "收文岗"}
    if kind == "assign":
        return LetterAssigned(**common, department=extra.get("department", "市住建局"))
    if kind == "extend":
        return LetterExtended(**common, workdays=extra.get("workdays", 10), reason="需现场核查")
    if kind == "transfer":
        return LetterTransferred(**common)
    if kind == "reply":
        return LetterReplied(**common, body="已责令施工单位夜间停工。", first_pass=extra.get("first_pass", True))
    if kind == "feedback":
        return LetterFeedback(on=D(on), rating=extra.get("rating", "satisfied"))
    if kind == "publish":
        return LetterPublished(
            kind="mayor_mailbox",
            category="complaint",
            title="关于小区夜间施工噪音的来信",
            body="夜间施工噪音严重。",
            reply="已责令施工单位夜间停工。",
            received_on=D("2026-09-29"),
            replied_on=D("2026-09-30"),
            published_at=datetime(2026, 10, 8, 2, tzinfo=UTC),
            reviewer="审查员",
        )
    raise ValueError(kind)


def fold(letter: Letter, *kinds: str) -> Letter:
    for kind in kinds:
        letter = apply(letter, step(kind), CAL)
    return letter


# --- the state machine --------------------------------------------------------------------------

STATES: dict[str, tuple[str, ...]] = {
    "open": (),
    "assigned": ("assign",),
    "extended": ("extend",),
    "assigned+extended": ("assign", "extend"),
    "replied": ("reply",),
    "replied+rated": ("reply", "feedback"),
    "replied+published": ("reply", "publish"),
    "transferred": ("transfer",),
}
ACTIONS = ("assign", "extend", "transfer", "reply", "feedback", "publish")
#: For each state, the actions it allows; every other action is refused with InvalidTransition (409).
ALLOWED: dict[str, set[str]] = {
    "open": {"assign", "extend", "transfer", "reply"},
    "assigned": {"assign", "extend", "transfer", "reply"},
    "extended": {"assign", "transfer", "reply"},
    "assigned+extended": {"assign", "transfer", "reply"},
    "replied": {"feedback", "publish"},
    "replied+rated": {"publish"},
    "replied+published": {"feedback"},
    "transferred": set(),
}
AFTER: dict[str, LetterStatus] = {
    "assign": LetterStatus.ASSIGNED,
    "transfer": LetterStatus.TRANSFERRED,
    "reply": LetterStatus.REPLIED,
}


@pytest.mark.parametrize(("state", "action"), [(s, a) for s in STATES for a in ACTIONS])
def test_every_transition_is_allowed_or_refused_by_the_state(state: str, action: str) -> None:
    letter = fold(received(), *STATES[state])
    if action in ALLOWED[state]:
        after = apply(letter, step(action), CAL)
        assert after.status is AFTER.get(action, letter.status)
    else:
        with pytest.raises(InvalidTransition) as refused:
            apply(letter, step(action), CAL)
        assert refused.value.status is letter.status


def test_a_letter_is_reassigned_and_keeps_its_last_department() -> None:
    letter = apply(received(), step("assign", department="市住建局"), CAL)
    letter = apply(letter, step("assign", "2026-10-08", department="市城管局"), CAL)
    assert (letter.status, letter.department) == (LetterStatus.ASSIGNED, "市城管局")


def test_the_reply_records_its_flags_and_feedback_and_publication_follow_it() -> None:
    late = LetterReplied(
        on=D("2026-10-13"), actor="承办人", body="答复", first_pass=False, due_on=D("2026-10-12"), on_time=False
    )
    letter = apply(received(), late, CAL)
    assert (letter.status, letter.replied_on, letter.first_pass, letter.on_time) == (
        LetterStatus.REPLIED,
        D("2026-10-13"),
        False,
        False,
    )
    letter = apply(letter, step("feedback", "2026-10-14", rating="basically_satisfied"), CAL)
    letter = apply(letter, step("publish"), CAL)
    assert (letter.feedback, letter.feedback_on, letter.published) == ("basically_satisfied", D("2026-10-14"), True)


def test_a_transferred_petition_is_closed() -> None:
    letter = fold(received(), "assign", "transfer")
    assert (letter.status, letter.transferred_on, letter.is_pending) == (
        LetterStatus.TRANSFERRED,
        D("2026-09-30"),
        False,
    )


@pytest.mark.parametrize("action", ["assign", "extend", "transfer", "reply"])
def test_no_step_is_dated_before_the_receipt_or_the_previous_step(action: str) -> None:
    with pytest.raises(InvalidStep) as early:
        apply(received(), step(action, "2026-09-28"), CAL)
    assert early.value.field == "on"
    later = apply(received(), step("assign", "2026-10-09"), CAL)
    with pytest.raises(InvalidStep):
        apply(later, step(action, "2026-10-08"), CAL)
    assert apply(later, step(action, "2026-10-09"), CAL).last_on == D("2026-10-09")


def test_feedback_is_not_dated_before_the_reply() -> None:
    letter = apply(received(), step("reply", "2026-10-08"), CAL)
    with pytest.raises(InvalidStep):
        apply(letter, step("feedback", "2026-10-01"), CAL)


# --- the time limit -----------------------------------------------------------------------------


def test_five_working_days_across_national_day_with_a_working_saturday() -> None:
    # 09-30 (1) · 10-01…10-07 国庆 · 10-08 (2) · 10-09 (3) · Saturday 10-10 worked (4) · 10-12 (5)
    due = deadline(received("2026-09-29"), CAL)
    assert (due.due_on, due.provisional) == (D("2026-10-12"), False)


def test_an_extension_to_ten_working_days_counts_from_receipt() -> None:
    # … 10-12 (5) · 10-13 (6) · 10-14 (7) · 10-15 (8) · 10-16 (9) · weekend · 10-19 (10)
    letter = apply(received("2026-09-29"), step("extend", "2026-10-12", workdays=10), CAL)
    assert (letter.period, letter.extension_reason) == (10, "需现场核查")
    assert deadline(letter, CAL).due_on == D("2026-10-19")


def test_the_time_limit_is_configured_per_kind_and_category_most_specific_first() -> None:
    rules = {"by_category": {"help": 4, "consultation.help": 3, "consultation": 2}}
    # 09-30 (1) · 10-08 (2) · 10-09 (3) · 10-10 (4)
    assert deadline(received(kind="consultation", category="help", **rules), CAL).due_on == D("2026-10-09")
    assert deadline(received(kind="mayor_mailbox", category="help", **rules), CAL).due_on == D("2026-10-10")
    assert deadline(received(kind="consultation", category="complaint", **rules), CAL).due_on == D("2026-10-08")
    assert deadline(received(kind="mayor_mailbox", category="complaint", **rules), CAL).due_on == D("2026-10-12")


def test_a_due_date_in_a_year_without_official_data_is_provisional() -> None:
    # 12-29 (1) · 12-30 (2) · 12-31 (3) · 2027-01-01 元旦 (provisional rule) · 01-04 (4) · 01-05 (5)
    due = deadline(received("2026-12-28"), CAL)
    assert (due.due_on, due.provisional) == (D("2027-01-05"), True)


@pytest.mark.parametrize(
    ("workdays", "message"),
    [(11, "at most 10"), (5, "more than the current 5"), (3, "more than the current 5")],
)
def test_an_extension_lengthens_the_limit_up_to_the_ceiling(workdays: int, message: str) -> None:
    with pytest.raises(InvalidStep) as bad:
        apply(received(), step("extend", workdays=workdays), CAL)
    assert bad.value.field == "workdays" and message in str(bad.value)
    assert apply(received(), step("extend", workdays=6), CAL).period == 6


def test_an_extension_comes_before_the_time_limit_passes_and_only_once() -> None:
    assert apply(received(), step("extend", "2026-10-12"), CAL).extended_to == 10
    with pytest.raises(InvalidTransition, match="ended on 2026-10-12"):
        apply(received(), step("extend", "2026-10-13"), CAL)
    twice = apply(received(), step("extend", workdays=7), CAL)
    with pytest.raises(InvalidTransition, match="only once"):
        apply(twice, step("extend", workdays=10), CAL)


def test_a_replayed_extension_is_not_checked_against_todays_calendar_again() -> None:
    late = step("extend", "2026-10-13")
    assert apply(received(), late).extended_to == 10  # accepted earlier: the replay does not refuse it


def test_overdue_means_still_pending_after_the_due_date() -> None:
    letter = received("2026-09-29")
    due = deadline(letter, CAL)
    assert not is_overdue(letter, due, D("2026-10-12"))
    assert is_overdue(letter, due, D("2026-10-13"))
    assert is_overdue(fold(letter, "assign"), due, D("2026-10-13"))
    for closed in ("reply", "transfer"):
        assert not is_overdue(fold(letter, closed), due, D("2026-10-13"))


# --- configuration ------------------------------------------------------------------------------


def test_rules_default_to_five_and_ten_working_days_when_settings_do_not_name_them() -> None:
    rules = rules_from(Settings())
    assert (rules.workdays, rules.max_workdays, dict(rules.by_category)) == (5, 10, {})
    configured = rules_from(
        SimpleNamespace(letter_workdays=3, letter_max_workdays=8, letter_workdays_by_category={"complaint": 5})
    )
    assert (configured.workdays_for("consultation", "help"), configured.workdays_for("consultation", "complaint")) == (
        3,
        5,
    )


@pytest.mark.parametrize(
    "rules",
    [
        {"workdays": 0},
        {"workdays": 11},
        {"workdays": 5, "max_workdays": 61},
        {"by_category": {"complaints": 5}},
        {"by_category": {"complaint.consultation": 5}},
        {"by_category": {"complaint": 11}},
        {"by_category": {"complaint": 0}},
        {"by_category": {"complaint": True}},
    ],
)
def test_nonsensical_rules_are_refused_at_start(rules: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="letter"):
        LetterRules(**rules)


def test_the_limits_in_force_at_receipt_stay_with_the_letter() -> None:
    letter = received(workdays=3, max_workdays=6)
    assert (letter.workdays, letter.max_workdays) == (3, 6)
    with pytest.raises(InvalidStep, match="at most 6"):
        apply(letter, step("extend", workdays=7), CAL)
    assert replace(letter, workdays=5).period == 5


# --- texts for publication ----------------------------------------------------------------------

CONTACT = {"name": "欧阳明远", "phone": "13912345678", "email": "ouyang.private@example.com"}


def tags(problems: list[tuple[str, str]]) -> list[str]:
    """'phone' for a pre-screen finding of that kind, 'writer:phone' for the writer's own number."""
    return sorted(
        "writer:" + message.rsplit(" ", 1)[-1] if "writer's" in message else message.split("(")[1].split(")")[0]
        for _, message in problems
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("小区夜间施工噪音严重，请予处理。", []),
        ("联系电话 021-62345678。", ["landline"]),
        ("身份证号11010519491231002X。", ["id_number"]),
        ("请回复 someone@example.org", ["email"]),
        ("欧阳明远反映夜间施工噪音。", ["writer:name"]),
        ("欧阳 明远反映夜间施工噪音。", ["writer:name"]),
        ("电话 139-1234-5678", ["phone", "writer:phone"]),
        ("OUYANG.PRIVATE@example.com", ["email", "writer:email"]),
        ("秘密★5年", ["secrecy_marking"]),
    ],
)
def test_texts_with_personal_data_are_not_publishable(text: str, expected: list[str]) -> None:
    problems = unpublishable({"body": text}, CONTACT)
    assert tags(problems) == sorted(expected)
    for _, message in problems:
        for value in CONTACT.values():
            assert value not in message


def test_a_writer_without_contact_data_matches_nothing_of_theirs() -> None:
    assert unpublishable({"body": "来信人反映噪音问题。"}, {"name": None, "phone": None, "email": None}) == []
    assert unpublishable({"body": "王先生反映噪音问题。"}, {"name": "王"}) == []  # one character is no name to match


def test_every_field_is_screened_and_named() -> None:
    texts = {"title": "来信", "body": "13800138000", "reply": "发至 ouyang.private@example.com"}
    fields = sorted({name for name, _ in unpublishable(texts, CONTACT)})
    assert fields == ["body", "reply"]


# --- publication (公开信件选登) and withdrawal (撤下公开) ---------------------------------------------------


def publication(version: int) -> LetterPublished:
    published = step("publish")
    assert isinstance(published, LetterPublished)
    return published.model_copy(update={"version": version})


def withdrawal(version: int, on: str = "2026-10-09", reason: str = "来信人要求撤下") -> LetterUnpublished:
    return LetterUnpublished(on=D(on), actor="审查员", reason=reason, version=version)


def replied() -> Letter:
    return fold(received(), "reply")


def as_the_consumer(letter: Letter, *steps: LetterStep) -> Letter:
    """Fold as review's consumer does: a step the letter refuses is ignored, never raised."""
    for one in steps:
        with contextlib.suppress(InvalidTransition, InvalidStep):
            letter = apply(letter, one)
    return letter


def test_a_published_letter_is_taken_down_and_published_again_each_step_one_version_more() -> None:
    letter = replied()
    assert check_publishable(letter) == 1
    letter = apply(letter, publication(1), CAL)
    assert (letter.published, letter.withdrawn, letter.publication_version) == (True, False, 1)
    assert check_unpublishable(letter) == 2
    letter = apply(letter, withdrawal(2), CAL)
    assert (letter.published, letter.withdrawn, letter.publication_version) == (False, True, 2)
    assert (letter.withdrawn_on, letter.withdrawal_reason) == (D("2026-10-09"), "来信人要求撤下")
    assert letter.status is LetterStatus.REPLIED  # taking it down does not reopen the letter
    assert check_publishable(letter) == 3
    letter = apply(letter, publication(3), CAL)
    assert (letter.published, letter.withdrawn, letter.publication_version) == (True, False, 3)


def test_only_a_letter_that_is_public_now_is_taken_down() -> None:
    for letter in (received(), replied(), apply(apply(replied(), publication(1)), withdrawal(2))):
        with pytest.raises(InvalidTransition) as refused:
            check_unpublishable(letter)
        assert refused.value.step == "unpublish"
    with pytest.raises(InvalidTransition, match="already published"):
        check_publishable(apply(replied(), publication(1)))


def test_a_publication_event_from_before_versions_counts_as_the_first() -> None:
    legacy = LetterPublished.model_validate(publication(1).model_dump(mode="json", exclude={"version"}))
    letter = apply(replied(), legacy, CAL)
    assert letter.publication_version == 1
    with pytest.raises(InvalidTransition, match="already published"):
        apply(letter, legacy, CAL)  # a second copy, as before: refused


def test_a_stale_publication_step_changes_nothing() -> None:
    letter = apply(apply(replied(), publication(1)), withdrawal(2))
    for stale in (publication(1), withdrawal(2), publication(2)):
        with pytest.raises(InvalidTransition):
            apply(letter, stale)
    assert as_the_consumer(letter, publication(1)) == letter


STEPS = (publication(1), withdrawal(2, "2026-10-09"), publication(3), withdrawal(4, "2026-10-10"))


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_whatever_order_the_two_topics_are_read_in_the_highest_version_stands(order: tuple[int, ...]) -> None:
    """letter.published comes on the public stream, letter.unpublished on the letters topic: a replay may
    interleave them in any order, and every order folds to the same letter as the order they were made in."""
    in_order = as_the_consumer(replied(), *STEPS)
    assert (in_order.published, in_order.withdrawn, in_order.publication_version) == (False, True, 4)
    shuffled = as_the_consumer(replied(), *(STEPS[i] for i in order))
    assert (shuffled.published, shuffled.withdrawn, shuffled.publication_version) == (False, True, 4)
    for prefix in range(1, 4):
        # any earlier moment: the highest version so far decides
        seen = [STEPS[i] for i in order[:prefix]]
        top = max(seen, key=lambda s: s.version)
        folded = as_the_consumer(replied(), *seen)
        assert folded.published is isinstance(top, LetterPublished)
