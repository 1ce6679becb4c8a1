"""Data of letter (信箱, 在线咨询) and proposal (建议, 提案) events.

Letters carry the writer's contact data (and a clerk's note) only in ``letter.received`` on the internal
``gongkai.letters`` topic; a letter chosen for publication (公开信件选登) goes to the public stream
as ``letter.published`` with text a reviewer has cleared of personal data. Taking it down again is
``letter.unpublished`` on the internal topic (the reviewer's reason stays there) and, caused by it,
``letter.withdrawn`` on the public stream, which says only which publication it ends. Publications and
withdrawals of one letter are numbered (``version``: 1, 2, 3, …), so any consumer can order them.
Proposals name their proposer (a deputy or CPPCC member acting in public office) but no contact data. A
proposal's reply made public (``proposal.reply_published``) is taken down the same way:
``proposal.reply_unpublished`` on the internal ``gongkai.proposals`` topic, with the publisher's reason, and
``proposal.reply_withdrawn`` on the public stream; a proposal's publications and withdrawals are numbered too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from gongkai.events.base import EventData

__all__ = [
    "LETTER_CATEGORIES",
    "LETTER_CHANNELS",
    "LETTER_KINDS",
    "Contact",
    "LetterAssigned",
    "LetterCategory",
    "LetterChannel",
    "LetterExtended",
    "LetterFeedback",
    "LetterKind",
    "LetterOverdue",
    "LetterPublished",
    "LetterReceived",
    "LetterReplied",
    "LetterTransferred",
    "LetterUnpublished",
    "LetterWithdrawn",
    "ProposalCoOpinion",
    "ProposalExtended",
    "ProposalFeedback",
    "ProposalKind",
    "ProposalOverdue",
    "ProposalRegistered",
    "ProposalReplied",
    "ProposalReplyPublished",
    "ProposalReplyUnpublished",
    "ProposalReplyWithdrawn",
    "Rating",
]

#: 市长信箱, 部门信箱, 在线咨询.
LetterKind = Literal["mayor_mailbox", "department_mailbox", "consultation"]
LETTER_KINDS: tuple[LetterKind, ...] = ("mayor_mailbox", "department_mailbox", "consultation")
#: 咨询, 投诉, 建议, 求助.
LetterCategory = Literal["consultation", "complaint", "suggestion", "help"]
LETTER_CATEGORIES: tuple[LetterCategory, ...] = ("consultation", "complaint", "suggestion", "help")
#: How the letter reached the agency: 网上来信 (the public form), 信件邮寄, 电话, 来访, 传真, 电子邮件.
LetterChannel = Literal["online", "post", "phone", "visit", "fax", "email"]
LETTER_CHANNELS: tuple[LetterChannel, ...] = ("online", "post", "phone", "visit", "fax", "email")
#: 满意, 基本满意, 不满意.
Rating = Literal["satisfied", "basically_satisfied", "dissatisfied"]
#: 人大代表建议, 政协提案.
ProposalKind = Literal["npc_suggestion", "cppcc_proposal"]


class Contact(EventData):
    """The writer's contact: personal data, internal topic and the review store only."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None


class LetterReceived(EventData):
    """A letter reached the agency: online (``received_on`` is the submission day) or entered by a clerk."""

    kind: LetterKind
    category: LetterCategory
    title: str
    body: str
    contact: Contact = Field(default_factory=Contact)
    department: str | None = Field(default=None, description="for department mailboxes: the department written to")
    received_on: date
    tracking_code_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    recorded_by: str | None = Field(default=None, description="the clerk who entered it; None when filed online")
    channel: LetterChannel | None = Field(
        default=None,
        description="how it came: online for the public form, else as the clerk entered it; "
        "absent in events from before (online when recorded_by is None, else not recorded)",
    )
    note: str = Field(default="", description="the clerk's note: staff only, never public")


class LetterStep(EventData):
    on: date
    actor: str
    note: str = ""


class LetterAssigned(LetterStep):
    """Assigned (or reassigned) to a department to handle."""

    department: str


