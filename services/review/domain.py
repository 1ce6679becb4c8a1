"""Confidentiality review of documents (保密审查, 条例 Art. 17): states, transitions, pre-screen.

Pure: no I/O. The store persists what these functions decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "DocumentStatus",
    "Finding",
    "InvalidTransition",
    "ReviewDecision",
    "next_status",
    "prescreen",
]


class DocumentStatus(StrEnum):
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    PUBLISHED = "published"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ReviewDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REDACT = "redact"  # approve with the listed spans removed


class InvalidTransition(Exception):
    def __init__(self, status: DocumentStatus, step: str) -> None:
        super().__init__(f"cannot {step} a document that is {status.value}")
        self.status = status
        self.step = step


_TRANSITIONS: dict[tuple[DocumentStatus, str], DocumentStatus] = {
    (DocumentStatus.SUBMITTED, "queue"): DocumentStatus.IN_REVIEW,
    (DocumentStatus.IN_REVIEW, ReviewDecision.APPROVE): DocumentStatus.APPROVED,
    (DocumentStatus.IN_REVIEW, ReviewDecision.REDACT): DocumentStatus.APPROVED,
    (DocumentStatus.IN_REVIEW, ReviewDecision.REJECT): DocumentStatus.REJECTED,
    (DocumentStatus.APPROVED, "publish"): DocumentStatus.PUBLISHED,
    (DocumentStatus.PUBLISHED, "withdraw"): DocumentStatus.WITHDRAWN,
    # Decisions and publications travel on different topics, and Kafka orders only within a
    # partition: "published" may be seen before the approval that caused it. Both are facts.
    (DocumentStatus.IN_REVIEW, "publish"): DocumentStatus.PUBLISHED,
    (DocumentStatus.PUBLISHED, ReviewDecision.APPROVE): DocumentStatus.PUBLISHED,
    (DocumentStatus.PUBLISHED, ReviewDecision.REDACT): DocumentStatus.PUBLISHED,
}


def next_status(status: DocumentStatus, step: str) -> DocumentStatus:
    """The status after ``step``; raises ``InvalidTransition`` when the state forbids it."""
    try:
        return _TRANSITIONS[(status, step)]
    except KeyError:
        raise InvalidTransition(status, str(step)) from None


@dataclass(frozen=True)
class Finding:
    """A pre-screen hit the reviewer must resolve: ``text[start:end]`` looks like ``kind``."""

    kind: str
    start: int
    end: int
    excerpt: str


_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "id_number",
        re.compile(r"(?<![0-9])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:[0-2]\d|3[01])\d{3}[\dXx](?![0-9])"),
    ),
    ("phone", re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")),
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("secrecy_marking", re.compile(r"(?:绝密|机密|秘密)\s*★|内部资料|内部文件|注意保密")),
)


def prescreen(text: str) -> list[Finding]:
    """Automatic pre-screen for personal data and secrecy markings (the reviewer decides)."""
    findings = [
        Finding(kind, m.start(), m.end(), text[max(0, m.start() - 10) : m.end() + 10])
        for kind, pattern in _PATTERNS
        for m in pattern.finditer(text)
    ]
    return sorted(findings, key=lambda f: (f.start, f.kind))
