"""``POST /api/v1/letters``: a mailbox letter (市长信箱, 部门信箱) or online consultation (在线咨询) becomes an event.

Anyone may write online without a token; the letter is received the day it is submitted, and its
``channel`` is ``online``. A request with a staff token is a clerk entering a letter that came
otherwise: it states how (``channel``: ``post``, ``phone``, ``visit``, ``fax``, ``email``; ``post`` when
left out, the usual case of a letter entered by hand), may state the day it was received
(``received_on``) and may add a ``note`` for colleagues (staff only, never public). The answer carries the
tracking code (查询码) once; only its hash is recorded, in ``letter.received`` on the internal
``gongkai.letters`` topic, which alone carries the writer's contact data and the note.

Rules beyond the body's shape (``letter_issues``):

* ``department`` names the department written to: required for ``department_mailbox``, refused otherwise;
* contact data are optional: a letter without any is anonymous and its reply is read on the tracking
  page with the code. A mailbox letter (市长信箱, 部门信箱) that does give a contact must give a way to
  reach the writer, a phone or an e-mail, not a name alone; a consultation may give a name alone;
* ``received_on`` only from staff, never in the future, never before ``records_start_on``;
* ``channel``: a writer online may only say ``online`` (or nothing); staff never say ``online`` (a letter
  written online comes through the public form, with no token);
* ``note`` only from staff, at most 500 characters.

Letters are not applications for disclosure (条例 Art. 39 works both ways): nothing here opens a
request case. Messages say what is wrong, never what was sent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from gongkai.auth import Principal, Role
from gongkai.events import LetterReceived, new_event
from gongkai.events.letters import Contact, LetterCategory, LetterChannel, LetterKind
from gongkai.http import requires
from gongkai.problems import FieldProblem
from gongkai.service import ServiceContext
from gongkai.tracking import new_tracking_code, tracking_code_hash
from gongkai.vocabulary import LETTER_CATEGORY_LABELS, LETTER_CHANNEL_LABELS, LETTER_KIND_LABELS
from services.intake.fields import MAX_EMAIL, MAX_PHONE, checked_email, checked_phone, optional, refuse, required
from services.intake.forms import Resubmission
from services.intake.request_api import json_body, optional_staff
from services.intake.request_form import MAX_NAME, Issue

__all__ = [
    "CATEGORY_LABELS",
    "CHANNEL_LABELS",
    "KIND_LABELS",
    "MAILBOX_KINDS",
    "MAX_BODY",
    "MAX_DEPARTMENT",
    "MAX_NOTE",
    "MAX_TITLE",
    "STAFF_DEFAULT_CHANNEL",
    "AcceptedLetter",
    "LetterContact",
    "LetterSubmission",
    "accept_letter",
    "letter_issues",
    "letters_router",
    "to_letter_received",
]

MAX_TITLE = 200
MAX_BODY = 10_000
MAX_DEPARTMENT = 100
MAX_NOTE = 500

KIND_LABELS = LETTER_KIND_LABELS
CATEGORY_LABELS = LETTER_CATEGORY_LABELS
CHANNEL_LABELS = LETTER_CHANNEL_LABELS
#: A letter a clerk enters without saying how it came: by post, the usual way of a letter entered by hand.
STAFF_DEFAULT_CHANNEL: LetterChannel = "post"
#: Mailboxes, as opposed to consultations: a writer who gives a contact must be reachable.
MAILBOX_KINDS: frozenset[str] = frozenset({"mayor_mailbox", "department_mailbox"})


class LetterContact(BaseModel):
    """The writer's contact, all optional: personal data, recorded only on the internal topic."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(max_length=MAX_NAME)] | None = Field(default=None, description="姓名")
    phone: Annotated[str, StringConstraints(max_length=MAX_PHONE)] | None = Field(
        default=None, description="mobile (11 digits) or landline with its area code"
    )
    email: Annotated[str, StringConstraints(max_length=MAX_EMAIL)] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return optional(value, MAX_NAME, one_line=True)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return checked_phone(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return checked_email(value)

    @property
    def given(self) -> bool:
        return bool(self.name or self.phone or self.email)

    @property
    def reachable(self) -> bool:
        return bool(self.phone or self.email)


class LetterSubmission(BaseModel):
    """The body of ``POST /api/v1/letters`` (API.md, "Letters and proposals")."""

    model_config = ConfigDict(extra="forbid")

    kind: LetterKind = Field(description="市长信箱 mayor_mailbox, 部门信箱 department_mailbox, 在线咨询 consultation")
    category: LetterCategory = Field(description="咨询 consultation, 投诉 complaint, 建议 suggestion, 求助 help")
    title: str = Field(description=f"1–{MAX_TITLE} characters once cleaned; one line")
    body: str = Field(description=f"1–{MAX_BODY:,} characters once cleaned")
    contact: LetterContact | None = Field(
        default=None, description="optional; a mailbox letter that gives one must give a phone or an e-mail"
    )
    department: str | None = Field(default=None, description="department_mailbox only (required there): written to")
    received_on: date | None = Field(
        default=None, description="staff only: the day a letter that came by other means was received (default today)"
    )
    channel: LetterChannel | None = Field(
        default=None,
        description="how it came: online (the only value without a token, and the default there); "
        "staff: post (default), phone, visit, fax or email",
    )
    note: str | None = Field(
        default=None, description=f"staff only: a note for colleagues, at most {MAX_NOTE} characters, never public"
    )

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        return required(value, MAX_TITLE, one_line=True)

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        return required(value, MAX_BODY)

    @field_validator("department")
    @classmethod
    def _department(cls, value: str | None) -> str | None:
        return optional(value, MAX_DEPARTMENT, one_line=True)

    @field_validator("note")
    @classmethod
    def _note(cls, value: str | None) -> str | None:
        return optional(value, MAX_NOTE)


def letter_issues(submission: LetterSubmission, *, today: date, records_start_on: date, staff: bool) -> list[Issue]:
    """Every rule ``submission`` breaks beyond its shape; ``staff`` is whether a clerk is entering it.

    >>> from datetime import date
    >>> body = {"kind": "department_mailbox", "category": "complaint", "title": "噪音扰民",
    ...         "body": "夜间施工噪音严重。", "contact": {"name": "张三"}, "received_on": "2026-05-29"}
    >>> [i.field for i in letter_issues(LetterSubmission.model_validate(body | {"note": "急"}),
    ...                                 today=date(2026, 6, 1), records_start_on=date(2008, 5, 1), staff=False)]
    ['department', 'contact', 'received_on', 'note']
    """
    return [
        *_department_issues(submission),
        *_contact_issues(submission),
        *_receipt_issues(submission, today=today, records_start_on=records_start_on, staff=staff),
        *_staff_only_issues(submission, staff=staff),
    ]


def _staff_only_issues(submission: LetterSubmission, *, staff: bool) -> list[Issue]:
    """How the letter came and the note: the public form says ``online`` and has no note; clerks never say online."""
    issues = []
    if staff and submission.channel == "online":
        issues.append(
            Issue(
                "channel",
                "staff enter letters received otherwise (post, phone, visit, fax, email); "
                "a letter written online comes through the public form",
                "工作人员登记的是邮寄、电话、来访、传真或电子邮件收到的来信；网上来信由来信人在网站提交",
            )
        )
    if not staff and submission.channel not in (None, "online"):
        issues.append(
            Issue(
                "channel",
                "a letter written online has the channel online: letters received otherwise are entered by staff",
                "网上来信无需选择来信方式",
            )
        )
    if not staff and submission.note is not None:
        issues.append(
            Issue(
                "note",
                "the note is for staff: write everything in the letter itself",
                "请将要反映的内容写在来信内容中",
            )
        )
    return issues


def _department_issues(submission: LetterSubmission) -> list[Issue]:
    if submission.kind == "department_mailbox" and submission.department is None:
        return [
            Issue(
                "department",
                "a letter to a department mailbox must name the department written to",
                "写信给部门信箱，请填写收信部门",
            )
        ]
    if submission.kind != "department_mailbox" and submission.department is not None:
        return [
            Issue(
                "department",
                "department is only for department_mailbox letters",
                "只有写给部门信箱的来信才填写收信部门",
            )
        ]
    return []


def _contact_issues(submission: LetterSubmission) -> list[Issue]:
    contact = submission.contact
    if submission.kind not in MAILBOX_KINDS or contact is None or not contact.given or contact.reachable:
        return []
    return [
        Issue(
            "contact",
            "a mailbox letter that gives a contact must give a phone or an e-mail to be answered; "
            "leave contact out to write anonymously (the reply is then read on the tracking page)",
            "留下姓名的，请至少填写联系电话或电子邮箱；不留联系方式的，可凭查询码在网上查看答复",
        )
    ]


def _receipt_issues(submission: LetterSubmission, *, today: date, records_start_on: date, staff: bool) -> list[Issue]:
    received_on = submission.received_on
    if received_on is None:
        return []
    if not staff:
        return [
            Issue(
                "received_on",
                "writers do not state a receipt date: a letter written online is received the day it is submitted",
                "无需填写收信日期：网上来信以提交之日为收到之日",
            )
        ]
    if received_on > today:
        return [Issue("received_on", "the receipt date cannot be in the future", "收信日期不能晚于今天")]
    if received_on < records_start_on:
        return [
            Issue(
                "received_on",
                f"the receipt date cannot be before {records_start_on.isoformat()}, when records start",
                f"收信日期不能早于{records_start_on.year}年{records_start_on.month}月{records_start_on.day}日",
            )
        ]
    return []


def to_letter_received(
    submission: LetterSubmission, *, tracking_code_hash: str, today: date, recorded_by: str | None
) -> LetterReceived:
    """The event data: cleaned values, the receipt date (stated by staff, else today), the code's hash only.

    ``recorded_by`` is the clerk entering the letter (None online): their letters came by ``post`` unless
    they say otherwise; a letter written online came ``online``.
    """
    contact = submission.contact or LetterContact()
    channel = submission.channel or ("online" if recorded_by is None else STAFF_DEFAULT_CHANNEL)
    return LetterReceived(
        kind=submission.kind,
        category=submission.category,
        title=submission.title,
        body=submission.body,
        contact=Contact(name=contact.name, phone=contact.phone, email=contact.email),
        department=submission.department,
        received_on=submission.received_on or today,
        tracking_code_hash=tracking_code_hash,
        recorded_by=recorded_by,
        channel=channel,
        note=submission.note or "",
    )


@dataclass(frozen=True)
class AcceptedLetter:
    """The answer to a letter: its id and the tracking code, shown once."""

    id: str
    tracking_code: str
    received_on: date

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "tracking_code": self.tracking_code}


