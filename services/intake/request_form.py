"""An application for disclosure (依申请公开) as it arrives, checked against 条例 Art. 29 and Art. 31.

Two layers, used by the API (``POST /api/v1/requests``) and the citizen's page alike:

* ``RequestApplication`` is the body's shape: types, closed vocabularies, length caps, unknown
  fields refused, every text cleaned (``clean_text``) and blank text refused, phone and e-mail
  formats. Pydantic reports these field by field.
* ``application_issues`` holds the rules that span fields or need more than the body: the
  organisation type by applicant kind, at least one contact, the ID number by kind (and required
  online), oral applications only at the counter, the receipt date by channel and against the
  agency's calendar, and a delivery the contacts make possible.

Messages say what is wrong, never what was sent: no name, ID number, phone, e-mail or address
ever appears in one (the API's error handler uses pydantic's ``msg``, not its ``input``).
Each issue has an English message for the API and a Chinese one for the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from gongkai.events import RequestReceived
from gongkai.events.requests import Applicant, ApplicantKind, Channel, Delivery, OrgType
from services.intake.fields import MAX_EMAIL, MAX_PHONE, checked_email, checked_phone, optional, required
from services.intake.identity import valid_credit_code, valid_resident_id

__all__ = [
    "MAX_ADDRESS",
    "MAX_DESCRIPTION",
    "MAX_DOC_NUMBER",
    "MAX_NAME",
    "RECEIPT_DATED_BY_CHANNEL",
    "ApplicantForm",
    "Issue",
    "RequestApplication",
    "application_issues",
    "initial_status",
    "receipt_date",
    "to_request_received",
]

MAX_NAME = 100
MAX_DESCRIPTION = 5000
MAX_DOC_NUMBER = 100
MAX_ADDRESS = 300
MAX_ID_NUMBER = 40  # 18 characters once spaces go; a little room for how people type them

#: Art. 31: in person the day of submission, registered post the day the agency signs for it.
#: The other channels (ordinary post, internet, fax) get theirs from the confirm_receipt step.
RECEIPT_DATED_BY_CHANNEL: frozenset[Channel] = frozenset({"in_person", "registered_post"})


class ApplicantForm(BaseModel):
    """申请人 as submitted: Art. 29(一) name, proof of identity and contact."""

    model_config = ConfigDict(extra="forbid")

    kind: ApplicantKind = Field(description="natural_person (自然人) or legal_person (法人或其他组织)")
    org_type: OrgType | None = Field(default=None, description="legal persons only: the column of table 三")
    name: Annotated[str, StringConstraints(max_length=MAX_NAME)] = Field(description="姓名或者名称")
    id_number: Annotated[str, StringConstraints(max_length=MAX_ID_NUMBER)] | None = Field(
        default=None, description="居民身份证号码 (natural persons) or 统一社会信用代码; required online"
    )
    phone: Annotated[str, StringConstraints(max_length=MAX_PHONE)] | None = None
    email: Annotated[str, StringConstraints(max_length=MAX_EMAIL)] | None = None
    address: Annotated[str, StringConstraints(max_length=MAX_ADDRESS)] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return required(value, MAX_NAME)

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str | None) -> str | None:
        text = optional(value, MAX_ID_NUMBER)
        return "".join(text.split()).upper() if text else None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return checked_phone(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return checked_email(value)

    @field_validator("address")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return optional(value, MAX_ADDRESS)


class RequestApplication(BaseModel):
    """The body of ``POST /api/v1/requests`` (API.md, "Disclosure requests")."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel = Field(description="Art. 31: how the application reached the agency")
    applicant: ApplicantForm
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)] = Field(
        description="Art. 29(二): the information sought: its title or a description that lets the agency find it"
    )
    doc_number: Annotated[str, StringConstraints(max_length=MAX_DOC_NUMBER)] | None = Field(
        default=None, description="文号 of the document sought, if known"
    )
    delivery: Delivery | None = Field(
        default=None, description="Art. 29(三): form and way of delivery; paper by post when not said"
    )
    oral: bool = Field(default=False, description="Art. 29: transcribed by staff from an oral application (in person)")
    received_on: date | None = Field(
        default=None,
        description="staff, in_person and registered_post only: the Art. 31 receipt date (default: today)",
    )

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        return required(value, MAX_DESCRIPTION)

    @field_validator("doc_number")
    @classmethod
    def _doc_number(cls, value: str | None) -> str | None:
        return optional(value, MAX_DOC_NUMBER)


@dataclass(frozen=True)
class Issue:
    """A rule the application breaks: the field it concerns, in English for the API, in Chinese for people."""

    field: str
    message: str
    text: str


