"""The faust stats app over Kafka: the same counters as the embedded reducers, through a kill -9.

A scenario of requests (every outcome and column of table 三, receipts confirmed later, withdrawals,
deadline misses), documents (submitted, reviewed, published, corrected, withdrawn, repealed),
appeals, letters (replies, transfers, ratings, overdue) and proposals (replies, re-assessments that
move a count from one rating to another), with some events published twice under the same id,
goes to the broker. The expected
counters are the embedded fold (``reduce`` with a memo per subject, each event id once) over every
record in the stats topics, so events that other tests left on a shared broker count on both sides.
The worker is a real ``python -m services.stats.faust_app worker`` process, killed with SIGKILL
while a second batch pours in, then restarted: its counters, and the durable changelog, must end
exact. On Tansu the worker runs with ``GONGKAI_FAUST_PRODUCER_MAX_BATCH_SIZE=1`` (see
docs/operations.md, "Stats on Kafka (faust)").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from gongkai.bus.delivery import DeadLetter
from gongkai.bus.kafka import KafkaBus
from gongkai.cli import service_builder
from gongkai.events import (
    DocumentPublished,
    DocumentReviewed,
    DocumentSubmitted,
    DocumentValidityChanged,
    DocumentWithdrawn,
    Envelope,
    EventData,
    Topic,
    dead_letter_topic,
    new_event,
)
from gongkai.events.letters import (
    LETTER_CATEGORIES,
    LETTER_KINDS,
    LetterFeedback,
    LetterOverdue,
    LetterReceived,
    LetterReplied,
    LetterTransferred,
    ProposalFeedback,
    ProposalKind,
    ProposalRegistered,
    ProposalReplied,
    Rating,
)
from gongkai.events.requests import (
    CHANNELS,
    OUTCOMES,
    AppealDecided,
    AppealFiled,
    AppealKind,
    AppealResult,
    Applicant,
    ReceiptConfirmed,
    RequestClosed,
    RequestOverdue,
    RequestReceived,
)
from gongkai.runtime import Platform
from gongkai.settings import Settings
from services.stats.counters import ChangelogCounters
from services.stats.domain import Memo, reduce
from services.stats.faust_app import COUNTERS_PATH, METRICS_PATH, SOURCE_TOPICS, FaustConfig, read_counters
from services.stats.metrics import exposition
from services.stats.report import annual_report
from services.stats.summary import summary
from tests.e2e.conftest import make_staff
from tests.kafka_broker import Broker, free_port, kafka_settings_env

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(240)]

CounterKey = tuple[str, int, tuple[tuple[str, str], ...]]
COLUMNS = ("natural_person", "commercial", "research", "public_interest", "legal_service", "other")
APPEAL_KINDS: tuple[AppealKind, ...] = ("reconsideration", "litigation_direct", "litigation_after_reconsideration")
APPEAL_RESULTS: tuple[AppealResult, ...] = ("upheld", "corrected", "other")
RATINGS: tuple[Rating, ...] = ("satisfied", "basically_satisfied", "dissatisfied")
PROPOSAL_KINDS: tuple[ProposalKind, ...] = ("npc_suggestion", "cppcc_proposal")


# --- the scenario -----------------------------------------------------------------------------


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


def _event(kind: str, subject: str, data: EventData, on: date) -> Envelope:
    return new_event(kind, subject=subject, source="test", data=data, occurred_at=_at(on), recorded_at=_at(on))


def request_case(run: str, n: int) -> list[Envelope]:
    subject, column, channel = f"{run}-r{n}", COLUMNS[n % 6], CHANNELS[n % 5]
    applicant = (
        Applicant(kind="natural_person", name="申请人")
        if column == "natural_person"
        else Applicant(kind="legal_person", org_type=column, name="某单位")  # type: ignore[arg-type]
    )
    day = date(2025 + n % 3, 1 + n % 12, 1 + n % 28)
    later = channel != "in_person" and n % 4 == 0  # receipt confirmed by a later step, or never
    opening = RequestReceived(
        channel=channel,
        applicant=applicant,
        description="某文件",
        received_on=None if later else day,
        tracking_code_hash="0" * 64,
    )
    events = [_event("request.received", subject, opening, day)]
    received_on: date | None = None if later else day
    if later and n % 8 == 0:  # withdrawn before its receipt was confirmed: counted nowhere
        closing = RequestClosed(
            on=day + timedelta(days=2),
            actor="c",
            closure="withdrawn",
            outcome="other.other",
            channel=channel,
            applicant_kind=applicant.kind,
            org_type=applicant.org_type,
        )
        return [*events, _event("request.closed", subject, closing, day + timedelta(days=2))]
    if later:
        received_on = day + timedelta(days=3 + n % 5)  # may fall in the next year
        events.append(_event("request.receipt_confirmed", subject, ReceiptConfirmed(on=received_on, actor="c"), day))
    assert received_on is not None
    if n % 5 == 1:
        late = received_on + timedelta(days=30)
        overdue = RequestOverdue(due_on=late - timedelta(days=1), detected_on=late, channel=channel)
        events.append(_event("request.overdue", subject, overdue, late))
    if n % 3 != 2:
        on = received_on + timedelta(days=10 + n % 40)
        closing = RequestClosed(
            on=on,
            actor="c",
            closure="answer",
            outcome=OUTCOMES[n % len(OUTCOMES)],
            on_time=n % 4 != 1,
            received_on=received_on,
            channel=channel,
            applicant_kind=applicant.kind,
            org_type=applicant.org_type,
        )
        events.append(_event("request.closed", subject, closing, on))
    return events


def document_case(run: str, n: int) -> list[Envelope]:
    subject, category = f"{run}-d{n}", f"art20.{1 + n % 15}"
    doc_type = ("regulation", "normative", "other")[n % 3]
    formed = date(2025 + n % 2, 1 + n % 12, 1 + n % 28)
    published = formed + timedelta(days=5 + n % 30)
    content: dict[str, Any] = {
        "title": f"第{n}号文件",
        "body": "正文",
        "category": category,
        "department": "办公室",
        "formed_on": formed,
        "doc_type": doc_type,
    }
    events = [
        _event("document.submitted", subject, DocumentSubmitted(**content), formed),
        _event(
            "document.reviewed",
            subject,
            DocumentReviewed(decision=("approve", "redact")[n % 2], reviewer="r", **content),
            published,
        ),
        _event("document.published", subject, DocumentPublished(**content, published_at=_at(published)), published),
    ]
    if n % 6 == 5:
        corrected = DocumentPublished(**content, published_at=_at(published), revision=2, version=2)
        events.append(_event("document.corrected", subject, corrected, published + timedelta(days=1)))
    if n % 4 == 0:
        effective = published + timedelta(days=200)
        repeal = DocumentValidityChanged(validity="repealed", effective_on=effective, version=3)
        events.append(_event("document.validity_changed", subject, repeal, effective))
    elif n % 5 == 2:
        gone = published + timedelta(days=40)
        withdrawal = DocumentWithdrawn(reason="过期", withdrawn_at=_at(gone), version=3)
        events.append(_event("document.withdrawn", subject, withdrawal, gone))
    return events


def appeal_case(run: str, n: int) -> list[Envelope]:
    subject, kind = f"{run}-a{n}", APPEAL_KINDS[n % 3]
    filed = date(2025 + n % 2, 1 + n % 12, 1 + n % 28)
    events = [_event("appeal.filed", subject, AppealFiled(kind=kind, filed_on=filed, actor="c"), filed)]
    if n % 4 != 3:
        decided = filed + timedelta(days=60 + n % 200)
        result = APPEAL_RESULTS[n % 3]
        data = AppealDecided(result=result, on=decided, actor="c", kind=kind, filed_on=filed)
        events.append(_event("appeal.decided", subject, data, decided))
    return events


def letter_case(run: str, n: int) -> list[Envelope]:
    subject, kind = f"{run}-l{n}", LETTER_KINDS[n % 3]
    day = date(2025 + n % 2, 1 + n % 12, 1 + n % 28)
    opening = LetterReceived(
        kind=kind,
        category=LETTER_CATEGORIES[n % 4],
        title="来信",
        body="内容",
        received_on=day,
        tracking_code_hash="0" * 64,
    )
    events = [_event("letter.received", subject, opening, day)]
    if n % 5 == 1:
        late = day + timedelta(days=20)
        overdue = LetterOverdue(due_on=late - timedelta(days=1), detected_on=late, kind=kind)
        events.append(_event("letter.overdue", subject, overdue, late))
    on = day + timedelta(days=5 + n % 30)
    if n % 6 == 5:
        events.append(_event("letter.transferred", subject, LetterTransferred(on=on, actor="c"), on))
    elif n % 4 != 3:
        reply = LetterReplied(on=on, actor="c", body="答复", first_pass=n % 2 == 0, on_time=n % 3 != 1)
        events.append(_event("letter.replied", subject, reply, on))
        if n % 3 == 0:
            rated = on + timedelta(days=3)
            events.append(_event("letter.feedback", subject, LetterFeedback(rating=RATINGS[n % 3], on=rated), rated))
    return events


def proposal_case(run: str, n: int) -> list[Envelope]:
    subject, kind = f"{run}-p{n}", PROPOSAL_KINDS[n % 2]
    assigned = date(2025 + n % 2, 1 + n % 12, 1 + n % 28)
    registered = ProposalRegistered(
        kind=kind, number=str(n), title="建议", proposer="代表", assigned_on=assigned, lead_unit="办", recorded_by="c"
    )
    events = [_event("proposal.registered", subject, registered, assigned)]
    if n % 4 == 3:
        return events
    on, due = assigned + timedelta(days=60 + n % 60), assigned + timedelta(days=90)
    reply = ProposalReplied(on=on, actor="c", result_class="A", body="答复", due_on=due, on_time=on <= due)
    events.append(_event("proposal.replied", subject, reply, on))
    for k, rating in enumerate((RATINGS[n % 3], RATINGS[(n + 1) % 3])[: 1 + (n % 5 == 0)]):
        rated = on + timedelta(days=10 + k)  # a second assessment replaces the first (-1, +1)
        events.append(_event("proposal.feedback", subject, ProposalFeedback(on=rated, actor="c", rating=rating), rated))
    return events


def batch(
    run: str, first: int, *, requests: int, documents: int, appeals: int, letters: int, proposals: int, seed: int
) -> list[Envelope]:
    """Cases interleaved at random (each case's own events in order), some events twice (same id)."""
    rng = random.Random(seed)
    cases = [request_case(run, first + i) for i in range(requests)]
    cases += [document_case(run, first + i) for i in range(documents)]
    cases += [appeal_case(run, first + i) for i in range(appeals)]
    cases += [letter_case(run, first + i) for i in range(letters)]
    cases += [proposal_case(run, first + i) for i in range(proposals)]
    events: list[Envelope] = []
    while cases:
        case = rng.choice(cases)
        events.append(case.pop(0))
        if rng.random() < 0.08:
            events.append(events[-1])  # a producer retry: the same id again, right away
        if not case:
            cases.remove(case)
    repeats = rng.sample(events, k=len(events) // 15)  # and some much later
    return events + repeats


# --- the embedded fold ------------------------------------------------------------------------


def fold(events: Iterable[Envelope]) -> dict[CounterKey, int]:
    """What the embedded stats consumer counts: ``reduce`` over each event id once, a memo per subject."""
    memos: dict[str, Memo] = {}
    seen: set[uuid.UUID] = set()
    counters: Counter[CounterKey] = Counter()
    for event in events:
        if event.id in seen or event.type.startswith("report."):
            continue
        seen.add(event.id)
        reduction = reduce(event, memos.get(event.subject))
        for delta in reduction.deltas:
            counters[(delta.name, delta.year, delta.labels)] += delta.amount
        if reduction.memo is not None:
            memos[event.subject] = reduction.memo
    return dict(counters)


async def everything_on_the_broker(bus: KafkaBus) -> list[Envelope]:
    """Every event in the stats topics, each partition in order (a subject lives in one partition)."""
    events: list[Envelope] = []
    for topic in SOURCE_TOPICS:
        for raw in await bus.read(topic):
            with contextlib.suppress(ValidationError):  # a poison record counts nowhere
                events.append(Envelope.from_bytes(raw))
    return events


async def dead_letters(bus: KafkaBus, topic: str, group: str) -> list[DeadLetter]:
    letters = [DeadLetter.model_validate_json(raw) for raw in await bus.read(dead_letter_topic(topic))]
    return [letter for letter in letters if letter.group == group]


# --- the worker process -----------------------------------------------------------------------


class Worker:
    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{COUNTERS_PATH}"

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "services.stats.faust_app", "worker", "--web-port", str(self.port)],
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def page(self) -> dict[str, Any] | None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"the faust worker exited with {self.proc.returncode}\n{self.tail()}")
        try:
            response = httpx.get(self.url, timeout=2)
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    def counters(self) -> dict[CounterKey, int] | None:
        """The worker's counters once it has joined and recovered; None before."""
        page = self.page()
        if page is None or not page["ready"]:
            return None
        return {(c["name"], c["year"], tuple(sorted(c["labels"].items()))): c["value"] for c in page["counters"]}

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


