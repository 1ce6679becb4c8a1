"""Mailbox letters (市长信箱, 部门信箱) and online consultations (在线咨询): state machine and time limit. Pure.

No national rule governs them (spec §D): the time limit is local, in working days from the day the
letter was received, the trigger day not counted ("N个工作日"), by default 5 for every kind and
category, configurable per kind and category, extendable once to at most 10 in total. A petition
(信访事项) is transferred to the petitions office and leaves the mailbox's counts.

A letter is the fold of its steps (the letter events, in order). ``apply`` checks one more step
against the letter's state and dates and returns the new letter, or raises ``InvalidTransition``
(the state forbids it: HTTP 409 naming the state) or ``InvalidStep`` (the step itself is wrong: 422).

A replied letter may be published (公开信件选登), taken down (撤下公开) and published again. These steps
carry a ``version`` (1, 2, 3, …, one more than the step before): the fold keeps the highest and ignores
an older one, so the letter ends the same whichever order its two topics (``letter.published`` comes on
the public stream, ``letter.unpublished`` on the letters topic) are read in.

>>> from gongkai.workdays import WorkCalendar
>>> letter = Letter(kind="mayor_mailbox", category="complaint", received_on=date(2026, 9, 29), workdays=5)
>>> deadline(letter, WorkCalendar()).due_on  # 国庆 10-01…10-07 off, Saturday 10-10 worked
datetime.date(2026, 10, 12)
>>> letter = apply(letter, LetterAssigned(on=date(2026, 9, 30), actor="收文岗", department="市住建局"))
>>> (letter.status.value, letter.department)
('assigned', '市住建局')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from gongkai.events.letters import (
    LETTER_CATEGORIES,
    LETTER_KINDS,
    LetterAssigned,
    LetterCategory,
    LetterExtended,
    LetterFeedback,
    LetterKind,
    LetterPublished,
    LetterReceived,
    LetterReplied,
    LetterTransferred,
    LetterUnpublished,
    Rating,
)
from gongkai.settings import Settings
from gongkai.vocabulary import LETTER_CATEGORY_LABELS, LETTER_KIND_LABELS, RATING_LABELS
from gongkai.workdays import CalendarYearMissing
from services.review.cases import Calendar
from services.review.prescreen import prescreen

__all__ = [
    "CATEGORY_LABELS",
    "KIND_LABELS",
    "PENDING_STATUSES",
    "RATING_LABELS",
    "STATUS_LABELS",
    "STEP_LABELS",
    "Deadline",
    "InvalidStep",
    "InvalidTransition",
    "Letter",
    "LetterRules",
    "LetterStatus",
    "LetterStep",
    "apply",
    "check_publishable",
    "check_unpublishable",
    "deadline",
    "is_overdue",
    "open_letter",
    "rules_from",
    "unpublishable",
]

#: The longest time limit an event may carry (``LetterExtended.workdays``).
_CEILING = 60


class LetterStatus(StrEnum):
    OPEN = "open"  # 待办理
    ASSIGNED = "assigned"  # 已交办
    REPLIED = "replied"  # 已答复
    TRANSFERRED = "transferred"  # 已转信访: closed, counted apart


#: Not yet closed: the time limit runs and the letter can be overdue.
PENDING_STATUSES = frozenset({LetterStatus.OPEN, LetterStatus.ASSIGNED})

STATUS_LABELS = {"open": "待办理", "assigned": "已交办", "replied": "已答复", "transferred": "已转信访部门办理"}
KIND_LABELS = LETTER_KIND_LABELS
CATEGORY_LABELS = LETTER_CATEGORY_LABELS
STEP_LABELS = {
    "letter.received": "收到来信",
    "letter.assigned": "交办承办单位",
    "letter.extended": "延长办理期限",
    "letter.transferred": "转信访部门办理",
    "letter.replied": "答复",
    "letter.feedback": "来信人评价",
    "letter.overdue": "已超过办理期限",
    "letter.published": "选登公开",
    "letter.unpublished": "撤下公开",
}

LetterStep = (
    LetterAssigned
    | LetterExtended
    | LetterTransferred
    | LetterReplied
    | LetterFeedback
    | LetterPublished
    | LetterUnpublished
)


class InvalidTransition(Exception):
    """The letter's state forbids this step (HTTP 409, naming the state)."""

    def __init__(self, status: LetterStatus, step: str, why: str = "") -> None:
        self.status = status
        self.step = step
        super().__init__(why or f"a letter that is {status.value} cannot take '{step}'")


