"""The walking-skeleton scenario, written once against base URLs so it runs embedded and distributed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from tests.polling import eventually_sync


class Http(Protocol):
    def get(self, url: str, **kwargs: Any) -> Any: ...
    def post(self, url: str, **kwargs: Any) -> Any: ...


@dataclass
class Routes:
    """Which client serves which service; in one process all four are the same."""

    intake: Http
    review: Http
    publish: Http
    stats: Http


DRAFT = {
    "title": "关于印发《2026年国民经济和社会发展计划》的通知",
    "body": (
        "各区人民政府，市政府各部门：现将《2026年国民经济和社会发展计划》印发给你们，"
        "请认真贯彻落实。重大建设项目按计划推进。"
    ),
    "category": "art20.3",
    "department": "市发展和改革委员会",
    "doc_number": "某发改〔2026〕12号",
    "formed_on": "2026-03-02",
}


def published_total(text: str, category: str) -> float:
    prefix = f'gongkai_documents_published_total{{category="{category}"}} '
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.removeprefix(prefix))
    return 0.0


def run_skeleton(
    routes: Routes,
    *,
    clerk: dict[str, str],
    reviewer: dict[str, str],
    timeout: float = 30.0,
    wait: Callable[..., None] = eventually_sync,
) -> str:
    """Clerk submits → review queues → reviewer approves → publish indexes → search finds → stats counts."""
    before = published_total(routes.stats.get("/metrics").text, "art20.3")
    answer = routes.intake.post("/api/v1/documents", json=DRAFT, headers=clerk)
    assert answer.status_code == 202, answer.text
    doc_id = answer.json()["id"]
    assert answer.headers["location"] == f"/api/v1/documents/{doc_id}"

    def queued() -> bool:
        r = routes.review.get(f"/api/v1/documents/{doc_id}", headers=clerk)
        return r.status_code == 200 and r.json()["status"] == "in_review"

    wait(queued, timeout=timeout)
    queue = routes.review.get("/api/v1/documents", params={"status": "in_review"}, headers=reviewer).json()
    assert doc_id in [d["id"] for d in queue["items"]]

    decision = routes.review.post(
        f"/api/v1/documents/{doc_id}/review",
        json={"decision": "approve", "comment": "同意公开"},
        headers=reviewer,
    )
    assert decision.status_code == 202, decision.text

    def found() -> bool:
        r = routes.publish.get("/api/v1/search", params={"q": "建设项目"})
        return any(hit["id"] == doc_id for hit in r.json()["hits"])

    wait(found, timeout=timeout)
    hit = next(
        h for h in routes.publish.get("/api/v1/search", params={"q": "建设项目"}).json()["hits"] if h["id"] == doc_id
    )
    assert "<mark>" in hit["snippet"]
    assert hit["url"] == f"/documents/{doc_id}"

    wait(lambda: published_total(routes.stats.get("/metrics").text, "art20.3") == before + 1, timeout=timeout)
    wait(
        lambda: routes.review.get(f"/api/v1/documents/{doc_id}", headers=clerk).json()["status"] == "published",
        timeout=timeout,
    )
    return str(doc_id)


APPLICATION = {
    "channel": "in_person",
    "applicant": {"kind": "legal_person", "org_type": "legal_service", "name": "某律师事务所", "phone": "010-88886666"},
    "description": "2026年某重大建设项目的核准批复文件",
}


def run_request_skeleton(
    routes: Routes,
    *,
    clerk: dict[str, str],
    timeout: float = 30.0,
    wait: Callable[..., None] = eventually_sync,
) -> str:
    """Clerk records an application → review opens the case → consultation, reply, answer → public tracking."""
    filed = routes.intake.post("/api/v1/requests", json=APPLICATION, headers=clerk)
    assert filed.status_code == 202, filed.text
    request_id, code = filed.json()["id"], filed.json()["tracking_code"]
    url = f"/api/v1/requests/{request_id}"
    wait(lambda: routes.review.get(url, headers=clerk).status_code == 200, timeout=timeout)
    assert routes.review.get(url, headers=clerk).json()["status"] == "in_progress"
    for action in (
        {"action": "consult_third_party", "consultee": "某建设公司"},
        {"action": "third_party_replied", "reply": "consent"},
        {"action": "answer", "outcome": "disclosed"},
    ):
        answer = routes.review.post(url + "/actions", json=action, headers=clerk)
        assert answer.status_code == 202, answer.text
    wait(lambda: routes.review.get(url, headers=clerk).json()["status"] == "answered", timeout=timeout)
    tracked = routes.review.get(url + "/status", params={"code": code}).json()
    assert (tracked["status"], tracked["outcome"]) == ("answered", "disclosed")
    assert [h["step"] for h in tracked["history"]] == [
        "request.received",
        "request.consultation_started",
        "request.consultation_replied",
        "request.closed",
    ]
    assert "某律师事务所" not in str(tracked)
    return str(request_id)
