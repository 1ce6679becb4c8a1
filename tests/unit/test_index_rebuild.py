"""The index as a projection of the public stream: live events, and `gongkai reindex` from the log."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

from gongkai.bus import open_bus
from gongkai.events import (
    DocumentPublished,
    DocumentValidityChanged,
    DocumentWithdrawn,
    Envelope,
    Topic,
    new_event,
)
from gongkai.index import SearchQuery, SqliteIndex, open_index
from gongkai.index.projection import apply_public_event, apply_public_events, indexed_document
from gongkai.index.rebuild import reindex
from gongkai.settings import Settings

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def published(doc_id: str, title: str, version: int, kind: str = "document.published") -> Envelope:
    data = DocumentPublished(
        title=title,
        body=f"{title}的正文。",
        category="art20.1",
        department="市司法局",
        doc_type="regulation",
        published_at=AT,
        version=version,
    )
    return new_event(kind, subject=doc_id, source="publish", data=data)


def withdrawn(doc_id: str, version: int) -> Envelope:
    data = DocumentWithdrawn(reason="内容有误", withdrawn_at=AT, version=version)
    return new_event("document.withdrawn", subject=doc_id, source="publish", data=data)


def relabelled(doc_id: str, version: int) -> Envelope:
    data = DocumentValidityChanged(validity="repealed", effective_on=date(2026, 4, 1), version=version)
    return new_event("document.validity_changed", subject=doc_id, source="publish", data=data)


STREAM = [
    published("a" * 32, "城市供水管理办法", 10),
    published("b" * 32, "停车场管理规定", 10),
    published("a" * 32, "城市供水管理办法（修正）", 20, "document.corrected"),
    relabelled("b" * 32, 30),
    published("c" * 32, "临时通告", 10),
    withdrawn("c" * 32, 20),
]


async def titles(index: SqliteIndex) -> dict[str, tuple[str, str]]:
    result = await index.search(SearchQuery(size=100))
    return {hit.id: (hit.title, hit.validity) for hit in result.hits}


EXPECTED = {"a" * 32: ("城市供水管理办法（修正）", "in_force"), "b" * 32: ("停车场管理规定", "repealed")}


async def test_public_events_one_by_one_in_any_order_and_twice(tmp_path: Path) -> None:
    async with SqliteIndex(tmp_path / "index.db") as index:
        for event in [*STREAM, *reversed(STREAM), *STREAM]:
            await apply_public_event(index, event)

        assert await titles(index) == EXPECTED
        stored = await index.get("a" * 32)
        assert stored is not None and stored.doc_type == "regulation" and stored.version == 20


async def test_public_events_in_batches_give_the_same_index(tmp_path: Path) -> None:
    async with SqliteIndex(tmp_path / "index.db") as index:
        assert await apply_public_events(index, STREAM + STREAM) == 12

        assert await titles(index) == EXPECTED


async def test_reindex_rebuilds_from_the_log_and_reports_progress(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, bus="embedded", index="embedded", environment="test")
    bus = open_bus(settings)
    await bus.start()
    await bus.publish_many(STREAM)
    await bus.publish_raw(Topic.PUBLIC_DOCUMENTS, key="x", value=b"not an event")
    await bus.close()
    async with open_index(settings) as stale:  # an index that drifted from the log
        await stale.upsert(indexed_document(published("d" * 32, "不在日志里的文件", 1)))
    seen: list[tuple[int, int]] = []

    live = await reindex(settings, progress=lambda done, total: seen.append((done, total)))

    assert live == 2
    assert seen[0] == (0, 7) and seen[-1][0] == seen[-1][1]
    async with SqliteIndex(tmp_path / "index.db") as index:
        assert await titles(index) == EXPECTED


async def test_search_answers_throughout_a_reindex_and_nothing_published_meanwhile_is_lost(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, bus="embedded", index="embedded", environment="test")
    bus = open_bus(settings)
    await bus.start()
    await bus.publish_many([published(f"{n:032x}", f"第{n}号公告", 1) for n in range(300)])
    async with SqliteIndex(tmp_path / "index.db") as serving:
        await apply_public_events(serving, [Envelope.from_bytes(raw) for raw in await bus.read(Topic.PUBLIC_DOCUMENTS)])
        totals: list[int] = []
        stop = asyncio.Event()

        async def portal() -> None:
            while not stop.is_set():
                totals.append((await serving.search(SearchQuery(q="公告"))).total)
                await asyncio.sleep(0.001)

        async def publisher() -> None:  # the live service goes on publishing and indexing
            for n in range(300, 320):
                event = published(f"{n:032x}", f"第{n}号公告", 1)
                await bus.publish(event)
                await apply_public_event(serving, event)
                await asyncio.sleep(0.002)

        watching = asyncio.create_task(portal())
        await asyncio.gather(reindex(settings), publisher())
        stop.set()
        await watching

        assert min(totals) >= 300
        assert (await serving.search(SearchQuery(q="公告"))).total == 320
    await bus.close()
