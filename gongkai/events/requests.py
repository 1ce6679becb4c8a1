"""Data of disclosure-request (依申请公开) and appeal events.

``request.received`` carries the applicant's personal data: it travels only on the internal
``gongkai.requests`` topic, is stored only in the review service's case store, and never reaches
a public topic, the index, a metric label or a log. Every later step names the case by its id.

Steps are facts with the day they happened (``on``, the agency's calendar date): staff may
enter paper records late, and deadlines are computed from these days, never from when the
event was recorded.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from gongkai.events.base import EventData

__all__ = [
    "CHANNELS",
    "OUTCOMES",
    "AppealDecided",
    "AppealFiled",
    "AppealKind",
    "AppealResult",
    "Applicant",
    "ApplicantKind",
    "CaseDocument",
    "Channel",
    "Closure",
    "ConsultationReplied",
    "ConsultationReply",
    "ConsultationStarted",
    "CorrectionReceived",
    "CorrectionRequested",
    "DeadlineExtended",
    "DeadlineNotified",
    "Delivery",
    "FeeNoticed",
    "FeePaid",
    "OrgType",
    "Outcome",
    "ReasonsRequested",
    "ReceiptConfirmed",
    "RequestClosed",
    "RequestOverdue",
    "RequestReceived",
    "RequestStep",
]

#: 条例 Art. 31: how an application reached the agency; it decides the receipt date.
Channel = Literal["internet", "in_person", "registered_post", "ordinary_post", "fax"]
CHANNELS: tuple[Channel, ...] = ("internet", "in_person", "registered_post", "ordinary_post", "fax")
#: 自然人 or 法人或其他组织; the organisation type is the column of table 三.
ApplicantKind = Literal["natural_person", "legal_person"]
#: 商业企业 · 科研机构 · 社会公益组织 · 法律服务机构 · 其他.
OrgType = Literal["commercial", "research", "public_interest", "legal_service", "other"]

#: How a case ended: one code per row of table 三 (办理结果).
Outcome = Literal[
    "disclosed",
    "partially_disclosed",
    "withheld.state_secret",
    "withheld.prohibited_by_law",
    "withheld.security_stability",
    "withheld.third_party_rights",
    "withheld.internal_affairs",
    "withheld.process_information",
    "withheld.enforcement_file",
    "withheld.administrative_inquiry",
    "unavailable.not_held",
    "unavailable.needs_creation",
    "unavailable.unclear_after_correction",
    "not_processed.petition_complaint",
    "not_processed.repeat",
    "not_processed.publication",
    "not_processed.excessive",
    "not_processed.confirmation",
    "other.no_correction",
    "other.fee_unpaid",
    "other.other",
]
OUTCOMES: tuple[Outcome, ...] = Outcome.__args__  # type: ignore[attr-defined]

#: Which step closed the case: an answer, or one of the closures the law provides.
Closure = Literal["answer", "no_correction", "fee_unpaid", "withdrawn"]
#: Art. 32/34: consent, a reasoned objection, an opinion, or silence within the window.
ConsultationReply = Literal["consent", "objection", "opinion", "no_reply"]


class Applicant(EventData):
    """申请人: personal data. Internal topic and the review case store only."""

    kind: ApplicantKind
    org_type: OrgType | None = None
    name: str
    id_number: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None


class Delivery(EventData):
    """Art. 29(三), Art. 40: the form and the way the applicant wants the information."""

    form: Literal["paper", "electronic"] = "paper"
    method: Literal["post", "email", "pickup", "online", "fax"] = "post"


class RequestReceived(EventData):
    """An application entered the agency (收到申请).

    ``received_on`` is the Art. 31 receipt date when the channel fixes it (in person, registered
    post); for ordinary post, internet and fax it is ``None`` until ``request.receipt_confirmed``.
    Only the tracking code's hash travels; the code itself goes to the applicant alone.
    """

    channel: Channel
    applicant: Applicant
    description: str
    doc_number: str | None = None
    delivery: Delivery = Field(default_factory=Delivery)
    oral: bool = Field(default=False, description="Art. 29: transcribed by staff from an oral application")
    received_on: date | None = None
    tracking_code_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    recorded_by: str | None = Field(default=None, description="the clerk who entered it; None when filed online")


class CaseDocument(EventData):
    """A paper of the case file: a notice sent or a document received."""

    title: str
    direction: Literal["sent", "received"]


class RequestStep(EventData):
    """What every step of a case records: the day, who, notes, papers and postal tracking."""

    on: date
    actor: str
    note: str = ""
    documents: list[CaseDocument] = Field(default_factory=list)
    postal_tracking: str | None = Field(default=None, description="挂号信/EMS tracking number of what was sent")


class ReceiptConfirmed(RequestStep):
    """Art. 31: the agency confirmed receipt (ordinary post, internet, fax); the clock starts."""


class CorrectionRequested(RequestStep):
    """Art. 30: 补正告知, once, within 7 working days of receipt, with every item to correct."""

    items: list[str] = Field(min_length=1)
    reply_by: date


class CorrectionReceived(RequestStep):
    """Art. 30: the corrected application arrived; the 20-working-day clock restarts from ``on``."""


class ConsultationStarted(RequestStep):
    """Art. 32/34: a third party or another agency was consulted; the clock pauses (≤15 working days)."""

    party: Literal["third_party", "other_agency"]
    consultee: str = Field(description="who was consulted; internal topic only")


class ConsultationReplied(RequestStep):
    """The consulted party answered, or its window ended in silence (``no_reply``)."""

    consultation: int = Field(ge=1, description="which consultation of the case, counting from 1")
    reply: ConsultationReply


class DeadlineExtended(RequestStep):
    """Art. 33 ¶2: one extension of at most 20 working days, approved by the office's head."""

    days: int = Field(ge=1, le=20)
    reason: str
    approver: str


