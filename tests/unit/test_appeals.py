"""Appeals (行政复议, 行政诉讼) and their table 四 cells: 维持, 纠正, 其他, 尚未审结."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongkai.applied import Applied
from services.review.appeals import (
    BLOCKS,
    COLUMNS,
    RESULTS,
    AlreadyDecided,
    Appeal,
    AppealKind,
    AppealResult,
    AppealStatus,
    InvalidDate,
    check_decided_on,
    check_filed_on,
    table4,
    table4_cell,
)

TODAY = date(2026, 6, 1)
START = date(2008, 5, 1)


def test_a_pending_appeal_is_counted_as_not_yet_concluded_in_its_block() -> None:
    assert table4_cell("reconsideration", AppealStatus.PENDING, None) == ("reconsideration", "pending")
    assert table4_cell("litigation_direct", "pending", None) == ("litigation_direct", "pending")


@pytest.mark.parametrize("kind", BLOCKS)
@pytest.mark.parametrize("result", RESULTS)
def test_a_decided_appeal_is_counted_under_its_result(kind: AppealKind, result: AppealResult) -> None:
    assert table4_cell(kind, AppealStatus.DECIDED, result) == (kind, result)


@pytest.mark.parametrize(
    ("kind", "status", "result"),
    [
        ("reconsideration", "decided", None),
        ("reconsideration", "pending", "upheld"),
        ("petition", "pending", None),
        ("reconsideration", "withdrawn", None),
        ("litigation_direct", "decided", "dismissed"),
    ],
)
def test_inconsistent_appeals_have_no_cell(kind: AppealKind, status: str, result: AppealResult | None) -> None:
    with pytest.raises(ValueError):
        table4_cell(kind, status, result)


def test_an_appeal_is_decided_once() -> None:
    appeal = Appeal(id="a", kind="litigation_after_reconsideration", filed_on=date(2026, 1, 5))
    decided = appeal.decide("upheld", date(2026, 4, 1))
    assert decided.status is AppealStatus.DECIDED
    assert (decided.result, decided.decided_on) == ("upheld", date(2026, 4, 1))
    with pytest.raises(AlreadyDecided):
        decided.decide("corrected", date(2026, 5, 1))


def test_an_appeal_decided_after_the_year_end_was_still_pending_at_the_year_end() -> None:
    appeal = Appeal(id="a", kind="reconsideration", filed_on=date(2025, 11, 3)).decide("corrected", date(2026, 2, 1))
    assert appeal.cell(as_of=date(2025, 12, 31)) == ("reconsideration", "pending")
    assert appeal.cell(as_of=date(2026, 12, 31)) == ("reconsideration", "corrected")


def test_table_four_has_three_blocks_whose_totals_add_up() -> None:
    appeals = [
        Appeal(id="1", kind="reconsideration", filed_on=date(2026, 1, 5)).decide("upheld", date(2026, 3, 1)),
        Appeal(id="2", kind="reconsideration", filed_on=date(2026, 2, 5)),
        Appeal(id="3", kind="litigation_direct", filed_on=date(2026, 2, 5)).decide("other", date(2026, 5, 1)),
        Appeal(id="4", kind="litigation_after_reconsideration", filed_on=date(2027, 1, 5)),
    ]
    table = table4(appeals, as_of=date(2026, 12, 31))
    assert table["reconsideration"] == {"upheld": 1, "corrected": 0, "other": 0, "pending": 1, "total": 2}
    assert table["litigation_direct"] == {"upheld": 0, "corrected": 0, "other": 1, "pending": 0, "total": 1}
    assert table["litigation_after_reconsideration"]["total"] == 0  # filed after the day asked about


@pytest.mark.parametrize(
    ("filed_on", "received_on", "message"),
    [
        (TODAY + timedelta(days=1), None, "future"),
        (START - timedelta(days=1), None, "records start"),
        (date(2026, 3, 1), date(2026, 3, 2), "received"),
    ],
)
def test_a_filing_is_dated_between_the_records_start_or_the_receipt_and_today(
    filed_on: date, received_on: date | None, message: str
) -> None:
    with pytest.raises(InvalidDate, match=message) as caught:
        check_filed_on(filed_on, today=TODAY, records_start_on=START, received_on=received_on)
    assert caught.value.field == "filed_on"


def test_a_filing_on_the_day_of_receipt_or_today_is_accepted() -> None:
    check_filed_on(TODAY, today=TODAY, records_start_on=START, received_on=TODAY)
    check_filed_on(START, today=TODAY, records_start_on=START)


def test_a_result_is_dated_between_the_filing_and_today() -> None:
    check_decided_on(date(2026, 3, 2), filed_on=date(2026, 3, 2), today=TODAY)
    for on, message in ((date(2026, 3, 1), "before the appeal was filed"), (TODAY + timedelta(days=1), "future")):
        with pytest.raises(InvalidDate, match=message) as caught:
            check_decided_on(on, filed_on=date(2026, 3, 2), today=TODAY)
        assert caught.value.field == "on"


@dataclass(frozen=True)
class File:
    kind: AppealKind
    days_ago: int


@dataclass(frozen=True)
class Decide:
    which: int
    result: AppealResult
    days_ago: int


COMMANDS = st.one_of(
    st.builds(File, st.sampled_from(BLOCKS), st.integers(0, 400)),
    st.builds(Decide, st.integers(0, 30), st.sampled_from(RESULTS), st.integers(-3, 400)),
)


def run(commands: list[File | Decide]) -> dict[str, Appeal]:
    """The API's rules: each command is refused (and changes nothing) or applied."""
    appeals: dict[str, Appeal] = {}
    for command in commands:
        if isinstance(command, File):
            filed_on = TODAY - timedelta(days=command.days_ago)
            check_filed_on(filed_on, today=TODAY, records_start_on=START)
            appeals[str(len(appeals))] = Appeal(id=str(len(appeals)), kind=command.kind, filed_on=filed_on)
            continue
        if not appeals:
            continue
        appeal = list(appeals.values())[command.which % len(appeals)]
        try:
            check_decided_on(TODAY - timedelta(days=command.days_ago), filed_on=appeal.filed_on, today=TODAY)
            appeals[appeal.id] = appeal.decide(command.result, TODAY - timedelta(days=command.days_ago))
        except (InvalidDate, AlreadyDecided):
            continue
    return appeals


