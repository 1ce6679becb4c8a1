"""Deputies' suggestions (人大代表建议) and CPPCC proposals (政协提案): the handling workflow. Pure.

A proposal is the fold of its steps (the ``proposal.*`` events, in order). ``apply`` checks one
more step against the rules and the proposal's state and returns the new proposal, or raises
``InvalidTransition`` (the state forbids it: HTTP 409) or ``InvalidStep`` (the step itself is
wrong: HTTP 422). Periods are calendar months "to the corresponding day" (``gongkai.months``):

- the reply is due 3 months after assignment (代表法; the same for proposals), once extendable to
  4–6 months for wide-ranging, difficult ones, before the 3 months have run out;
- co-handling units (协办) give their opinion to the lead unit (主办) within 1 month of assignment;
- the proposer assesses the reply (满意 · 基本满意 · 不满意); a dissatisfied first assessment opens
  re-handling (重新办理): a second reply due 1 month after the assessment, assessed once more,
  after which the proposal is closed whatever the rating. There is no third round.
- each reply may be made public once (建议提案办理复文公开); only the latest reply is published. A reply
  that is public may be taken down (撤下公开, with a reason) and the latest reply published again. These
  steps carry a ``version`` (1, 2, 3, …, one more than the step before; publications from before the field
  count as 1): the fold keeps the highest and ignores an older one, a take-down winning a tie, so the
  proposal ends the same whichever order its two topics (publications come on the public stream,
  take-downs on the proposals topic) are read in. A take-down, like a publication, is not a handling step:
  it leaves the dates of the handling alone.

Statuses: ``assigned`` (办理中) → ``replied`` (已答复) → ``closed`` (已办结), or ``rehandling``
(重新办理) → ``replied`` → ``closed``.

>>> p = register(ProposalRegistered(kind="npc_suggestion", number="第0123号", title="关于加强社区养老服务的建议",
...     proposer="张代表", assigned_on=date(2026, 3, 31), lead_unit="市民政局", co_units=["市财政局"],
...     recorded_by="clerk"))
>>> p.status.value, p.due_on, p.co_opinion_due
('assigned', datetime.date(2026, 6, 30), datetime.date(2026, 4, 30))
>>> p = apply(p, reply_step(p, on=date(2026, 6, 15), actor="clerk", result_class="B", body="已列入规划。"))
>>> p = apply(p, ProposalFeedback(on=date(2026, 6, 20), actor="clerk", rating="dissatisfied"))
>>> p.status.value, p.due_on
('rehandling', datetime.date(2026, 7, 20))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from gongkai.events.base import EventData
from gongkai.events.letters import (
    ProposalCoOpinion,
    ProposalExtended,
    ProposalFeedback,
    ProposalKind,
    ProposalRegistered,
    ProposalReplied,
    ProposalReplyPublished,
    ProposalReplyUnpublished,
    Rating,
)
from gongkai.months import add_months
from gongkai.vocabulary import PROPOSAL_KIND_LABELS, RATING_LABELS, RESULT_CLASS_LABELS

__all__ = [
    "CO_OPINION_MONTHS",
    "DEFAULT_RESULT_CLASSES",
    "EVENT_TYPES",
    "KIND_LABELS",
    "MAX_EXTENDED_MONTHS",
    "MIN_EXTENDED_MONTHS",
    "NOT_PUBLIC",
    "OPEN_STATUSES",
    "RATING_LABELS",
    "REHANDLING_MONTHS",
    "REPLY_MONTHS",
    "STATUS_LABELS",
    "CoOpinion",
    "CoUnitStatus",
    "Extension",
    "Feedback",
    "InvalidStep",
    "InvalidTransition",
    "Proposal",
    "ProposalStatus",
    "Reply",
    "apply",
    "check_on",
    "check_result_class",
    "check_unpublishable",
    "co_unit_statuses",
    "is_overdue",
    "publication",
    "register",
    "reply_step",
]

REPLY_MONTHS = 3  # 代表法: answered within 3 months of assignment
MIN_EXTENDED_MONTHS, MAX_EXTENDED_MONTHS = 4, 6  # wide-ranging, difficult: at most 6 months
CO_OPINION_MONTHS = 1  # 协办单位 give their view to the lead unit within 1 month
REHANDLING_MONTHS = 1  # re-handling after dissatisfaction: within 1 month of the assessment

#: Reply classes (spec §D [S]); a jurisdiction may configure its own (GONGKAI_PROPOSAL_RESULT_CLASSES).
DEFAULT_RESULT_CLASSES: Mapping[str, str] = RESULT_CLASS_LABELS
KIND_LABELS: Mapping[str, str] = PROPOSAL_KIND_LABELS

#: Step data model → event type.
EVENT_TYPES: Mapping[type[EventData], str] = {
    ProposalCoOpinion: "proposal.co_opinion",
    ProposalExtended: "proposal.extended",
    ProposalReplied: "proposal.replied",
    ProposalFeedback: "proposal.feedback",
    ProposalReplyPublished: "proposal.reply_published",
    ProposalReplyUnpublished: "proposal.reply_unpublished",
}


class ProposalStatus(StrEnum):
    ASSIGNED = "assigned"  # 办理中
    REPLIED = "replied"  # 已答复, awaiting the proposer's assessment
    REHANDLING = "rehandling"  # 重新办理
    CLOSED = "closed"  # 已办结


STATUS_LABELS: Mapping[str, str] = {
    "assigned": "办理中",
    "replied": "已答复",
    "rehandling": "重新办理",
    "closed": "已办结",
}
#: Not yet closed (the ``gongkai_proposals_open`` gauge).
OPEN_STATUSES = frozenset({ProposalStatus.ASSIGNED, ProposalStatus.REPLIED, ProposalStatus.REHANDLING})
#: A reply is owed by the agency: these can be overdue.
_AWAITING_REPLY = frozenset({ProposalStatus.ASSIGNED, ProposalStatus.REHANDLING})


class InvalidTransition(Exception):
    """The proposal's state forbids this step (HTTP 409, naming the state)."""

    def __init__(self, status: ProposalStatus, action: str, why: str = "") -> None:
        self.status = status
        self.action = action
        super().__init__(why or f"a proposal that is {status.value} cannot take '{action}'")


