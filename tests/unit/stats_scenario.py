"""A year of events for the statistics tests (2025 → 2026 → 2027), with the 2026 figures counted by hand.

Requests, appeals and documents as below; letters and proposals in ``letters_and_proposals``.

2025: three natural-person applications (two answered in 2025), one company's on 2025-12-30 left open.
2026: 21 applications, one per outcome of table 三, spread over the six columns in turn; two more left
open (research, other); a paper application received 2026-03-01 but entered in 2027, left open; the
2025 natural person's open case answered (disclosed); an online application withdrawn before its
receipt was confirmed (counted nowhere); one submitted 2026-12-30 and confirmed 2027-01-04 (2027's).
Appeals: reconsiderations upheld, corrected and pending; a direct lawsuit filed in 2025 decided in
2026 ("other") and one pending; a lawsuit after reconsideration filed in 2026, decided in 2027.
Documents: a regulation formed in 2025, repealed from 2026-07-01; a regulation and two normative
documents issued in 2026.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from gongkai.events import (
    DocumentPublished,
    DocumentValidityChanged,
    Envelope,
    EventData,
    new_event,
)
from gongkai.events.letters import (
    Contact,
    LetterFeedback,
    LetterOverdue,
    LetterReceived,
    LetterReplied,
    LetterTransferred,
    ProposalFeedback,
    ProposalRegistered,
    ProposalReplied,
)
from gongkai.events.requests import (
    OUTCOMES,
    AppealDecided,
    AppealFiled,
    Applicant,
    ReceiptConfirmed,
    RequestClosed,
    RequestReceived,
)

COLUMNS = ("natural_person", "commercial", "research", "public_interest", "legal_service", "other")
_ids = itertools.count(1)


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day + "T10:00:00+08:00").astimezone(UTC)


def _event(kind: str, subject: str, data: EventData, on: str) -> Envelope:
    return new_event(kind, subject=subject, source="test", data=data, occurred_at=_at(on), recorded_at=_at(on))


def _applicant(column: str) -> Applicant:
    if column == "natural_person":
        return Applicant(kind="natural_person", name="申请人", phone="13800000000")
    return Applicant(kind="legal_person", org_type=column, name="某单位", phone="010-88886666")  # type: ignore[arg-type]


def received(column: str, on: str | None, *, channel: str = "in_person", entered: str | None = None) -> Envelope:
    case = f"r{next(_ids)}"
    data = RequestReceived(
        channel=channel,  # type: ignore[arg-type]
        applicant=_applicant(column),
        description="某文件",
        received_on=date.fromisoformat(on) if on else None,
        tracking_code_hash="0" * 64,
    )
    return _event("request.received", case, data, entered or on or "2026-12-30")


def confirmed(opening: Envelope, on: str) -> Envelope:
    return _event(
        "request.receipt_confirmed", opening.subject, ReceiptConfirmed(on=date.fromisoformat(on), actor="c"), on
    )


def closed(
    opening: Envelope, on: str, outcome: str, *, received_on: str | None = None, on_time: bool = True
) -> Envelope:
    applicant = opening.data["applicant"]
    closure = "withdrawn" if outcome == "other.other" and received_on is None else "answer"
    data = RequestClosed(
        on=date.fromisoformat(on),
        actor="c",
        closure=closure,  # type: ignore[arg-type]
        outcome=outcome,  # type: ignore[arg-type]
        received_on=date.fromisoformat(received_on) if received_on else opening.data["received_on"],
        on_time=on_time,
        channel=opening.data["channel"],
        applicant_kind=applicant["kind"],
        org_type=applicant.get("org_type"),
    )
    return _event("request.closed", opening.subject, data, on)


def appeal(kind: str, filed_on: str, result: str | None = None, decided_on: str | None = None) -> list[Envelope]:
    subject = f"a{next(_ids)}"
    events = [
        _event(
            "appeal.filed", subject, AppealFiled(kind=kind, filed_on=date.fromisoformat(filed_on), actor="c"), filed_on
        )
    ]  # type: ignore[arg-type]
    if result and decided_on:
        data = AppealDecided(
            result=result,  # type: ignore[arg-type]
            on=date.fromisoformat(decided_on),
            actor="c",
            kind=kind,  # type: ignore[arg-type]
            filed_on=date.fromisoformat(filed_on),
        )
        events.append(_event("appeal.decided", subject, data, decided_on))
    return events


def published(doc_type: str, formed_on: str, published_on: str) -> Envelope:
    data = DocumentPublished(
        title="某规定",
        body="正文",
        category="art20.1",
        department="办公室",
        formed_on=date.fromisoformat(formed_on),
        doc_type=doc_type,  # type: ignore[arg-type]
        published_at=_at(published_on),
    )
    return _event("document.published", f"d{next(_ids)}", data, published_on)


def repealed(document: Envelope, effective_on: str) -> Envelope:
    data = DocumentValidityChanged(validity="repealed", effective_on=date.fromisoformat(effective_on), version=2)
    return _event("document.validity_changed", document.subject, data, effective_on)


def letter(kind: str, category: str, received_on: str) -> Envelope:
    data = LetterReceived(
        kind=kind,  # type: ignore[arg-type]
        category=category,  # type: ignore[arg-type]
        title="来信",
        body="内容",
        contact=Contact(name="写信人", phone="13800000000"),
        received_on=date.fromisoformat(received_on),
        tracking_code_hash="0" * 64,
    )
    return _event("letter.received", f"l{next(_ids)}", data, received_on)


def letter_step(opening: Envelope, kind: str, on: str, **fields: Any) -> Envelope:
    day = date.fromisoformat(on)
    data: EventData
    if kind == "replied":
        data = LetterReplied(on=day, actor="c", body="答复", **fields)
    elif kind == "transferred":
        data = LetterTransferred(on=day, actor="c")
    elif kind == "feedback":
        data = LetterFeedback(on=day, **fields)
    else:
        data = LetterOverdue(due_on=day, detected_on=day, kind=opening.data["kind"])
    return _event(f"letter.{kind}", opening.subject, data, on)


def proposal(kind: str, assigned_on: str) -> Envelope:
    data = ProposalRegistered(
        kind=kind,  # type: ignore[arg-type]
        number=f"{next(_ids)}号",
        title="关于加强某项工作的建议",
        proposer="某代表",
        assigned_on=date.fromisoformat(assigned_on),
        lead_unit="某局",
        recorded_by="c",
    )
    return _event("proposal.registered", f"p{next(_ids)}", data, assigned_on)


def proposal_step(opening: Envelope, kind: str, on: str, **fields: Any) -> Envelope:
    day = date.fromisoformat(on)
    data: EventData
    if kind == "replied":
        data = ProposalReplied(on=day, actor="c", result_class="A", body="答复", due_on=day, on_time=True, **fields)
    else:
        data = ProposalFeedback(on=day, actor="c", **fields)
    return _event(f"proposal.{kind}", opening.subject, data, on)


def letters_and_proposals() -> list[Envelope]:
    events: list[Envelope] = []
    l1 = letter("mayor_mailbox", "complaint", "2026-03-02")
    events += [l1, letter_step(l1, "replied", "2026-03-05", first_pass=True, on_time=True)]
    l2 = letter("department_mailbox", "help", "2026-04-01")
    events += [
        l2,
        letter_step(l2, "overdue", "2026-04-09"),
        letter_step(l2, "replied", "2026-04-20", first_pass=False, on_time=False),
    ]
    l3 = letter("consultation", "consultation", "2026-05-06")
    events += [l3, letter_step(l3, "replied", "2026-05-07", first_pass=True, on_time=True)]
    events.append(letter_step(l3, "feedback", "2026-05-08", rating="satisfied"))
    l4 = letter("mayor_mailbox", "suggestion", "2026-12-20")
    events += [l4, letter_step(l4, "overdue", "2026-12-29")]
    l5 = letter("mayor_mailbox", "complaint", "2026-06-01")
    events += [l5, letter_step(l5, "transferred", "2026-06-02")]
    l6 = letter("consultation", "consultation", "2025-12-30")
    events += [
        l6,
        letter_step(l6, "overdue", "2026-01-08"),
        letter_step(l6, "replied", "2026-01-10", first_pass=True, on_time=False),
    ]
    p1 = proposal("npc_suggestion", "2026-03-10")
    events += [
        p1,
        proposal_step(p1, "replied", "2026-05-20"),
        proposal_step(p1, "feedback", "2026-05-30", rating="satisfied"),
    ]
    p2 = proposal("cppcc_proposal", "2026-03-10")
    events += [
        p2,
        proposal_step(p2, "replied", "2026-06-15"),
        proposal_step(p2, "feedback", "2026-06-20", rating="dissatisfied"),
    ]
    events += [
        proposal_step(p2, "replied", "2026-07-01", rehandling=True),
        proposal_step(p2, "feedback", "2026-07-10", rating="basically_satisfied"),
    ]
    p3 = proposal("cppcc_proposal", "2026-11-20")
    events += [
        p3,
        proposal_step(p3, "replied", "2027-02-10"),
        proposal_step(p3, "feedback", "2027-03-01", rating="dissatisfied"),
    ]
    events.append(proposal("npc_suggestion", "2026-12-01"))
    p5 = proposal("npc_suggestion", "2025-03-01")
    events += [p5, proposal_step(p5, "replied", "2026-02-01")]
    return events


#: Letters in 2026: answered L1, L2 (late), L3, L6 (received 2025, late); L4 open past its limit at
#: year end; L5 transferred to 信访. Proposals assigned in 2026: P1–P4; answered P1, P2, P3 (in 2027);
#: latest assessments: P1 满意, P2 基本满意 (after re-handling), P3 不满意.
EXPECTED_LETTERS_2026 = {
    "received": 5,
    "answered": 4,
    "on_time": 2,
    "first_pass": 3,
    "transferred": 1,
    "overdue_open_at_year_end": 1,
    "on_time_rate": {"numerator": 2, "denominator": 5, "value": 0.4},
    "first_pass_rate": {"numerator": 3, "denominator": 4, "value": 0.75},
}
EXPECTED_PROPOSALS_2026 = {
    "assigned": 4,
    "answered": 3,
    "reply_rate": {"numerator": 3, "denominator": 4, "value": 0.75},
    "satisfaction_rate": {"numerator": 2, "denominator": 3, "value": 0.6667},
}


def scenario() -> list[Envelope]:
    events: list[Envelope] = []
    # 2025
    n1, n2, n3 = (received("natural_person", f"2025-03-0{d}") for d in (3, 4, 5))
    company = received("commercial", "2025-12-30")
    events += [n1, n2, n3, company, closed(n1, "2025-03-20", "disclosed"), closed(n2, "2025-04-01", "disclosed")]
    # 2026: one application per outcome, columns in turn
    for i, outcome in enumerate(OUTCOMES):
        opening = received(COLUMNS[i % 6], f"2026-04-{1 + i:02d}")
        events += [opening, closed(opening, f"2026-05-{1 + i:02d}", outcome, on_time=i % 5 != 0)]
    events += [received("research", "2026-11-02"), received("other", "2026-11-03")]
    events.append(received("natural_person", "2026-03-01", entered="2027-01-10"))
    events.append(closed(n3, "2026-01-15", "disclosed"))
    never = received("natural_person", None, channel="internet")
    events += [never, closed(never, "2026-06-02", "other.other")]
    late = received("commercial", None, channel="internet")
    events += [late, confirmed(late, "2027-01-04")]
    # appeals
    events += appeal("reconsideration", "2026-02-01", "upheld", "2026-04-01")
    events += appeal("reconsideration", "2026-02-02", "corrected", "2026-04-02")
    events += appeal("reconsideration", "2026-12-01")
    events += appeal("litigation_direct", "2025-11-01", "other", "2026-03-01")
    events += appeal("litigation_direct", "2026-09-01")
    events += appeal("litigation_after_reconsideration", "2026-10-01", "upheld", "2027-02-01")
    # documents
    old = published("regulation", "2025-06-01", "2025-06-10")
    events += [old, repealed(old, "2026-07-01")]
    events += [published("regulation", "2026-02-01", "2026-02-10"), published("normative", "2026-03-01", "2026-03-05")]
    events.append(published("normative", "2026-08-01", "2026-08-03"))
    return events + letters_and_proposals()


#: Table 三 for 2026, counted by hand from the story above (cells by column, total last).
EXPECTED_2026: dict[str, list[int]] = {
    "new": [5, 4, 5, 3, 3, 4, 24],
    "carried_over": [1, 1, 0, 0, 0, 0, 2],
    "total_handled": [5, 4, 4, 3, 3, 3, 22],
    "carried_forward": [1, 1, 1, 0, 0, 1, 4],
}
EXPECTED_TABLE4_2026: dict[str, dict[str, int]] = {
    "reconsideration": {"upheld": 1, "corrected": 1, "other": 0, "pending": 1, "total": 3},
    "litigation_direct": {"upheld": 0, "corrected": 0, "other": 1, "pending": 1, "total": 2},
    "litigation_after_reconsideration": {"upheld": 0, "corrected": 0, "other": 0, "pending": 1, "total": 1},
}
EXPECTED_TABLE2_2026: list[dict[str, Any]] = [
    {"label": "规章", "issued": 1, "repealed": 1, "in_force": 1},
    {"label": "行政规范性文件", "issued": 2, "repealed": 0, "in_force": 2},
]
