"""Embedded SearchIndex: SQLite FTS5 over analysed terms, in a file beside the event log.

Tables: ``versions`` (the version held for every document id, tombstones included), ``live``
(the fields filters and facets use), ``texts`` (what hits and pages show) and ``terms``, a
contentless FTS5 table of the analysed words and bigrams of title and body
(:mod:`gongkai.index.analysis`). A live document's rowid is its publication instant in
microseconds, so FTS5 walks matches newest first for free and a year or date range is a rowid
range. The analysed terms are also kept, compressed, to take a document out of ``terms`` again.
The user's query reaches FTS5 only as quoted tokens (:func:`match_expression`), never as syntax.

FTS5 ranks by visiting every match, so a query is ranked and counted within the newest
``window`` matches (4,000 by default): exactly whenever fewer match, which is nearly always;
otherwise the result says it is not exact and ``total`` is a lower bound.

``rebuild`` fills a new file and then replaces a one-line pointer file naming the live one
(``index.current`` beside ``index.db``); every ``SqliteIndex`` on the same path, in this process
or another, checks the pointer before each operation and moves to the new file at once.
SQLite work runs on threads (one writer, a few readers), so the event loop never blocks on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import heapq
import itertools
import logging
import os
import secrets
import sqlite3
import threading
import time
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from gongkai.events import DocType, Validity
from gongkai.index.analysis import Term, document_terms, highlight, query_terms, snippet
from gongkai.index.base import FACETS, Hit, IndexedDocument, SearchIndex, SearchQuery, SearchResult

__all__ = ["SqliteIndex", "match_expression"]

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

#: Bumped whenever the tables or the analysis change: an index of another version is rebuilt.
SCHEMA_VERSION = 4

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '{SCHEMA_VERSION}');
CREATE TABLE IF NOT EXISTS versions (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    seq INTEGER  -- NULL: a tombstone
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS live (
    seq INTEGER PRIMARY KEY,  -- microseconds since the epoch of published_at (+1 on a clash)
    id TEXT NOT NULL,
    year INTEGER NOT NULL,
    category TEXT NOT NULL,
    department TEXT NOT NULL,
    validity TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    replaced_by TEXT
);
CREATE TABLE IF NOT EXISTS texts (
    seq INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    doc_number TEXT,
    published_at TEXT NOT NULL,
    body BLOB NOT NULL,  -- zlib
    terms BLOB NOT NULL  -- zlib, the four analysed columns
);
CREATE VIRTUAL TABLE IF NOT EXISTS terms USING fts5(
    title_words, body_words, title_grams, body_grams, content = '', tokenize = "ascii tokenchars '.'"
);
CREATE VIRTUAL TABLE IF NOT EXISTS titles USING fts5(
    title_words, title_grams, content = '', tokenize = "ascii tokenchars '.'"
);
CREATE TABLE IF NOT EXISTS facet_counts (
    category TEXT NOT NULL, department TEXT NOT NULL, year INTEGER NOT NULL, validity TEXT NOT NULL,
    n INTEGER NOT NULL, PRIMARY KEY (category, department, year, validity)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS facet_insert AFTER INSERT ON live BEGIN
    INSERT INTO facet_counts VALUES (NEW.category, NEW.department, NEW.year, NEW.validity, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS facet_delete AFTER DELETE ON live BEGIN
    UPDATE facet_counts SET n = n - 1 WHERE category = OLD.category AND department = OLD.department
        AND year = OLD.year AND validity = OLD.validity;
    DELETE FROM facet_counts WHERE n = 0;
END;
CREATE TRIGGER IF NOT EXISTS facet_update AFTER UPDATE OF validity ON live BEGIN
    UPDATE facet_counts SET n = n - 1 WHERE category = OLD.category AND department = OLD.department
        AND year = OLD.year AND validity = OLD.validity;
    INSERT INTO facet_counts VALUES (NEW.category, NEW.department, NEW.year, NEW.validity, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
    DELETE FROM facet_counts WHERE n = 0;
END;
"""
# Terms are analysed and space separated already; FTS5's ascii tokenizer only has to split on
# the spaces (every non-ASCII character is part of a token) and keep "pm2.5" whole.

