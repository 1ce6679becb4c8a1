"""The annual report from a replayed year: every cell equals the hand count, every check passes."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from gongkai.db import Database
from gongkai.events import (
    Envelope,
    LetterPublished,
    LetterUnpublished,
    LetterWithdrawn,
    ProposalReplyPublished,
    ProposalReplyUnpublished,
    ProposalReplyWithdrawn,
    new_event,
)
from gongkai.events.requests import OUTCOMES
from services.stats import store
from services.stats.domain import CounterDelta, Memo, reduce
from services.stats.handlers import StatsHandlers
from services.stats.metrics import CounterMirror
from services.stats.report import SECTION_TITLES, annual_report
from services.stats.store import SCHEMA, CounterKey
from tests.unit.stats_scenario import (
    COLUMNS,
    EXPECTED_2026,
    EXPECTED_LETTERS_2026,
    EXPECTED_PROPOSALS_2026,
    EXPECTED_TABLE2_2026,
    EXPECTED_TABLE4_2026,
    scenario,
)


def fold(events: list[Envelope]) -> dict[CounterKey, int]:
    """The reducers over the events, once per event id, with an in-memory memo table."""
    counters: dict[CounterKey, int] = {}
    memos: dict[str, Memo] = {}
    seen: set[str] = set()
    for event in events:
        if str(event.id) in seen:
            continue
        seen.add(str(event.id))
        reduction = reduce(event, memos.get(event.subject))
        if reduction.memo is not None:
            memos[event.subject] = reduction.memo
        for d in reduction.deltas:
            counters[(d.name, d.year, d.labels)] = counters.get((d.name, d.year, d.labels), 0) + d.amount
    return counters


def report(year: int, counters: dict[CounterKey, int], entries: dict[str, Any] | None = None) -> dict[str, Any]:
    return annual_report(year, counters, entries or {}, agency="某市发展和改革委员会")


def cells(rep: dict[str, Any], code: str) -> list[int]:
    row = next(r for r in rep["table3"]["rows"] if r["code"] == code)
    return [row["cells"][c] for c in (*COLUMNS, "total")]


def test_table_three_equals_the_hand_count() -> None:
    rep = report(2026, fold(scenario()))
    for code, expected in EXPECTED_2026.items():
        assert cells(rep, code) == expected, code
    assert cells(rep, "disclosed") == [2, 0, 0, 0, 0, 0, 2]
    for i, outcome in enumerate(OUTCOMES[1:], start=1):
        expected = [0] * 6
        expected[i % 6] = 1
        assert cells(rep, outcome) == [*expected, 1], outcome


def test_the_official_rows_in_order_with_labels() -> None:
    rows = report(2026, fold(scenario()))["table3"]["rows"]
    assert [r["code"] for r in rows] == ["new", "carried_over", *OUTCOMES, "total_handled", "carried_forward"]
    assert rows[0]["label"] == "一、本年新收政府信息公开申请数量"
    assert rows[4]["label"] == "1.属于国家秘密" and rows[4]["group"] == "（三）不予公开"
    assert rows[-1]["label"] == "四、结转下年度继续办理"


def test_carry_over_links_the_years() -> None:
    counters = fold(scenario())
    assert cells(report(2025, counters), "carried_forward") == [1, 1, 0, 0, 0, 0, 2]
    assert cells(report(2027, counters), "carried_over") == EXPECTED_2026["carried_forward"]
    # 2027 received: the online application confirmed on 2027-01-04 (commercial) only.
    assert cells(report(2027, counters), "new") == [0, 1, 0, 0, 0, 0, 1]


def test_table_four_and_table_two() -> None:
    rep = report(2026, fold(scenario()))
    assert rep["table4"] == EXPECTED_TABLE4_2026
    documents = [{k: row[k] for k in ("label", "issued", "repealed", "in_force")} for row in rep["table2"]["rows"][:2]]
    assert documents == EXPECTED_TABLE2_2026


def test_every_check_passes_and_a_broken_year_is_caught() -> None:
    rep = report(2026, fold(scenario()))
    assert [c["passed"] for c in rep["checks"]] == [True] * len(rep["checks"])
    assert len(rep["checks"]) == 7
    # A closure without a receipt in the counters (a hand-edited database) breaks the balance.
    broken = fold(scenario())
    key = ("requests_closed", 2026, (("applicant", "research"), ("on_time", "true"), ("outcome", "disclosed")))
    broken[key] = broken.get(key, 0) + 9
    failed = {c["rule"] for c in report(2026, broken)["checks"] if not c["passed"]}
    assert any("非负" in rule for rule in failed)


def test_letter_and_proposal_rates_equal_the_hand_count() -> None:
    from services.stats.summary import summary

    body = summary(2026, fold(scenario()), overdue_open=0)
    assert {k: body["letters"][k] for k in EXPECTED_LETTERS_2026} == EXPECTED_LETTERS_2026
    assert {k: body["proposals"][k] for k in EXPECTED_PROPOSALS_2026} == EXPECTED_PROPOSALS_2026
    figures = report(2026, fold(scenario()))["summary"]
    assert (figures["consultations"], figures["mailbox_letters"], figures["proposals"]) == (2, 2, 3)
    assert figures["letters_on_time_rate"] == EXPECTED_LETTERS_2026["on_time_rate"]


def test_sections_in_official_order_with_the_years_figures_drafted() -> None:
    rep = report(2026, fold(scenario()))
    assert [s["title"] for s in rep["sections"]] == list(SECTION_TITLES)
    overview = rep["sections"][0]["text"]
    assert "主动公开政府信息3条" in overview and "新收政府信息公开申请24件" in overview
    saved = {"section5": {"value": "本年度存在的问题……", "actor": "clerk", "recorded_at": "2027-01-05T09:00:00+08:00"}}
    assert report(2026, fold(scenario()), saved)["sections"][4]["text"] == "本年度存在的问题……"


def test_the_same_events_in_another_order_per_subject_give_the_same_report_bytes() -> None:
    events = scenario()
    shuffled = _shuffle_keeping_subject_order(events, random.Random(7))
    first = json.dumps(report(2026, fold(events)), ensure_ascii=False, sort_keys=True)
    again = json.dumps(report(2026, fold(shuffled + events[:10])), ensure_ascii=False, sort_keys=True)
    assert first == again


def _shuffle_keeping_subject_order(events: list[Envelope], rng: random.Random) -> list[Envelope]:
    """Interleave subjects randomly, as partitions do, keeping each subject's own order."""
    queues: dict[str, list[Envelope]] = {}
    for event in events:
        queues.setdefault(event.subject, []).append(event)
    out: list[Envelope] = []
    while queues:
        subject = rng.choice(sorted(queues))
        out.append(queues[subject].pop(0))
        if not queues[subject]:
            del queues[subject]
    return out


