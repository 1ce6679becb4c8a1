"""Statistics for staff: the year's counts, each rate with its numerator and denominator."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from gongkai.db import Database
from gongkai.http import Staff
from gongkai.service import ServiceContext
from services.stats import store

__all__ = ["router"]


def router(ctx: ServiceContext, db: Database) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["stats"])

    @api.get("/stats/summary", summary="The year's counts and rates")
    async def summary(_: Staff, year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> dict[str, Any]:
        year = year or ctx.clock.today().year
        counters = await db.run(store.all_counters)
        by: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (name, y, labels), value in counters.items():
            if y == year:
                by[name][labels[0][1] if labels else ""] += value
        return {
            "year": year,
            "documents": {
                "submitted": sum(by["documents_submitted"].values()),
                "published": sum(by["documents_published"].values()),
                "corrected": sum(by["documents_corrected"].values()),
                "withdrawn": sum(by["documents_withdrawn"].values()),
                "by_category": dict(sorted(by["documents_published"].items())),
            },
        }

    return api
