"""The walking skeleton in one process on the embedded bus and index."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.conftest import Staff
from tests.e2e.scenario import Routes, run_request_skeleton, run_skeleton
from tests.polling import eventually_sync


def test_a_submitted_document_is_reviewed_published_found_and_counted(
    embedded: tuple[TestClient, Staff],
) -> None:
    client, staff = embedded
    doc_id = run_skeleton(Routes(client, client, client, client), clerk=staff.clerk, reviewer=staff.reviewer)
    page = client.get(f"/documents/{doc_id}")
    assert page.status_code == 200
    assert "国民经济和社会发展计划" in page.text
    summary = client.get("/api/v1/stats/summary", params={"year": 2026}, headers=staff.clerk).json()
    assert summary["documents"]["published"] == 1
    assert summary["documents"]["by_category"] == {"art20.3": 1}
    assert (
        client.get("/api/v1/stats/summary", params={"year": 2025}, headers=staff.clerk).json()["documents"]["published"]
        == 0
    )


def test_a_disclosure_request_is_recorded_handled_and_tracked(embedded: tuple[TestClient, Staff]) -> None:
    client, staff = embedded
    run_request_skeleton(Routes(client, client, client, client), clerk=staff.clerk)


def test_health_readiness_and_metrics(embedded: tuple[TestClient, Staff]) -> None:
    client, _ = embedded
    assert client.get("/healthz").json() == {"status": "ok"}
    # Ready once every consumer has loaded its offsets and is polling: a moment after start-up.
    eventually_sync(lambda: client.get("/readyz").status_code == 200)
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    names = {line.split(" ")[2] for line in metrics.text.splitlines() if line.startswith("# TYPE")}
    assert "gongkai_process_resident_memory_bytes" in names
    assert all(name.startswith("gongkai_") for name in names), sorted(names)
    assert "_created" not in metrics.text


def test_request_metrics_are_labelled_by_route_template_never_by_raw_path(embedded: tuple[TestClient, Staff]) -> None:
    client, _ = embedded
    secret_id = "b" * 32
    client.get(f"/api/v1/public/documents/{secret_id}")
    client.get("/api/v1/search", params={"q": "张三 13812345678"})
    text = client.get("/metrics").text
    assert 'route="/api/v1/public/documents/{doc_id}"' in text
    assert 'route="/api/v1/search"' in text
    assert secret_id not in text
    assert "13812345678" not in text
    assert "张三" not in text