#: bm25 weights per column (title_words, body_words, title_grams, body_grams): a title counts 5×.
_RANK = "bm25(terms, 5.0, 1.0, 5.0, 1.0)"
_TITLE_RANK = "bm25(titles)"
_BOTH = ("{title_words body_words}", "{title_grams body_grams}")
_TITLE = ("{title_words}", "{title_grams}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SEP = "\x00"  # between the four analysed columns in the compressed copy (never in a term)
_READERS = 2
#: How many of the newest matches a query is ranked and counted within.
WINDOW = 4_000
#: A term in more documents than this does not take part in bm25 (see ``SqliteIndex._matching``).
COMMON = 1_500
_SCORED_TERMS = 8
_ALL_TIME = (-(2**62), 2**62)


def match_expression(terms: Sequence[Term], *, columns: tuple[str, str] = _BOTH) -> str:
    """An FTS5 query requiring every term; each token is a quoted string, so nothing is syntax.

    ``columns`` are where words and where bigrams are looked for: title and body, or the title.

    >>> from gongkai.index.analysis import query_terms
    >>> for clause in match_expression(query_terms("发展改革 pm2.5 税")).split(" AND "):
    ...     print(clause)
    {title_grams body_grams} : "发展 展改 改革"
    {title_words body_words} : "pm2.5"
    {title_grams body_grams} : "税" *
    """
    return " AND ".join(_term_expression(term, columns) for term in terms)


def _term_expression(term: Term, columns: tuple[str, str]) -> str:
    options = [_spelling_expression(spelling, columns) for spelling in term.spellings]
    return options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")"


def _spelling_expression(term: Term, columns: tuple[str, str]) -> str:
    words, grams = columns
    phrase = '"' + " ".join(term.tokens()).replace('"', '""') + '"'
    if term.route == "words":
        return f"{words} : {phrase}"
    if term.route == "prefix":
        return f"{grams} : {phrase} *"
    return f"{grams} : {phrase}"


class SqliteIndex(SearchIndex):
    """The embedded adapter (``GONGKAI_INDEX=embedded``): SQLite files in WAL mode.

    ``path`` names the index (``var/index.db``); the live file is the one ``index.current``
    beside it names, or ``path`` itself before the first rebuild.

    >>> index = SqliteIndex(Path("/tmp/gk-doc/index.db"))
    """

    def __init__(
        self,
        path: Path,
        *,
        timezone: str = "Asia/Shanghai",
        window: int = WINDOW,
        common: int = COMMON,
        follow_pointer: bool = True,
    ) -> None:
        self.path = path
        self.window = window
        self.common = common
        self.timezone = ZoneInfo(timezone)
        self._follow = follow_pointer
        self._pointer = path.with_suffix(".current")
        self._writer: ThreadPoolExecutor | None = None
        self._readers: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._connections: list[_Connection] = []
        self._lock = threading.Lock()
        self._pointer_seen: tuple[int, int, int] | None = None
        self._live_file = path

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._writer is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gongkai-index-w")
        self._readers = ThreadPoolExecutor(max_workers=_READERS, thread_name_prefix="gongkai-index-r")
        await self._write(lambda db: None)

    async def close(self) -> None:
        for executor in (self._writer, self._readers):
            if executor is not None:
                executor.shutdown(wait=True)
        self._writer = self._readers = None
        with self._lock:
            for connection in self._connections:
                connection.db.close()
            self._connections.clear()
        self._local = threading.local()

    @property
    def live_file(self) -> Path:
        """The file searches are answered from now."""
        return self._current_file()

    def _current_file(self) -> Path:
        if not self._follow:
            return self.path
        try:
            stat = self._pointer.stat()
        except FileNotFoundError:
            return self.path
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if seen != self._pointer_seen:
                name = self._pointer.read_text(encoding="utf-8").strip()
                # Only ever a file beside the pointer: the pointer cannot send us elsewhere.
                self._live_file = self.path.with_name(Path(name).name) if name else self.path
                self._pointer_seen = seen
            return self._live_file

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection to the live file, reopened when a rebuild swapped it."""
        live = self._current_file()
        held: _Connection | None = getattr(self._local, "connection", None)
        if held is not None and held.file == live:
            return held.db
        if held is not None:
            with self._lock:
                self._connections.remove(held)
            held.db.close()
        connection = _Connection(live, _open(live))
        self._local.connection = connection
        with self._lock:
            self._connections.append(connection)
        return connection.db

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await self._on(self._writer, fn)

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await self._on(self._readers, fn)

    async def _on(self, executor: ThreadPoolExecutor | None, fn: Callable[[sqlite3.Connection], T]) -> T:
        if executor is None:
            raise RuntimeError("index not started")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, lambda: fn(self._connection()))

    # --- writing -------------------------------------------------------------------------------

    async def upsert(self, doc: IndexedDocument) -> bool:
        return await self._write(functools.partial(self._upsert_many, [doc])) == 1

    async def upsert_many(self, docs: Iterable[IndexedDocument]) -> int:
        return await self._write(functools.partial(self._upsert_many, list(docs)))

    def _upsert_many(self, docs: list[IndexedDocument], db: sqlite3.Connection) -> int:
        # Analysing is the slow part: only what is newer than the index holds, and before the
        # write lock is taken.
        held = _versions(db, [doc.id for doc in docs])
        newest: dict[str, IndexedDocument] = {}
        for doc in docs:
            best = newest.get(doc.id)
            if (doc.id not in held or doc.version > held[doc.id]) and (best is None or doc.version > best.version):
                newest[doc.id] = doc
        analysed = {doc.id: _Analysed.of(doc) for doc in newest.values()}
        with _transaction(db):
            return sum(self._write_one(db, doc, analysed[doc.id]) for doc in newest.values())

    def _write_one(self, db: sqlite3.Connection, doc: IndexedDocument, analysed: _Analysed) -> int:
        found = db.execute("SELECT version, seq FROM versions WHERE id = ?", (doc.id,)).fetchone()
        if found is not None and found[0] >= doc.version:
            return 0
        if found is not None and found[1] is not None:
            _remove_live(db, found[1])
        seq = _free_seq(db, _microseconds(doc.published_at))
        db.execute(
            "INSERT INTO live(seq, id, year, category, department, validity, doc_type, replaced_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seq,
                doc.id,
                doc.published_at.astimezone(self.timezone).year,
                doc.category,
                doc.department,
                doc.validity,
                doc.doc_type,
                doc.replaced_by,
            ),
        )
        db.execute(
            "INSERT INTO texts(seq, title, doc_number, published_at, body, terms) VALUES (?, ?, ?, ?, ?, ?)",
            (seq, doc.title, doc.doc_number, doc.published_at.isoformat(), _pack(doc.body), analysed.compressed),
        )
        db.execute(
            "INSERT INTO terms(rowid, title_words, body_words, title_grams, body_grams) VALUES (?, ?, ?, ?, ?)",
            (seq, *analysed.columns),
        )
        title_words, _, title_grams, _ = analysed.columns
        db.execute(
            "INSERT INTO titles(rowid, title_words, title_grams) VALUES (?, ?, ?)", (seq, title_words, title_grams)
        )
        db.execute("INSERT OR REPLACE INTO versions(id, version, seq) VALUES (?, ?, ?)", (doc.id, doc.version, seq))
        return 1

    async def delete(self, doc_id: str, version: int) -> bool:
        return await self._write(functools.partial(self._delete, doc_id, version))

    def _delete(self, doc_id: str, version: int, db: sqlite3.Connection) -> bool:
        with _transaction(db):
            found = db.execute("SELECT version, seq FROM versions WHERE id = ?", (doc_id,)).fetchone()
            if found is not None:
                held, seq = found
                # A tombstone wins a tie with the live document of the same version.
                if held > version or (held == version and seq is None):
                    return False
                # A withdrawn document may have been withdrawn for what it says: keep none of it.
                if seq is not None:
                    _remove_live(db, seq)
            db.execute("INSERT OR REPLACE INTO versions(id, version, seq) VALUES (?, ?, NULL)", (doc_id, version))
        return True

    async def set_validity(
        self, doc_id: str, validity: Validity, version: int, *, replaced_by: str | None = None
    ) -> bool:
        return await self._write(functools.partial(self._set_validity, doc_id, validity, version, replaced_by))

    def _set_validity(
        self, doc_id: str, validity: Validity, version: int, replaced_by: str | None, db: sqlite3.Connection
    ) -> bool:
        with _transaction(db):
            found = db.execute("SELECT version, seq FROM versions WHERE id = ?", (doc_id,)).fetchone()
            if found is None or found[1] is None or found[0] >= version:
                return False
            db.execute("UPDATE live SET validity = ?, replaced_by = ? WHERE seq = ?", (validity, replaced_by, found[1]))
            db.execute("UPDATE versions SET version = ? WHERE id = ?", (version, doc_id))
        return True

    # --- rebuilding ----------------------------------------------------------------------------

    async def rebuild(self, fill: Callable[[SearchIndex], Awaitable[None]]) -> None:
        loop = asyncio.get_running_loop()
        lock = await loop.run_in_executor(None, self._lock_rebuilds)
        try:
            await loop.run_in_executor(None, self._remove_abandoned)
            fresh_file = self.path.with_name(
                f"{self.path.stem}-{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}.db"
            )
            fresh = SqliteIndex(
                fresh_file, timezone=str(self.timezone), window=self.window, common=self.common, follow_pointer=False
            )
            try:
                async with fresh:
                    await fresh._write(_bulk_mode)
                    await fill(fresh)
                    await fresh._write(_finish_bulk)
                old = self._current_file()
                await loop.run_in_executor(None, self._point_to, fresh_file)
            except BaseException:
                _remove_database(fresh_file)
                raise
            # Both our threads and other processes' move on at their next operation; a file
            # still open elsewhere lives on until that connection closes.
            if old != fresh_file:
                _remove_database(old)
        finally:
            lock.close()

    def _lock_rebuilds(self) -> Any:
        handle = self.path.with_suffix(".lock").open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise RuntimeError(f"another rebuild of {self.path} is running") from None
        return handle

    def _point_to(self, fresh: Path) -> None:
        temporary = self._pointer.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as out:
            out.write(fresh.name + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self._pointer)
        directory = os.open(self._pointer.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def _remove_abandoned(self) -> None:
        """Files of rebuilds that died before their swap."""
        live = self._current_file()
        for candidate in self.path.parent.glob(f"{self.path.stem}-*.db*"):
            database = candidate.with_name(candidate.name.removesuffix("-wal").removesuffix("-shm"))
            if database != live and database.suffix == ".db":
                _remove_database(database)

    # --- reading -------------------------------------------------------------------------------

    async def get(self, doc_id: str) -> IndexedDocument | None:
        return await self._read(functools.partial(_get, doc_id))

    async def count(self) -> int:
        return await self._read(lambda db: int(db.execute("SELECT count(*) FROM live").fetchone()[0]))

    async def search(self, query: SearchQuery) -> SearchResult:
        return await self._read(functools.partial(self._search, query, query_terms(query.q)))

    def _search(self, query: SearchQuery, terms: list[Term], db: sqlite3.Connection) -> SearchResult:
        with _snapshot(db):
            if terms:
                seqs, total, facets, exact = self._matching(db, query, terms)
            else:
                seqs, total, facets, exact = self._newest(db, query)
            rows = _hit_rows(db, seqs)
        return SearchResult(total=total, hits=[_hit(row, terms) for row in rows], facets=facets, exact=exact)

    def _matching(self, db: sqlite3.Connection, query: SearchQuery, terms: list[Term]) -> _Found:
        """Rank and count within the newest ``window`` matches in the query's time range.

        FTS5 walks the matches newest first and stops after the window, giving each one's facet
        fields; counting and filtering happen here. Ranking is bm25 over title and body, of the
        terms that tell documents apart: bm25 weighs a term by how rare it is, at the price of a
        pass over every document holding it, so a common term (in more than ``common``
        documents) adds little but cost and is left out. When every term is that common, title
        matches come first, ranked by bm25 over the (small) title index, and the rest newest first.
        """
        match, window = match_expression(terms), self.window
        all_years = _window(db, match, *self._range(query, year=False), window + 1)
        exact = len(all_years) <= window
        all_years = all_years[:window]
        if query.year is None:
            matches = all_years
        elif exact:
            matches = [m for m in all_years if m[3] == query.year]
        else:  # the year's own newest matches; the year facet counts the newest of all years
            matches = _window(db, match, *self._range(query), window + 1)
            exact = len(matches) <= window
            matches = matches[:window]
        facets, selected = _tally(matches, all_years, _filter_values(query))
        if not selected:
            return [], 0, facets, exact
        span = (min(selected), max(selected))
        if len(terms) == 1 and query.published_from is None and query.published_to is None:
            # The window over all time counted this one term's documents already.
            telling = terms if len(all_years) <= self.common else []
        else:
            telling = [term for term in terms[:_SCORED_TERMS] if not self._common(db, term)]
        if telling:
            scoring = match_expression(telling)
            scores = _scores(db, f"SELECT rowid, {_RANK} FROM terms WHERE terms MATCH ?", scoring, span)
        else:
            titles = match_expression(terms, columns=_TITLE)
            scores = _scores(db, f"SELECT rowid, {_TITLE_RANK} - 1e9 FROM titles WHERE titles MATCH ?", titles, span)
        ranked = heapq.nsmallest(query.offset + query.size, selected, key=lambda seq: (scores.get(seq, 0.0), -seq))
        return ranked[query.offset :], len(selected), facets, exact

    def _common(self, db: sqlite3.Connection, term: Term) -> bool:
        """More than ``common`` documents hold ``term`` (FTS5 stops counting there)."""
        found = db.execute(
            "SELECT count(*) FROM (SELECT rowid FROM terms WHERE terms MATCH ? ORDER BY rowid DESC LIMIT ?)",
            (match_expression([term]), self.common + 1),
        ).fetchone()[0]
        return int(found) > self.common

    def _newest(self, db: sqlite3.Connection, query: SearchQuery) -> _Found:
        """No text to match: the newest documents, with exact counts."""
        lo, hi = self._range(query)
        where, params = _facet_filters(query)
        seqs = db.execute(
            f"SELECT l.seq FROM live l WHERE l.seq BETWEEN ? AND ? AND {where} ORDER BY l.seq DESC LIMIT ? OFFSET ?",
            (lo, hi, *params, query.size, query.offset),
        ).fetchall()
        extra: tuple[int, ...] = ()
        if query.published_from is None and query.published_to is None:
            # Counts kept up to date by triggers: no document is visited.
            source, count = "facet_counts l", "sum(l.n)"
        else:
            source, count, extra = "live l", "count(*)", self._range(query, year=False)
        span = "" if not extra else " AND l.seq BETWEEN ? AND ?"
        facets = {}
        for name in FACETS:
            where, params = _facet_filters(query, leave_out=name)
            rows = db.execute(
                f"SELECT l.{name}, {count} FROM {source} WHERE {where}{span} GROUP BY l.{name}", (*params, *extra)
            ).fetchall()
            facets[name] = _ordered(Counter({value: int(n) for value, n in rows}))
        where, params = _facet_filters(query)
        total = db.execute(f"SELECT {count} FROM {source} WHERE {where}{span}", (*params, *extra)).fetchone()[0]
        return [seq for (seq,) in seqs], int(total or 0), facets, True

    def _range(self, query: SearchQuery, *, year: bool = True) -> tuple[int, int]:
        """The rowids (publication instants) the query's year and dates allow, both ends included."""
        lo, hi = _ALL_TIME
        if query.published_from is not None:
            lo = max(lo, self._day_starts(query.published_from))
        if query.published_to is not None:
            hi = min(hi, self._day_starts(query.published_to + timedelta(days=1)) - 1)
        if year and query.year is not None:
            lo = max(lo, self._day_starts(date(query.year, 1, 1)))
            hi = min(hi, self._day_starts(date(query.year + 1, 1, 1)) - 1)
        return lo, hi

    def _day_starts(self, day: date) -> int:
        return _microseconds(datetime(day.year, day.month, day.day, tzinfo=self.timezone))


# --- helpers, run on the index's threads ------------------------------------------------------------


class _Connection:
    __slots__ = ("db", "file")

    def __init__(self, file: Path, db: sqlite3.Connection) -> None:
        self.file = file
        self.db = db


def _open(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    # The index can be rebuilt from the event log, so WAL's NORMAL durability is enough.
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=10000")
    db.execute("PRAGMA cache_size=-65536")
    # Pages come straight from the OS page cache, shared by every connection and process.
    db.execute("PRAGMA mmap_size=17179869184")
    _ensure_schema(db, path)
    return db


def _ensure_schema(db: sqlite3.Connection, path: Path) -> None:
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    version = None
    if "meta" in tables:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = row[0] if row else None
    if tables and version != str(SCHEMA_VERSION):
        # The index is a projection: an index of another layout is dropped; `gongkai reindex`
        # (or the publish consumer replaying the public stream) fills it again.
        log.warning("search index %s has schema %s, not %s: starting it afresh", path, version, SCHEMA_VERSION)
        triggers = ("facet_insert", "facet_update", "facet_delete")
        old_tables = ("terms", "titles", "documents", "versions", "live", "texts", "facet_counts", "meta")
        drops = "".join(f"DROP TRIGGER IF EXISTS {name};" for name in triggers)
        drops += "".join(f"DROP TABLE IF EXISTS {name};" for name in old_tables)
        db.executescript(f"BEGIN IMMEDIATE;{drops}COMMIT;")
    db.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")


def _bulk_mode(db: sqlite3.Connection) -> None:
    # A fresh file that nobody reads yet: a crash only loses the rebuild, which starts over.
    db.execute("PRAGMA synchronous=OFF")


def _finish_bulk(db: sqlite3.Connection) -> None:
    db.execute("INSERT INTO terms(terms) VALUES ('optimize')")
    db.execute("INSERT INTO titles(titles) VALUES ('optimize')")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("ANALYZE")


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()


class _Analysed:
    """A document's four analysed columns, and their compressed copy for taking them out again."""

    __slots__ = ("columns", "compressed")

    def __init__(self, columns: tuple[str, str, str, str]) -> None:
        self.columns = columns
        self.compressed = _pack(_SEP.join(columns))

    @classmethod
    def of(cls, doc: IndexedDocument) -> _Analysed:
        title, body = document_terms(doc.title), document_terms(doc.body)
        return cls((title.words, body.words, title.grams, body.grams))


def _remove_live(db: sqlite3.Connection, seq: int) -> None:
    row = db.execute("SELECT terms FROM texts WHERE seq = ?", (seq,)).fetchone()
    if row is not None:
        # A contentless FTS5 table forgets a row when told exactly what it was given.
        columns = _unpack(row[0]).split(_SEP)
        db.execute(
            "INSERT INTO terms(terms, rowid, title_words, body_words, title_grams, body_grams) "
            "VALUES ('delete', ?, ?, ?, ?, ?)",
            (seq, *columns),
        )
        db.execute(
            "INSERT INTO titles(titles, rowid, title_words, title_grams) VALUES ('delete', ?, ?, ?)",
            (seq, columns[0], columns[2]),
        )
    db.execute("DELETE FROM texts WHERE seq = ?", (seq,))
    db.execute("DELETE FROM live WHERE seq = ?", (seq,))


def _pack(text: str) -> bytes:
    return zlib.compress(text.encode(), 6)


def _unpack(packed: bytes) -> str:
    return zlib.decompress(packed).decode()


def _microseconds(instant: datetime) -> int:
    return (instant - _EPOCH) // timedelta(microseconds=1)


def _free_seq(db: sqlite3.Connection, seq: int) -> int:
    """The publication instant as rowid, moved on by a microsecond while another document has it."""
    while db.execute("SELECT 1 FROM live WHERE seq = ?", (seq,)).fetchone() is not None:
        seq += 1
    return seq


def _versions(db: sqlite3.Connection, ids: list[str]) -> dict[str, int]:
    held: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        held.update(db.execute(f"SELECT id, version FROM versions WHERE id IN ({marks})", chunk).fetchall())
    return held


#: Hit rowids of the page, total, facets, and whether they are exact.
_Found = tuple[list[int], int, dict[str, dict[str, int]], bool]


#: A match in a window: rowid, category, department, year, validity.
_Match = tuple[int, str, str, int, str]


def _window(db: sqlite3.Connection, match: str, lo: int, hi: int, limit: int) -> list[_Match]:
    """Up to ``limit`` matches published in ``[lo, hi]``, newest first (FTS5 stops early)."""
    rows: list[_Match] = db.execute(
        "SELECT terms.rowid, l.category, l.department, l.year, l.validity "
        "FROM terms JOIN live l ON l.seq = terms.rowid "
        "WHERE terms MATCH ? AND terms.rowid BETWEEN ? AND ? ORDER BY terms.rowid DESC LIMIT ?",
        (match, lo, hi, limit),
    ).fetchall()
    return rows


def _scores(db: sqlite3.Connection, select: str, match: str, span: tuple[int, int]) -> dict[int, float]:
    """bm25 (lower is better) of the matches with rowids in ``span``."""
    return dict(db.execute(f"{select} AND rowid BETWEEN ? AND ?", (match, *span)).fetchall())


def _tally(
    matches: list[_Match], all_years: list[_Match], wanted: tuple[Any, ...]
) -> tuple[dict[str, dict[str, int]], list[int]]:
    """Facet counts (each under the other filters) and the rowids that pass every filter.

    The year is filtered already (``matches`` are the year's); its facet counts ``all_years``.
    """
    columns = list(zip(*matches, strict=True)) if matches else [() for _ in range(1 + len(FACETS))]
    year_columns = list(zip(*all_years, strict=True)) if all_years else [() for _ in range(1 + len(FACETS))]
    masks = {
        i: [value == want for value in columns[1 + i]]
        for i, want in enumerate(wanted)
        if want is not None and FACETS[i] != "year"
    }
    year_masks = [[value == wanted[i] for value in year_columns[1 + i]] for i in masks]

    def passing(source: tuple[Any, ...], chosen: list[list[bool]]) -> Iterable[Any]:
        if not chosen:
            return source
        return itertools.compress(source, map(all, zip(*chosen, strict=True)) if len(chosen) > 1 else chosen[0])

    facets = {}
    for i, name in enumerate(FACETS):
        if name == "year":
            counts = Counter(passing(year_columns[1 + i], year_masks))
        else:
            counts = Counter(passing(columns[1 + i], [mask for j, mask in masks.items() if j != i]))
        facets[name] = _ordered(counts)
    return facets, list(passing(columns[0], list(masks.values())))


def _filter_values(query: SearchQuery) -> tuple[str | None, str | None, int | None, str | None]:
    """The query's facet filters, in the order of :data:`FACETS`."""
    return (query.category, query.department, query.year, query.validity)


def _facet_filters(query: SearchQuery, *, leave_out: str | None = None) -> tuple[str, tuple[Any, ...]]:
    clauses, params = ["1"], []
    for name, value in zip(FACETS, _filter_values(query), strict=True):
        if value is not None and name != leave_out:
            clauses.append(f"l.{name} = ?")
            params.append(value)
    return " AND ".join(clauses), tuple(params)


def _ordered(counts: Counter[Any]) -> dict[str, int]:
    """Facet values by count, most first, then by value."""
    return {str(value): n for value, n in sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))}


