"""Pure reducers: an event (and what stats remembers of its subject) becomes counter increments.

The same ``reduce`` feeds the embedded SQLite counters and the faust tables on Kafka. Counters are
keyed by name, year and labels; the year is the agency's calendar year of the *date the law looks
at*, not of when the event was recorded, so late-entered paper records land in the right year:

- applications are received in the year of their Art. 31 receipt date, and closed in the year of
  their closing step; an application never received (withdrawn before its receipt was confirmed)
  is counted in neither;
- appeals are filed in the year of ``filed_on`` and decided in the year of the decision;
- 规章 and 行政规范性文件 are issued in the year they were formed (else first published) and
  repealed in the year the repeal takes effect.

A ``Memo`` is what stats keeps per subject, because later events do not repeat it (the applicant's
column of table 三 is known from ``request.received``, the receipt date may come with
``request.receipt_confirmed``). Labels never carry personal data.

>>> from gongkai.events import DocumentSubmitted, new_event
>>> e = new_event("document.submitted", subject="d", source="intake",
...               data=DocumentSubmitted(title="t", body="b", category="art20.7", department="财政科"))
>>> [(d.name, d.labels) for d in reduce(e, None).deltas]
[('documents_submitted', (('category', 'art20.7'),))]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any

from gongkai.clock import AGENCY_TZ
from gongkai.events import Envelope

__all__ = ["COUNTERS", "CounterDelta", "Memo", "Reduction", "applicant_column", "count", "reduce"]

#: Counter name → (help text, the labels exported to Prometheus). Stored counters may carry more
#: labels (e.g. ``month``) for the annual report; Prometheus sees them summed over years and extras.
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "documents_submitted": ("Documents submitted for proactive disclosure.", ("category",)),
    "documents_reviewed": ("Confidentiality review decisions.", ("decision",)),
    "documents_published": ("Documents published on the portal.", ("category",)),
    "documents_corrected": ("Corrected revisions that replaced a published document.", ("category",)),
    "documents_withdrawn": ("Documents taken off the portal.", ("category",)),
    "documents_validity_changed": ("Regulations marked amended or repealed.", ("validity",)),
    "documents_issued": ("规章 and 行政规范性文件 issued (table 二).", ("doc_type",)),
    "documents_repealed": ("规章 and 行政规范性文件 repealed (table 二).", ("doc_type",)),
    "requests_received": ("Disclosure requests received (Art. 31 receipt date).", ("channel", "applicant")),
    "requests_closed": ("Disclosure requests closed, by outcome of table 三.", ("outcome", "applicant", "on_time")),
    "requests_deadline_missed": ("Disclosure requests that passed their answer deadline while open.", ("channel",)),
    "appeals_filed": ("Administrative reconsiderations and lawsuits filed.", ("kind",)),
    "appeals_decided": ("Administrative reconsiderations and lawsuits decided.", ("kind", "result")),
    "letters_received": ("Mailbox letters and online consultations received.", ("kind", "category")),
    "letters_replied": ("Letters answered.", ("kind", "on_time", "first_pass")),
    "letters_transferred": ("Letters transferred to the petitions office (信访).", ("kind",)),
    "letters_feedback": ("Writers' ratings of replies.", ("rating",)),
    "letters_deadline_missed": ("Letters that passed their time limit while open.", ("kind",)),
    "letters_overdue_closed": ("Letters answered or transferred after missing their time limit.", ("kind",)),
    "proposals_assigned": ("Deputies' suggestions and CPPCC proposals assigned, by year of assignment.", ("kind",)),
    "proposals_answered": ("Proposals answered (first reply), by year of assignment.", ("kind", "on_time")),
    "proposals_rated": ("Proposals' latest assessment, by year of assignment.", ("kind", "rating")),
}

Labels = tuple[tuple[str, str], ...]
#: Document types that table 二 counts.
COUNTED_DOC_TYPES = ("regulation", "normative")


@dataclass(frozen=True)
class CounterDelta:
    name: str
    year: int
    labels: Labels
    amount: int = 1


@dataclass(frozen=True)
class Memo:
    """What stats remembers about one subject (a case, a document, an appeal); JSON-serialisable."""

    kind: str
    column: str | None = None
    channel: str | None = None
    received_on: str | None = None
    closed: bool = False
    overdue: bool = False
    category: str | None = None
    doc_type: str | None = None
    issued: bool = False
    repealed: bool = False
    appeal_kind: str | None = None
    letter_kind: str | None = None
    proposal_kind: str | None = None
    cohort: int | None = None  # proposals: the year of assignment
    answered: bool = False
    rating: str | None = None

    @property
    def open_and_overdue(self) -> bool:
        """A disclosure request not closed whose deadline has passed (the summary's "overdue open")."""
        return self.kind == "request" and self.overdue and not self.closed

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Memo:
        return cls(**data)


@dataclass(frozen=True)
class Reduction:
    deltas: list[CounterDelta] = field(default_factory=list)
    memo: Memo | None = None  # the subject's memo after the event (None: unchanged)


def applicant_column(kind: str, org_type: str | None) -> str:
    """The column of table 三: 自然人, or the legal person's organisation type."""
    return "natural_person" if kind == "natural_person" else (org_type or "other")


def reduce(event: Envelope, memo: Memo | None) -> Reduction:
    rule = _RULES.get(event.type)
    return rule(event, memo) if rule else Reduction()


def count(event: Envelope) -> list[CounterDelta]:
    """The deltas of an event that needs no memo (documents' simple counters)."""
    return reduce(event, None).deltas


def _delta(name: str, day: date | datetime, **labels: str) -> CounterDelta:
    year = day.astimezone(AGENCY_TZ).year if isinstance(day, datetime) else day.year
    return CounterDelta(name, year, tuple(sorted(labels.items())))


def _day(value: str) -> date:
    return date.fromisoformat(value)


# --- documents ------------------------------------------------------------------------------


def _simple(name: str, label: str | None) -> Callable[[Envelope, Memo | None], Reduction]:
    def rule(event: Envelope, memo: Memo | None) -> Reduction:
        labels = {label: str(event.data.get(label) or (memo.category if memo else "") or "")} if label else {}
        return Reduction([_delta(name, event.occurred_at, **labels)])

    return rule


def _published(event: Envelope, memo: Memo | None) -> Reduction:
    data = event.data
    published = datetime.fromisoformat(data["published_at"])
    deltas = [_delta("documents_published", published, category=data["category"])]
    doc_type = data.get("doc_type", "other")
    now = replace(memo or Memo(kind="document"), category=data["category"], doc_type=doc_type)
    if doc_type in COUNTED_DOC_TYPES and not now.issued:
        issued_on = _day(data["formed_on"]) if data.get("formed_on") else published
        deltas.append(_delta("documents_issued", issued_on, doc_type=doc_type))
        now = replace(now, issued=True)
    return Reduction(deltas, now)


def _withdrawn(event: Envelope, memo: Memo | None) -> Reduction:
    category = memo.category if memo and memo.category else "unknown"
    return Reduction([_delta("documents_withdrawn", event.occurred_at, category=category)])


def _validity(event: Envelope, memo: Memo | None) -> Reduction:
    data = event.data
    deltas = [_delta("documents_validity_changed", event.occurred_at, validity=data["validity"])]
    if data["validity"] != "repealed" or memo is None or memo.repealed or memo.doc_type not in COUNTED_DOC_TYPES:
        return Reduction(deltas)
    deltas.append(_delta("documents_repealed", _day(data["effective_on"]), doc_type=memo.doc_type or "other"))
    return Reduction(deltas, replace(memo, repealed=True))


# --- requests -------------------------------------------------------------------------------


def _received(event: Envelope, memo: Memo | None) -> Reduction:
    if memo is not None:
        return Reduction()  # a repeated opening changes nothing
    data = event.data
    applicant = data["applicant"]
    now = Memo(
        kind="request",
        column=applicant_column(applicant["kind"], applicant.get("org_type")),
        channel=data["channel"],
        received_on=data.get("received_on"),
    )
    return Reduction(_receipt(now), now)


def _receipt(memo: Memo) -> list[CounterDelta]:
    if memo.received_on is None:
        return []
    on = _day(memo.received_on)
    return [
        _delta(
            "requests_received", on, channel=memo.channel or "", applicant=memo.column or "", month=f"{on.month:02d}"
        )
    ]


def _confirmed(event: Envelope, memo: Memo | None) -> Reduction:
    if memo is None or memo.received_on is not None or memo.closed:
        return Reduction()
    now = replace(memo, received_on=event.data["on"])
    return Reduction(_receipt(now), now)


def _closed(event: Envelope, memo: Memo | None) -> Reduction:
    data = event.data
    column = applicant_column(data["applicant_kind"], data.get("org_type"))
    now = replace(memo or Memo(kind="request", column=column, channel=data["channel"]), closed=True)
    if memo is not None and memo.closed:
        return Reduction()
    if not data.get("received_on"):
        return Reduction([], now)  # never received: counted neither in nor out
    labels = {"outcome": data["outcome"], "applicant": column, "on_time": str(bool(data.get("on_time", True))).lower()}
    return Reduction([_delta("requests_closed", _day(data["on"]), **labels)], now)


def _overdue(event: Envelope, memo: Memo | None) -> Reduction:
    if memo is None or memo.overdue or memo.closed:
        return Reduction()
    on = _day(event.data["detected_on"])
    return Reduction(
        [_delta("requests_deadline_missed", on, channel=event.data["channel"])], replace(memo, overdue=True)
    )


# --- appeals --------------------------------------------------------------------------------


def _appeal_filed(event: Envelope, memo: Memo | None) -> Reduction:
    if memo is not None:
        return Reduction()
    data = event.data
    now = Memo(kind="appeal", appeal_kind=data["kind"])
    return Reduction([_delta("appeals_filed", _day(data["filed_on"]), kind=data["kind"])], now)


def _appeal_decided(event: Envelope, memo: Memo | None) -> Reduction:
    if memo is not None and memo.closed:
        return Reduction()
    data = event.data
    now = replace(memo or Memo(kind="appeal", appeal_kind=data["kind"]), closed=True)
    return Reduction([_delta("appeals_decided", _day(data["on"]), kind=data["kind"], result=data["result"])], now)


# --- letters --------------------------------------------------------------------------------


def _letter_received(event: Envelope, memo: Memo | None) -> Reduction:
    if memo is not None:
        return Reduction()
    data = event.data
    now = Memo(kind="letter", letter_kind=data["kind"], category=data["category"])
    labels = {"kind": data["kind"], "category": data["category"]}
    return Reduction([_delta("letters_received", _day(data["received_on"]), **labels)], now)


def _letter_closed(event: Envelope, memo: Memo | None) -> Reduction:
    if memo is None or memo.closed:
        return Reduction()
    data, kind = event.data, memo.letter_kind or ""
    on = _day(data["on"])
    if event.type == "letter.replied":
        flags = {"on_time": _flag(data.get("on_time", True)), "first_pass": _flag(data["first_pass"])}
        deltas = [_delta("letters_replied", on, kind=kind, **flags)]
    else:
        deltas = [_delta("letters_transferred", on, kind=kind)]
    if memo.overdue:
        deltas.append(_delta("letters_overdue_closed", on, kind=kind))
    return Reduction(deltas, replace(memo, closed=True))


def _letter_feedback(event: Envelope, memo: Memo | None) -> Reduction:
    if memo is None or memo.rating is not None:
        return Reduction()
    rating = event.data["rating"]
    return Reduction([_delta("letters_feedback", _day(event.data["on"]), rating=rating)], replace(memo, rating=rating))


def _letter_overdue(event: Envelope, memo: Memo | None) -> Reduction:
    if memo is None or memo.overdue or memo.closed:
        return Reduction()
    on = _day(event.data["detected_on"])
    return Reduction([_delta("letters_deadline_missed", on, kind=memo.letter_kind or "")], replace(memo, overdue=True))


# --- proposals ------------------------------------------------------------------------------


def _proposal_registered(event: Envelope, memo: Memo | None) -> Reduction:
    if memo is not None:
        return Reduction()
    data = event.data
    assigned = _day(data["assigned_on"])
    now = Memo(kind="proposal", proposal_kind=data["kind"], cohort=assigned.year)
    return Reduction([_delta("proposals_assigned", assigned, kind=data["kind"])], now)


def _proposal_replied(event: Envelope, memo: Memo | None) -> Reduction:
    if memo is None or memo.answered or event.data.get("rehandling"):
        return Reduction()
    labels = {"kind": memo.proposal_kind or "", "on_time": _flag(event.data["on_time"])}
    return Reduction([_cohort_delta("proposals_answered", memo, 1, **labels)], replace(memo, answered=True))


def _proposal_feedback(event: Envelope, memo: Memo | None) -> Reduction:
    """Each proposal counts once, with its latest rating: a second assessment replaces the first."""
    if memo is None:
        return Reduction()
    rating, kind = event.data["rating"], memo.proposal_kind or ""
    if rating == memo.rating:
        return Reduction()
    deltas = [_cohort_delta("proposals_rated", memo, 1, kind=kind, rating=rating)]
    if memo.rating is not None:
        deltas.append(_cohort_delta("proposals_rated", memo, -1, kind=kind, rating=memo.rating))
    return Reduction(deltas, replace(memo, rating=rating))


def _cohort_delta(name: str, memo: Memo, amount: int, **labels: str) -> CounterDelta:
    return CounterDelta(name, memo.cohort or 0, tuple(sorted(labels.items())), amount)


def _flag(value: object) -> str:
    return "true" if value else "false"


_RULES: dict[str, Callable[[Envelope, Memo | None], Reduction]] = {
    "document.submitted": _simple("documents_submitted", "category"),
    "document.reviewed": _simple("documents_reviewed", "decision"),
    "document.published": _published,
    "document.corrected": _simple("documents_corrected", "category"),
    "document.withdrawn": _withdrawn,
    "document.validity_changed": _validity,
    "request.received": _received,
    "request.receipt_confirmed": _confirmed,
    "request.closed": _closed,
    "request.overdue": _overdue,
    "appeal.filed": _appeal_filed,
    "appeal.decided": _appeal_decided,
    "letter.received": _letter_received,
    "letter.replied": _letter_closed,
    "letter.transferred": _letter_closed,
    "letter.feedback": _letter_feedback,
    "letter.overdue": _letter_overdue,
    "proposal.registered": _proposal_registered,
    "proposal.replied": _proposal_replied,
    "proposal.feedback": _proposal_feedback,
}
