"""Deputies' suggestions and CPPCC proposals: every action in every status, due dates, re-handling, on_time,
publishing the reply and taking it down (撤下公开) in versions."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from gongkai.db import connect
from gongkai.events import new_event
from gongkai.events.base import EventData
from gongkai.events.letters import (
    ProposalCoOpinion,
    ProposalExtended,
    ProposalFeedback,
    ProposalRegistered,
    ProposalReplied,
    ProposalReplyPublished,
    ProposalReplyUnpublished,
    Rating,
)
from gongkai.settings import Settings
from services.review.proposals import (
    DEFAULT_RESULT_CLASSES,
    InvalidStep,
    InvalidTransition,
    Proposal,
    ProposalStatus,
    apply,
    check_on,
    check_result_class,
    check_unpublishable,
    co_unit_statuses,
    is_overdue,
    publication,
    register,
    reply_step,
)
from services.review.proposals_api import result_classes
from services.review.proposals_handlers import effect_for, rebuild
from services.review.proposals_store import PROPOSALS_SCHEMA, get_proposal

D = date.fromisoformat
NOW = datetime(2027, 6, 1, 2, tzinfo=UTC)


def registered(assigned_on: str = "2026-03-31", co_units: tuple[str, ...] = ("市财政局", "市规划局")) -> Proposal:
    return register(
        ProposalRegistered(
            kind="npc_suggestion",
            number="第0123号",
            title="关于加强社区养老服务的建议",
            proposer="张代表",
            assigned_on=D(assigned_on),
            lead_unit="市民政局",
            co_units=list(co_units),
            recorded_by="clerk",
        )
    )


def replied(p: Proposal, on: str, result_class: str = "B") -> Proposal:
    return apply(
        p,
        reply_step(p, on=D(on), actor="clerk", result_class=result_class, body=f"答复（{on}）"),
        result_classes=DEFAULT_RESULT_CLASSES,
    )


def assessed(p: Proposal, on: str, rating: Rating) -> Proposal:
    return apply(p, ProposalFeedback(on=D(on), actor="clerk", rating=rating))


def published(p: Proposal) -> Proposal:
    return apply(p, publication(p, published_at=NOW, publisher="publisher"))


def taking_down(p: Proposal, on: str = "2027-01-05", reason: str = "提出人要求撤下") -> ProposalReplyUnpublished:
    return ProposalReplyUnpublished(on=D(on), actor="publisher", reason=reason, version=check_unpublishable(p))


def taken_down(p: Proposal) -> Proposal:
    return apply(p, taking_down(p))


# --- the proposal in each status ------------------------------------------------------------------

STATES: dict[str, Callable[[], Proposal]] = {
    "assigned": lambda: registered(),
    "replied": lambda: replied(registered(), "2026-06-10"),
    "rehandling": lambda: assessed(replied(registered(), "2026-06-10"), "2026-06-20", "dissatisfied"),
    "replied_again": lambda: replied(
        assessed(replied(registered(), "2026-06-10"), "2026-06-20", "dissatisfied"), "2026-07-10"
    ),
    "closed": lambda: assessed(replied(registered(), "2026-06-10"), "2026-06-20", "satisfied"),
    "closed_after_rehandling": lambda: assessed(
        replied(assessed(replied(registered(), "2026-06-10"), "2026-06-20", "dissatisfied"), "2026-07-10"),
        "2026-07-15",
        "dissatisfied",
    ),
    "closed_and_published": lambda: published(
        assessed(replied(registered(), "2026-06-10"), "2026-06-20", "basically_satisfied")
    ),
    "closed_and_taken_down": lambda: taken_down(
        published(assessed(replied(registered(), "2026-06-10"), "2026-06-20", "basically_satisfied"))
    ),
    "rehandling_first_public": lambda: assessed(
        published(replied(registered(), "2026-06-10")), "2026-06-20", "dissatisfied"
    ),
}
STATUS = {
    "assigned": "assigned",
    "replied": "replied",
    "rehandling": "rehandling",
    "replied_again": "replied",
    "closed": "closed",
    "closed_after_rehandling": "closed",
    "closed_and_published": "closed",
    "closed_and_taken_down": "closed",
    "rehandling_first_public": "rehandling",
}
ON = D("2027-01-05")  # later than every step above


def act(p: Proposal, action: str) -> Proposal:
    if action == "co_opinion":
        return apply(p, ProposalCoOpinion(on=ON, actor="clerk", unit="市财政局"))
    if action == "extend":
        # within the first three months when that is still possible
        on = min(ON, p.first_due) if p.status is ProposalStatus.ASSIGNED else ON
        return apply(p, ProposalExtended(on=on, actor="clerk", months=6, reason="涉及面广、办理难度大"))
    if action == "reply":
        return replied(p, ON.isoformat(), "A")
    if action == "feedback":
        return assessed(p, ON.isoformat(), "satisfied")
    if action == "publish":
        return published(p)
    if action == "unpublish":
        return taken_down(p)
    raise AssertionError(action)


ACTIONS = ("co_opinion", "extend", "reply", "feedback", "publish", "unpublish")
ALLOWED = {
    "assigned": {"co_opinion", "extend", "reply"},
    "replied": {"feedback", "publish"},
    "rehandling": {"reply", "publish"},  # the first reply may still be made public
    "replied_again": {"feedback", "publish"},
    "closed": {"publish"},
    "closed_after_rehandling": {"publish"},
    "closed_and_published": {"unpublish"},
    "closed_and_taken_down": {"publish"},  # published again
    "rehandling_first_public": {"reply", "unpublish"},  # the first reply is on the portal until replaced
}
AFTER = {
    ("assigned", "co_opinion"): "assigned",
    ("assigned", "extend"): "assigned",
    ("assigned", "reply"): "replied",
    ("replied", "feedback"): "closed",
    ("replied_again", "feedback"): "closed",
    ("rehandling", "reply"): "replied",
    ("rehandling_first_public", "reply"): "replied",
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", list(STATES))
def test_every_action_in_every_status_is_allowed_or_a_conflict(state: str, action: str) -> None:
    before = STATES[state]()
    assert before.status.value == STATUS[state]
    if action in ALLOWED[state]:
        after = act(before, action)
        assert after.status.value == AFTER.get((state, action), STATUS[state])
    else:
        with pytest.raises(InvalidTransition) as refused:
            act(before, action)
        assert refused.value.status.value == STATUS[state]


# --- due dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assigned_on", "due_on", "co_due"),
    [
        ("2026-03-02", "2026-06-02", "2026-04-02"),
        ("2026-03-31", "2026-06-30", "2026-04-30"),
        ("2026-11-30", "2027-02-28", "2026-12-30"),
        ("2027-11-30", "2028-02-29", "2027-12-30"),
        ("2026-01-31", "2026-04-30", "2026-02-28"),
        ("2026-12-31", "2027-03-31", "2027-01-31"),
    ],
)
def test_the_reply_is_due_three_months_after_assignment_and_co_opinions_one(
    assigned_on: str, due_on: str, co_due: str
) -> None:
    p = registered(assigned_on)
    assert (p.due_on, p.first_due, p.co_opinion_due) == (D(due_on), D(due_on), D(co_due))
    assert p.rehandling_due is None and not p.rehandling


@pytest.mark.parametrize(("months", "due_on"), [(4, "2026-07-31"), (5, "2026-08-31"), (6, "2026-09-30")])
def test_an_extension_sets_the_due_date_months_after_assignment(months: int, due_on: str) -> None:
    p = registered("2026-03-31")
    p = apply(p, ProposalExtended(on=D("2026-06-30"), actor="clerk", months=months, reason="涉及多个部门"))
    assert p.due_on == D(due_on)
    assert p.extension is not None and (p.extension.months, p.extension.on) == (months, D("2026-06-30"))


def test_an_extension_is_granted_once_and_before_the_three_months_run_out() -> None:
    p = registered("2026-03-31")
    late = ProposalExtended(on=D("2026-07-01"), actor="clerk", months=6, reason="难度大")
    with pytest.raises(InvalidTransition, match="2026-06-30 has already passed"):
        apply(p, late)
    once = apply(p, ProposalExtended(on=D("2026-05-01"), actor="clerk", months=5, reason="难度大"))
    with pytest.raises(InvalidTransition, match="already extended"):
        apply(once, ProposalExtended(on=D("2026-05-02"), actor="clerk", months=6, reason="更难"))


def test_an_extension_beyond_six_months_is_a_bad_value() -> None:
    bad = ProposalExtended.model_construct(on=D("2026-04-01"), actor="clerk", note="", months=7, reason="x")
    with pytest.raises(InvalidStep) as refused:
        apply(registered(), bad)
    assert refused.value.field == "months"


@pytest.mark.parametrize(
    ("on", "on_time"), [("2026-06-01", True), ("2026-06-30", True), ("2026-07-01", False), ("2026-09-30", False)]
)
def test_a_first_reply_is_on_time_up_to_its_due_day(on: str, on_time: bool) -> None:
    p = registered("2026-03-31")
    step = reply_step(p, on=D(on), actor="clerk", result_class="A", body="已解决")
    assert (step.due_on, step.on_time, step.rehandling) == (D("2026-06-30"), on_time, False)
    after = apply(p, step)
    assert (after.status, after.replied_on, after.result_class) == (ProposalStatus.REPLIED, D(on), "A")
    assert after.due_on == D("2026-06-30")


def test_an_extended_reply_is_judged_against_the_extended_date() -> None:
    p = apply(registered("2026-03-31"), ProposalExtended(on=D("2026-06-01"), actor="c", months=6, reason="难"))
    step = reply_step(p, on=D("2026-09-30"), actor="clerk", result_class="C", body="待以后解决")
    assert (step.due_on, step.on_time) == (D("2026-09-30"), True)


@pytest.mark.parametrize(
    ("assigned_on", "feedback_on", "rehandling_due"),
    [
        ("2026-03-31", "2026-06-20", "2026-07-20"),
        ("2025-10-09", "2026-01-31", "2026-02-28"),
        ("2027-10-09", "2028-01-31", "2028-02-29"),
        ("2026-03-31", "2026-08-31", "2026-09-30"),
    ],
)
def test_dissatisfaction_opens_rehandling_due_one_month_after_the_assessment(
    assigned_on: str, feedback_on: str, rehandling_due: str
) -> None:
    p = replied(registered(assigned_on), assigned_on)
    p = assessed(p, feedback_on, "dissatisfied")
    assert (p.status, p.due_on, p.rehandling_due, p.rehandling) == (
        ProposalStatus.REHANDLING,
        D(rehandling_due),
        D(rehandling_due),
        True,
    )
    due = D(rehandling_due)
    on_day = reply_step(p, on=due, actor="clerk", result_class="A", body="重新办理后已解决")
    late = reply_step(p, on=due + timedelta(days=1), actor="clerk", result_class="A", body="重新办理后已解决")
    assert (on_day.rehandling, on_day.due_on, on_day.on_time, late.on_time) == (True, due, True, False)


@pytest.mark.parametrize("rating", ["satisfied", "basically_satisfied"])
def test_a_satisfied_assessment_closes_the_proposal(rating: Rating) -> None:
    p = assessed(replied(registered(), "2026-06-10"), "2026-06-12", rating)
    assert (p.status, p.rating, p.closed_on, p.rehandling) == (ProposalStatus.CLOSED, rating, D("2026-06-12"), False)


@pytest.mark.parametrize("rating", ["satisfied", "basically_satisfied", "dissatisfied"])
def test_the_second_assessment_closes_whatever_it_is_and_there_is_no_third_round(rating: Rating) -> None:
    p = STATES["replied_again"]()
    p = assessed(p, "2026-07-12", rating)
    assert (p.status, p.rating, p.rehandling) == (ProposalStatus.CLOSED, rating, True)
    assert [r.rehandling for r in p.replies] == [False, True]
    with pytest.raises(InvalidTransition):
        replied(p, "2026-07-13")
    with pytest.raises(InvalidTransition):
        assessed(p, "2026-07-13", "dissatisfied")


def test_a_reply_cannot_pretend_to_be_of_the_other_round() -> None:
    p = registered()
    step = reply_step(p, on=D("2026-05-01"), actor="clerk", result_class="A", body="x")
    with pytest.raises(InvalidStep) as refused:
        apply(p, step.model_copy(update={"rehandling": True}))
    assert refused.value.field == "rehandling"


# --- values and dates -----------------------------------------------------------------------------


def test_result_classes_are_checked_when_replying_not_when_folding() -> None:
    p = registered()
    step = reply_step(p, on=D("2026-05-01"), actor="clerk", result_class="E", body="x")
    with pytest.raises(InvalidStep) as refused:
        apply(p, step, result_classes=DEFAULT_RESULT_CLASSES)
    assert refused.value.field == "result_class"
    assert apply(p, step).result_class == "E"  # a recorded reply keeps its class if the configuration changes
    local = {"甲": "已解决", "乙": "正在解决"}
    apply(p, reply_step(p, on=D("2026-05-01"), actor="c", result_class="甲", body="x"), result_classes=local)
    with pytest.raises(InvalidStep):
        check_result_class("A", local)


@pytest.mark.parametrize(
    ("state", "step"),
    [
        ("assigned", ProposalCoOpinion(on=D("2026-03-30"), actor="c", unit="市财政局")),
        ("assigned", ProposalExtended(on=D("2026-03-30"), actor="c", months=4, reason="难")),
        ("replied", ProposalFeedback(on=D("2026-06-09"), actor="c", rating="satisfied")),
        (
            "rehandling",
            ProposalReplied(
                on=D("2026-06-19"),
                actor="c",
                result_class="A",
                body="x",
                rehandling=True,
                due_on=D("2026-07-20"),
                on_time=True,
            ),
        ),
    ],
)
def test_a_step_dated_before_the_previous_one_is_refused(state: str, step: EventData) -> None:
    with pytest.raises(InvalidStep) as refused:
        apply(STATES[state](), step)
    assert refused.value.field == "on"


def test_a_step_on_the_day_of_the_previous_one_is_fine_and_last_on_follows() -> None:
    p = apply(registered(), ProposalCoOpinion(on=D("2026-04-10"), actor="c", unit="市财政局"))
    assert p.last_on == D("2026-04-10")
    p = replied(p, "2026-04-10")
    assert assessed(p, "2026-04-10", "satisfied").closed_on == D("2026-04-10")
    with pytest.raises(InvalidStep):
        assessed(p, "2026-04-09", "satisfied")


def test_check_on_refuses_the_future_and_days_before_the_records() -> None:
    check_on(D("2026-06-01"), today=D("2026-06-01"), records_start_on=D("2008-05-01"))
    for day in ("2026-06-02", "2008-04-30"):
        with pytest.raises(InvalidStep) as refused:
            check_on(D(day), today=D("2026-06-01"), records_start_on=D("2008-05-01"))
        assert refused.value.field == "on"


# --- co-handling units ----------------------------------------------------------------------------


def test_co_units_give_their_opinion_once_and_only_named_units() -> None:
    p = registered()
    with pytest.raises(InvalidStep) as unknown:
        apply(p, ProposalCoOpinion(on=D("2026-04-01"), actor="c", unit="市教育局"))
    assert unknown.value.field == "unit"
    p = apply(p, ProposalCoOpinion(on=D("2026-04-01"), actor="c", unit="市财政局"))
    with pytest.raises(InvalidTransition, match="already gave its opinion on 2026-04-01"):
        apply(p, ProposalCoOpinion(on=D("2026-04-02"), actor="c", unit="市财政局"))


def test_late_co_units_are_shown() -> None:
    p = registered("2026-03-31")  # opinions due 2026-04-30
    assert [(s.unit, s.late) for s in co_unit_statuses(p, D("2026-04-30"))] == [
        ("市财政局", False),
        ("市规划局", False),
    ]
    p = apply(p, ProposalCoOpinion(on=D("2026-04-30"), actor="c", unit="市财政局"))
    statuses = co_unit_statuses(p, D("2026-05-01"))
    assert [(s.unit, s.given_on, s.due_on, s.late) for s in statuses] == [
        ("市财政局", D("2026-04-30"), D("2026-04-30"), False),
        ("市规划局", None, D("2026-04-30"), True),
    ]
    p = apply(p, ProposalCoOpinion(on=D("2026-05-03"), actor="c", unit="市规划局"))
    assert [s.late for s in co_unit_statuses(p, D("2026-05-03"))] == [False, True]  # given, but late


def test_a_missing_opinion_is_judged_as_of_the_first_reply() -> None:
    p = replied(registered("2026-03-31"), "2026-04-20")
    assert [s.late for s in co_unit_statuses(p, D("2026-12-01"))] == [False, False]


# --- overdue and publication ----------------------------------------------------------------------


def test_overdue_when_a_reply_is_owed_past_its_due_date() -> None:
    p = registered("2026-03-31")
    assert not is_overdue(p, D("2026-06-30")) and is_overdue(p, D("2026-07-01"))
    late = replied(p, "2026-07-05")
    assert not late.replies[0].on_time and not is_overdue(late, D("2026-12-01"))
    rehandling = assessed(late, "2026-07-06", "dissatisfied")
    assert not is_overdue(rehandling, D("2026-08-06")) and is_overdue(rehandling, D("2026-08-07"))
    assert not is_overdue(STATES["closed"](), D("2030-01-01"))


def test_the_latest_reply_is_published_once_with_its_text() -> None:
    p = STATES["rehandling"]()
    data = publication(p, published_at=NOW, publisher="publisher")
    assert (data.reply, data.replied_on, data.result_class, data.number) == (
        "答复（2026-06-10）",
        D("2026-06-10"),
        "B",
        "第0123号",
    )
    p = apply(p, data)
    assert [r.published for r in p.replies] == [True]
    with pytest.raises(InvalidTransition, match="already published"):
        publication(p, published_at=NOW, publisher="publisher")
    with pytest.raises(InvalidTransition):
        apply(p, data)  # the same publication again
    p = replied(p, "2026-07-01", "A")
    second = publication(p, published_at=NOW, publisher="publisher")
    assert (second.reply, second.result_class) == ("答复（2026-07-01）", "A")
    assert [r.published for r in apply(p, second).replies] == [True, True]


def test_nothing_to_publish_before_a_reply() -> None:
    with pytest.raises(InvalidTransition, match="no reply"):
        publication(registered(), published_at=NOW, publisher="publisher")


# --- taking the public reply down (撤下公开) and publishing again ------------------------------------


def test_a_public_reply_is_taken_down_and_published_again_each_step_one_version_more() -> None:
    p = replied(registered(), "2026-06-10")
    first = publication(p, published_at=NOW, publisher="publisher")
    assert first.version == 1
    p = apply(p, first)
    assert (p.published, p.withdrawn, p.publication_version) == (True, False, 1)
    step = taking_down(p, on="2026-06-15", reason="答复中含有未脱敏的联系方式")
    assert step.version == 2
    last_on = p.last_on
    p = apply(p, step)
    assert (p.published, p.withdrawn, p.publication_version) == (False, True, 2)
    assert (p.withdrawn_on, p.withdrawal_reason) == (D("2026-06-15"), "答复中含有未脱敏的联系方式")
    assert [r.published for r in p.replies] == [False]
    assert (p.status, p.last_on) == (ProposalStatus.REPLIED, last_on)  # not a handling step: no date moves
    assessed(p, "2026-06-11", "satisfied")  # a later-recorded assessment may still be dated before it
    again = publication(p, published_at=NOW, publisher="publisher")
    assert (again.version, again.reply) == (3, "答复（2026-06-10）")
    p = apply(p, again)
    assert (p.published, p.withdrawn, p.publication_version) == (True, False, 3)
    assert taking_down(p).version == 4


def test_only_a_proposal_with_a_public_reply_is_taken_down() -> None:
    for state in ("assigned", "replied", "closed", "closed_and_taken_down"):
        with pytest.raises(InvalidTransition, match="no reply of this proposal is public") as refused:
            check_unpublishable(STATES[state]())
        assert refused.value.action == "unpublish"
    first_public = STATES["rehandling_first_public"]()  # the first reply stays public while re-handled
    assert check_unpublishable(first_public) == 2
    p = replied(first_public, "2026-07-10", "A")
    second = publication(p, published_at=NOW, publisher="publisher")
    assert (second.version, second.reply) == (2, "答复（2026-07-10）")
    assert [r.published for r in apply(p, second).replies] == [True, True]


def test_a_publication_from_before_versions_counts_as_the_first_and_a_second_reply_too() -> None:
    p = replied(registered(), "2026-06-10")
    legacy = ProposalReplyPublished.model_validate(
        publication(p, published_at=NOW, publisher="p").model_dump(mode="json", exclude={"version"})
    )
    p = apply(p, legacy)
    with pytest.raises(InvalidTransition, match="no unpublished reply"):
        apply(p, legacy)  # a second copy, as before: refused
    p = replied(assessed(p, "2026-06-20", "dissatisfied"), "2026-07-10")
    second = ProposalReplyPublished.model_validate(
        publication(p, published_at=NOW, publisher="p").model_dump(mode="json", exclude={"version"})
    )
    p = apply(p, second)  # the re-handling reply published before versions: version 1 as well
    assert ([r.published for r in p.replies], p.publication_version) == ([True, True], 1)
    assert taking_down(p).version == 2


def test_a_stale_publication_step_changes_nothing() -> None:
    p = STATES["closed_and_published"]()
    first = publication(STATES["closed"](), published_at=NOW, publisher="publisher")
    down = taking_down(p)
    p = apply(p, down)
    for stale in (first, down, first.model_copy(update={"version": 2})):
        with pytest.raises(InvalidTransition, match="not newer"):
            apply(p, stale)


def consumer_fold(p: Proposal, *steps: EventData) -> Proposal:
    """Fold as review's consumer does: a step the proposal refuses is ignored, never raised."""
    for one in steps:
        with contextlib.suppress(InvalidTransition, InvalidStep):
            p = apply(p, one)
    return p