class ReasonsRequested(RequestStep):
    """Art. 35: the applicant was asked for the reasons of a clearly excessive request."""


class DeadlineNotified(RequestStep):
    """Art. 35: reasonable but impossible in time: the applicant was told a later deadline."""

    due_on: date


class FeeNoticed(RequestStep):
    """Art. 42 and 国办函〔2020〕109号: a processing-fee notice (per item or per page, never both)."""

    basis: Literal["items", "pages"]
    pages: int | None = Field(default=None, ge=1)
    monthly_ordinal: int | None = Field(default=None, ge=1, description="items basis: nth application this month")
    amount_yuan: int = Field(ge=0)
    pay_by: date


class FeePaid(RequestStep):
    """The applicant paid the processing fee; processing resumes."""


class RequestClosed(EventData):
    """The case ended: answered with an outcome, or closed for no correction, unpaid fee, withdrawal.

    ``due_on`` and ``on_time`` are fixed at closing, with the applicant column and the channel,
    so counters need no other state. A withdrawal is counted as ``other.other`` (其他处理·其他).
    """

    on: date
    actor: str
    note: str = ""
    documents: list[CaseDocument] = Field(default_factory=list)
    postal_tracking: str | None = None
    closure: Closure
    outcome: Outcome
    on_the_spot: bool = Field(default=False, description="Art. 33: answered on the day of receipt")
    due_on: date | None = None
    on_time: bool = True
    received_on: date | None = None
    channel: Channel
    applicant_kind: ApplicantKind
    org_type: OrgType | None = None


class RequestOverdue(EventData):
    """The daily sweep found an open case past its answer deadline (emitted once per deadline)."""

    due_on: date
    detected_on: date
    channel: Channel


AppealKind = Literal["reconsideration", "litigation_direct", "litigation_after_reconsideration"]
AppealResult = Literal["upheld", "corrected", "other"]


class AppealFiled(EventData):
    """行政复议 or 行政诉讼 about a disclosure decision (table 四)."""

    kind: AppealKind
    request_id: str | None = None
    filed_on: date
    actor: str
    note: str = ""
    authority: str | None = Field(
        default=None, description="the reconsideration body (复议机关) or the court (审理法院); internal topic only"
    )
    case_number: str | None = Field(
        default=None, description="its case number (案号, e.g. （2026）浙0106行初123号); internal topic only"
    )


class AppealDecided(EventData):
    """The appeal's result: 维持 (upheld), 纠正 (corrected) or 其他."""

    result: AppealResult
    on: date
    actor: str
    note: str = ""
    kind: AppealKind
    filed_on: date