class InvalidStep(ValueError):
    """The step's values are wrong: a date out of order, an unknown unit or class (HTTP 422)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class CoOpinion:
    unit: str
    on: date


@dataclass(frozen=True)
class Extension:
    months: int
    reason: str
    on: date


@dataclass(frozen=True)
class Reply:
    on: date
    result_class: str
    body: str
    rehandling: bool
    due_on: date
    on_time: bool
    published: bool = False


@dataclass(frozen=True)
class Feedback:
    on: date
    rating: Rating


@dataclass(frozen=True)
class CoUnitStatus:
    """A co-handling unit's opinion: given (when) or not, and whether it was or is late."""

    unit: str
    due_on: date
    given_on: date | None
    late: bool


@dataclass(frozen=True)
class Proposal:
    kind: ProposalKind
    number: str
    title: str
    proposer: str
    session: str
    assigned_on: date
    lead_unit: str
    co_units: tuple[str, ...]
    status: ProposalStatus = ProposalStatus.ASSIGNED
    extension: Extension | None = None
    co_opinions: tuple[CoOpinion, ...] = ()
    replies: tuple[Reply, ...] = ()
    feedbacks: tuple[Feedback, ...] = ()
    last_on: date | None = None
    #: The version of the latest publication or take-down (0: never published); the next one is one more.
    publication_version: int = 0
    #: The day and reason of the take-down when that was the latest of them (a publication clears them).
    withdrawn_on: date | None = None
    withdrawal_reason: str | None = None

    @property
    def published(self) -> bool:
        """A reply is public now (the portal shows the one published last)."""
        return any(r.published for r in self.replies)

    @property
    def withdrawn(self) -> bool:
        """A reply was public, and was taken down since (nothing published again)."""
        return self.withdrawn_on is not None

    @property
    def first_due(self) -> date:
        """The first reply's due date: 3 months after assignment, or the extended period."""
        months = self.extension.months if self.extension else REPLY_MONTHS
        return add_months(self.assigned_on, months)

    @property
    def rehandling_due(self) -> date | None:
        """The re-handling reply's due date, once the first reply was assessed 不满意."""
        first = self.feedbacks[0] if self.feedbacks else None
        if first is None or first.rating != "dissatisfied":
            return None
        return add_months(first.on, REHANDLING_MONTHS)

    @property
    def due_on(self) -> date:
        """The current round's due date (for a replied or closed proposal: the last reply's)."""
        if self.status is ProposalStatus.ASSIGNED:
            return self.first_due
        if self.status is ProposalStatus.REHANDLING:
            due = self.rehandling_due
            assert due is not None
            return due
        return self.replies[-1].due_on

    @property
    def co_opinion_due(self) -> date:
        return add_months(self.assigned_on, CO_OPINION_MONTHS)

    @property
    def rehandling(self) -> bool:
        """Whether re-handling was opened (the first reply was assessed 不满意)."""
        return self.rehandling_due is not None

    @property
    def result_class(self) -> str | None:
        return self.replies[-1].result_class if self.replies else None

    @property
    def rating(self) -> Rating | None:
        return self.feedbacks[-1].rating if self.feedbacks else None

    @property
    def replied_on(self) -> date | None:
        return self.replies[-1].on if self.replies else None

    @property
    def closed_on(self) -> date | None:
        return self.feedbacks[-1].on if self.status is ProposalStatus.CLOSED else None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def register(data: ProposalRegistered) -> Proposal:
    """A newly assigned proposal (交办)."""
    return Proposal(
        kind=data.kind,
        number=data.number,
        title=data.title,
        proposer=data.proposer,
        session=data.session,
        assigned_on=data.assigned_on,
        lead_unit=data.lead_unit,
        co_units=tuple(data.co_units),
        last_on=data.assigned_on,
    )