def interleavings(public: list[EventData], internal: list[EventData]) -> list[list[EventData]]:
    """Every order a replay may read the two topics in, each topic's own order kept."""
    size = len(public) + len(internal)
    orders = []
    for slots in itertools.combinations(range(size), len(public)):
        pub, rest = iter(public), iter(internal)
        orders.append([next(pub) if i in slots else next(rest) for i in range(size)])
    return orders


def test_whatever_order_the_two_topics_are_read_in_the_same_proposal_results() -> None:
    """Publications come on the public stream, take-downs on the proposals topic."""
    p = replied(registered(), "2026-06-10")
    first = publication(p, published_at=NOW, publisher="p")
    down = ProposalReplyUnpublished(on=D("2026-06-15"), actor="p", reason="撤下", version=2)
    again = first.model_copy(update={"version": 3})
    down_again = ProposalReplyUnpublished(on=D("2026-06-16"), actor="p", reason="再次撤下", version=4)
    made: list[tuple[list[EventData], list[EventData]]] = [
        ([first], [down]),
        ([first, again], [down]),
        ([first, again], [down, down_again]),
    ]
    for public, internal in made:
        as_made = [first, down, again, down_again][: len(public) + len(internal)]  # the order they were made in
        in_order = consumer_fold(p, *as_made)
        assert (in_order.published, in_order.publication_version) == (len(public) > len(internal), len(as_made))
        for order in interleavings(public, internal):
            assert consumer_fold(p, *order) == in_order, order


