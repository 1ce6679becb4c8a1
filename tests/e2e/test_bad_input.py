"""Bad input on every route gets a 4xx problem+json answer and records nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import Staff
from tests.e2e.scenario import DRAFT
from tests.polling import eventually_sync

Client = tuple[TestClient, Staff]


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    return body


def nothing_recorded(client: TestClient, staff: Staff) -> None:
    items = client.get("/api/v1/documents", headers=staff.admin).json()["items"]
    assert items == []
    assert client.get("/api/v1/search").json()["total"] == 0


def post_raw(client: TestClient, url: str, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(url, content=body, headers={**headers, "Content-Type": "application/json"})


BAD_DRAFTS: list[tuple[str, Any, str]] = [
    ("missing title", {k: v for k, v in DRAFT.items() if k != "title"}, "title"),
    ("empty title", {**DRAFT, "title": "   "}, "title"),
    ("title of the wrong type", {**DRAFT, "title": 12}, "title"),
    ("unknown category", {**DRAFT, "category": "art20.99"}, "category"),
    ("body only of control characters", {**DRAFT, "body": "\u0000\u0001 "}, "body"),
    ("date that is not a date", {**DRAFT, "formed_on": "2026-02-30"}, "formed_on"),
    ("unknown field", {**DRAFT, "secret": True}, "secret"),
    ("an array instead of an object", [DRAFT], "body"),
    ("overlong title", {**DRAFT, "title": "长" * 301}, "title"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_DRAFTS, ids=[c[0] for c in BAD_DRAFTS])
def test_invalid_drafts_are_refused_field_by_field(embedded: Client, case: str, body: Any, field: str) -> None:
    client, staff = embedded
    problem = assert_problem(client.post("/api/v1/documents", json=body, headers=staff.clerk), 422)
    assert field in [e["field"] for e in problem["errors"]], problem
    nothing_recorded(client, staff)


@pytest.mark.parametrize(
    ("case", "raw", "status"),
    [
        ("malformed JSON", b'{"title": "x",', 400),
        ("invalid UTF-8", b'{"title": "\xff\xfe", "body": "b"}', 400),
        ("GB18030 instead of UTF-8", json.dumps(DRAFT, ensure_ascii=False).encode("gb18030"), 400),
        ("empty body", b"", 422),
        ("JSON null", b"null", 422),
    ],
)
def test_undecodable_bodies_are_refused(embedded: Client, case: str, raw: bytes, status: int) -> None:
    client, staff = embedded
    assert_problem(post_raw(client, "/api/v1/documents", raw, staff.clerk), status)
    nothing_recorded(client, staff)


def test_an_oversized_body_is_refused_before_it_is_read(embedded: Client) -> None:
    client, staff = embedded
    huge = json.dumps({**DRAFT, "body": "文" * 600_000}, ensure_ascii=False).encode()
    assert_problem(post_raw(client, "/api/v1/documents", huge, staff.clerk), 413)
    nothing_recorded(client, staff)


def test_an_oversized_chunked_body_is_refused_while_streaming(embedded: Client) -> None:
    client, staff = embedded

    def chunks() -> Any:
        for _ in range(200):
            yield b" " * 10_000

    response = client.post(
        "/api/v1/documents", content=chunks(), headers={**staff.clerk, "Content-Type": "application/json"}
    )
    assert_problem(response, 413)
    nothing_recorded(client, staff)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer gk_not-a-real-token"}, 401),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401),
        ({"Authorization": "Bearer " + "x" * 5000}, 401),
    ],
)
def test_writes_need_a_valid_staff_token(embedded: Client, headers: dict[str, str], status: int) -> None:
    client, staff = embedded
    assert_problem(client.post("/api/v1/documents", json=DRAFT, headers=headers), status)
    assert_problem(client.get("/api/v1/documents", headers=headers), status)
    assert_problem(client.get("/api/v1/stats/summary", headers=headers), status)
    nothing_recorded(client, staff)


def test_each_role_does_only_its_own_work(embedded: Client) -> None:
    client, staff = embedded
    assert_problem(client.post("/api/v1/documents", json=DRAFT, headers=staff.reviewer), 403)
    nothing_recorded(client, staff)
    doc_id = client.post("/api/v1/documents", json=DRAFT, headers=staff.clerk).json()["id"]
    wait_in_review(client, staff, doc_id)
    for who in (staff.clerk, staff.publisher):
        assert_problem(
            client.post(f"/api/v1/documents/{doc_id}/review", json={"decision": "approve"}, headers=who), 403
        )
    assert client.post("/api/v1/documents", json=DRAFT, headers=staff.admin).status_code == 202


def wait_in_review(client: TestClient, staff: Staff, doc_id: str) -> None:
    eventually_sync(lambda: client.get(f"/api/v1/documents/{doc_id}", headers=staff.clerk).status_code == 200)


BAD_REVIEWS: list[tuple[str, Any]] = [
    ("unknown decision", {"decision": "publish_now"}),
    ("redact without redactions", {"decision": "redact"}),
    (
        "redaction ending before it starts",
        {"decision": "redact", "redactions": [{"start": 5, "end": 2, "reason": "x"}]},
    ),
    ("override without a comment", {"decision": "approve", "override_findings": True}),
    (
        "overlapping redactions",
        {
            "decision": "redact",
            "redactions": [{"start": 2, "end": 8, "reason": "a"}, {"start": 5, "end": 9, "reason": "b"}],
        },
    ),
    ("redaction beyond the text", {"decision": "redact", "redactions": [{"start": 2, "end": 99_999, "reason": "a"}]}),
    ("reject without a reason", {"decision": "reject"}),
    ("decision of the wrong type", {"decision": ["approve"]}),
]


@pytest.mark.parametrize(("case", "body"), BAD_REVIEWS, ids=[c[0] for c in BAD_REVIEWS])
def test_invalid_review_decisions_are_refused(embedded: Client, case: str, body: Any) -> None:
    client, staff = embedded
    doc_id = client.post("/api/v1/documents", json=DRAFT, headers=staff.clerk).json()["id"]
    wait_in_review(client, staff, doc_id)
    assert_problem(client.post(f"/api/v1/documents/{doc_id}/review", json=body, headers=staff.reviewer), 422)
    assert client.get(f"/api/v1/documents/{doc_id}", headers=staff.clerk).json()["status"] == "in_review"


def test_reviewing_an_unknown_or_malformed_id_is_not_found_or_invalid(embedded: Client) -> None:
    client, staff = embedded
    assert_problem(
        client.post(f"/api/v1/documents/{'0' * 32}/review", json={"decision": "approve"}, headers=staff.reviewer),
        404,
    )
    assert_problem(
        client.post("/api/v1/documents/..%2F..%2Fetc/review", json={"decision": "approve"}, headers=staff.reviewer),
        404,
    )
    assert_problem(client.get("/api/v1/documents/not-an-id", headers=staff.clerk), 422)


def test_a_document_cannot_be_decided_twice(embedded: Client) -> None:
    client, staff = embedded
    doc_id = client.post("/api/v1/documents", json=DRAFT, headers=staff.clerk).json()["id"]
    wait_in_review(client, staff, doc_id)
    first = client.post(
        f"/api/v1/documents/{doc_id}/review",
        json={"decision": "reject", "comment": "涉密"},
        headers=staff.reviewer,
    )
    assert first.status_code == 202
    eventually_sync(
        lambda: client.get(f"/api/v1/documents/{doc_id}", headers=staff.clerk).json()["status"] == "rejected"
    )
    problem = assert_problem(
        client.post(f"/api/v1/documents/{doc_id}/review", json={"decision": "approve"}, headers=staff.reviewer),
        409,
    )
    assert "rejected" in problem["detail"]


def test_unresolved_personal_data_blocks_approval(embedded: Client) -> None:
    client, staff = embedded
    draft = {**DRAFT, "body": "联系人：张三，电话13812345678。"}
    doc_id = client.post("/api/v1/documents", json=draft, headers=staff.clerk).json()["id"]
    wait_in_review(client, staff, doc_id)
    doc = client.get(f"/api/v1/documents/{doc_id}", headers=staff.clerk).json()
    assert [f["kind"] for f in doc["findings"]] == ["phone"]
    assert_problem(
        client.post(f"/api/v1/documents/{doc_id}/review", json={"decision": "approve"}, headers=staff.reviewer),
        409,
    )
    phone = doc["findings"][0]
    redact = {
        "decision": "redact",
        "redactions": [{"start": phone["start"], "end": phone["end"], "reason": "个人隐私"}],
    }
    assert client.post(f"/api/v1/documents/{doc_id}/review", json=redact, headers=staff.reviewer).status_code == 202
    eventually_sync(lambda: client.get(f"/api/v1/public/documents/{doc_id}").status_code == 200)
    public = client.get(f"/api/v1/public/documents/{doc_id}").json()
    assert "13812345678" not in public["body"]
    assert "■■■■■■■■■■■" in public["body"]


@pytest.mark.parametrize(
    "params",
    [
        {"page": 0},
        {"size": 1000},
        {"year": "MMXXVI"},
        {"q": "长" * 201},
        {"page": "1; DROP TABLE"},
        {"page": 1000, "size": 100},
    ],
)
def test_bad_search_parameters_are_refused(embedded: Client, params: dict[str, Any]) -> None:
    client, _ = embedded
    assert_problem(client.get("/api/v1/search", params=params), 422)


@pytest.mark.parametrize(
    "q", ['"', "*", "NEAR(", "title:x", "a AND OR NOT b", ")(", "<script>alert(1)</script>", "\\", "%00"]
)
def test_query_syntax_and_markup_in_search_are_plain_text(embedded: Client, q: str) -> None:
    client, _ = embedded
    response = client.get("/api/v1/search", params={"q": q})
    assert response.status_code == 200
    page = client.get("/", params={"q": q})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text


def test_unknown_public_documents_and_pages_are_not_found(embedded: Client) -> None:
    client, _ = embedded
    assert_problem(client.get(f"/api/v1/public/documents/{'a' * 32}"), 404)
    assert_problem(client.get("/api/v1/public/documents/xyz"), 422)
    assert client.get("/documents/nope").status_code == 404
    assert_problem(client.get("/api/v1/no-such-route"), 404)
    assert_problem(client.delete("/api/v1/documents"), 405)


def test_the_same_idempotency_key_and_body_return_the_first_answer_and_record_nothing_new(embedded: Client) -> None:
    client, staff = embedded
    headers = {**staff.clerk, "Idempotency-Key": "intake-2026-0001"}
    first = client.post("/api/v1/documents", json=DRAFT, headers=headers)
    again = client.post("/api/v1/documents", json=DRAFT, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = client.post("/api/v1/documents", json=DRAFT, headers={**staff.clerk, "Idempotency-Key": "intake-2026-0002"})
    assert other.json()["id"] != first.json()["id"]
    eventually_sync(lambda: len(client.get("/api/v1/documents", headers=staff.admin).json()["items"]) == 2)


def test_an_idempotency_key_reused_with_another_body_is_refused(embedded: Client) -> None:
    client, staff = embedded
    headers = {**staff.clerk, "Idempotency-Key": "k-1"}
    assert client.post("/api/v1/documents", json=DRAFT, headers=headers).status_code == 202
    problem = assert_problem(client.post("/api/v1/documents", json={**DRAFT, "title": "另一份"}, headers=headers), 422)
    assert problem["type"] == "idempotency-key-reused"
    assert_problem(
        client.post("/api/v1/documents", json=DRAFT, headers={**staff.clerk, "Idempotency-Key": "x" * 201}), 400
    )


def test_a_body_text_over_the_event_size_limit_is_refused(embedded: Client) -> None:
    client, staff = embedded
    problem = assert_problem(
        client.post("/api/v1/documents", json={**DRAFT, "body": "x" * 200_001}, headers=staff.clerk), 422
    )
    assert [e["field"] for e in problem["errors"]] == ["body"]
    nothing_recorded(client, staff)
