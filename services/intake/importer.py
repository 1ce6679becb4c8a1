"""Bulk import of an agency's existing archive (存量信息导入): files, folders and zips become
``document.submitted`` events, so imported items go through the same review as new ones.

Metadata comes from a ``metadata.csv``/``metadata.json`` sidecar, the operator's defaults, or the
text itself. Each file succeeds or fails alone; a report names the failures and why, never what
the files contain. Ids derive from the file's content, so importing an archive twice is harmless.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from gongkai.bus import EventBus, open_bus
from gongkai.clock import AGENCY_TZ, Clock, clock_from_setting
from gongkai.events import DocumentSubmitted, Envelope, new_event
from gongkai.settings import Settings
from services.intake.domain import DocumentDraft
from services.intake.import_metadata import (
    SIDECAR_NAMES,
    FileRejected,
    ItemMetadata,
    Sidecar,
    metadata_of,
    parse_sidecar,
)
from services.intake.import_sources import SourceFile, ZipLimits, collect_sources, member_name
from services.intake.importer_formats import (
    FORMATS,
    UnreadableFile,
    extract,
    infer_metadata,
)

__all__ = [
    "SIDECAR_NAMES",
    "FileRejected",
    "ImportOptions",
    "ImportReport",
    "ItemMetadata",
    "PreparedDocument",
    "Sidecar",
    "SourceFile",
    "ZipLimits",
    "collect_sources",
    "import_sources",
    "member_name",
    "metadata_of",
    "parse_sidecar",
    "prepare",
    "run_import",
    "summary_lines",
]

_IMPORT_NS = uuid.UUID("0b6a4c1e-2f7d-5a8e-9c3b-6d1e4f2a7b90")


# --- one file → one validated document ------------------------------------------------------------


@dataclass(frozen=True)
class ImportOptions:
    """The operator's defaults, and whether the items were public before (they keep that date)."""

    defaults: ItemMetadata = field(default_factory=ItemMetadata)
    already_published: bool = False
    timezone: ZoneInfo = AGENCY_TZ


@dataclass(frozen=True)
class PreparedDocument:
    """A file's validated document, with an id derived from its content (a re-import repeats it)."""

    source: str
    format: str
    doc_id: str
    data: DocumentSubmitted

    def event(self, *, recorded_at: datetime | None = None) -> Envelope:
        return new_event(
            "document.submitted",
            subject=self.doc_id,
            source="intake",
            data=self.data,
            recorded_at=recorded_at,
            event_id=uuid.uuid5(_IMPORT_NS, f"document.submitted:{self.doc_id}"),
        )


def prepare(source: SourceFile, options: ImportOptions) -> PreparedDocument:
    """Read, extract and validate one file, as intake validates a clerk's draft."""
    if source.problem:
        raise FileRejected(source.problem)
    raw = source.read()
    text = extract(raw, source.name)
    inferred = infer_metadata(text.body)
    given = ItemMetadata()
    for sidecar, row in reversed(source.rows):  # the nearest (first) row wins
        given = metadata_of(row, sidecar).over(given)
    meta = given.over(options.defaults)
    title = meta.title or text.title or inferred.title
    formed_on = meta.formed_on or inferred.formed_on
    draft = _draft(
        title=title,
        body=_without_title(text.body, title),
        meta=replace(meta, doc_number=meta.doc_number or inferred.doc_number, formed_on=formed_on),
    )
    published_on = meta.published_on or inferred.published_on or formed_on
    # The archive file is the original: no second copy of the text in the event.
    extra: dict[str, Any] = {"source_file": source.name, "original_title": None, "original_body": None}
    if options.already_published:
        extra["already_published_at"] = _published_at(published_on, options.timezone)
    data = DocumentSubmitted.model_validate({**draft.to_event_data().model_dump(), **extra})
    return PreparedDocument(source.name, text.format, _document_id(raw), data)


def _draft(*, title: str | None, body: str, meta: ItemMetadata) -> DocumentDraft:
    if not title:
        raise FileRejected("no title: the text is empty and no sidecar names one")
    if not meta.category:
        raise FileRejected("no category: add 类别 to the metadata sidecar or pass --category")
    if not meta.department:
        raise FileRejected("no department: add 部门 to the metadata sidecar or pass --department")
    fields_ = {
        "title": title,
        "body": body,
        "category": meta.category,
        "department": meta.department,
        "doc_number": meta.doc_number,
        "formed_on": meta.formed_on,
        "doc_type": meta.doc_type or "other",
    }
    try:
        return DocumentDraft.model_validate(fields_)
    except ValidationError as exc:
        raise FileRejected(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    """Field and rule of each error; never the offending value (it is the document's text)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'document'}: {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False, include_context=False)
    )


def _without_title(body: str, title: str | None) -> str:
    """The body without its first line when that line is the title (the review shows both)."""
    head, _, rest = body.strip().partition("\n")
    return rest if title and head.strip() == title and rest.strip() else body


def _published_at(day: date | None, tz: ZoneInfo) -> datetime:
    if day is None:
        raise FileRejected("--already-published needs a date: add 发布日期 or 成文日期 to the metadata sidecar")
    return datetime.combine(day, time(0), tzinfo=tz)


def _document_id(raw: bytes) -> str:
    return uuid.uuid5(_IMPORT_NS, hashlib.sha256(raw).hexdigest()).hex


# --- the run --------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What happened to every file: imported (name, format), duplicates (name, first copy), failed."""

    imported: list[tuple[str, str]] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)
    dry_run: bool = False
    already_published: bool = False
    stopped: str | None = None

    @property
    def exit_code(self) -> int:
        """0 when every file was imported (or was a duplicate), 1 when some failed."""
        return 1 if self.failed or self.stopped else 0


