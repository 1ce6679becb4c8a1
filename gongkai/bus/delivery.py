"""What every adapter does with one record: decode, retry with backoff, dead-letter, count."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Histogram
from pydantic import BaseModel, ValidationError

from gongkai.bus.base import Handler
from gongkai.events import Envelope, dead_letter_topic

__all__ = ["DeadLetter", "DeliveryPolicy", "deliver"]

log = logging.getLogger(__name__)

HANDLED = Counter(
    "gongkai_bus_events_handled_total",
    "Events a consumer group finished, by outcome (ok, dead_lettered).",
    ["group", "topic", "outcome"],
)
RETRIES = Counter("gongkai_bus_handler_retries_total", "Handler attempts that failed and were retried.", ["group"])
#: Staleness of what consumers see: a late paper entry's ``occurred_at`` is the staff-stated date, days back.
EVENT_AGE = Histogram(
    "gongkai_bus_event_age_seconds",
    "Time from an event's occurred_at to the moment a consumer group finished handling it.",
    ["group", "topic"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 3600, 86400),
)


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 5
    backoff_s: float = 0.05
    max_backoff_s: float = 5.0

    def delay(self, attempt: int) -> float:
        """Exponential backoff before attempt ``attempt + 1`` (attempts count from 1)."""
        return min(self.backoff_s * 2.0 ** (attempt - 1), self.max_backoff_s)


class DeadLetter(BaseModel):
    """The value written to ``<topic>.dlq``: the original event (or bytes) and why it failed."""

    group: str
    topic: str
    error: str
    attempts: int
    failed_at: datetime
    event: dict[str, Any] | None = None
    raw: str | None = None

    def replayable(self) -> Envelope | None:
        return Envelope.model_validate(self.event) if self.event is not None else None


async def deliver(*, group: str, topic: str, raw: bytes, handler: Handler, policy: DeliveryPolicy) -> DeadLetter | None:
    """Run ``handler`` on one record. ``None`` when handled; a ``DeadLetter`` when it must be parked."""
    try:
        event = Envelope.from_bytes(raw)
    except (ValidationError, ValueError) as exc:
        HANDLED.labels(group, topic, "dead_lettered").inc()
        return _dead_letter(group, topic, f"undecodable record: {exc.__class__.__name__}", 1, raw=raw)
    attempt = 1
    while True:
        try:
            await handler(event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if attempt >= policy.max_attempts:
                log.warning("dead-lettering %s %s for %s after %d attempts", event.type, event.id, group, attempt)
                HANDLED.labels(group, topic, "dead_lettered").inc()
                return _dead_letter(group, topic, f"{type(exc).__name__}: {exc}", attempt, event=event)
            RETRIES.labels(group).inc()
            await asyncio.sleep(policy.delay(attempt))
            attempt += 1
        else:
            HANDLED.labels(group, topic, "ok").inc()
            EVENT_AGE.labels(group, topic).observe(age_seconds(event, datetime.now(UTC)))
            return None


def age_seconds(event: Envelope, now: datetime) -> float:
    """Seconds from ``occurred_at`` to ``now``, never negative (clock skew, future-dated entries)."""
    occurred = event.occurred_at if event.occurred_at.tzinfo else event.occurred_at.replace(tzinfo=UTC)
    return max(0.0, (now - occurred).total_seconds())


def _dead_letter(
    group: str,
    topic: str,
    error: str,
    attempts: int,
    *,
    event: Envelope | None = None,
    raw: bytes | None = None,
) -> DeadLetter:
    return DeadLetter(
        group=group,
        topic=topic,
        error=error[:2000],
        attempts=attempts,
        failed_at=datetime.now(UTC),
        event=event.model_dump(mode="json") if event else None,
        raw=raw.decode("utf-8", "replace")[:10_000] if raw is not None else None,
    )


def dead_letter_target(topic: str) -> str:
    """Dead letters of a dead-letter topic stay in it rather than nesting ``.dlq.dlq``."""
    return topic if topic.endswith(".dlq") else dead_letter_topic(topic)
