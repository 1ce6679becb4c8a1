"""Wiring of the review service."""

from __future__ import annotations

from datetime import date

from gongkai.db import Database
from gongkai.events import Topic
from gongkai.service import Consumer, ServiceContext, ServiceUnit
from gongkai.workdays import CalendarYearMissing
from services.review.api import router
from services.review.handlers import GROUP, DocumentHandlers
from services.review.store import SCHEMA

PUBLISH_WITHIN_WORKDAYS = 20


def build(ctx: ServiceContext) -> ServiceUnit:
    db = Database(ctx.settings.path("review.db"), schema=SCHEMA)

    def publish_due(formed_on: date) -> tuple[date | None, bool]:
        """条例 Art. 26: published within 20 working days of being formed or changed.

        Archive items from years no rule covers (before 2004) have no due date.
        """
        try:
            due = ctx.calendar.calendar.add_workdays(formed_on, PUBLISH_WITHIN_WORKDAYS)
        except CalendarYearMissing:
            return None, True
        return due.day, due.provisional

    handlers = DocumentHandlers(db, publish_due=publish_due)
    return ServiceUnit(
        name="review",
        routers=[router(ctx, db)],
        consumers=[Consumer(GROUP, [Topic.DOCUMENTS, Topic.PUBLIC_DOCUMENTS], handlers)],
        start=db.open,
        stop=db.close,
    )