def apply(proposal: Proposal, step: EventData, *, result_classes: Mapping[str, str] | None = None) -> Proposal:
    """The proposal after ``step``, or ``InvalidTransition`` / ``InvalidStep``.

    ``result_classes``: the classes a new reply may use; None when folding recorded events, which
    keep the class they were given even if the configuration changed since.
    """
    handler = _HANDLERS.get(type(step))
    if handler is None:
        raise InvalidStep("action", f"{type(step).__name__} is not a step of a proposal")
    new = handler(proposal, step, result_classes)
    on: date | None = getattr(step, "on", None)
    if on is None or isinstance(step, ProposalReplyUnpublished):  # publishing is not a handling step
        return new
    return replace(new, last_on=max(on, proposal.last_on or on))


def reply_step(
    proposal: Proposal, *, on: date, actor: str, result_class: str, body: str, note: str = ""
) -> ProposalReplied:
    """The reply to record: the round (first or re-handling), its due date and whether it is on time."""
    _require(proposal, "reply", *_AWAITING_REPLY)
    due = proposal.due_on
    return ProposalReplied(
        on=on,
        actor=actor,
        note=note,
        result_class=result_class,
        body=body,
        rehandling=proposal.status is ProposalStatus.REHANDLING,
        due_on=due,
        on_time=on <= due,
    )


def publication(proposal: Proposal, *, published_at: datetime, publisher: str) -> ProposalReplyPublished:
    """The latest reply made public; once per reply."""
    if not proposal.replies:
        raise InvalidTransition(proposal.status, "publish", "there is no reply to publish yet")
    latest = proposal.replies[-1]
    if latest.published:
        raise InvalidTransition(
            proposal.status, "publish", f"the reply of {latest.on.isoformat()} is already published"
        )
    return ProposalReplyPublished(
        kind=proposal.kind,
        number=proposal.number,
        title=proposal.title,
        proposer=proposal.proposer,
        lead_unit=proposal.lead_unit,
        result_class=latest.result_class,
        reply=latest.body,
        replied_on=latest.on,
        published_at=published_at,
        publisher=publisher,
        version=proposal.publication_version + 1,
    )