class LetterExtended(LetterStep):
    """The time limit was extended once, to ``workdays`` working days from receipt, for ``reason``."""

    workdays: int = Field(ge=1, le=60)
    reason: str


class LetterTransferred(LetterStep):
    """A petition (信访事项) was transferred to the petitions office; it leaves the mailbox's counts."""

    to: str = "信访部门"


class LetterReplied(LetterStep):
    """The reply. ``first_pass``: settled at the first pass (no return, no re-handling)."""

    body: str
    first_pass: bool
    due_on: date | None = None
    on_time: bool = True


class LetterFeedback(EventData):
    """The writer rated the reply with the tracking code (once)."""

    rating: Rating
    on: date


class LetterOverdue(EventData):
    due_on: date
    detected_on: date
    kind: LetterKind


class LetterPublished(EventData):
    """公开信件选登: a letter and its reply, cleared of personal data by a reviewer. Public stream."""

    kind: LetterKind
    category: LetterCategory
    title: str
    body: str
    reply: str
    received_on: date
    replied_on: date
    published_at: datetime
    reviewer: str
    version: int = Field(
        default=1, ge=1, description="numbers the letter's publications and withdrawals: the highest stands"
    )


class LetterUnpublished(LetterStep):
    """A reviewer took a published letter down (撤下公开), for ``reason``. Internal: the reason stays here."""

    reason: str
    version: int = Field(ge=1, description="one more than the publication it ends")


class LetterWithdrawn(EventData):
    """A published letter was taken off the portal. Public stream: no reason, no names, no text."""

    withdrawn_at: datetime
    version: int = Field(ge=1, description="as its letter.unpublished: outranks every publication before it")


class ProposalRegistered(EventData):
    """A deputy's suggestion or a CPPCC proposal was assigned (交办) to the agency."""

    kind: ProposalKind
    number: str
    title: str
    proposer: str
    session: Literal["session", "recess"] = "session"
    assigned_on: date
    lead_unit: str
    co_units: list[str] = Field(default_factory=list)
    recorded_by: str


class ProposalStep(EventData):
    on: date
    actor: str
    note: str = ""


class ProposalCoOpinion(ProposalStep):
    """A co-handling unit (协办) gave its opinion to the lead unit (due within one month)."""

    unit: str


class ProposalExtended(ProposalStep):
    """Wide-ranging, difficult: the reply is due ``months`` calendar months after assignment (≤ 6)."""

    months: int = Field(ge=4, le=6)
    reason: str


class ProposalReplied(ProposalStep):
    """The reply with its result class (A–D by default); ``rehandling`` for a second reply after dissatisfaction."""

    result_class: str
    body: str
    rehandling: bool = False
    due_on: date
    on_time: bool


class ProposalFeedback(ProposalStep):
    """The proposer's assessment of the reply."""

    rating: Rating


class ProposalOverdue(EventData):
    due_on: date
    detected_on: date
    kind: ProposalKind


class ProposalReplyPublished(EventData):
    """The handling reply made public (建议提案办理复文公开). Public stream."""

    kind: ProposalKind
    number: str
    title: str
    proposer: str
    lead_unit: str
    result_class: str
    reply: str
    replied_on: date
    published_at: datetime
    publisher: str
    version: int = Field(
        default=1,
        ge=1,
        description="numbers the proposal's publications and withdrawals: the highest stands "
        "(events from before the field count as 1, a later published_at replacing an earlier one)",
    )


class ProposalReplyUnpublished(ProposalStep):
    """A publisher took the proposal's public reply down (撤下公开), for ``reason``. Internal: the reason stays here."""

    reason: str
    version: int = Field(ge=1, description="one more than the publication it ends")


class ProposalReplyWithdrawn(EventData):
    """A published proposal reply was taken off the portal. Public stream: no reason, no names, no text."""

    withdrawn_at: datetime
    version: int = Field(ge=1, description="as its proposal.reply_unpublished: outranks every publication before it")