async def wait_for(check: Any, what: str, worker: Worker, timeout: float = 60) -> float:
    """Poll ``check`` until true; the seconds it took. Fails with the worker's log after ``timeout``."""
    started = time.monotonic()
    while True:
        if await check() if asyncio.iscoroutinefunction(check) else check():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout}s\n--- worker log ---\n{worker.tail()}")
        await asyncio.sleep(0.2)


def diff(actual: dict[CounterKey, int] | None, expected: dict[CounterKey, int]) -> str:
    if actual is None:
        return "worker not ready"
    keys = sorted(set(actual) | set(expected))
    return "\n".join(
        f"{k}: faust {actual.get(k)} != embedded {expected.get(k)}" for k in keys if actual.get(k) != expected.get(k)
    )


def open_overdue(events: Iterable[Envelope]) -> int:
    """Requests open past their deadline after ``events``, by the same memos as the fold."""
    memos: dict[str, Memo] = {}
    seen: set[uuid.UUID] = set()
    for event in events:
        if event.id in seen:
            continue
        seen.add(event.id)
        reduction = reduce(event, memos.get(event.subject))
        if reduction.memo is not None:
            memos[event.subject] = reduction.memo
    return sum(memo.open_and_overdue for memo in memos.values())


def samples(exposition_text: str) -> set[tuple[str, tuple[tuple[str, str], ...], float]]:
    return {
        (sample.name, tuple(sorted(sample.labels.items())), sample.value)
        for family in text_string_to_metric_families(exposition_text)
        for sample in family.samples
    }


