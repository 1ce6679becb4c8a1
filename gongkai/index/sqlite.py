"""Embedded SearchIndex: SQLite FTS5 over analysed terms, in one file beside the event log.

Documents live in a plain table (also holding tombstones); their analysed terms, space
separated, live in an FTS5 table keyed by the document's rowid. The user's query reaches
FTS5 only as a conjunction of quoted terms (:func:`match_expression`), never as syntax.
All SQLite work runs on one dedicated thread, so the event loop never blocks on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from gongkai.index.analysis import highlight, index_terms, query_terms, snippet
from gongkai.index.base import FACETS, Hit, IndexedDocument, SearchIndex, SearchQuery, SearchResult

__all__ = ["SqliteIndex", "match_expression"]

P = ParamSpec("P")
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    title TEXT, body TEXT, category TEXT, department TEXT, doc_number TEXT,
    published_at TEXT,
    published_us INTEGER,
    year INTEGER
);
CREATE INDEX IF NOT EXISTS documents_newest ON documents(deleted, published_us DESC, id);
CREATE VIRTUAL TABLE IF NOT EXISTS terms USING fts5(
    title_terms, body_terms, tokenize = "unicode61 remove_diacritics 0 tokenchars '.'"
);
"""
# Terms are already analysed and space separated; the tokenizer only has to split on the
# spaces and keep "pm2.5" whole. It must not fold diacritics our analysis kept.

# bm25 per column (title_terms, body_terms): a word in the title counts five times as much.
_RANK = "bm25(terms, 5.0, 1.0)"
_COLUMNS = "d.id, d.title, d.body, d.category, d.department, d.doc_number, d.published_at"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_Row = tuple[str, str, str, str, str, str | None, str]


def match_expression(terms: Sequence[str]) -> str:
    """An FTS5 query requiring every term, each a quoted string, so nothing in it is syntax.

    >>> match_expression(["发展", 'a"b'])
    '"发展" AND "a""b"'
    """
    return " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)