@pytest.mark.asyncio
async def test_the_embedded_consumer_counts_what_the_fold_counts_even_when_events_repeat(tmp_path: Path) -> None:
    db = Database(tmp_path / "stats.db", schema=SCHEMA)
    await db.open()
    try:
        handlers = StatsHandlers(db, CounterMirror())
        events = scenario()
        for event in events + events[::3]:  # redelivery after a crash repeats some events
            await handlers(event)
        assert await db.run(store.all_counters) == fold(events)
    finally:
        await db.close()


def test_reducer_deltas_carry_no_personal_data() -> None:
    for event in scenario():
        for delta in reduce(event, None).deltas:
            assert isinstance(delta, CounterDelta)
            assert all(value not in ("申请人", "某单位", "13800000000") for _, value in delta.labels)


AT = datetime(2026, 12, 30, 2, tzinfo=UTC)


def publications_and_take_downs(events: list[Envelope]) -> list[Envelope]:
    """Every letter and proposal of the scenario published, taken down (撤下公开) and published again."""
    added: list[Envelope] = []
    for opening in events:
        subject, day = opening.subject, date(2026, 12, 30)
        if opening.type == "letter.received":
            texts = {"kind": opening.data["kind"], "category": opening.data["category"], "title": "标题"}
            shown = LetterPublished(
                **texts, body="来信", reply="答复", received_on=day, replied_on=day, published_at=AT, reviewer="r"
            )
            steps = [
                ("letter.published", shown),
                ("letter.unpublished", LetterUnpublished(on=day, actor="r", reason="撤下", version=2)),
                ("letter.withdrawn", LetterWithdrawn(withdrawn_at=AT, version=2)),
                ("letter.published", shown.model_copy(update={"version": 3})),
            ]
        elif opening.type == "proposal.registered":
            shown_reply = ProposalReplyPublished(
                kind=opening.data["kind"],
                number=opening.data["number"],
                title="标题",
                proposer="某代表",
                lead_unit="某局",
                result_class="A",
                reply="答复",
                replied_on=day,
                published_at=AT,
                publisher="p",
            )
            steps = [
                ("proposal.reply_published", shown_reply),
                ("proposal.reply_unpublished", ProposalReplyUnpublished(on=day, actor="p", reason="撤下", version=2)),
                ("proposal.reply_withdrawn", ProposalReplyWithdrawn(withdrawn_at=AT, version=2)),
                ("proposal.reply_published", shown_reply.model_copy(update={"version": 3})),
            ]
        else:
            continue
        added += [new_event(t, subject=subject, source="test", data=d, occurred_at=AT) for t, d in steps]
    return added


def test_publishing_and_taking_down_letters_and_proposal_replies_changes_no_count() -> None:
    events = scenario()
    extra = publications_and_take_downs(events)
    assert {e.type for e in extra} >= {"letter.unpublished", "proposal.reply_unpublished", "proposal.reply_withdrawn"}
    assert fold(events + extra) == fold(events)
    for year in (2025, 2026, 2027):
        assert report(year, fold(events + extra)) == report(year, fold(events))