def _kind(name: str) -> str:
    suffix = PurePosixPath(name.rsplit("!", 1)[-1]).suffix.lower()
    return FORMATS.get(suffix) or suffix.lstrip(".") or "other"


async def import_sources(
    sources: Sequence[SourceFile],
    *,
    options: ImportOptions,
    bus: EventBus | None,
    clock: Clock | None = None,
    on_file: Callable[[str], None] = lambda _: None,
    batch_size: int = 50,
) -> ImportReport:
    """Prepare each file and publish the good ones in batches; ``bus=None`` is a dry run."""
    report = ImportReport(dry_run=bus is None, already_published=options.already_published)
    first_seen: dict[str, str] = {}
    batch: list[PreparedDocument] = []
    for done, source in enumerate(sources, start=1):
        doc = await _prepare_reporting(source, options, report)
        if doc is not None and doc.doc_id in first_seen:
            report.duplicates.append((source.name, first_seen[doc.doc_id]))
        elif doc is not None:
            first_seen[doc.doc_id] = source.name
            batch.append(doc)
        if len(batch) >= batch_size or (done == len(sources) and batch):
            if not await _publish(batch, bus, clock, report):
                if done < len(sources):
                    report.stopped = f"{report.stopped}; {_files(len(sources) - done)} not attempted"
                break
            batch = []
        on_file(source.name)
    return report


async def _prepare_reporting(
    source: SourceFile, options: ImportOptions, report: ImportReport
) -> PreparedDocument | None:
    try:
        return await asyncio.to_thread(prepare, source, options)
    except (FileRejected, UnreadableFile) as exc:
        report.failed.append((source.name, _kind(source.name), str(exc)))
    except Exception as exc:  # one odd file must not stop the archive; its message may quote content
        report.failed.append((source.name, _kind(source.name), f"unexpected error ({type(exc).__name__})"))
    return None


async def _publish(
    batch: list[PreparedDocument], bus: EventBus | None, clock: Clock | None, report: ImportReport
) -> bool:
    now = clock.now() if clock else None
    try:
        if bus is not None:
            await bus.publish_many([doc.event(recorded_at=now) for doc in batch])
    except Exception as exc:  # the bus is down: nothing more can be imported
        report.stopped = f"the event bus failed ({type(exc).__name__}: {exc})"
        report.failed.extend((doc.source, doc.format, "not imported: the event bus failed") for doc in batch)
        return False
    report.imported.extend((doc.source, doc.format) for doc in batch)
    return True


async def run_import(
    sources: Sequence[SourceFile],
    *,
    settings: Settings,
    options: ImportOptions,
    dry_run: bool = False,
    on_file: Callable[[str], None] = lambda _: None,
) -> ImportReport:
    """Import through the bus the settings name (embedded or Kafka), or only check with ``dry_run``."""
    clock = clock_from_setting(settings.clock)
    if dry_run:
        return await import_sources(sources, options=options, bus=None, clock=clock, on_file=on_file)
    bus = open_bus(settings)
    try:
        await bus.start()
    except Exception as exc:  # Kafka unreachable, data directory not writable …
        stopped = f"the event bus is unavailable ({type(exc).__name__}: {exc}); {_files(len(sources))} not attempted"
        return ImportReport(already_published=options.already_published, stopped=stopped)
    try:
        return await import_sources(sources, options=options, bus=bus, clock=clock, on_file=on_file)
    finally:
        await bus.close()


def summary_lines(report: ImportReport) -> list[str]:
    """The operator's summary: counts by format, then every skipped or failed file with its reason."""
    verb = "would import" if report.dry_run else "imported"
    into = "as already published" if report.already_published else "for review"
    lines = [f"{verb} {_files(len(report.imported))} {into}" + _counts(k for _, k in report.imported)]
    if report.duplicates:
        lines.append(f"skipped {_files(len(report.duplicates))} with the same content as another:")
        lines += [f"  {name}: same content as {first}" for name, first in report.duplicates]
    if report.failed:
        lines.append(f"failed {_files(len(report.failed))}" + _counts(k for _, k, _ in report.failed) + ":")
        lines += [f"  {name}: {reason}" for name, _, reason in report.failed]
    if report.stopped:
        lines.append(f"stopped: {report.stopped}")
    return lines


def _counts(kinds: Iterable[str]) -> str:
    """`` (docx 1, txt 2)``: counts by format."""
    counts = sorted(Counter(kinds).items())
    return " (" + ", ".join(f"{kind} {n}" for kind, n in counts) + ")" if counts else ""


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"
