"""What only the embedded index does: the ranking window, the live-file pointer, old layouts."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gongkai.index import IndexedDocument, SearchIndex, SearchQuery, SqliteIndex

CST = ZoneInfo("Asia/Shanghai")


def doc(n: int, title: str, body: str = "", **fields: object) -> IndexedDocument:
    values: dict[str, object] = {
        "id": f"doc-{n}",
        "title": title,
        "body": body,
        "category": "art20.1",
        "department": "市财政局",
        "doc_number": None,
        "published_at": datetime(2026, 1, 1, 9, 0, tzinfo=CST) + timedelta(days=n),
        "version": 1,
    }
    values.update(fields)
    return IndexedDocument(**values)  # type: ignore[arg-type]


async def test_a_query_within_the_window_is_exact(tmp_path: Path) -> None:
    async with SqliteIndex(tmp_path / "index.db", window=10) as index:
        await index.upsert_many([doc(n, f"第{n}期预算简报", "预算执行情况") for n in range(10)])

        result = await index.search(SearchQuery(q="预算"))

    assert result.exact and result.total == 10


async def test_beyond_the_window_the_newest_matches_are_counted_and_titles_come_first(tmp_path: Path) -> None:
    docs = [doc(n, f"第{n}期工作简报", "本期涉及预算执行情况。") for n in range(8)]
    docs[1] = doc(1, "关于预算公开的通知", "预算")  # old, but the term is in its title
    docs[6] = doc(6, "关于预算调整的报告", "预算")
    async with SqliteIndex(tmp_path / "index.db", window=5, common=2) as index:
        await index.upsert_many(docs)

        result = await index.search(SearchQuery(q="预算"))
        second_page = await index.search(SearchQuery(q="预算", page=2, size=3))

    assert not result.exact
    assert result.total == 5  # a lower bound: the newest five matches
    assert result.facets["year"] == {"2026": 5}
    # doc-1 is outside the window of the five newest matches (7, 6, 5, 4, 3).
    assert [hit.id for hit in result.hits] == ["doc-6", "doc-7", "doc-5", "doc-4", "doc-3"]
    assert [hit.id for hit in second_page.hits] == ["doc-4", "doc-3"]


async def test_a_year_filter_beyond_the_window_still_finds_that_years_documents(tmp_path: Path) -> None:
    docs = [doc(n, f"第{n}期预算简报", published_at=datetime(2024 + n % 3, 6, 1 + n, tzinfo=CST)) for n in range(9)]
    async with SqliteIndex(tmp_path / "index.db", window=4) as index:
        await index.upsert_many(docs)

        result = await index.search(SearchQuery(q="预算", year=2024))

    assert [hit.id for hit in result.hits] == ["doc-6", "doc-3", "doc-0"]
    assert result.total == 3 and result.exact


async def test_documents_published_in_the_same_microsecond_keep_apart(tmp_path: Path) -> None:
    same = datetime(2026, 5, 1, 8, 0, tzinfo=CST)
    async with SqliteIndex(tmp_path / "index.db") as index:
        await index.upsert_many([doc(n, "同一时刻发布的通知", published_at=same) for n in range(3)])
        await index.delete("doc-1", 2)

        assert await index.count() == 2
        assert {hit.id for hit in (await index.search(SearchQuery(q="通知"))).hits} == {"doc-0", "doc-2"}


async def test_a_correction_that_moves_the_publication_date_moves_the_document(tmp_path: Path) -> None:
    async with SqliteIndex(tmp_path / "index.db") as index:
        await index.upsert(doc(1, "关于试行的通知", published_at=datetime(2025, 3, 1, tzinfo=CST)))
        await index.upsert(doc(1, "关于试行的通知", published_at=datetime(2026, 3, 1, tzinfo=CST), version=2))

        assert [hit.id for hit in (await index.search(SearchQuery(q="试行", year=2026))).hits] == ["doc-1"]
        assert (await index.search(SearchQuery(q="试行", year=2025))).total == 0
        assert await index.count() == 1


async def test_another_process_moves_to_the_rebuilt_file_at_its_next_operation(tmp_path: Path) -> None:
    writer = SqliteIndex(tmp_path / "index.db")
    reader = SqliteIndex(tmp_path / "index.db")  # e.g. `gongkai up`, while `gongkai reindex` runs
    async with writer, reader:
        await writer.upsert(doc(1, "旧的通知"))
        assert await reader.count() == 1
        first_file = reader.live_file

        async def fill(fresh: SearchIndex) -> None:
            await fresh.upsert_many([doc(2, "新的通知"), doc(3, "新的公告")])

        await writer.rebuild(fill)

        assert await reader.count() == 2
        assert reader.live_file != first_file and not first_file.exists()
        assert (tmp_path / "index.current").read_text().strip() == reader.live_file.name
        # And so does a process started afterwards.
        async with SqliteIndex(tmp_path / "index.db") as later:
            assert await later.get("doc-2") is not None


async def test_rebuilds_do_not_run_twice_at_once(tmp_path: Path) -> None:
    index = SqliteIndex(tmp_path / "index.db")
    other = SqliteIndex(tmp_path / "index.db")
    async with index, other:

        async def fill(fresh: SearchIndex) -> None:
            with pytest.raises(RuntimeError, match="another rebuild"):
                await other.rebuild(fill)

        await index.rebuild(fill)


async def test_files_of_an_abandoned_rebuild_are_cleaned_up(tmp_path: Path) -> None:
    abandoned = tmp_path / "index-20260101000000-abcdef.db"
    abandoned.write_bytes(b"")
    (tmp_path / "index-20260101000000-abcdef.db-wal").write_bytes(b"")

    async with SqliteIndex(tmp_path / "index.db") as index:
        await index.rebuild(lambda fresh: fresh.upsert(doc(1, "通知")))  # type: ignore[arg-type,return-value]

    assert not abandoned.exists()
    assert not (tmp_path / "index-20260101000000-abcdef.db-wal").exists()


async def test_an_index_of_an_older_layout_is_started_afresh(tmp_path: Path) -> None:
    old = sqlite3.connect(tmp_path / "index.db")
    old.executescript(
        "CREATE TABLE documents (seq INTEGER PRIMARY KEY, id TEXT, title TEXT);"
        "CREATE VIRTUAL TABLE terms USING fts5(title_terms, body_terms);"
        "INSERT INTO documents(id, title) VALUES ('x', '旧版');"
    )
    old.close()

    async with SqliteIndex(tmp_path / "index.db") as index:
        assert await index.count() == 0
        await index.upsert(doc(1, "新版的通知"))
        assert [hit.id for hit in (await index.search(SearchQuery(q="新版"))).hits] == ["doc-1"]


async def test_the_stored_text_is_compressed_and_the_terms_are_not_stored_twice(tmp_path: Path) -> None:
    body = "各区人民政府，市政府各部门：现将有关事项通知如下。" * 40
    async with SqliteIndex(tmp_path / "index.db") as index:
        await index.upsert(doc(1, "关于印发的通知", body))
        assert (await index.get("doc-1")).body == body  # type: ignore[union-attr]
        db = sqlite3.connect(index.live_file)
        stored = db.execute("SELECT length(body) FROM texts").fetchone()[0]
        content = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'terms_content'").fetchone()[0]
        db.close()

    assert stored < len(body.encode()) / 4
    assert content == 0