async def the_api_and_the_metrics_read_the_faust_tables(
    env: dict[str, str], tmp_path: Path, worker: Worker, events: list[Envelope]
) -> None:
    """The faust side serves what the embedded side would: the stats API's summary and annual report
    with ``GONGKAI_STATS_COUNTERS=faust`` (counters from the changelog), and the worker's ``/metrics``."""
    expected = fold(events)
    overdue = open_overdue(events)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        settings = Settings(data_dir=tmp_path / "api", stats_counters="faust", clock="2026-12-31T10:00:00+08:00")
    source = ChangelogCounters(FaustConfig.from_settings(settings))
    assert await source.counters() == expected
    assert await source.open_overdue_requests() == overdue

    staff = make_staff(settings.data_dir)
    platform = Platform(settings, [service_builder("stats")])

    def through_the_api() -> tuple[Any, Any]:
        with TestClient(platform.app()) as client:
            report = client.get("/api/v1/reports/annual/2026", headers=staff.clerk)
            totals = client.get("/api/v1/stats/summary", params={"year": 2026}, headers=staff.clerk)
            assert report.status_code == totals.status_code == 200, report.text + totals.text
            return report.json(), totals.json()

    report, totals = await asyncio.to_thread(through_the_api)
    assert report == json.loads(json.dumps(annual_report(2026, expected, {}, agency=settings.agency_name)))
    assert totals == json.loads(json.dumps(summary(2026, expected, overdue_open=overdue)))

    metrics = httpx.get(f"http://127.0.0.1:{worker.port}{METRICS_PATH}", timeout=5)
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert samples(metrics.text) == samples(exposition(expected).decode())
    assert any(name == "gongkai_requests_closed_total" for name, _, _ in samples(metrics.text))