class InvalidStep(ValueError):
    """The step contradicts the letter's dates or limits (HTTP 422)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class LetterRules:
    """Time limits in working days: the default, the ceiling after the one extension, and per-letter overrides.

    ``by_category`` keys are ``"kind.category"`` (``"consultation.help"``), ``"category"`` or ``"kind"``;
    the most specific key wins.

    >>> rules = LetterRules(by_category={"complaint": 7, "consultation.help": 3})
    >>> rules.workdays_for("mayor_mailbox", "complaint"), rules.workdays_for("consultation", "help")
    (7, 3)
    >>> rules.workdays_for("consultation", "suggestion")
    5
    """

    workdays: int = 5
    max_workdays: int = 10
    by_category: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if not 1 <= self.workdays <= self.max_workdays <= _CEILING:
            raise ValueError(
                f"letter time limits need 1 ≤ letter_workdays ({self.workdays}) ≤ letter_max_workdays "
                f"({self.max_workdays}) ≤ {_CEILING}"
            )
        keys = {*LETTER_KINDS, *LETTER_CATEGORIES, *(f"{k}.{c}" for k in LETTER_KINDS for c in LETTER_CATEGORIES)}
        for key, value in self.by_category.items():
            if key not in keys:
                raise ValueError(f"letter_workdays_by_category: unknown key {key!r} (kind.category, category or kind)")
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= self.max_workdays:
                raise ValueError(
                    f"letter_workdays_by_category[{key!r}] must be 1…{self.max_workdays} working days, not {value!r}"
                )

    def workdays_for(self, kind: str, category: str) -> int:
        for key in (f"{kind}.{category}", category, kind):
            if key in self.by_category:
                return self.by_category[key]
        return self.workdays


def rules_from(settings: Settings) -> LetterRules:
    """The letter settings (``GONGKAI_LETTER_*``)."""
    return LetterRules(
        workdays=settings.letter_workdays,
        max_workdays=settings.letter_max_workdays,
        by_category=MappingProxyType(dict(settings.letter_workdays_by_category)),
    )


@dataclass(frozen=True)
class Letter:
    """A letter as its steps left it. ``workdays`` and ``max_workdays`` are the limits in force at receipt."""

    kind: LetterKind
    category: LetterCategory
    received_on: date
    workdays: int
    max_workdays: int = 10
    status: LetterStatus = LetterStatus.OPEN
    last_on: date | None = None
    department: str | None = None
    extended_to: int | None = None
    extension_reason: str | None = None
    transferred_on: date | None = None
    replied_on: date | None = None
    reply: str | None = None
    first_pass: bool | None = None
    on_time: bool | None = None
    feedback: Rating | None = None
    feedback_on: date | None = None
    published: bool = False
    #: The version of the latest publication or withdrawal (0: never published); the next one is one more.
    publication_version: int = 0
    withdrawn_on: date | None = None
    withdrawal_reason: str | None = None

    @property
    def withdrawn(self) -> bool:
        """Published once, taken down since (and not published again)."""
        return not self.published and self.withdrawn_on is not None

    @property
    def period(self) -> int:
        """The time limit in working days from receipt: the extended one if any."""
        return self.extended_to or self.workdays

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_STATUSES

    @property
    def floor(self) -> date:
        """No step may be dated before this day: the letter's last step, or its receipt."""
        return self.last_on or self.received_on


