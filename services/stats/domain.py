"""Pure reducers: an event becomes counter increments keyed by year and dimensions.

The same function feeds the embedded SQLite counters and (later) the faust tables on Kafka.

>>> from gongkai.events import DocumentSubmitted, new_event
>>> e = new_event("document.submitted", subject="d", source="intake",
...               data=DocumentSubmitted(title="t", body="b", category="art20.7", department="财政科"))
>>> [(d.name, d.labels) for d in count(e)]
[('documents_submitted', (('category', 'art20.7'),))]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gongkai.clock import AGENCY_TZ
from gongkai.events import Envelope

__all__ = ["COUNTERS", "CounterDelta", "count"]

#: Counter name → (help text, label names). Labels never carry personal data.
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "documents_submitted": ("Documents submitted for proactive disclosure.", ("category",)),
    "documents_reviewed": ("Confidentiality review decisions.", ("decision",)),
    "documents_published": ("Documents published on the portal.", ("category",)),
    "documents_corrected": ("Corrected revisions that replaced a published document.", ("category",)),
    "documents_withdrawn": ("Documents taken off the portal.", ()),
    "documents_validity_changed": ("Regulations marked amended or repealed.", ("validity",)),
}

#: event type → (counter, the data field that labels it, if any)
_RULES: dict[str, tuple[str, str | None]] = {
    "document.submitted": ("documents_submitted", "category"),
    "document.reviewed": ("documents_reviewed", "decision"),
    "document.published": ("documents_published", "category"),
    "document.corrected": ("documents_corrected", "category"),
    "document.withdrawn": ("documents_withdrawn", None),
    "document.validity_changed": ("documents_validity_changed", "validity"),
}


@dataclass(frozen=True)
class CounterDelta:
    name: str
    year: int
    labels: tuple[tuple[str, str], ...]
    amount: int = 1


def _year(instant: datetime) -> int:
    """Counts fall in the agency's calendar year of the event (Asia/Shanghai)."""
    return instant.astimezone(AGENCY_TZ).year


def count(event: Envelope) -> list[CounterDelta]:
    rule = _RULES.get(event.type)
    if rule is None:
        return []
    name, field = rule
    labels = ((field, str(event.data[field])),) if field else ()
    return [CounterDelta(name, _year(event.occurred_at), labels)]