# --- the test ---------------------------------------------------------------------------------


@pytest.fixture
def bus_settings(kafka_broker: Broker) -> Settings:
    return Settings(bus=f"kafka://{kafka_broker.bootstrap}", kafka_idempotence=not kafka_broker.is_tansu)


@pytest.fixture
async def bus(bus_settings: Settings) -> Any:
    bus = KafkaBus(bus_settings)
    await bus.start()
    yield bus
    await bus.close()


async def test_faust_counters_equal_the_embedded_fold_through_a_sigkill(
    kafka_broker: Broker, bus: KafkaBus, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    app_id = f"gongkai-stats-test-{run}"  # a fresh group and fresh changelogs on a shared broker
    env = {
        **kafka_settings_env(kafka_broker),
        "GONGKAI_DATA_DIR": str(tmp_path),
        "GONGKAI_FAUST_APP_ID": app_id,
    }
    if kafka_broker.is_tansu:
        env["GONGKAI_FAUST_PRODUCER_MAX_BATCH_SIZE"] = "1"  # Tansu's end offsets: see the module docstring
    worker = Worker(env, free_port(), tmp_path / "worker.log")

    first = batch(run, 0, requests=30, documents=12, appeals=9, letters=12, proposals=8, seed=1)
    second = batch(run, 1000, requests=80, documents=30, appeals=20, letters=30, proposals=20, seed=2)
    assert len({e.id for e in first}) < len(first) and len({e.id for e in second}) < len(second)  # repeats
    for event in first:
        await bus.publish(event)
    await bus.publish_raw(Topic.REQUESTS, key=f"{run}-poison", value=b"{not an event")

    try:
        # 1. A fresh worker counts what is on the broker exactly as the embedded fold does.
        worker.start()
        joined = await wait_for(lambda: worker.counters() is not None, "first join", worker)
        expected = fold(await everything_on_the_broker(bus))
        await wait_for(lambda: worker.counters() == expected, "counters after the first batch", worker)
        before_kill = sum(expected.values())

        async def poison_parked() -> bool:
            letters = await dead_letters(bus, Topic.REQUESTS, app_id)
            return any(letter.raw == "{not an event" for letter in letters)

        await wait_for(poison_parked, "the undecodable record in gongkai.requests.dlq", worker)

        # 2. SIGKILL while the second batch pours in and the worker is busy counting it.
        async def pour() -> None:
            for event in second:
                await bus.publish(event)

        publishing = asyncio.create_task(pour())

        def counting_the_second_batch() -> bool:
            counters = worker.counters()
            return counters is not None and sum(counters.values()) >= before_kill + 40

        await wait_for(counting_the_second_batch, "progress on the second batch", worker)
        at_kill = worker.counters()
        worker.kill()
        await publishing
        everything = fold(await everything_on_the_broker(bus))
        assert at_kill != everything, "the worker had counted everything before the kill: make the batch longer"

        # 3. Restarted, it recovers its tables from the changelogs and ends exact: nothing lost, nothing twice.
        worker.start()
        rejoined = await wait_for(lambda: worker.counters() is not None, "join after SIGKILL", worker)
        expected = everything
        mine = fold([*first, *second])
        assert all(expected.get(key, 0) >= value for key, value in mine.items())  # this run's events are in there
        try:
            await wait_for(lambda: worker.counters() == expected, "exact counters after the restart", worker)
        except AssertionError as exc:
            page = worker.page() or {}
            raise AssertionError(
                f"{exc}\n--- since start: {page.get('since_start')}\n--- differences ---\n"
                f"{diff(worker.counters(), expected)}"
            ) from None

        # 4. The durable changelog, which the next start would restore, holds the same values.
        config = FaustConfig(bootstrap=kafka_broker.bootstrap, data_dir=tmp_path, app_id=app_id)

        async def changelog_is_exact() -> bool:
            return await read_counters(config) == expected

        await wait_for(changelog_is_exact, "exact counters in the changelog", worker)

        # 5. What the stats API serves with GONGKAI_STATS_COUNTERS=faust, and Prometheus scrapes.
        on_the_broker = await everything_on_the_broker(bus)
        await the_api_and_the_metrics_read_the_faust_tables(env, tmp_path, worker, on_the_broker)
        print(f"faust join: {joined:.1f}s fresh, {rejoined:.1f}s after SIGKILL; {len(first) + len(second)} events")
    finally:
        worker.stop()
