"""Taking a publication down (撤下公开), shared by letters (公开信件选登) and proposal replies.

Both follow one design (docs/letters.md): a publication and its withdrawal are numbered (``version``: 1, 2,
3, …, one more than the step before), so every consumer can order them; the staff step with the reason
(``letter.unpublished``, ``proposal.reply_unpublished``) stays on the internal topic, and the review consumer
that accepts it answers it on the public stream with an event carrying only the instant and the version
(``letter.withdrawn``, ``proposal.reply_withdrawn``), published *before* the step is recorded, with an id
derived from the step, so a crash in between re-publishes the same event (dropped downstream as a repeat)
and never loses it.

>>> ns = uuid.UUID("00000000-0000-0000-0000-000000000000")
>>> publication_event_id(ns, "x.published", "a", 1, first="legacy") == uuid.uuid5(ns, "legacy")
True
>>> publication_event_id(ns, "x.published", "a", 2, first="legacy") == uuid.uuid5(ns, "x.published:a:2")
True
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gongkai.events import Envelope, new_event
from gongkai.events.base import EventData
from gongkai.service import ServiceContext
from gongkai.text import clean_text

__all__ = ["MAX_REASON", "UnpublishIn", "publication_event_id", "publish_withdrawal"]

MAX_REASON = 500


class UnpublishIn(BaseModel):
    """Why the item is taken down (撤下公开): staff only, never on the public stream."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=MAX_REASON)

    @field_validator("reason")
    @classmethod
    def _cleaned(cls, value: str) -> str:
        """Stored as every staff text is (``clean_text``: no control or invisible characters)."""
        cleaned = clean_text(value)
        if not cleaned:
            raise ValueError("a take-down needs a reason")
        return cleaned


def publication_event_id(
    namespace: uuid.UUID, event_type: str, subject: str, version: int, *, first: str | None = None
) -> uuid.UUID:
    """One event per publication step and version: two staff acting at once record it once.

    ``first``: the key the first publication (version 1) had before versions existed, which it keeps.
    """
    key = first if version == 1 and first is not None else f"{event_type}:{subject}:{version}"
    return uuid.uuid5(namespace, key)


async def publish_withdrawal(ctx: ServiceContext, step: Envelope, event_type: str, data: EventData) -> None:
    """The public answer ``event_type`` (``data``: instant and version only) to the accepted staff ``step``.

    Its id derives from the step's, so publishing it again after a crash repeats the same event.
    """
    event = new_event(
        event_type,
        subject=step.subject,
        source="review",
        data=data,
        occurred_at=step.occurred_at,
        recorded_at=ctx.clock.now(),
        cause=step,
    )
    await ctx.bus.publish(event)