def test_two_publishers_at_once_the_take_down_wins_in_either_order() -> None:
    """The first reply is public; one publisher publishes the re-handling reply while another takes the
    first down: both steps are version 2, and the proposal ends with no reply public whatever came first."""
    p = replied(STATES["rehandling_first_public"](), "2026-07-10", "A")
    second = publication(p, published_at=NOW, publisher="甲")
    down = taking_down(p, on="2026-07-11")
    assert second.version == down.version == 2
    for order in ((second, down), (down, second)):
        folded = consumer_fold(p, *order)
        assert (folded.published, folded.withdrawn, folded.publication_version) == (False, True, 2)


# --- configuration and the store's fold -----------------------------------------------------------


def test_result_classes_come_from_the_settings() -> None:
    assert result_classes(Settings()) == DEFAULT_RESULT_CLASSES
    local = {"1": "已解决", "2": "正在解决", "3": "待以后解决"}
    assert result_classes(Settings(proposal_result_classes=local)) == local
    with pytest.raises(ValueError, match="reply class"):
        Settings(proposal_result_classes={})


def test_the_store_records_refused_facts_as_ignored_and_replays_as_nothing(tmp_path: Path) -> None:
    conn = connect(tmp_path / "review.db")
    conn.executescript(PROPOSALS_SCHEMA)
    registration = registered()
    data = ProposalRegistered(
        kind=registration.kind,
        number=registration.number,
        title=registration.title,
        proposer=registration.proposer,
        assigned_on=registration.assigned_on,
        lead_unit=registration.lead_unit,
        co_units=list(registration.co_units),
        recorded_by="clerk",
    )

    def run(event_type: str, payload: EventData, subject: str = "p1") -> None:
        effect = effect_for(new_event(event_type, subject=subject, source="test", data=payload, recorded_at=NOW))
        assert effect is not None
        effect(conn)

    run("proposal.registered", data)
    run("proposal.registered", data)  # the same id registered twice: the first stands
    run("proposal.feedback", ProposalFeedback(on=D("2026-04-01"), actor="c", rating="satisfied"))  # before a reply
    reply = reply_step(registration, on=D("2026-04-02"), actor="c", result_class="A", body="答复。")
    run("proposal.replied", reply)
    run("proposal.replied", reply.model_copy(update={"on": D("2026-04-03")}))  # two clerks at once
    run("proposal.feedback", ProposalFeedback(on=D("2026-04-05"), actor="c", rating="satisfied"), subject="p9")
    row = get_proposal(conn, "p1")
    assert row is not None
    assert (row["status"], row["result_class"], row["replied_on"], row["due_on"]) == (
        "replied",
        "A",
        "2026-04-02",
        "2026-06-30",
    )
    assert [s["type"] for s in row["steps"]] == ["proposal.registered", "proposal.replied"]
    assert [(h["type"], bool(h.get("ignored"))) for h in row["history"]] == [
        ("proposal.registered", False),
        ("proposal.registered", True),
        ("proposal.feedback", True),
        ("proposal.replied", False),
        ("proposal.replied", True),
    ]
    assert rebuild(row).replies[0].on == D("2026-04-02")
    assert get_proposal(conn, "p9") is None
    conn.close()
