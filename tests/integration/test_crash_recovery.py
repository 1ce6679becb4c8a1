"""kill -9 of the embedded platform mid-stream: after a restart every acknowledged event is handled once."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import httpx
import pytest

from gongkai.auth import Role, create_token
from tests.e2e.scenario import DRAFT
from tests.integration.processes import Process
from tests.polling import eventually_sync

pytestmark = pytest.mark.slow


def count_events(data_dir: Path, event_type: str) -> int:
    """Distinct events of a type in the durable log (read-only, beside the running process)."""
    topics = "('gongkai.documents', 'gongkai.public.documents', 'gongkai.requests')"
    with sqlite3.connect(f"file:{data_dir / 'bus.db'}?mode=ro", uri=True) as db:
        rows = db.execute(f"SELECT value FROM log WHERE topic IN {topics}")
        return sum(1 for (value,) in rows if f'"type":"{event_type}"'.encode() in value)


def metric(client: httpx.Client, name: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in client.get("/metrics").text.splitlines()
        if line.startswith(name + "{")
    )


def fire(
    client: httpx.Client,
    requests: list[tuple[str, dict[str, object]]],
    headers: dict[str, str],
    acked: list[str],
    stop: threading.Event,
) -> None:
    """Send requests until the server dies; remember the ids it acknowledged."""
    for url, body in requests:
        if stop.is_set():
            return
        try:
            response = client.post(url, json=body, headers=headers)
        except httpx.HTTPError:
            return
        if response.status_code == 202:
            acked.append(response.json()["id"])


def crash_while_sending(
    server: Process, requests: list[tuple[str, dict[str, object]]], headers: dict[str, str], kill_after: int
) -> list[str]:
    acked: list[str] = []
    stop = threading.Event()
    with server.client() as client:
        sender = threading.Thread(target=fire, args=(client, requests, headers, acked, stop))
        sender.start()
        eventually_sync(lambda: len(acked) >= kill_after, timeout=60)
        server.kill()
        stop.set()
        sender.join(timeout=30)
    return acked


def test_sigkill_mid_stream_loses_nothing_and_counts_nothing_twice(tmp_path: Path) -> None:
    clerk = {"Authorization": "Bearer " + create_token(tmp_path / "auth.db", role=Role.CLERK)}
    reviewer = {"Authorization": "Bearer " + create_token(tmp_path / "auth.db", role=Role.REVIEWER)}
    env = {"GONGKAI_DATA_DIR": str(tmp_path), "GONGKAI_CLOCK": "2026-06-01T10:00:00+08:00"}
    server = Process(["up"], env, log=tmp_path / "up.log")

    # Phase 1: drafts pour in; the platform dies while intake, review and stats are busy.
    server.start()
    drafts = [("/api/v1/documents", {**DRAFT, "title": f"第{n}号通知"}) for n in range(400)]
    acked = crash_while_sending(server, drafts, clerk, kill_after=120)
    server.start()
    with server.client() as client:

        def all_queued() -> bool:
            items = client.get(
                "/api/v1/documents", params={"status": "in_review", "size": 200, "page": 1}, headers=clerk
            ).json()["items"]
            more = client.get(
                "/api/v1/documents", params={"status": "in_review", "size": 200, "page": 2}, headers=clerk
            ).json()["items"]
            queued = {d["id"] for d in items + more}
            return set(acked) <= queued and len(queued) == count_events(tmp_path, "document.submitted")

        eventually_sync(all_queued, timeout=60)
        submitted = count_events(tmp_path, "document.submitted")
        assert submitted >= len(acked)
        eventually_sync(lambda: metric(client, "gongkai_documents_submitted_total") == submitted, timeout=30)

    # Phase 2: reviewers approve everything; the platform dies while publish indexes and emits.
    approvals = [(f"/api/v1/documents/{doc_id}/review", {"decision": "approve"}) for doc_id in acked]
    approved = crash_while_sending(server, approvals, reviewer, kill_after=len(acked) // 3)
    server.start()
    with server.client() as client:

        def all_published() -> bool:
            reviewed = count_events(tmp_path, "document.reviewed")
            return reviewed == count_events(tmp_path, "document.published") and (
                client.get("/api/v1/search", params={"size": 1}).json()["total"] == reviewed
            )

        eventually_sync(all_published, timeout=60)
        published = count_events(tmp_path, "document.published")
        assert published >= len(approved)
        for doc_id in approved:
            assert client.get(f"/api/v1/public/documents/{doc_id}").status_code == 200
        eventually_sync(lambda: metric(client, "gongkai_documents_published_total") == published, timeout=30)
        assert metric(client, "gongkai_documents_submitted_total") == submitted

    # Phase 3: applications pour in; review opens cases and stats counts them while the platform dies.
    applicant = {"kind": "natural_person", "name": "申请人", "phone": "13800000000"}
    applications = [
        (
            "/api/v1/requests",
            {"channel": "in_person", "applicant": applicant, "description": f"第{n}项", "received_on": "2026-05-20"},
        )
        for n in range(300)
    ]
    filed = crash_while_sending(server, applications, clerk, kill_after=80)
    server.start()
    with server.client() as client:
        received = count_events(tmp_path, "request.received")
        assert received >= len(filed)
        for request_id in filed:
            eventually_sync(lambda r=request_id: client.get(f"/api/v1/requests/{r}", headers=clerk).status_code == 200)
        eventually_sync(lambda: metric(client, "gongkai_requests_received_total") == received, timeout=30)
        summary = client.get("/api/v1/stats/summary", params={"year": 2026}, headers=clerk).json()
        assert summary["requests"]["received"] == received
    server.stop()