class SqliteIndex(SearchIndex):
    """The embedded adapter (``GONGKAI_INDEX=embedded``), one SQLite file in WAL mode.

    >>> index = SqliteIndex(Path("/tmp/gk-doc/index.db"))
    """

    def __init__(self, path: Path, *, timezone: str = "Asia/Shanghai") -> None:
        self.path = path
        self.timezone = ZoneInfo(timezone)
        self._executor: ThreadPoolExecutor | None = None
        self._db: sqlite3.Connection | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._db is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gongkai-index")
        self._db = await self._run(self._open)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        # The index can be rebuilt from the event log, so WAL's NORMAL durability is enough.
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=10000")
        db.executescript(_SCHEMA)
        return db

    async def close(self) -> None:
        if self._db is not None:
            await self._run(self._db.close)
            self._db = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self._executor is None:
            raise RuntimeError("index not started")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("index not started")
        return self._db

    # --- writing -------------------------------------------------------------------------------

    async def upsert(self, doc: IndexedDocument) -> bool:
        return await self._run(self._upsert, doc)

    def _upsert(self, doc: IndexedDocument) -> bool:
        db = self._conn
        # Analysing a long body takes a while: it too belongs off the event loop.
        title_terms, body_terms = " ".join(index_terms(doc.title)), " ".join(index_terms(doc.body))
        published = doc.published_at
        fields = (
            doc.version,
            doc.title,
            doc.body,
            doc.category,
            doc.department,
            doc.doc_number,
            published.isoformat(),
            (published - _EPOCH) // timedelta(microseconds=1),
            published.astimezone(self.timezone).year,
        )
        with _transaction(db):
            found = db.execute("SELECT seq, version FROM documents WHERE id = ?", (doc.id,)).fetchone()
            if found is not None and found[1] >= doc.version:
                return False
            if found is None:
                seq = db.execute(
                    "INSERT INTO documents(version, title, body, category, department, doc_number, "
                    "published_at, published_us, year, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*fields, doc.id),
                ).lastrowid
            else:
                seq = found[0]
                db.execute(
                    "UPDATE documents SET version = ?, title = ?, body = ?, category = ?, department = ?, "
                    "doc_number = ?, published_at = ?, published_us = ?, year = ?, deleted = 0 WHERE seq = ?",
                    (*fields, seq),
                )
                db.execute("DELETE FROM terms WHERE rowid = ?", (seq,))
            db.execute(
                "INSERT INTO terms(rowid, title_terms, body_terms) VALUES (?, ?, ?)",
                (seq, title_terms, body_terms),
            )
        return True

    async def delete(self, doc_id: str, version: int) -> bool:
        return await self._run(self._delete, doc_id, version)

    def _delete(self, doc_id: str, version: int) -> bool:
        db = self._conn
        with _transaction(db):
            found = db.execute("SELECT seq, version, deleted FROM documents WHERE id = ?", (doc_id,)).fetchone()
            if found is None:
                db.execute("INSERT INTO documents(id, version, deleted) VALUES (?, ?, 1)", (doc_id, version))
                return True
            seq, held, deleted = found
            # A tombstone wins a tie with the live document of the same version.
            if held > version or (held == version and deleted):
                return False
            # A withdrawn document may have been withdrawn for what it says: keep none of it.
            db.execute(
                "UPDATE documents SET version = ?, deleted = 1, title = NULL, body = NULL, category = NULL, "
                "department = NULL, doc_number = NULL, published_at = NULL, published_us = NULL, year = NULL "
                "WHERE seq = ?",
                (version, seq),
            )
            db.execute("DELETE FROM terms WHERE rowid = ?", (seq,))
        return True

    # --- reading -------------------------------------------------------------------------------

    async def get(self, doc_id: str) -> IndexedDocument | None:
        return await self._run(self._get, doc_id)

    def _get(self, doc_id: str) -> IndexedDocument | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS}, d.version FROM documents d WHERE d.id = ? AND d.deleted = 0", (doc_id,)
        ).fetchone()
        if row is None:
            return None
        id_, title, body, category, department, doc_number, published_at, version = row
        return IndexedDocument(
            id=id_,
            title=title,
            body=body,
            category=category,
            department=department,
            doc_number=doc_number,
            published_at=datetime.fromisoformat(published_at),
            version=version,
        )

    async def count(self) -> int:
        return await self._run(self._count)

    def _count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM documents WHERE deleted = 0").fetchone()[0])

    async def search(self, query: SearchQuery) -> SearchResult:
        return await self._run(self._search, query, query_terms(query.q))

    def _search(self, query: SearchQuery, terms: list[str]) -> SearchResult:
        match = _Match(terms)
        where, params = _filters(query)
        rows: list[_Row] = self._conn.execute(
            f"SELECT {_COLUMNS} FROM {match.source} WHERE {where} "
            f"ORDER BY {match.rank}d.published_us DESC, d.id LIMIT ? OFFSET ?",
            (*match.params, *params, query.size, query.offset),
        ).fetchall()
        total = self._conn.execute(
            f"SELECT count(*) FROM {match.source} WHERE {where}", (*match.params, *params)
        ).fetchone()[0]
        return SearchResult(
            total=int(total),
            hits=[_hit(row, terms) for row in rows],
            facets={name: self._facet(name, query, match) for name in FACETS},
        )

    def _facet(self, name: str, query: SearchQuery, match: _Match) -> dict[str, int]:
        # Counted under every filter but this facet's own (a visitor may switch value).
        where, params = _filters(query, leave_out=name)
        rows = self._conn.execute(
            f"SELECT d.{name}, count(*) AS n FROM {match.source} WHERE {where} "
            f"GROUP BY d.{name} ORDER BY n DESC, d.{name}",
            (*match.params, *params),
        ).fetchall()
        return {str(value): int(n) for value, n in rows}


class _Match:
    """The FROM clause, its parameters and the rank ordering for the query's terms."""

    def __init__(self, terms: Sequence[str]) -> None:
        if terms:
            self.source = "terms JOIN documents d ON d.seq = terms.rowid AND terms MATCH ?"
            self.params: tuple[Any, ...] = (match_expression(terms),)
            self.rank = f"{_RANK}, "
        else:
            self.source = "documents d"
            self.params = ()
            self.rank = ""


def _filters(query: SearchQuery, *, leave_out: str | None = None) -> tuple[str, tuple[Any, ...]]:
    clauses, params = ["d.deleted = 0"], []
    wanted = {"category": query.category, "department": query.department, "year": query.year}
    for column, value in wanted.items():
        if value is not None and column != leave_out:
            clauses.append(f"d.{column} = ?")
            params.append(value)
    return " AND ".join(clauses), tuple(params)


def _hit(row: _Row, terms: list[str]) -> Hit:
    id_, title, body, category, department, doc_number, published_at = row
    return Hit(
        id=id_,
        title=highlight(title, terms),
        snippet=snippet(body, terms),
        category=category,
        department=department,
        doc_number=doc_number,
        published_at=datetime.fromisoformat(published_at),
    )


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
