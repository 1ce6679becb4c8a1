"""Gauges of proposals: ``gongkai_proposals_open`` and ``gongkai_proposals_overdue`` (no per-item labels)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gongkai.db import connect
from gongkai.service import ServiceContext
from services.review import proposals_store as store

__all__ = ["ProposalGauges"]


class ProposalGauges(Collector):
    """Read from review.db at each scrape, with the platform's clock."""

    HELP: ClassVar[dict[str, str]] = {
        "open": "Deputies' suggestions and CPPCC proposals not yet closed (assigned, replied, re-handling).",
        "overdue": "Suggestions and proposals owing a reply (first or re-handling) past its due date.",
    }

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        conn = connect(self.ctx.settings.path("review.db"))
        try:
            counts = store.count_gauges(conn, self.ctx.clock.today())
        finally:
            conn.close()
        for name, value in counts.items():
            yield GaugeMetricFamily(f"gongkai_proposals_{name}", self.HELP[name], value=value)
