"""Wiring of the review service."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gongkai.db import Database, connect
from gongkai.events import Topic
from gongkai.metrics import REGISTRY
from gongkai.service import Consumer, ServiceContext, ServiceUnit
from gongkai.workdays import CalendarYearMissing
from services.review import store
from services.review.api import router
from services.review.handlers import GROUP, DocumentHandlers
from services.review.store import SCHEMA

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


def build(ctx: ServiceContext) -> ServiceUnit:
    db = Database(ctx.settings.path("review.db"), schema=SCHEMA)
    overdue = OverdueDocuments(ctx)

    def publish_due(formed_on: date) -> tuple[date | None, bool]:
        """Archive items from years no rule covers (before 2004) have no due date."""
        try:
            due = ctx.calendar.calendar.add_workdays(formed_on, PUBLISH_WITHIN_WORKDAYS)
        except CalendarYearMissing:
            return None, True
        return due.day, due.provisional

    async def start() -> None:
        await db.open()
        REGISTRY.register(overdue)

    async def stop() -> None:
        REGISTRY.unregister(overdue)
        await db.close()

    return ServiceUnit(
        name="review",
        routers=[router(ctx, db)],
        consumers=[
            Consumer(GROUP, [Topic.DOCUMENTS, Topic.PUBLIC_DOCUMENTS], DocumentHandlers(db, ctx.bus, publish_due))
        ],
        start=start,
        stop=stop,
    )
