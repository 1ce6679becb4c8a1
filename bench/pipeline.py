"""End-to-end pipeline benchmark, embedded mode: documents/s from submission to public search.

    make bench-pipeline            # 2,000 documents; N=500 for a quick look

Starts ``gongkai up`` and a bare FastAPI baseline (``bench/baseline_app.py``) as real uvicorn
processes on loopback, drives both with the same concurrent HTTP client, and prints:

* submissions/s against the baseline's answers/s (the ratio is the cost of authentication,
  idempotency handling and a durable, fsynced event per request);
* approvals/s;
* documents/s published end to end: from the first submission until search finds all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from gongkai.auth import Role, create_token
from tests.e2e.scenario import DRAFT
from tests.kafka_broker import free_port


def start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [*args, "--port", str(port)], env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/openapi.json", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{args} did not start")


async def fire(
    client: httpx.AsyncClient, requests: list[tuple[str, dict[str, Any]]], headers: dict[str, str], concurrency: int
) -> tuple[float, list[dict[str, Any]]]:
    """POST every request with ``concurrency`` in flight; seconds taken and the answers, in order."""
    answers: list[dict[str, Any]] = [{} for _ in requests]
    queue = list(enumerate(requests))

    async def worker() -> None:
        while queue:
            n, (url, body) = queue.pop()
            async with client.post(url, json=body, headers=headers) as response:
                if response.status != 202:
                    raise RuntimeError(f"{url}: {response.status} {(await response.text())[:200]}")
                answers[n] = await response.json()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, answers


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + 600
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError("the pipeline did not finish")
        await asyncio.sleep(0.05)


async def measure(n: int, concurrency: int) -> None:
    drafts = [("/api/v1/documents", {**DRAFT, "title": f"关于第{i}批重大建设项目的通知"}) for i in range(n)]
    baseline, base_url = start(
        [sys.executable, "-m", "uvicorn", "bench.baseline_app:app", "--no-access-log", "--log-level", "warning"], {}
    )
    try:
        async with aiohttp.ClientSession(base_url=base_url) as client:
            await fire(client, drafts[:200], {}, concurrency)  # warm-up
            base_seconds, _ = await fire(client, drafts, {}, concurrency)
    finally:
        baseline.terminate()

    with tempfile.TemporaryDirectory() as data:
        auth = Path(data) / "auth.db"
        clerk = {"Authorization": "Bearer " + create_token(auth, role=Role.CLERK)}
        reviewer = {"Authorization": "Bearer " + create_token(auth, role=Role.REVIEWER, name="审查员")}
        platform, url = start([sys.executable, "-m", "gongkai", "up"], {"GONGKAI_DATA_DIR": data})
        try:
            async with aiohttp.ClientSession(base_url=url) as client:
                started = time.perf_counter()
                submit_seconds, answers = await fire(client, drafts, clerk, concurrency)
                waiting = [a["id"] for a in answers]

                async def queued() -> bool:  # walks the ids once, waiting where review has not caught up
                    while waiting:
                        async with client.get(f"/api/v1/documents/{waiting[-1]}", headers=clerk) as r:
                            if r.status != 200:
                                return False
                        waiting.pop()
                    return True

                await until(queued)
                approvals = [(f"/api/v1/documents/{a['id']}/review", {"decision": "approve"}) for a in answers]
                approve_seconds, _ = await fire(client, approvals, reviewer, concurrency)

                async def all_found() -> bool:
                    async with client.get("/api/v1/search", params={"size": 1}) as r:
                        return bool((await r.json())["total"] >= n)

                await until(all_found)
                total_seconds = time.perf_counter() - started
        finally:
            platform.terminate()
            platform.wait(timeout=30)

    base_rate, submit_rate = n / base_seconds, n / submit_seconds
    print(f"{n} documents, {concurrency} requests in flight, one uvicorn worker each, embedded bus and index")
    print(f"{'bare FastAPI POST (baseline)':<40} {base_rate:>8,.0f} req/s")
    print(f"{'submit (intake, durable event)':<40} {submit_rate:>8,.0f} req/s   ratio {submit_rate / base_rate:5.2f}")
    print(
        f"{'approve (review, durable event)':<40} {n / approve_seconds:>8,.0f} req/s   "
        f"ratio {n / approve_seconds / base_rate:5.2f}"
    )
    print(
        f"{'published end to end, found in search':<40} {n / total_seconds:>8,.0f} docs/s  "
        f"({total_seconds:.1f} s from the first submission)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=int(os.environ.get("N", "2000")))
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    asyncio.run(measure(args.n, args.concurrency))


if __name__ == "__main__":
    main()