_HIT_COLUMNS = (
    "l.seq, l.id, t.title, t.body, l.category, l.department, t.doc_number, t.published_at, l.doc_type, l.validity"
)
_HitRow = tuple[int, str, str, bytes, str, str, str | None, str, DocType, Validity]


def _hit_rows(db: sqlite3.Connection, seqs: list[int]) -> list[_HitRow]:
    if not seqs:
        return []
    marks = ",".join("?" * len(seqs))
    rows: list[_HitRow] = db.execute(
        f"SELECT {_HIT_COLUMNS} FROM live l JOIN texts t ON t.seq = l.seq WHERE l.seq IN ({marks})", seqs
    ).fetchall()
    order = {seq: n for n, seq in enumerate(seqs)}
    return sorted(rows, key=lambda row: order[row[0]])


def _hit(row: _HitRow, terms: list[Term]) -> Hit:
    _, id_, title, body, category, department, doc_number, published_at, doc_type, validity = row
    return Hit(
        id=id_,
        title=highlight(title, terms),
        snippet=snippet(_unpack(body), terms),
        category=category,
        department=department,
        doc_number=doc_number,
        published_at=datetime.fromisoformat(published_at),
        doc_type=doc_type,
        validity=validity,
    )


def _get(doc_id: str, db: sqlite3.Connection) -> IndexedDocument | None:
    row = db.execute(
        "SELECT l.id, t.title, t.body, l.category, l.department, t.doc_number, t.published_at, v.version, "
        "l.doc_type, l.validity, l.replaced_by FROM versions v JOIN live l ON l.seq = v.seq "
        "JOIN texts t ON t.seq = v.seq "
        "WHERE v.id = ?",
        (doc_id,),
    ).fetchone()
    if row is None:
        return None
    id_, title, body, category, department, doc_number, published_at, version, doc_type, validity, replaced_by = row
    return IndexedDocument(
        id=id_,
        title=title,
        body=_unpack(body),
        category=category,
        department=department,
        doc_number=doc_number,
        published_at=datetime.fromisoformat(published_at),
        version=version,
        doc_type=doc_type,
        validity=validity,
        replaced_by=replaced_by,
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


@contextlib.contextmanager
def _snapshot(db: sqlite3.Connection) -> Iterator[None]:
    """One read transaction, so that hits, total and facets agree while writers go on."""
    db.execute("BEGIN")
    try:
        yield
    finally:
        db.execute("COMMIT")
