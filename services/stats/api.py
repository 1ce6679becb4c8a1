"""Statistics for staff: the year's counts and rates, and the annual report with its staff entries."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from gongkai.applied import Applied
from gongkai.db import Database
from gongkai.events import new_event
from gongkai.events.base import EventData
from gongkai.events.reports import ReportFiguresEntered, ReportSectionSaved
from gongkai.http import Clerk, Staff
from gongkai.problems import FieldProblem, Problem
from gongkai.service import ServiceContext
from services.stats import store
from services.stats.counters import CounterSource
from services.stats.report import annual_report
from services.stats.summary import summary

__all__ = ["router"]

FIRST_YEAR = 2008  # the 条例 took effect on 2008-05-01
Format = Literal["json", "md", "html", "xlsx"]


class Table2Figures(BaseModel):
    """表二 figures kept in the agency's other systems (the rest of 表二 is counted from documents)."""

    model_config = ConfigDict(extra="forbid")
    licensing_decisions: int = Field(ge=0, le=10_000_000)
    penalty_decisions: int = Field(ge=0, le=10_000_000)
    enforcement_decisions: int = Field(ge=0, le=10_000_000)
    fees_10k_yuan: Decimal = Field(ge=0, le=Decimal("9999999999"), max_digits=14, decimal_places=4)


class SectionText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=50_000)


def router(ctx: ServiceContext, db: Database, applied: Applied, source: CounterSource) -> APIRouter:
    """The stats API: counters from ``source`` (local or faust), the report's staff entries from ``db``."""
    api = APIRouter(prefix="/api/v1", tags=["stats"])

    def checked_year(year: int) -> int:
        last = ctx.clock.today().year
        if not FIRST_YEAR <= year <= last:
            message = f"the year must be between {FIRST_YEAR} and {last}"
            raise Problem(422, "年份超出范围", message, "validation", [FieldProblem("year", message)])
        return year

    async def record(event_type: str, data: EventData, year: int) -> None:
        event = new_event(event_type, subject=f"report-{year}", source="stats", data=data, recorded_at=ctx.clock.now())
        applied.expect(event.id)
        try:
            await ctx.bus.publish(event)
        except BaseException:
            applied.forget(event.id)
            raise
        await applied.wait(event.id)

    @api.get("/stats/summary", summary="The year's counts and rates")
    async def get_summary(_: Staff, year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> dict[str, Any]:
        year = year or ctx.clock.today().year
        counters = await source.counters()
        overdue_open = await source.open_overdue_requests()
        return summary(year, counters, overdue_open=overdue_open)

    @api.get("/reports/annual/{year}", summary="The annual report (政府信息公开工作年度报告), 2021 format")
    async def get_report(
        _: Staff,
        year: Annotated[int, Path(ge=1, le=9999)],
        format: Annotated[str, Query(description="json (default), md, html or xlsx")] = "json",
    ) -> Any:
        year = checked_year(year)
        if format not in ("json", "md", "html", "xlsx"):
            message = "format must be json, md, html or xlsx"
            raise Problem(422, "不支持的格式", message, "validation", [FieldProblem("format", message)])
        counters = await source.counters()
        entries = await db.run(store.entries, year)
        report = annual_report(year, counters, entries, agency=ctx.settings.agency_name)
        if format == "json":
            return report
        from services.stats.render import render

        body, media_type = render(report, format)
        filename = f"annual-report-{year}.{format}"
        return Response(body, media_type=media_type, headers={"Content-Disposition": f'inline; filename="{filename}"'})

    @api.put("/reports/annual/{year}/table2", status_code=202, summary="Enter 表二 figures kept in other systems")
    async def put_table2(
        year: Annotated[int, Path(ge=1, le=9999)], body: Table2Figures, clerk: Clerk
    ) -> dict[str, Any]:
        year = checked_year(year)
        await record(
            "report.figures_entered", ReportFiguresEntered(year=year, actor=clerk.name, **body.model_dump()), year
        )
        return {"year": year, "table2": body.model_dump(mode="json")}

    @api.put("/reports/annual/{year}/sections/{number}", status_code=202, summary="Save prose section 一, 五 or 六")
    async def put_section(
        year: Annotated[int, Path(ge=1, le=9999)],
        number: Annotated[int, Path(description="1, 5 or 6")],
        body: SectionText,
        clerk: Clerk,
    ) -> dict[str, Any]:
        year = checked_year(year)
        if number not in (1, 5, 6):
            message = "only sections 1, 5 and 6 are prose; 2, 3 and 4 are computed tables"
            raise Problem(422, "请求参数有误", message, "validation", [FieldProblem("number", message)])
        data = ReportSectionSaved(year=year, section=number, text=body.text, actor=clerk.name)  # type: ignore[arg-type]
        await record("report.section_saved", data, year)
        return {"year": year, "section": number}

    return api
