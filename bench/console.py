"""Console benchmark: pages a clerk opens all day, against a bare FastAPI page of the same size.

    make bench-console             # 1,000 cases; CASES=200 for a quick look

Starts ``gongkai up`` (embedded) and the bare FastAPI baseline (``bench/baseline_app.py``) as real
uvicorn processes on loopback, records ``CASES`` disclosure requests and as many letters through the
API, signs a clerk in, and drives each page with the same concurrent HTTP client:

* the 工作台 (counts of what waits: the requests list paged through 200 at a time, letters, proposals);
* the 依申请公开 list (50 cases a page, filtered by due date);
* a case view (the case, its appeals, every allowed action as a form);

each as pages/s and p50/p99 latency, and as a ratio to the baseline's answers/s. The ratio is the
price of rendering a page from the platform's own API as the signed-in user (session lookup, the
API's authentication and role checks, in-process calls, the case's deadline arithmetic, Jinja).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.pipeline import start
from gongkai.accounts import AccountStore
from gongkai.auth import Role, create_token
from gongkai.clock import SystemClock

PASSWORD = "bench console password"
APPLICATION = {
    "channel": "in_person",
    "applicant": {"kind": "natural_person", "name": "王小红", "phone": "13912345678"},
    "description": "本区义务教育阶段学校招生划片范围",
}
LETTER = {
    "kind": "mayor_mailbox",
    "category": "complaint",
    "title": "工地夜间施工噪音扰民",
    "body": "小区旁工地夜间施工，噪音严重，请予处理。",
    "contact": {"name": "欧阳明远", "phone": "13912345678"},
}


async def timed_gets(client: httpx.AsyncClient, path: str, n: int, concurrency: int) -> tuple[float, list[float]]:
    """GET ``path`` ``n`` times with ``concurrency`` in flight: seconds taken and each latency."""
    latencies: list[float] = []
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            began = time.perf_counter()
            response = await client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
            latencies.append(time.perf_counter() - began)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


def report(label: str, n: int, seconds: float, latencies: list[float], base_rate: float | None) -> float:
    rate = n / seconds
    p50 = statistics.median(latencies) * 1000
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    ratio = f"   ratio {rate / base_rate:5.2f}" if base_rate else ""
    print(f"{label:<34} {rate:>8,.0f} pages/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms{ratio}")
    return rate


async def fill(url: str, clerk: dict[str, str], cases: int) -> str:
    """Record ``cases`` applications and letters; the id of the last case once review holds them all."""
    async with httpx.AsyncClient(base_url=url, headers=clerk, timeout=30) as client:
        semaphore = asyncio.Semaphore(16)

        async def post(path: str, body: dict[str, object]) -> str:
            async with semaphore:
                answer = await client.post(path, json=body)
                answer.raise_for_status()
                return str(answer.json()["id"])

        ids = await asyncio.gather(*(post("/api/v1/requests", APPLICATION) for _ in range(cases)))
        await asyncio.gather(*(post("/api/v1/letters", LETTER) for _ in range(cases)))
        for _ in range(600):  # review opens the cases from the log: wait for the last one
            if (await client.get(f"/api/v1/requests/{ids[-1]}")).status_code == 200:
                return ids[-1]
            await asyncio.sleep(0.1)
        raise TimeoutError("review did not open the cases")


async def signed_in(url: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=url, timeout=30)
    page = (await client.get("/console/login")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    answer = await client.post(
        "/console/login", data={"csrf_token": token.group(1), "username": "li", "password": PASSWORD}
    )
    assert answer.status_code in (200, 303), answer.text[:200]
    return client


async def measure(cases: int, n: int, concurrency: int) -> None:
    baseline, base_url = start(
        [sys.executable, "-m", "uvicorn", "bench.baseline_app:app", "--no-access-log", "--log-level", "warning"], {}
    )
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            await timed_gets(client, "/page", 200, concurrency)  # warm-up
            base_seconds, base_latencies = await timed_gets(client, "/page", n, concurrency)
    finally:
        baseline.terminate()

    with tempfile.TemporaryDirectory() as data:
        AccountStore(Path(data) / "auth.db", SystemClock()).create_user("li", PASSWORD, Role.CLERK, "李经办")
        clerk = {"Authorization": "Bearer " + create_token(Path(data) / "auth.db", role=Role.CLERK)}
        platform, url = start([sys.executable, "-m", "gongkai", "up"], {"GONGKAI_DATA_DIR": data})
        try:
            case_id = await fill(url, clerk, cases)
            client = await signed_in(url)
            pages = {
                "工作台 (clerk)": "/console/",
                "依申请公开 list, due within 30 days": "/console/requests?due=30",
                "case view": f"/console/requests/{case_id}",
            }
            print(f"{cases} cases and {cases} letters, {concurrency} requests in flight, one uvicorn worker each")
            base_rate = report("bare FastAPI page (baseline)", n, base_seconds, base_latencies, None)
            for label, path in pages.items():
                await timed_gets(client, path, 20, concurrency)  # warm-up
                seconds, latencies = await timed_gets(client, path, n, concurrency)
                report(label, n, seconds, latencies, base_rate)
            await client.aclose()
        finally:
            platform.terminate()
            platform.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=int(os.environ.get("CASES", "1000")))
    parser.add_argument("-n", type=int, default=500, help="requests per page")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(measure(args.cases, args.n, args.concurrency))


if __name__ == "__main__":
    main()
