"""Proposal events in → the proposals table (idempotent by event id).

A step that the proposal's state does not allow (two clerks acting at once, or facts arriving in
an unexpected order) is recorded in the history as ignored, never raised: one odd event must not
block the stream. ``proposal.reply_published`` travels on the public topic; the API that emits it
applies it here at once through ``effect_for`` under this group's name, so the consumer drops it
as already seen if it is subscribed to that topic too.

``proposal.reply_unpublished`` (a publisher took the public reply down, with the reason: internal) is answered
on the public stream by ``proposal.reply_withdrawn``, which carries only the instant and the version,
published before the step is recorded with an id derived from it (``services/review/publication.py``, as for
letters); a step the proposal refuses (stale, or the proposal unknown) publishes nothing.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from gongkai.applied import Applied
from gongkai.db import Database
from gongkai.events import CATALOG, Envelope
from gongkai.events.base import EventData
from gongkai.events.letters import (
    ProposalOverdue,
    ProposalRegistered,
    ProposalReplyPublished,
    ProposalReplyUnpublished,
    ProposalReplyWithdrawn,
)
from gongkai.service import ServiceContext
from services.review import proposals_store as store
from services.review.case_table import step_entry
from services.review.proposals import EVENT_TYPES, InvalidStep, InvalidTransition, Proposal, apply, register
from services.review.publication import publish_withdrawal

__all__ = ["PROPOSALS_GROUP", "STEP_TYPES", "ProposalHandlers", "columns", "effect_for", "rebuild"]

log = logging.getLogger(__name__)

PROPOSALS_GROUP = "review-proposals"
#: Every event that is a step of a proposal (all but its registration and the sweep's notices).
STEP_TYPES = frozenset(EVENT_TYPES.values())

Effect = Callable[[sqlite3.Connection], None]


class ProposalHandlers:
    def __init__(self, ctx: ServiceContext, db: Database, applied: Applied) -> None:
        self.ctx, self.db, self.applied = ctx, db, applied

    async def __call__(self, event: Envelope) -> None:
        effect = effect_for(event)
        if effect is None:
            return
        if event.type == "proposal.reply_unpublished":
            await self.withdraw_publicly(event)
        await self.db.apply_once(PROPOSALS_GROUP, event, effect)
        self.applied.done(event.id)

    async def withdraw_publicly(self, event: Envelope) -> None:
        """``proposal.reply_withdrawn`` on the public stream for a take-down the proposal accepts."""
        data = ProposalReplyUnpublished.model_validate(event.data)
        row = await self.db.run(store.get_proposal, event.subject)
        if row is None:
            return
        try:
            apply(rebuild(row), data)
        except (InvalidTransition, InvalidStep):
            return  # stale or refused: recorded as ignored by the step, nothing to take off the portal
        withdrawn = ProposalReplyWithdrawn(withdrawn_at=event.occurred_at, version=data.version)
        await publish_withdrawal(self.ctx, event, "proposal.reply_withdrawn", withdrawn)


def effect_for(event: Envelope) -> Effect | None:
    """What ``event`` does to the store, or None for events that are not about proposals."""
    if event.type == "proposal.registered":
        return _registered(event)
    if event.type == "proposal.overdue":
        return _overdue(event)
    if event.type in STEP_TYPES:
        return _step(event)
    return None


def rebuild(row: dict[str, Any]) -> Proposal:
    """The proposal as the fold of its accepted steps."""
    opening, *steps = row["steps"]
    proposal = register(ProposalRegistered.model_validate(opening["data"]))
    for step in steps:
        proposal = apply(proposal, CATALOG[step["type"]].model.model_validate(step["data"]))
    return proposal


def columns(proposal: Proposal) -> dict[str, Any]:
    """The queryable columns derived from a proposal."""
    return {
        "status": proposal.status.value,
        "due_on": proposal.due_on.isoformat(),
        "result_class": proposal.result_class,
        "rating": proposal.rating,
        "rehandling": proposal.rehandling,
        "replied_on": _iso(proposal.replied_on),
        "closed_on": _iso(proposal.closed_on),
    }


def _registered(event: Envelope) -> Effect:
    data = ProposalRegistered.model_validate(event.data)
    opening = step_entry(event, data.model_dump(mode="json"), actor=data.recorded_by)
    proposal = register(data)
    key = store.number_key(data.number)
    row = {
        "id": event.subject,
        "kind": data.kind,
        "number": data.number,
        "number_key": key,
        "year": data.assigned_on.year,
        "title": data.title,
        "proposer": data.proposer,
        "session": data.session,
        "assigned_on": data.assigned_on.isoformat(),
        "lead_unit": data.lead_unit,
        "co_units": data.co_units,
        "recorded_by": data.recorded_by,
        "recorded_at": event.recorded_at.isoformat(),
        **columns(proposal),
        "steps": [opening],
    }

    def effect(conn: sqlite3.Connection) -> None:
        first = store.find_duplicate(
            conn, kind=data.kind, year=data.assigned_on.year, key=key, proposal_id=event.subject
        )
        history = [opening]
        if first is not None:
            log.warning("proposal %s repeats the number of proposal %s", event.subject, first)
            warning = f"{data.assigned_on.year}年{data.number}已登记为另一件（{first}）"
            history.append({**step_entry(event, {}, actor="system"), "type": "warning", "warning": warning})
        if not store.insert_proposal(conn, {**row, "duplicate_of": first, "history": history}):
            log.warning("proposal.registered for existing proposal %s ignored", event.subject)
            entry = {**opening, "ignored": "already registered"}
            store.append_step(conn, event.subject, entry, accepted=False, changes={})

    return effect


def _step(event: Envelope) -> Effect:
    data = event.payload()
    assert isinstance(data, EventData)
    actor = data.publisher if isinstance(data, ProposalReplyPublished) else getattr(data, "actor", None)

    def effect(conn: sqlite3.Connection) -> None:
        row = store.get_proposal(conn, event.subject)
        if row is None:
            log.warning("%s for unknown proposal %s ignored", event.type, event.subject)
            return
        entry = step_entry(event, data.model_dump(mode="json"), actor=actor)
        try:
            proposal = apply(rebuild(row), data)
        except (InvalidTransition, InvalidStep) as exc:
            log.warning("%s on proposal %s ignored: %s", event.type, event.subject, exc)
            store.append_step(conn, event.subject, {**entry, "ignored": str(exc)}, accepted=False, changes={})
            return
        store.append_step(conn, event.subject, entry, accepted=True, changes=columns(proposal))

    return effect


def _overdue(event: Envelope) -> Effect:
    data = ProposalOverdue.model_validate(event.data)

    def effect(conn: sqlite3.Connection) -> None:
        if store.get_proposal(conn, event.subject) is None:
            return
        entry = step_entry(event, data.model_dump(mode="json"), actor="system")
        store.append_step(
            conn, event.subject, entry, accepted=False, changes={"overdue_notified": data.due_on.isoformat()}
        )

    return effect


def _iso(day: Any) -> str | None:
    return day.isoformat() if day else None