def application_issues(
    application: RequestApplication, *, today: date, records_start_on: date, staff: bool
) -> list[Issue]:
    """Every Art. 29/31 rule ``application`` breaks; ``staff`` is whether a staff member is entering it.

    >>> from datetime import date
    >>> body = {"channel": "internet", "applicant": {"kind": "legal_person", "name": "某某律师事务所"},
    ...         "description": "2025年市本级财政预算执行情况"}
    >>> [i.field for i in application_issues(RequestApplication.model_validate(body),
    ...                                      today=date(2026, 6, 1), records_start_on=date(2008, 5, 1), staff=False)]
    ['applicant.org_type', 'applicant', 'applicant.id_number']
    """
    applicant = application.applicant
    issues: list[Issue] = []
    if applicant.kind == "legal_person" and applicant.org_type is None:
        issues.append(
            Issue(
                "applicant.org_type",
                "a legal person or other organisation must give its type (org_type)",
                "请选择法人或其他组织的类型",
            )
        )
    elif applicant.kind == "natural_person" and applicant.org_type is not None:
        issues.append(
            Issue(
                "applicant.org_type",
                "org_type is only for legal persons and other organisations",
                "以自然人身份申请时不选择组织类型",
            )
        )
    if not (applicant.phone or applicant.email or applicant.address):
        issues.append(
            Issue(
                "applicant",
                "give at least one contact: phone, email or address (Art. 29)",
                "请至少填写一种联系方式：联系电话、电子邮箱或通信地址",
            )
        )
    issues += _identity_issues(application, today)
    if application.oral and application.channel != "in_person":
        issues.append(
            Issue(
                "oral",
                "only an application made in person can be oral (staff transcribe it at the counter, Art. 29)",
                "口头申请只能当面提出，由工作人员代为填写",
            )
        )
    issues += _receipt_issues(application, today=today, records_start_on=records_start_on, staff=staff)
    issues += _delivery_issues(application)
    return issues


def _identity_issues(application: RequestApplication, today: date) -> list[Issue]:
    applicant = application.applicant
    if applicant.id_number is None:
        if application.channel != "internet":
            return []  # on paper the clerk has seen the proof of identity
        return [
            Issue(
                "applicant.id_number",
                "required for applications filed online: it is the applicant's proof of identity (Art. 29)",
                "网上申请须填写证件号码：自然人填写居民身份证号码，法人或其他组织填写统一社会信用代码",
            )
        ]
    if applicant.kind == "natural_person" and not valid_resident_id(applicant.id_number, today=today):
        return [
            Issue(
                "applicant.id_number",
                "not a valid 18-character resident ID number (birth date or check character wrong)",
                "居民身份证号码有误，请核对：应为18位，出生日期和最后一位校验码须正确",
            )
        ]
    if applicant.kind == "legal_person" and not valid_credit_code(applicant.id_number):
        return [
            Issue(
                "applicant.id_number",
                "not a valid 18-character unified social credit code (check character wrong)",
                "统一社会信用代码有误，请核对：应为18位，最后一位校验码须正确",
            )
        ]
    return []


def _receipt_issues(
    application: RequestApplication, *, today: date, records_start_on: date, staff: bool
) -> list[Issue]:
    received_on = application.received_on
    if received_on is None:
        return []
    if application.channel not in RECEIPT_DATED_BY_CHANNEL:
        if not staff:
            return [
                Issue(
                    "received_on",
                    "applicants do not state a receipt date: an application filed online is received on the day "
                    "the agency confirms receipt (Art. 31)",
                    "收到申请的日期无需填写：网上申请以本机关与您确认收到之日为收到申请之日（第三十一条）",
                )
            ]
        return [
            Issue(
                "received_on",
                f"for channel {application.channel} the receipt date is set when the agency confirms receipt "
                "(Art. 31, action confirm_receipt): leave received_on out",
                "该渠道的收到申请日期在确认收到时登记（第三十一条），此处不填",
            )
        ]
    if received_on > today:
        return [Issue("received_on", "the receipt date cannot be in the future", "收到申请日期不能晚于今天")]
    if received_on < records_start_on:
        return [
            Issue(
                "received_on",
                f"the receipt date cannot be before {records_start_on.isoformat()}, when records start",
                f"收到申请日期不能早于{records_start_on.year}年{records_start_on.month}月{records_start_on.day}日",
            )
        ]
    return []


def _delivery_issues(application: RequestApplication) -> list[Issue]:
    """A delivery the applicant chose must be possible with the contacts given (Art. 29(三), Art. 40)."""
    delivery, applicant = application.delivery, application.applicant
    if delivery is None:
        return []
    if delivery.method == "email" and not applicant.email:
        return [
            Issue("delivery.method", "delivery by e-mail needs an e-mail address", "选择电子邮件获取，请填写电子邮箱")
        ]
    if delivery.method == "post" and not applicant.address:
        return [Issue("delivery.method", "delivery by post needs a postal address", "选择邮寄获取，请填写通信地址")]
    return []


def receipt_date(application: RequestApplication, today: date) -> date | None:
    """Art. 31: the stated day (or today) for in-person and registered-post applications, else not yet."""
    if application.channel in RECEIPT_DATED_BY_CHANNEL:
        return application.received_on or today
    return None


def initial_status(channel: Channel) -> Literal["in_progress", "awaiting_confirmation"]:
    """A dated receipt starts the clock at once; the other channels wait for confirm_receipt."""
    return "in_progress" if channel in RECEIPT_DATED_BY_CHANNEL else "awaiting_confirmation"


def to_request_received(
    application: RequestApplication, *, tracking_code_hash: str, today: date, recorded_by: str | None
) -> RequestReceived:
    """The event data: cleaned values, the receipt date by channel, the tracking code's hash only."""
    applicant = application.applicant
    return RequestReceived(
        channel=application.channel,
        applicant=Applicant(
            kind=applicant.kind,
            org_type=applicant.org_type,
            name=applicant.name,
            id_number=applicant.id_number,
            phone=applicant.phone,
            email=applicant.email,
            address=applicant.address,
        ),
        description=application.description,
        doc_number=application.doc_number,
        delivery=application.delivery or Delivery(),
        oral=application.oral,
        received_on=receipt_date(application, today),
        tracking_code_hash=tracking_code_hash,
        recorded_by=recorded_by,
    )
