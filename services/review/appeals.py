"""Appeals about disclosure decisions (条例 Art. 51): 行政复议 (administrative reconsideration) and
行政诉讼 (administrative litigation), counted in table 四 of the annual report. Pure: no I/O.

An appeal is filed, then decided once: the decision is 维持 (``upheld``), 纠正 (``corrected``) or
其他结果 (``other``); until then it is 尚未审结 (``pending``).

>>> appeal = Appeal(id="a1", kind="reconsideration", filed_on=date(2026, 3, 2))
>>> appeal.cell()
('reconsideration', 'pending')
>>> appeal.decide("corrected", date(2026, 5, 6)).cell()
('reconsideration', 'corrected')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Literal

from gongkai.events.requests import AppealKind, AppealResult

__all__ = [
    "BLOCKS",
    "COLUMNS",
    "RESULTS",
    "AlreadyDecided",
    "Appeal",
    "AppealKind",
    "AppealResult",
    "AppealStatus",
    "Column",
    "InvalidDate",
    "check_decided_on",
    "check_filed_on",
    "table4",
    "table4_cell",
]

#: The three blocks of table 四: 行政复议 · 行政诉讼 未经复议直接起诉 · 行政诉讼 复议后起诉.
BLOCKS: tuple[AppealKind, ...] = ("reconsideration", "litigation_direct", "litigation_after_reconsideration")
RESULTS: tuple[AppealResult, ...] = ("upheld", "corrected", "other")
#: 结果维持 · 结果纠正 · 其他结果 · 尚未审结; each block's 总计 is their sum (spec B5 rule 4).
Column = Literal["upheld", "corrected", "other", "pending"]
COLUMNS: tuple[Column, ...] = ("upheld", "corrected", "other", "pending")


class AppealStatus(StrEnum):
    PENDING = "pending"  # 尚未审结
    DECIDED = "decided"  # 已审结: 维持, 纠正 or 其他


class AlreadyDecided(Exception):
    """An appeal is decided once: its result is recorded and the appeal leaves 尚未审结."""

    def __init__(self, appeal_id: str) -> None:
        super().__init__(f"appeal {appeal_id} is already decided")
        self.state = AppealStatus.DECIDED


class InvalidDate(ValueError):
    """A day that cannot be true: in the future, before the records start, or out of order."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def table4_cell(kind: AppealKind, status: AppealStatus | str, result: AppealResult | None) -> tuple[AppealKind, Column]:
    """The one cell of table 四 an appeal is counted in: (block, column)."""
    if kind not in BLOCKS:
        raise ValueError(f"unknown appeal kind {kind!r}")
    if AppealStatus(status) is AppealStatus.PENDING:
        if result is not None:
            raise ValueError("a pending appeal has no result")
        return kind, "pending"
    if result is None or result not in RESULTS:
        raise ValueError(f"a decided appeal needs a result, not {result!r}")
    return kind, result


@dataclass(frozen=True)
class Appeal:
    id: str
    kind: AppealKind
    filed_on: date
    request_id: str | None = None
    result: AppealResult | None = None
    decided_on: date | None = None

    @property
    def status(self) -> AppealStatus:
        return AppealStatus.PENDING if self.result is None else AppealStatus.DECIDED

    def decide(self, result: AppealResult, on: date) -> Appeal:
        if self.status is AppealStatus.DECIDED:
            raise AlreadyDecided(self.id)
        return replace(self, result=result, decided_on=on)

    def cell(self, as_of: date | None = None) -> tuple[AppealKind, Column]:
        """Its cell; ``as_of`` a day (a year's end), an appeal decided later was still 尚未审结 then."""
        if self.decided_on is not None and as_of is not None and self.decided_on > as_of:
            return table4_cell(self.kind, AppealStatus.PENDING, None)
        return table4_cell(self.kind, self.status, self.result)


def table4(appeals: Iterable[Appeal], as_of: date | None = None) -> dict[AppealKind, dict[str, int]]:
    """Table 四 over ``appeals`` (those filed by ``as_of``): per block the four columns and 总计."""
    table: dict[AppealKind, dict[str, int]] = {b: dict.fromkeys((*COLUMNS, "total"), 0) for b in BLOCKS}
    for appeal in appeals:
        if as_of is not None and appeal.filed_on > as_of:
            continue
        block, column = appeal.cell(as_of)
        table[block][column] += 1
        table[block]["total"] += 1
    return table


def check_filed_on(filed_on: date, *, today: date, records_start_on: date, received_on: date | None = None) -> None:
    """A filing is dated between the records' start (or the application's receipt) and today."""
    if filed_on > today:
        raise InvalidDate("filed_on", f"{filed_on} is in the future (today is {today})")
    if filed_on < records_start_on:
        raise InvalidDate("filed_on", f"{filed_on} is before the records start ({records_start_on})")
    if received_on is not None and filed_on < received_on:
        raise InvalidDate("filed_on", f"{filed_on} is before the application was received ({received_on})")


def check_decided_on(on: date, *, filed_on: date, today: date) -> None:
    """A decision is dated between the filing and today."""
    if on > today:
        raise InvalidDate("on", f"{on} is in the future (today is {today})")
    if on < filed_on:
        raise InvalidDate("on", f"{on} is before the appeal was filed ({filed_on})")
