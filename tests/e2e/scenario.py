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
