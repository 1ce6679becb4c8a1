"""Confidentiality review of documents (保密审查, 条例 Art. 17–18): states, decisions, pre-screen.

Pure: no I/O. The handlers persist what these functions decide; the API refuses what they refuse.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.review.prescreen import Finding, prescreen

__all__ = [
    "REDACTION_MARK",
    "DocumentStatus",
    "Finding",
    "InvalidRedaction",
    "InvalidTransition",
    "ReviewDecision",
    "UnresolvedFindings",
    "apply_redactions",
    "next_status",
    "prescreen",
    "rereview_date",
    "unresolved",
]

REDACTION_MARK = "■"


class DocumentStatus(StrEnum):
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    ESCALATED = "escalated"  # sent to the secrecy administration (Art. 17 ¶2), awaiting its answer
    APPROVED = "approved"
    PUBLISHED = "published"
    REJECTED = "rejected"  # withheld; re-reviewed periodically (Art. 18)
    WITHDRAWN = "withdrawn"


class ReviewDecision(StrEnum):
    APPROVE = "approve"
    REDACT = "redact"  # approve with the listed spans replaced by a visible mark
    REJECT = "reject"
    ESCALATE = "escalate"
    REOPEN = "reopen"  # a withheld document comes back for its periodic re-review


class InvalidTransition(Exception):
    def __init__(self, status: DocumentStatus, step: str) -> None:
        super().__init__(f"cannot {step} a document that is {status.value}")
        self.status = status
        self.step = step


class UnresolvedFindings(Exception):
    """Art. 17: personal data and secrecy markings must be redacted or consciously overridden."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        kinds = ", ".join(sorted({f.kind for f in findings}))
        super().__init__(f"unresolved findings ({kinds}): redact them or set override_findings with a comment")
        self.findings = list(findings)


class InvalidRedaction(ValueError):
    pass


_S = DocumentStatus
_D = ReviewDecision
_DECIDING = (_S.IN_REVIEW, _S.ESCALATED)

_TRANSITIONS: dict[tuple[DocumentStatus, str], DocumentStatus] = {
    (_S.SUBMITTED, "queue"): _S.IN_REVIEW,
    **{(s, _D.APPROVE): _S.APPROVED for s in _DECIDING},
    **{(s, _D.REDACT): _S.APPROVED for s in _DECIDING},
    **{(s, _D.REJECT): _S.REJECTED for s in _DECIDING},
    (_S.IN_REVIEW, _D.ESCALATE): _S.ESCALATED,
    (_S.REJECTED, _D.REOPEN): _S.IN_REVIEW,
    (_S.APPROVED, "publish"): _S.PUBLISHED,
    # A corrected revision (or a resubmission after rejection) goes through review again;
    # the published revision stays public meanwhile.
    (_S.PUBLISHED, "revise"): _S.IN_REVIEW,
    (_S.REJECTED, "revise"): _S.IN_REVIEW,
    **{(s, "withdraw"): _S.WITHDRAWN for s in (_S.PUBLISHED, _S.IN_REVIEW, _S.ESCALATED, _S.APPROVED)},
}
# Decisions and publications travel on different topics, and Kafka orders only within a
# partition: "published" may be seen before the approval that caused it. Both are facts, but
# no reviewer may take such a "decision" on a published document.
_LATE_FACTS: dict[tuple[DocumentStatus, str], DocumentStatus] = {
    (_S.IN_REVIEW, "publish"): _S.PUBLISHED,
    (_S.PUBLISHED, _D.APPROVE): _S.PUBLISHED,
    (_S.PUBLISHED, _D.REDACT): _S.PUBLISHED,
}
_TRANSITIONS |= _LATE_FACTS


def next_status(status: DocumentStatus, step: str) -> DocumentStatus:
    """The status after ``step``; raises ``InvalidTransition`` when the state forbids it."""
    try:
        return _TRANSITIONS[(status, step)]
    except KeyError:
        raise InvalidTransition(status, str(step)) from None


def may_decide(status: DocumentStatus, decision: ReviewDecision) -> bool:
    """Whether a reviewer may take ``decision`` now: the transition table, less the late facts."""
    key = (status, str(decision))
    return key in _TRANSITIONS and key not in _LATE_FACTS


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def apply_redactions(text: str, spans: Sequence[Span]) -> str:
    """Replaces each span by as many marks as characters, so every other offset stays valid."""
    ordered = sorted(spans, key=lambda s: s.start)
    for span in ordered:
        if not 0 <= span.start < span.end <= len(text):
            raise InvalidRedaction(f"span {span.start}–{span.end} lies outside the text (length {len(text)})")
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            raise InvalidRedaction(f"spans {before.start}–{before.end} and {after.start}–{after.end} overlap")
    chars = list(text)
    for span in ordered:
        chars[span.start : span.end] = REDACTION_MARK * (span.end - span.start)
    return "".join(chars)


def unresolved(findings: Sequence[Finding], spans: Sequence[Span]) -> list[Finding]:
    """Findings not wholly covered by a redaction."""
    return [f for f in findings if not any(s.start <= f.start and f.end <= s.end for s in spans)]


def rereview_date(decided_on: date, months: int) -> date:
    """Art. 18: withheld information is reassessed; the next look is ``months`` later (same day, clamped)."""
    month_index = decided_on.month - 1 + months
    year, month = decided_on.year + month_index // 12, month_index % 12 + 1
    for day in (decided_on.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")