NOT_PUBLIC = "no reply of this proposal is public"


def check_unpublishable(proposal: Proposal) -> int:
    """Only a proposal with a reply public now is taken down (撤下公开); the version of the take-down."""
    if not proposal.published:
        raise InvalidTransition(proposal.status, "unpublish", NOT_PUBLIC)
    return proposal.publication_version + 1


def is_overdue(proposal: Proposal, today: date) -> bool:
    """A reply is owed (first or re-handling) and its due date has passed."""
    return proposal.status in _AWAITING_REPLY and today > proposal.due_on


def co_unit_statuses(proposal: Proposal, today: date) -> list[CoUnitStatus]:
    """Each co-handling unit's opinion. One not given is late once its month has passed, judged as of
    the first reply when there is one (after that the lead unit no longer waits for it)."""
    given = {o.unit: o.on for o in proposal.co_opinions}
    due = proposal.co_opinion_due
    as_of = proposal.replies[0].on if proposal.replies else today
    return [CoUnitStatus(unit, due, given.get(unit), given.get(unit, as_of) > due) for unit in proposal.co_units]


def check_result_class(result_class: str, classes: Mapping[str, str]) -> None:
    if result_class not in classes:
        allowed = ", ".join(f"{code} ({label})" for code, label in classes.items())
        raise InvalidStep("result_class", f"unknown result class {result_class!r}: use one of {allowed}")


def check_on(on: date, *, today: date, records_start_on: date) -> None:
    """The day a step happened: not in the future, not before the records start."""
    if on > today:
        raise InvalidStep("on", f"{on.isoformat()} is in the future (today is {today.isoformat()})")
    if on < records_start_on:
        raise InvalidStep("on", f"no record may be dated before {records_start_on.isoformat()}")


# --- the steps --------------------------------------------------------------------------------------


def _require(proposal: Proposal, action: str, *allowed: ProposalStatus) -> None:
    if proposal.status not in allowed:
        raise InvalidTransition(proposal.status, action)


def _chronology(proposal: Proposal, on: date) -> None:
    floor = max(proposal.last_on or proposal.assigned_on, proposal.assigned_on)
    if on < floor:
        raise InvalidStep("on", f"{on.isoformat()} is before the proposal's last step ({floor.isoformat()})")


def _co_opinion(proposal: Proposal, step: ProposalCoOpinion, classes: Mapping[str, str] | None) -> Proposal:
    _require(proposal, "co_opinion", ProposalStatus.ASSIGNED)
    if step.unit not in proposal.co_units:
        units = "、".join(proposal.co_units) or "none"
        raise InvalidStep("unit", f"{step.unit!r} is not a co-handling unit of this proposal (co-units: {units})")
    given = next((o for o in proposal.co_opinions if o.unit == step.unit), None)
    if given is not None:
        raise InvalidTransition(
            proposal.status, "co_opinion", f"{step.unit} already gave its opinion on {given.on.isoformat()}"
        )
    _chronology(proposal, step.on)
    return replace(proposal, co_opinions=(*proposal.co_opinions, CoOpinion(step.unit, step.on)))


def _extend(proposal: Proposal, step: ProposalExtended, classes: Mapping[str, str] | None) -> Proposal:
    _require(proposal, "extend", ProposalStatus.ASSIGNED)
    if proposal.extension is not None:
        raise InvalidTransition(
            proposal.status, "extend", f"the reply period was already extended on {proposal.extension.on.isoformat()}"
        )
    if step.on > proposal.first_due:
        raise InvalidTransition(
            proposal.status, "extend", f"the due date {proposal.first_due.isoformat()} has already passed"
        )
    if not MIN_EXTENDED_MONTHS <= step.months <= MAX_EXTENDED_MONTHS:
        raise InvalidStep("months", f"an extended period is {MIN_EXTENDED_MONTHS} to {MAX_EXTENDED_MONTHS} months")
    _chronology(proposal, step.on)
    return replace(proposal, extension=Extension(step.months, step.reason, step.on))


