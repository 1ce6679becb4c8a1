"""One file → one validated ``document.submitted`` event; a run reports every file and never stops early."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gongkai.bus import EventBus, Handler
from gongkai.bus.embedded import EmbeddedBus
from gongkai.clock import FixedClock
from gongkai.events import DocumentSubmitted, Envelope, Topic
from gongkai.settings import Settings
from services.intake.importer import (
    FileRejected,
    ImportOptions,
    ImportReport,
    ItemMetadata,
    SourceFile,
    import_sources,
    prepare,
    run_import,
    summary_lines,
)
from tests.unit.test_import_samples import NOTICE, docx_bytes, scanned_pdf_bytes

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULTS = ImportOptions(defaults=ItemMetadata(category="art20.3", department="市发展和改革委员会"))


class FakeBus(EventBus):
    """Keeps what is published; ``broken`` makes every publish fail, as a bus that went away."""

    def __init__(self, *, broken: bool = False) -> None:
        self.events: list[Envelope] = []
        self.batches = 0
        self.broken = broken

    async def start(self) -> None: ...
    async def close(self) -> None: ...

    async def publish(self, event: Envelope) -> None:
        await self.publish_many([event])

    async def publish_many(self, events: Sequence[Envelope]) -> None:
        if self.broken:
            raise ConnectionError("broker unreachable")
        self.batches += 1
        self.events.extend(events)

    async def publish_raw(self, topic: str, *, key: str, value: bytes) -> None: ...
    async def subscribe(self, *, group: str, topics: Sequence[str], handler: Handler) -> None: ...

    async def read(self, topic: str) -> list[bytes]:
        return [e.to_bytes() for e in self.events if e.topic == topic]

    @property
    def consuming(self) -> bool:
        return True


def source(name: str, data: bytes, *rows: dict[str, str], problem: str | None = None) -> SourceFile:
    return SourceFile(name, lambda: data, tuple(("metadata.csv", row) for row in rows), problem)


def test_a_notice_becomes_a_submission_with_inferred_metadata_and_its_source_file() -> None:
    doc = prepare(source("2026/notice.txt", NOTICE.encode("gb18030")), DEFAULTS)
    assert doc.format == "txt"
    assert doc.data.title == "关于印发《2026年国民经济和社会发展计划》的通知"
    assert (doc.data.doc_number, doc.data.formed_on) == ("某发改〔2026〕12号", date(2026, 3, 2))
    assert (doc.data.category, doc.data.department) == ("art20.3", "市发展和改革委员会")
    assert doc.data.source_file == "2026/notice.txt"
    assert doc.data.already_published_at is None
    assert "重大建设项目按计划推进。" in doc.data.body


def test_the_sidecar_wins_over_the_text_and_the_operators_defaults() -> None:
    row = {"title": "台账里的标题", "category": "art20.1", "doc_type": "规章", "formed_on": "2026/2/1"}
    doc = prepare(source("notice.txt", NOTICE.encode(), row), DEFAULTS)
    assert (doc.data.title, doc.data.category, doc.data.department) == ("台账里的标题", "art20.1", "市发展和改革委员会")
    assert (doc.data.doc_type, doc.data.formed_on) == ("regulation", date(2026, 2, 1))


def test_the_first_line_is_not_repeated_in_the_body_when_it_is_the_title() -> None:
    doc = prepare(source("a.docx", docx_bytes("关于年度预算的说明", "预算正文。")), DEFAULTS)
    assert (doc.data.title, doc.data.body) == ("关于年度预算的说明", "预算正文。")


@pytest.mark.parametrize(
    ("defaults", "reason"),
    [
        (ItemMetadata(department="办公室"), "no category: add 类别 to the metadata sidecar or pass --category"),
        (ItemMetadata(category="art20.1"), "no department"),
        (ItemMetadata(category="政策解读", department="办公室"), "category: Value error, unknown category"),
    ],
)
def test_missing_or_unknown_classification_fails_the_file_with_a_clear_reason(
    defaults: ItemMetadata, reason: str
) -> None:
    with pytest.raises(FileRejected, match=reason):
        prepare(source("a.txt", NOTICE.encode()), ImportOptions(defaults=defaults))


def test_validation_failures_never_quote_the_document() -> None:
    secret = "张三身份证号110101199003077777"
    body = "关于某事的通知\n" + secret * 10_000
    with pytest.raises(FileRejected) as failure:
        prepare(source("long.txt", body.encode()), DEFAULTS)
    assert "body: String should have at most 200000 characters" in str(failure.value)
    assert "张三" not in str(failure.value)
    assert "1101" not in str(failure.value)


def test_already_published_items_keep_their_publication_date_at_midnight_beijing_time() -> None:
    options = ImportOptions(defaults=DEFAULTS.defaults, already_published=True)
    doc = prepare(source("a.txt", NOTICE.encode(), {"published_on": "2026-03-05"}), options)
    assert doc.data.already_published_at == datetime(2026, 3, 5, tzinfo=SHANGHAI)
    doc = prepare(source("b.txt", NOTICE.encode()), options)
    assert doc.data.already_published_at == datetime(2026, 3, 2, tzinfo=SHANGHAI)  # the formed date


def test_already_published_items_without_any_date_fail() -> None:
    options = ImportOptions(defaults=DEFAULTS.defaults, already_published=True)
    with pytest.raises(FileRejected, match="--already-published needs a date"):
        prepare(source("a.txt", "关于某事的通知\n正文。".encode()), options)


def test_ids_derive_from_the_content_so_a_reimport_repeats_them() -> None:
    one = prepare(source("a.txt", NOTICE.encode()), DEFAULTS)
    again = prepare(source("elsewhere/a-copy.txt", NOTICE.encode()), DEFAULTS)
    other = prepare(source("a.txt", (NOTICE + "附件").encode()), DEFAULTS)
    assert one.doc_id == again.doc_id != other.doc_id
    assert uuid.UUID(hex=one.doc_id)
    assert one.event().id == again.event().id
    assert one.event().subject == one.doc_id


async def test_a_run_publishes_the_good_files_and_reports_each_bad_one_by_name() -> None:
    sources = [
        source("a.txt", NOTICE.encode("gb18030")),
        source("scan.pdf", scanned_pdf_bytes()),
        source("broken.docx", b"\x00" * 100),
        source("photo.txt", bytes(range(256))),
        source("walk.zip", b"", problem="archive too large"),
        source("b.docx", docx_bytes("关于年度预算的说明", "预算正文。")),
        source("copy-of-a.txt", NOTICE.encode("gb18030")),
    ]
    bus, seen = FakeBus(), list[str]()
    clock = FixedClock(datetime(2026, 6, 1, 10, tzinfo=SHANGHAI))
    report = await import_sources(sources, options=DEFAULTS, bus=bus, clock=clock, on_file=seen.append, batch_size=1)
    assert seen == [s.name for s in sources]
    assert report.imported == [("a.txt", "txt"), ("b.docx", "docx")]
    assert report.duplicates == [("copy-of-a.txt", "a.txt")]
    assert [(name, reason) for name, _, reason in report.failed] == [
        ("scan.pdf", "no text layer (scanned image?)"),
        ("broken.docx", "not a readable .docx (corrupt, or an old .doc renamed?)"),
        ("photo.txt", "binary content, not text"),
        ("walk.zip", "archive too large"),
    ]
    assert report.exit_code == 1
    assert [(e.type, e.source, e.topic) for e in bus.events] == [("document.submitted", "intake", Topic.DOCUMENTS)] * 2
    assert [DocumentSubmitted.model_validate(e.data).source_file for e in bus.events] == ["a.txt", "b.docx"]
    assert {e.recorded_at for e in bus.events} == {clock.now()}


async def test_publishing_is_batched() -> None:
    sources = [source(f"{i}.txt", f"通知{i}\n正文{i}".encode()) for i in range(7)]
    bus = FakeBus()
    report = await import_sources(sources, options=DEFAULTS, bus=bus, batch_size=3)
    assert (len(report.imported), len(bus.events), bus.batches, report.exit_code) == (7, 7, 3, 0)


async def test_a_dry_run_checks_everything_and_publishes_nothing() -> None:
    report = await import_sources([source("a.txt", NOTICE.encode())], options=DEFAULTS, bus=None)
    assert report.dry_run and report.imported == [("a.txt", "txt")]
    assert summary_lines(report)[0] == "would import 1 file for review (txt 1)"


async def test_a_bus_that_fails_stops_the_run_and_says_so() -> None:
    sources = [source(f"{i}.txt", f"通知{i}\n正文{i}".encode()) for i in range(5)]
    report = await import_sources(sources, options=DEFAULTS, bus=FakeBus(broken=True), batch_size=2)
    assert report.imported == []
    assert [reason for _, _, reason in report.failed] == ["not imported: the event bus failed"] * 2
    assert report.stopped == "the event bus failed (ConnectionError: broker unreachable); 3 files not attempted"
    assert report.exit_code == 1


async def test_an_unexpected_error_in_one_file_is_reported_without_its_message() -> None:
    def explode() -> bytes:
        raise KeyError("张三 13812345678")

    report = await import_sources(
        [SourceFile("odd.txt", explode), source("a.txt", NOTICE.encode())], options=DEFAULTS, bus=FakeBus()
    )
    assert report.failed == [("odd.txt", "txt", "unexpected error (KeyError)")]
    assert report.imported == [("a.txt", "txt")]


async def test_importing_the_same_archive_twice_into_the_embedded_log_appends_each_document_once(
    tmp_path: Path,
) -> None:
    sources = [source("a.txt", NOTICE.encode()), source("b.docx", docx_bytes("关于年度预算的说明", "预算正文。"))]
    for _ in range(2):
        bus = EmbeddedBus(tmp_path / "bus.db")
        await bus.start()
        try:
            report = await import_sources(sources, options=DEFAULTS, bus=bus)
        finally:
            await bus.close()
        assert report.exit_code == 0
    bus = EmbeddedBus(tmp_path / "bus.db")
    await bus.start()
    try:
        assert len(await bus.read(Topic.DOCUMENTS)) == 2
    finally:
        await bus.close()


def test_the_summary_counts_by_format_and_lists_every_failure_by_name() -> None:
    report = ImportReport(
        imported=[("a.txt", "txt"), ("b.pdf", "pdf"), ("c.txt", "txt")],
        duplicates=[("d.txt", "a.txt")],
        failed=[("x.docx", "docx", "not a readable .docx"), ("old.doc", "doc", "unsupported format .doc")],
        already_published=True,
    )
    assert summary_lines(report) == [
        "imported 3 files as already published (pdf 1, txt 2)",
        "skipped 1 file with the same content as another:",
        "  d.txt: same content as a.txt",
        "failed 2 files (doc 1, docx 1):",
        "  x.docx: not a readable .docx",
        "  old.doc: unsupported format .doc",
    ]


async def test_an_unreachable_bus_stops_before_any_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "bus.db").mkdir()  # not a database file: the embedded bus cannot open it
    settings = Settings(data_dir=tmp_path, bus="embedded")
    report = await run_import([source("a.txt", NOTICE.encode())], settings=settings, options=DEFAULTS)
    assert report.imported == [] and report.exit_code == 1
    assert report.stopped is not None and report.stopped.startswith("the event bus is unavailable")
    assert report.stopped.endswith("1 file not attempted")
