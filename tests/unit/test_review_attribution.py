"""Who withdrew or relabelled a document reaches its history, whichever event review reads first.

The public step (``document.withdrawn``, ``document.validity_changed``) and its attribution
(``document.action_attributed``, internal) travel on different topics, so either may come first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from gongkai.bus.embedded import EmbeddedBus
from gongkai.db import Database
from gongkai.events import (
    DocumentActionAttributed,
    DocumentPublished,
    DocumentSubmitted,
    DocumentValidityChanged,
    DocumentWithdrawn,
    Envelope,
    EventData,
    new_event,
)
from services.review import store
from services.review.handlers import DocumentHandlers
from services.review.store import SCHEMA

AT = datetime(2026, 6, 1, 2, tzinfo=UTC)
CONTENT: dict[str, Any] = {"title": "关于某项目的批复", "body": "正文", "category": "art20.5", "department": "办公室"}


@pytest.fixture
async def handlers(tmp_path: Path) -> AsyncIterator[DocumentHandlers]:
    db = Database(tmp_path / "review.db", schema=SCHEMA)
    await db.open()
    bus = EmbeddedBus(tmp_path / "events.db")
    await bus.start()
    handle = DocumentHandlers(db, bus, lambda formed_on: (date(2026, 6, 29), False))
    for kind, data in (
        ("document.submitted", DocumentSubmitted(**CONTENT)),
        ("document.published", DocumentPublished(**CONTENT, published_at=AT)),
    ):
        await handle(event(kind, data))
    yield handle
    await bus.close()
    await db.close()


def event(kind: str, data: EventData, cause: Envelope | None = None) -> Envelope:
    return new_event(kind, subject="doc-1", source="test", data=data, occurred_at=AT, recorded_at=AT, cause=cause)


def attribution(step: Envelope, actor: str = "zhou") -> Envelope:
    return event("document.action_attributed", DocumentActionAttributed(actor=actor), cause=step)


async def history(handlers: DocumentHandlers) -> list[dict[str, Any]]:
    doc = await handlers.db.run(lambda conn: store.get_document(conn, "doc-1"))
    assert doc is not None
    return list(doc["history"])


async def pending(handlers: DocumentHandlers) -> int:
    return int(await handlers.db.run(lambda conn: conn.execute("SELECT count(*) FROM pending_actors").fetchone()[0]))


WITHDRAWN = DocumentWithdrawn(reason="内容已过时", withdrawn_at=AT, version=2)
REPEALED = DocumentValidityChanged(validity="repealed", effective_on=date(2026, 7, 1), version=2)


@pytest.mark.parametrize(("kind", "data"), [("document.withdrawn", WITHDRAWN), ("document.validity_changed", REPEALED)])
@pytest.mark.parametrize("attribution_first", [False, True], ids=["step-first", "attribution-first"])
async def test_the_step_names_who_took_it_in_either_order(
    handlers: DocumentHandlers, kind: str, data: EventData, attribution_first: bool
) -> None:
    step = event(kind, data)
    order = [attribution(step), step] if attribution_first else [step, attribution(step)]
    for each in order:
        await handlers(each)
    last = (await history(handlers))[-1]
    assert last["event_id"] == str(step.id) and last["actor"] == "zhou"
    assert await pending(handlers) == 0


async def test_a_replayed_attribution_changes_nothing(handlers: DocumentHandlers) -> None:
    step = event("document.withdrawn", WITHDRAWN)
    named = attribution(step)
    for each in (step, named, named):
        await handlers(each)
    assert [h.get("actor") for h in await history(handlers)] == [None, None, "zhou"]


async def test_an_attribution_names_only_its_own_step(handlers: DocumentHandlers) -> None:
    relabel = event("document.validity_changed", REPEALED)
    withdraw = event("document.withdrawn", WITHDRAWN)
    for each in (relabel, withdraw, attribution(withdraw, "wu")):
        await handlers(each)
    steps = {h["step"]: h.get("actor") for h in await history(handlers)}
    assert steps["validity"] is None and steps["withdraw"] == "wu"


async def test_an_attribution_without_its_step_or_its_document_is_set_aside(handlers: DocumentHandlers) -> None:
    """Events are facts: an odd one is ignored, never raised, and leaves nothing waiting forever."""
    uncaused = new_event(
        "document.action_attributed",
        subject="doc-1",
        source="test",
        data=DocumentActionAttributed(actor="zhou"),
        occurred_at=AT,
        recorded_at=AT,
    )
    elsewhere = new_event(
        "document.action_attributed",
        subject="doc-unknown",
        source="test",
        data=DocumentActionAttributed(actor="zhou"),
        cause=event("document.withdrawn", WITHDRAWN),
    )
    before = await history(handlers)
    for each in (uncaused, elsewhere):
        await handlers(each)
    assert await history(handlers) == before and await pending(handlers) == 0
