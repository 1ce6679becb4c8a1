"""Search benchmark: indexing rate and query latency of the embedded index, against raw FTS5 in the same run.

    make bench-search                              # 100,000 documents of ~1,500 characters
    python -m bench.search --docs 5000 --queries 300

Indexes synthetic Chinese documents (:mod:`bench.corpus`) through the port (a ``rebuild``,
as ``gongkai reindex`` does), then runs one mix of portal queries four ways:

* **port**: ``SearchIndex.search`` (analysis, ranking, facets, total, snippets and highlights);
* **http**: ``GET /api/v1/search`` on a uvicorn server in another process (the real app factory);
* **raw window**: the adapter's window pass, alone (FTS5 newest matches with their facet fields);
* **raw full rank**: FTS5 ``bm25`` top 10 over *all* matches, as a naive adapter would.

Numbers depend on the machine; the ratios are what to compare between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import shutil
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.corpus import Corpus, Query
from gongkai.index import SearchIndex, SearchQuery, SqliteIndex
from gongkai.index.analysis import query_terms
from gongkai.index.sqlite import _RANK, match_expression

BATCH = 500


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def line(label: str, latencies: list[float], baseline: list[float] | None = None) -> str:
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    text = f"{label:<26} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   mean {statistics.fmean(latencies):7.2f} ms"
    if baseline:
        text += f"   p50×{p50 / percentile(baseline, 0.5):5.2f}  p99×{p99 / percentile(baseline, 0.99):5.2f}"
    return text


def progress(done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    print(f"\r  indexed {done:>9,}/{total:,}  {rate:8,.0f} docs/s", end="", file=sys.stderr, flush=True)


async def build(index: SqliteIndex, corpus: Corpus, n: int) -> float:
    """Index ``n`` documents through the port (one rebuild); returns the seconds it took."""
    started = time.perf_counter()

    async def fill(fresh: SearchIndex) -> None:
        batch = []
        for done, doc in enumerate(corpus.documents(n), 1):
            batch.append(doc)
            if len(batch) == BATCH:
                await fresh.upsert_many(batch)
                batch = []
                progress(done, n, started)
        await fresh.upsert_many(batch)

    await index.rebuild(fill)
    elapsed = time.perf_counter() - started
    print(file=sys.stderr)
    return elapsed


def search_query(query: Query) -> SearchQuery:
    return SearchQuery(q=query.q, category=query.category, year=query.year)


async def timed_each(queries: list[Query], run: Callable[[Query], Awaitable[Any]]) -> dict[str, list[float]]:
    by_kind: dict[str, list[float]] = {}
    for query in queries:
        started = time.perf_counter()
        await run(query)
        by_kind.setdefault(query.kind, []).append((time.perf_counter() - started) * 1000)
    return by_kind


def flat(by_kind: dict[str, list[float]]) -> list[float]:
    return [value for values in by_kind.values() for value in values]


def raw_queries(db_file: Path, queries: list[Query], *, window: int) -> tuple[list[float], list[float]]:
    """The same match expressions straight into FTS5: the adapter's window pass, and a full bm25 rank."""
    db = sqlite3.connect(db_file)
    windowed: list[float] = []
    full: list[float] = []
    for query in queries:
        match = match_expression(query_terms(query.q))
        if not match:
            continue
        started = time.perf_counter()
        db.execute(
            "SELECT terms.rowid, l.category, l.department, l.year, l.validity "
            "FROM terms JOIN live l ON l.seq = terms.rowid WHERE terms MATCH ? ORDER BY terms.rowid DESC LIMIT ?",
            (match, window + 1),
        ).fetchall()
        windowed.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        db.execute(f"SELECT rowid FROM terms WHERE terms MATCH ? ORDER BY {_RANK} LIMIT 10", (match,)).fetchall()
        full.append((time.perf_counter() - started) * 1000)
    db.close()
    return windowed, full


