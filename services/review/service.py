"""Wiring of the review service: documents' confidentiality review, request cases, appeals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from datetime import date
from typing import ClassVar

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gongkai.applied import Applied
from gongkai.db import Database, connect
from gongkai.events import Topic
from gongkai.metrics import REGISTRY
from gongkai.service import Consumer, ServiceContext, ServiceUnit
from gongkai.workdays import CalendarYearMissing
from services.review import request_store, store
from services.review.api import router
from services.review.appeals_api import appeals_router
from services.review.appeals_handlers import APPEALS_GROUP, AppealHandlers
from services.review.appeals_store import APPEALS_SCHEMA
from services.review.appeals_store import upgrade as upgrade_appeals
from services.review.handlers import GROUP, DocumentHandlers
from services.review.letters_api import letters_router
from services.review.letters_handlers import LETTERS_GROUP, LetterHandlers
from services.review.letters_metrics import LetterGauges
from services.review.letters_pages import letter_pages_router
from services.review.letters_store import LETTERS_SCHEMA
from services.review.letters_sweep import LetterSweep
from services.review.pages import pages_router
from services.review.proposals_api import proposals_router
from services.review.proposals_handlers import PROPOSALS_GROUP, ProposalHandlers
from services.review.proposals_metrics import ProposalGauges
from services.review.proposals_store import PROPOSALS_SCHEMA
from services.review.proposals_sweep import ProposalSweep
from services.review.request_api import requests_router
from services.review.request_handlers import REQUESTS_GROUP, RequestHandlers, rules_from
from services.review.request_store import REQUESTS_SCHEMA
from services.review.store import SCHEMA
from services.review.sweep import RequestSweep, SweepResult, SweepSource, sweep
from services.review.sweep_api import sweep_router

log = logging.getLogger(__name__)

#: 条例 Art. 26: published within 20 working days of being formed or changed.
PUBLISH_WITHIN_WORKDAYS = 20


class OverdueDocuments(Collector):
    """``gongkai_documents_publish_overdue``: unpublished documents past their Art. 26 deadline."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        conn = connect(self.ctx.settings.path("review.db"))
        try:
            count = store.count_overdue(conn, self.ctx.clock.today())
        finally:
            conn.close()
        yield GaugeMetricFamily(
            "gongkai_documents_publish_overdue",
            "Documents not yet published whose 20-working-day deadline (Art. 26) has passed.",
            value=count,
        )


class RequestGauges(Collector):
    """Open disclosure requests: all, overdue, due soon, and those with a provisional due date."""

    HELP: ClassVar[dict[str, str]] = {
        "open": "Disclosure requests not yet closed.",
        "overdue": "Open disclosure requests past their answer deadline.",
        "due_soon": "Open disclosure requests due within GONGKAI_DUE_SOON_WORKDAYS working days.",
        "provisional": "Open disclosure requests whose due date relies on a year without official calendar data.",
    }

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        today = self.ctx.clock.today()
        soon = self.ctx.calendar.calendar.add_workdays(today, self.ctx.settings.due_soon_workdays).day
        conn = connect(self.ctx.settings.path("review.db"))
        try:
            counts = request_store.count_by_deadline(conn, today, soon)
        finally:
            conn.close()
        for name, value in counts.items():
            yield GaugeMetricFamily(f"gongkai_requests_{name}", self.HELP[name], value=value)


def build(ctx: ServiceContext) -> ServiceUnit:
    db = Database(
        ctx.settings.path("review.db"),
        schema=SCHEMA + REQUESTS_SCHEMA + APPEALS_SCHEMA + LETTERS_SCHEMA + PROPOSALS_SCHEMA,
    )
    collectors: list[Collector] = [OverdueDocuments(ctx), RequestGauges(ctx), LetterGauges(ctx), ProposalGauges(ctx)]
    rules = rules_from(ctx.settings)
    applied = Applied()
    tasks: set[asyncio.Task[None]] = set()

    def publish_due(formed_on: date) -> tuple[date | None, bool]:
        """Archive items from years no rule covers (before 2004) have no due date."""
        try:
            due = ctx.calendar.calendar.add_workdays(formed_on, PUBLISH_WITHIN_WORKDAYS)
        except CalendarYearMissing:
            return None, True
        return due.day, due.provisional

    sweep_sources: list[SweepSource] = [RequestSweep(rules), LetterSweep(ctx), ProposalSweep(ctx)]

    async def run_sweep() -> dict[str, SweepResult]:
        return await sweep(db, ctx.bus, lambda: ctx.calendar.calendar, sweep_sources, ctx.clock)

    async def sweep_forever() -> None:
        while True:
            await run_sweep_logged()
            await asyncio.sleep(ctx.settings.sweep_interval_s)

    async def start() -> None:
        await db.open()
        await db.transaction(upgrade_appeals)
        for collector in collectors:
            REGISTRY.register(collector)
        keep(asyncio.create_task(sweep_forever(), name="review-deadline-sweep"))
        ctx.calendar.on_change(sweep_soon)

    def keep(task: asyncio.Task[None]) -> None:
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def sweep_soon() -> None:
        """Calendar data changed: recompute open cases' deadlines now, not at the next interval."""
        keep(asyncio.get_running_loop().create_task(run_sweep_logged(), name="review-calendar-sweep"))

    async def run_sweep_logged() -> None:
        try:
            await run_sweep()
        except Exception:
            log.exception("deadline sweep failed; it runs again at the next interval")

    async def stop() -> None:
        for task in list(tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        tasks.clear()
        for collector in collectors:
            REGISTRY.unregister(collector)
        await db.close()

    calendar = lambda: ctx.calendar.calendar  # noqa: E731
    return ServiceUnit(
        name="review",
        routers=[
            router(ctx, db),
            requests_router(ctx, db, rules, applied),
            appeals_router(ctx, db, applied),
            letters_router(ctx, db, applied),
            proposals_router(ctx, db, applied),
            pages_router(ctx, db, rules),
            letter_pages_router(ctx, db, applied),
            sweep_router(run_sweep),
        ],
        consumers=[
            Consumer(GROUP, [Topic.DOCUMENTS, Topic.PUBLIC_DOCUMENTS], DocumentHandlers(db, ctx.bus, publish_due)),
            Consumer(REQUESTS_GROUP, [Topic.REQUESTS], RequestHandlers(db, calendar, rules, applied)),
            Consumer(APPEALS_GROUP, [Topic.APPEALS], AppealHandlers(db, applied)),
            Consumer(LETTERS_GROUP, [Topic.LETTERS, Topic.PUBLIC_LETTERS], LetterHandlers(ctx, db, applied)),
            Consumer(PROPOSALS_GROUP, [Topic.PROPOSALS, Topic.PUBLIC_LETTERS], ProposalHandlers(ctx, db, applied)),
        ],
        start=start,
        stop=stop,
    )