def _reply(proposal: Proposal, step: ProposalReplied, classes: Mapping[str, str] | None) -> Proposal:
    _require(proposal, "reply", *_AWAITING_REPLY)
    if step.rehandling != (proposal.status is ProposalStatus.REHANDLING):
        raise InvalidStep("rehandling", "only the reply after a dissatisfied assessment is a re-handling reply")
    if classes is not None:
        check_result_class(step.result_class, classes)
    _chronology(proposal, step.on)
    reply = Reply(step.on, step.result_class, step.body, step.rehandling, step.due_on, step.on_time)
    return replace(proposal, status=ProposalStatus.REPLIED, replies=(*proposal.replies, reply))


def _feedback(proposal: Proposal, step: ProposalFeedback, classes: Mapping[str, str] | None) -> Proposal:
    _require(proposal, "feedback", ProposalStatus.REPLIED)
    _chronology(proposal, step.on)
    first_round = len(proposal.replies) == 1
    status = ProposalStatus.REHANDLING if first_round and step.rating == "dissatisfied" else ProposalStatus.CLOSED
    return replace(proposal, status=status, feedbacks=(*proposal.feedbacks, Feedback(step.on, step.rating)))


def _superseded(proposal: Proposal, action: str, version: int) -> None:
    """A publication step older than what the proposal reflects changes nothing: refused (ignored).

    At the same version a take-down wins: a publication is refused after one, a take-down accepted after a
    publication (two publishers acting at once on a proposal whose first reply is public and whose latest
    is not). Two publications at one version are the events from before versions, checked by the reply.
    """
    current = proposal.publication_version
    if version > current or (version == current and not proposal.withdrawn):
        return
    raise InvalidTransition(proposal.status, action, f"version {version} is not newer than the proposal's {current}")


def _published(proposal: Proposal, step: ProposalReplyPublished, classes: Mapping[str, str] | None) -> Proposal:
    if not proposal.replies:
        raise InvalidTransition(proposal.status, "publish", "there is no reply to publish yet")
    _superseded(proposal, "publish", step.version)
    newer = step.version > proposal.publication_version  # whatever an older step left (order of the topics)
    for index, reply in enumerate(proposal.replies):
        if (reply.on, reply.body) == (step.replied_on, step.reply) and (newer or not reply.published):
            marked = replace(reply, published=True)
            replies = (*proposal.replies[:index], marked, *proposal.replies[index + 1 :])
            return replace(
                proposal, replies=replies, publication_version=step.version, withdrawn_on=None, withdrawal_reason=None
            )
    raise InvalidTransition(proposal.status, "publish", f"no unpublished reply of {step.replied_on.isoformat()}")


def _unpublished(proposal: Proposal, step: ProposalReplyUnpublished, classes: Mapping[str, str] | None) -> Proposal:
    """Every reply off the portal. Not checked against ``published``: a publication may be read after it."""
    if not proposal.replies:
        raise InvalidTransition(proposal.status, "unpublish", NOT_PUBLIC)
    _superseded(proposal, "unpublish", step.version)
    return replace(
        proposal,
        replies=tuple(replace(r, published=False) for r in proposal.replies),
        publication_version=step.version,
        withdrawn_on=step.on,
        withdrawal_reason=step.reason,
    )


_HANDLERS: dict[type[EventData], Callable[[Proposal, Any, Mapping[str, str] | None], Proposal]] = {
    ProposalCoOpinion: _co_opinion,
    ProposalExtended: _extend,
    ProposalReplied: _reply,
    ProposalFeedback: _feedback,
    ProposalReplyPublished: _published,
    ProposalReplyUnpublished: _unpublished,
}