@dataclass(frozen=True)
class Deadline:
    """``due_on`` is None only when the calendar has no data for the years it would need."""

    due_on: date | None
    provisional: bool


def open_letter(received: LetterReceived, rules: LetterRules) -> Letter:
    return Letter(
        kind=received.kind,
        category=received.category,
        received_on=received.received_on,
        workdays=rules.workdays_for(received.kind, received.category),
        max_workdays=rules.max_workdays,
    )


def deadline(letter: Letter, calendar: Calendar) -> Deadline:
    """The day the letter must be answered by (for a closed letter: as it stood when it closed)."""
    try:
        due = calendar.add_workdays(letter.received_on, letter.period)
    except CalendarYearMissing:
        return Deadline(None, provisional=True)
    return Deadline(due.day, due.provisional)


def is_overdue(letter: Letter, due: Deadline, today: date) -> bool:
    return letter.is_pending and due.due_on is not None and today > due.due_on


def apply(letter: Letter, step: LetterStep, calendar: Calendar | None = None) -> Letter:
    """The letter after ``step``, or ``InvalidTransition`` / ``InvalidStep``.

    ``calendar`` is needed for the checks that depend on the deadline (an extension must come
    before it passes); without it (replaying steps accepted earlier) those checks are skipped.
    """
    handler = _HANDLERS.get(type(step))
    if handler is None:
        raise InvalidStep("action", f"{type(step).__name__} is not a step of a letter")
    on = getattr(step, "on", None)
    if on is not None and on < letter.floor:
        raise InvalidStep("on", f"{on.isoformat()} is before the letter's last step ({letter.floor.isoformat()})")
    new = handler(letter, step, calendar)
    return replace(new, last_on=max(on, letter.floor)) if on is not None else new


def _require(letter: Letter, step: str, *allowed: LetterStatus) -> None:
    if letter.status not in allowed:
        raise InvalidTransition(letter.status, step)


def _assign(letter: Letter, step: LetterAssigned, calendar: Calendar | None) -> Letter:
    _require(letter, "assign", *PENDING_STATUSES)
    return replace(letter, status=LetterStatus.ASSIGNED, department=step.department)


def _extend(letter: Letter, step: LetterExtended, calendar: Calendar | None) -> Letter:
    _require(letter, "extend", *PENDING_STATUSES)
    if letter.extended_to is not None:
        raise InvalidTransition(letter.status, "extend", "a letter's time limit may be extended only once")
    if step.workdays <= letter.workdays:
        raise InvalidStep(
            "workdays", f"the extended time limit must be more than the current {letter.workdays} working days"
        )
    if step.workdays > letter.max_workdays:
        raise InvalidStep("workdays", f"a letter's time limit is at most {letter.max_workdays} working days in total")
    if calendar is not None:
        due = deadline(letter, calendar).due_on
        if due is not None and step.on > due:
            raise InvalidTransition(letter.status, "extend", f"the time limit ended on {due.isoformat()}")
    return replace(letter, extended_to=step.workdays, extension_reason=step.reason)


def _transfer(letter: Letter, step: LetterTransferred, calendar: Calendar | None) -> Letter:
    _require(letter, "transfer", *PENDING_STATUSES)
    return replace(letter, status=LetterStatus.TRANSFERRED, transferred_on=step.on)


def _reply(letter: Letter, step: LetterReplied, calendar: Calendar | None) -> Letter:
    _require(letter, "reply", *PENDING_STATUSES)
    return replace(
        letter,
        status=LetterStatus.REPLIED,
        replied_on=step.on,
        reply=step.body,
        first_pass=step.first_pass,
        on_time=step.on_time,
    )


def _feedback(letter: Letter, step: LetterFeedback, calendar: Calendar | None) -> Letter:
    _require(letter, "feedback", LetterStatus.REPLIED)
    if letter.feedback is not None:
        raise InvalidTransition(letter.status, "feedback", "the reply was already rated; feedback is given once")
    return replace(letter, feedback=step.rating, feedback_on=step.on)