async def accept_letter(
    ctx: ServiceContext,
    submission: LetterSubmission,
    caller: Principal | None,
    again: Resubmission | None = None,
) -> AcceptedLetter:
    """Check the rules, record ``letter.received`` durably and return what the writer is told.

    ``again``: the identity of a citizen's form, so that sending it twice files it once (forms.py).
    """
    today = ctx.clock.today()
    issues = letter_issues(
        submission, today=today, records_start_on=ctx.settings.records_start_on, staff=caller is not None
    )
    if issues:
        raise refuse([FieldProblem(i.field, i.message) for i in issues], "The letter cannot be accepted")
    letter_id = again.subject if again else uuid.uuid4().hex
    code = again.tracking_code if again else new_tracking_code()
    data = to_letter_received(
        submission,
        tracking_code_hash=tracking_code_hash(code),
        today=today,
        recorded_by=caller.name if caller is not None else None,
    )
    event = new_event(
        "letter.received",
        subject=letter_id,
        source="intake",
        data=data,
        recorded_at=ctx.clock.now(),
        event_id=again.event_id if again else None,
    )
    await ctx.bus.publish(event)  # durable before we answer; a repeat of the same event id is dropped
    return AcceptedLetter(id=letter_id, tracking_code=code, received_on=data.received_on)


async def letter_recorder(
    request: Request, caller: Annotated[Principal | None, Depends(optional_staff)]
) -> Principal | None:
    """None for a writer online; with a token, the clerk (or admin) entering a letter: 401 unknown, 403 other roles."""
    if caller is None:
        return None
    return await requires(Role.CLERK)(request)


def letters_router(ctx: ServiceContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["letters"])

    @api.post(
        "/letters",
        status_code=202,
        summary="Write to a mailbox or ask a question online (public; a clerk enters letters received otherwise)",
        dependencies=[Depends(json_body)],
        responses={
            401: {"description": "an unknown or revoked staff token"},
            403: {"description": "a staff token of another role than clerk or admin"},
            415: {"description": "the body is not JSON"},
            422: {"description": "the letter is incomplete or breaks a rule"},
        },
    )
    async def write_letter(
        submission: LetterSubmission,
        response: Response,
        caller: Annotated[Principal | None, Depends(letter_recorder)],
    ) -> dict[str, str]:
        accepted = await accept_letter(ctx, submission, caller)
        response.headers["Location"] = f"/api/v1/letters/{accepted.id}"
        return accepted.as_json()

    return api