def serve(index_path: str, port: int) -> None:
    """The HTTP side, in its own process: the platform's app factory with the public search router."""
    import uvicorn

    from gongkai.db import Database
    from gongkai.http import StaffAuth, create_app
    from gongkai.idempotency import SCHEMA
    from gongkai.runtime import tune_interpreter
    from services.publish.api import router

    path = Path(index_path)
    index = SqliteIndex(path)
    idempotency = Database(path.with_name("idempotency.db"), schema=SCHEMA, synchronous="NORMAL")

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> Any:
        await idempotency.open()
        async with index:
            yield
        await idempotency.close()

    app = create_app(
        title="bench",
        routers=[router(index)],
        staff_auth=StaffAuth(path.with_name("auth.db")),
        max_body_bytes=1 << 20,
        ready=lambda: True,
        idempotency=idempotency,
        lifespan=lifespan,
    )
    tune_interpreter()  # as `gongkai up` does
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def http_server(index_path: Path) -> Iterator[str]:
    port = free_port()
    process = multiprocessing.get_context("spawn").Process(target=serve, args=(str(index_path), port), daemon=True)
    process.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline or not process.is_alive():
                raise RuntimeError("the benchmark server did not start")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.join(10)


def http_queries(base: str, queries: list[Query]) -> dict[str, list[float]]:
    by_kind: dict[str, list[float]] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for query in queries:
            params: dict[str, Any] = {"q": query.q}
            if query.category:
                params["category"] = query.category
            if query.year:
                params["year"] = query.year
            started = time.perf_counter()
            response = client.get("/api/v1/search", params=params)
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            by_kind.setdefault(query.kind, []).append(elapsed)
    return by_kind


def size_of(path: Path) -> int:
    return sum(f.stat().st_size for f in path.parent.glob(f"{path.stem}*") if f.is_file())


async def main(args: argparse.Namespace, workdir: Path) -> None:
    corpus = Corpus(args.seed, length=args.length)
    path = workdir / "index.db"
    index = SqliteIndex(path)
    print(f"Search benchmark: {args.docs:,} documents of ~{args.length:,} characters, {args.queries:,} queries")
    try:
        async with index:
            if args.reuse and await index.count() == args.docs:
                print("indexing: reusing the index in", workdir)
            else:
                seconds = await build(index, corpus, args.docs)
                print(f"indexing through the port   {args.docs / seconds:10,.0f} docs/s   ({seconds:,.1f} s)")
            print(f"index size                  {size_of(path) / 1e6:10,.0f} MB   ({index.live_file.name})")
            queries = corpus.queries(args.queries)
            warm = corpus.queries(50, seed=99)
            await timed_each(warm, lambda q: index.search(search_query(q)))
            port = await timed_each(queries, lambda q: index.search(search_query(q)))
            windowed, full = raw_queries(index.live_file, queries, window=index.window)
        with http_server(path) as base:
            http_queries(base, warm)
            http = http_queries(base, queries)
        print(line("raw FTS5, window pass", windowed))
        print(line("raw FTS5, full bm25 top 10", full))
        print(line("port", flat(port), windowed))
        print(line("http", flat(http), flat(port)))
        print("by kind of query (port | http):")
        for kind in port:
            print(f"  {kind:<12} n={len(port[kind]):<5} {line('', port[kind])[27:]} | {line('', http[kind])[27:]}")
        target = percentile(flat(http), 0.99)
        print(f"p99 through HTTP: {target:.1f} ms ({'within' if target < 50 else 'over'} the 50 ms target)")
    finally:
        if not args.keep and not args.data_dir:
            shutil.rmtree(workdir, ignore_errors=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000, help="documents to index (default 100,000)")
    parser.add_argument("--length", type=int, default=1_500, help="characters per body (default 1,500)")
    parser.add_argument("--queries", type=int, default=1_000, help="queries per mode (default 1,000)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--data-dir", help="keep the index here (default: a temporary directory)")
    parser.add_argument("--reuse", action="store_true", help="reuse an index of the same size in --data-dir")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    directory = Path(arguments.data_dir or tempfile.mkdtemp(prefix="gongkai-bench-search-"))
    directory.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(arguments, directory))