def check_publishable(letter: Letter) -> int:
    """Only a replied letter is published (公开信件选登), and not while it is public; the version to publish."""
    _require(letter, "publish", LetterStatus.REPLIED)
    if letter.published:
        raise InvalidTransition(letter.status, "publish", "the letter is already published")
    return letter.publication_version + 1


def check_unpublishable(letter: Letter) -> int:
    """Only a letter that is public now is taken down (撤下公开); the version of the withdrawal."""
    _require(letter, "unpublish", LetterStatus.REPLIED)
    if not letter.published:
        raise InvalidTransition(letter.status, "unpublish", "only a published letter can be withdrawn")
    return letter.publication_version + 1


def _superseded(letter: Letter, step: str, version: int) -> None:
    """A publication step no newer than what the letter already reflects changes nothing: refused (ignored)."""
    if version > letter.publication_version:
        return
    if step == "publish" and letter.published and version == letter.publication_version:
        raise InvalidTransition(letter.status, step, "the letter is already published")
    raise InvalidTransition(
        letter.status, step, f"version {version} is not newer than the letter's {letter.publication_version}"
    )


def _publish(letter: Letter, step: LetterPublished, calendar: Calendar | None) -> Letter:
    _require(letter, "publish", LetterStatus.REPLIED)
    _superseded(letter, "publish", step.version)
    return replace(letter, published=True, publication_version=step.version)


def _unpublish(letter: Letter, step: LetterUnpublished, calendar: Calendar | None) -> Letter:
    _require(letter, "unpublish", LetterStatus.REPLIED)
    _superseded(letter, "unpublish", step.version)
    return replace(
        letter,
        published=False,
        publication_version=step.version,
        withdrawn_on=step.on,
        withdrawal_reason=step.reason,
    )


def unpublishable(texts: Mapping[str, str], contact: Mapping[str, str | None]) -> list[tuple[str, str]]:
    """What keeps texts from the public: the pre-screen's findings and the writer's own contact data.

    Returns (field, message) pairs; messages name the kind and position, never the value found.

    >>> unpublishable({"body": "王小明来信：电话13812345678"}, {"name": "王小明"})
    [('body', 'contains a phone number (phone) at 8–19'), ('body', "contains the writer's name")]
    """
    problems: list[tuple[str, str]] = []
    for name, text in texts.items():
        problems += [
            (name, f"contains {_FINDING_WORDS.get(f.kind, f.kind)} ({f.kind}) at {f.start}–{f.end}")
            for f in prescreen(text)
        ]
        problems += [(name, f"contains the writer's {what}") for what in _contact_hits(text, contact)]
    return problems


_FINDING_WORDS = {
    "id_number": "a resident ID number",
    "bank_card": "a bank card number",
    "phone": "a phone number",
    "landline": "a phone number",
    "email": "an e-mail address",
    "secrecy_marking": "a secrecy marking",
}
_SEPARATORS = re.compile(r"[\s\-－—()（）+.]")


def _contact_hits(text: str, contact: Mapping[str, str | None]) -> list[str]:
    hits = []
    name = _SEPARATORS.sub("", contact.get("name") or "")
    if len(name) >= 2 and name in re.sub(r"\s", "", text):
        hits.append("name")
    phone = re.sub(r"\D", "", contact.get("phone") or "")
    if len(phone) >= 5 and phone.removeprefix("86") in _SEPARATORS.sub("", text):
        hits.append("phone")
    email = (contact.get("email") or "").strip().lower()
    if email and email in text.lower():
        hits.append("email")
    return hits


_HANDLERS: dict[type[Any], Callable[[Letter, Any, Calendar | None], Letter]] = {
    LetterAssigned: _assign,
    LetterExtended: _extend,
    LetterTransferred: _transfer,
    LetterReplied: _reply,
    LetterFeedback: _feedback,
    LetterPublished: _publish,
    LetterUnpublished: _unpublish,
}
