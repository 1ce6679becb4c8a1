"""Data of annual-report events: what staff enter for the report (政府信息公开工作年度报告).

Table 二's figures that live in the agency's other systems (行政许可, 行政处罚, 行政强制 decisions and
the fee amount) and the prose sections 一, 五 and 六 are entered by staff; each entry is an event
saying who and when, and the latest entry for a year wins.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from gongkai.events.base import EventData

__all__ = ["ReportFiguresEntered", "ReportSectionSaved"]


class ReportFiguresEntered(EventData):
    """表二 figures kept outside Gongkai, entered for ``year``."""

    year: int = Field(ge=2008, le=2100)
    licensing_decisions: int = Field(ge=0, description="第二十条第（五）项 行政许可 本年处理决定数量")
    penalty_decisions: int = Field(ge=0, description="第二十条第（六）项 行政处罚 本年处理决定数量")
    enforcement_decisions: int = Field(ge=0, description="第二十条第（六）项 行政强制 本年处理决定数量")
    fees_10k_yuan: Decimal = Field(ge=0, max_digits=14, decimal_places=4, description="第（八）项 收费金额（万元）")
    actor: str


class ReportSectionSaved(EventData):
    """The text of prose section 一, 五 or 六 of ``year``'s report as staff saved it."""

    year: int = Field(ge=2008, le=2100)
    section: Literal[1, 5, 6]
    text: str = Field(max_length=50_000)
    actor: str
