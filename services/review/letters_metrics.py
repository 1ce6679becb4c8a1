"""Gauges of letters: ``gongkai_letters_open`` and ``gongkai_letters_overdue`` (no per-letter labels)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gongkai.db import connect
from gongkai.service import ServiceContext
from services.review import letters_store as store

__all__ = ["LetterGauges"]


class LetterGauges(Collector):
    """Letters not yet replied or transferred, and those past their time limit; read at scrape time."""

    HELP: ClassVar[dict[str, str]] = {
        "open": "Mailbox letters and online consultations not yet replied to or transferred.",
        "overdue": "Letters not yet replied to or transferred whose time limit has passed.",
    }

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        conn = connect(self.ctx.settings.path("review.db"))
        try:
            counts = store.count_pending(conn, self.ctx.clock.today())
        finally:
            conn.close()
        for name, value in counts.items():
            yield GaugeMetricFamily(f"gongkai_letters_{name}", self.HELP[name], value=value)