@given(st.lists(COMMANDS, max_size=40))
def test_any_sequence_of_filings_and_results_counts_each_appeal_in_exactly_one_cell(
    commands: list[File | Decide],
) -> None:
    appeals = run(commands)
    cells = {appeal.id: appeal.cell() for appeal in appeals.values()}
    table = table4(appeals.values())
    for block in BLOCKS:
        assert set(table[block]) == {*COLUMNS, "total"}
        assert table[block]["total"] == sum(table[block][c] for c in COLUMNS)  # spec B5 rule 4
        for column in COLUMNS:
            assert table[block][column] == sum(1 for cell in cells.values() if cell == (block, column))
    assert sum(table[b]["total"] for b in BLOCKS) == len(appeals)
    for appeal in appeals.values():
        assert (appeal.status is AppealStatus.PENDING) == (cells[appeal.id][1] == "pending")
        assert appeal.decided_on is None or appeal.filed_on <= appeal.decided_on <= TODAY


def test_a_command_waits_until_its_event_is_applied_and_no_longer() -> None:
    async def scenario() -> tuple[bool, bool, float]:
        applied = Applied(timeout_s=0.05)
        first, second = uuid.uuid4(), uuid.uuid4()
        applied.expect(first)
        asyncio.get_running_loop().call_later(0.01, applied.done, first)
        applied.done(uuid.uuid4())  # nobody waits for it: nothing happens
        ok = await applied.wait(first)
        applied.expect(second)
        started = asyncio.get_running_loop().time()
        timed_out = await applied.wait(second)
        return ok, timed_out, asyncio.get_running_loop().time() - started

    ok, timed_out, waited = asyncio.run(scenario())
    assert ok and not timed_out
    assert waited < 1.0
