"""Proactive disclosure end to end: a clerk, a reviewer and a publisher take a document from
submission to public search and back out again (条例 Art. 17–20, 26)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.e2e.conftest import Staff
from tests.e2e.scenario import DRAFT
from tests.e2e.test_bad_input import assert_problem
from tests.polling import eventually_sync

Client = tuple[TestClient, Staff]

PERSONAL = {
    "id_number": "110101199003078515",
    "phone": "13812345678",
    "email": "zhang.san@example.cn",
    "bank_card": "6222021234567894",
}
SENSITIVE_BODY = (
    "经研究，同意该项目备案。项目联系人：张三，身份证号110101199003078515，手机13812345678，"
    "邮箱zhang.san@example.cn，补助资金拨付至账户6222021234567894。重大建设项目按计划推进。"
)


def submit(client: TestClient, staff: Staff, **changes: Any) -> str:
    answer = client.post("/api/v1/documents", json={**DRAFT, **changes}, headers=staff.clerk)
    assert answer.status_code == 202, answer.text
    doc_id: str = answer.json()["id"]
    eventually_sync(lambda: client.get(f"/api/v1/documents/{doc_id}", headers=staff.clerk).status_code == 200)
    return doc_id


def file_of(client: TestClient, staff: Staff, doc_id: str) -> dict[str, Any]:
    found: dict[str, Any] = client.get(f"/api/v1/documents/{doc_id}", headers=staff.clerk).json()
    return found


def wait_status(client: TestClient, staff: Staff, doc_id: str, status: str) -> None:
    eventually_sync(lambda: file_of(client, staff, doc_id)["status"] == status)


def decide(client: TestClient, staff: Staff, doc_id: str, body: dict[str, Any], status: int = 202) -> Any:
    answer = client.post(f"/api/v1/documents/{doc_id}/review", json=body, headers=staff.reviewer)
    assert answer.status_code == status, answer.text
    return answer


def public_outputs(client: TestClient, doc_id: str, query: str) -> str:
    """Everything the public can see of a document: API, page, search, feed."""
    parts = [
        client.get(f"/api/v1/public/documents/{doc_id}").text,
        client.get(f"/documents/{doc_id}").text,
        client.get("/api/v1/search", params={"q": query}).text,
        client.get("/", params={"q": query}).text,
    ]
    return "\n".join(parts)


def public_stream(data_dir: Path) -> bytes:
    """Every record of the public topic, as downstream agencies receive it."""
    with sqlite3.connect(f"file:{data_dir / 'bus.db'}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT value FROM log WHERE topic = 'gongkai.public.documents'").fetchall()
    return b"\n".join(value for (value,) in rows)


def test_redacted_personal_data_is_absent_from_every_public_output(embedded: Client, tmp_path: Path) -> None:
    client, staff = embedded
    doc_id = submit(client, staff, body=SENSITIVE_BODY)
    findings = file_of(client, staff, doc_id)["findings"]
    assert sorted(f["kind"] for f in findings) == ["bank_card", "email", "id_number", "phone"]
    decide(client, staff, doc_id, {"decision": "approve"}, status=409)
    redactions = [{"start": f["start"], "end": f["end"], "reason": "个人隐私"} for f in findings]
    decide(client, staff, doc_id, {"decision": "redact", "comment": "删除个人信息", "redactions": redactions})
    eventually_sync(lambda: client.get(f"/api/v1/public/documents/{doc_id}").status_code == 200)

    seen = public_outputs(client, doc_id, "建设项目") + public_outputs(client, doc_id, "张三")
    seen += client.get("/feeds/documents.atom").text + public_stream(tmp_path).decode()
    assert doc_id in public_stream(tmp_path).decode()
    for value in PERSONAL.values():
        assert value not in seen, value
    assert "■" * 11 in client.get(f"/api/v1/public/documents/{doc_id}").json()["body"]
    for value in PERSONAL.values():  # nor can the index be searched for it
        assert client.get("/api/v1/search", params={"q": value}).json()["total"] == 0
    reviewed = file_of(client, staff, doc_id)
    assert [r["reason"] for r in reviewed["redactions"]] == ["个人隐私"] * 4
    assert reviewed["history"][-2]["step"] == "redact" or reviewed["history"][-1]["step"] == "redact"


def test_a_publisher_withdraws_a_document_from_search_and_pages(embedded: Client) -> None:
    client, staff = embedded
    doc_id = submit(client, staff)
    decide(client, staff, doc_id, {"decision": "approve", "comment": "同意"})
    eventually_sync(lambda: client.get("/api/v1/search", params={"q": "建设项目"}).json()["total"] == 1)

    assert_problem(client.post(f"/api/v1/documents/{doc_id}/withdraw", json={"reason": "x"}, headers=staff.clerk), 403)
    answer = client.post(f"/api/v1/documents/{doc_id}/withdraw", json={"reason": "内容已过时"}, headers=staff.publisher)
    assert answer.status_code == 202, answer.text
    eventually_sync(lambda: client.get(f"/api/v1/public/documents/{doc_id}").status_code == 404)
    assert client.get("/api/v1/search", params={"q": "建设项目"}).json()["total"] == 0
    assert client.get(f"/documents/{doc_id}").status_code == 404
    wait_status(client, staff, doc_id, "withdrawn")
    assert file_of(client, staff, doc_id)["history"][-1]["comment"] == "内容已过时"
    # the public stream names no one; the history names who withdrew it
    eventually_sync(lambda: file_of(client, staff, doc_id)["history"][-1].get("actor") == "publisher-甲")
    # withdrawn is final: no second withdrawal, no new decision
    assert_problem(
        client.post(f"/api/v1/documents/{doc_id}/withdraw", json={"reason": "再次"}, headers=staff.publisher), 409
    )
    decide(client, staff, doc_id, {"decision": "approve"}, status=409)


def test_an_unpublished_document_cannot_be_withdrawn(embedded: Client) -> None:
    client, staff = embedded
    doc_id = submit(client, staff)
    problem = assert_problem(
        client.post(f"/api/v1/documents/{doc_id}/withdraw", json={"reason": "误报"}, headers=staff.publisher), 409
    )
    assert "not_published" in problem["detail"]
    assert_problem(
        client.post(f"/api/v1/documents/{doc_id}/withdraw", json={"reason": "  "}, headers=staff.publisher), 422
    )


def test_a_corrected_revision_replaces_the_published_one_after_review(embedded: Client) -> None:
    client, staff = embedded
    doc_id = submit(client, staff)
    decide(client, staff, doc_id, {"decision": "approve"})
    eventually_sync(lambda: client.get(f"/api/v1/public/documents/{doc_id}").status_code == 200)
    first = client.get(f"/api/v1/public/documents/{doc_id}").json()

    corrected = {**DRAFT, "body": DRAFT["body"] + "（更正：资金规模调整为12亿元。）"}
    answer = client.post(f"/api/v1/documents/{doc_id}/revisions", json=corrected, headers=staff.clerk)
    assert answer.status_code == 202, answer.text
    assert answer.json()["revision"] == 2
    wait_status(client, staff, doc_id, "in_review")
    # meanwhile the first revision stays public
    assert "更正" not in client.get(f"/api/v1/public/documents/{doc_id}").json()["body"]
    decide(client, staff, doc_id, {"decision": "approve"})
    eventually_sync(lambda: "更正" in client.get(f"/api/v1/public/documents/{doc_id}").json()["body"])
    second = client.get(f"/api/v1/public/documents/{doc_id}").json()
    assert second["published_at"] == first["published_at"]
    assert client.get("/api/v1/search", params={"q": "建设项目"}).json()["total"] == 1
    wait_status(client, staff, doc_id, "published")
    assert file_of(client, staff, doc_id)["published_revision"] == 2
    summary = client.get("/api/v1/stats/summary", params={"year": 2026}, headers=staff.clerk).json()["documents"]
    eventually_sync(
        lambda: (
            client.get("/api/v1/stats/summary", params={"year": 2026}, headers=staff.clerk).json()["documents"][
                "corrected"
            ]
            == 1
        )
    )
    assert summary["published"] == 1


def test_only_published_or_rejected_documents_take_a_revision(embedded: Client) -> None:
    client, staff = embedded
    doc_id = submit(client, staff)
    assert_problem(client.post(f"/api/v1/documents/{doc_id}/revisions", json=DRAFT, headers=staff.clerk), 409)
    assert_problem(client.post(f"/api/v1/documents/{'c' * 32}/revisions", json=DRAFT, headers=staff.clerk), 404)
    assert_problem(
        client.post(f"/api/v1/documents/{doc_id}/revisions", json={**DRAFT, "title": ""}, headers=staff.clerk), 422
    )


def test_escalation_waits_for_the_secrecy_administrations_answer(embedded: Client) -> None:
    client, staff = embedded
    doc_id = submit(client, staff, body="秘密★1年\n关于某重点工程的请示。")
    decide(client, staff, doc_id, {"decision": "escalate"}, status=422)  # needs a reason
    decide(client, staff, doc_id, {"decision": "escalate", "comment": "是否涉密不明确，报市保密局审定"})
    wait_status(client, staff, doc_id, "escalated")
    decide(client, staff, doc_id, {"decision": "escalate", "comment": "again"}, status=409)
    decide(client, staff, doc_id, {"decision": "reject", "comment": "保密局答复：属于国家秘密，不予公开"})
    wait_status(client, staff, doc_id, "rejected")
    steps = [h["step"] for h in file_of(client, staff, doc_id)["history"]]
    assert steps[-2:] == ["escalate", "reject"]


def test_a_rejected_document_gets_a_rereview_date_and_can_be_reopened(embedded: Client) -> None:
    client, staff = embedded
    doc_id = submit(client, staff)
    decide(client, staff, doc_id, {"decision": "reject"}, status=422)
    decide(client, staff, doc_id, {"decision": "reject", "comment": "涉及正在磋商的过程性信息"})
    wait_status(client, staff, doc_id, "rejected")
    assert file_of(client, staff, doc_id)["rereview_on"] == "2027-06-01"  # 12 months after the 2026-06-01 decision
    assert client.get("/api/v1/documents", params={"rereview_due": True}, headers=staff.reviewer).json()["items"] == []
    decide(client, staff, doc_id, {"decision": "reopen", "comment": "定期复查：磋商已结束"})
    wait_status(client, staff, doc_id, "in_review")
    decide(client, staff, doc_id, {"decision": "approve"})
    wait_status(client, staff, doc_id, "published")


def test_a_repealed_regulation_stays_public_labelled_and_linked(embedded: Client) -> None:
    client, staff = embedded
    old = submit(client, staff, title="某市政府投资项目管理办法", doc_type="regulation")
    new = submit(client, staff, title="某市政府投资项目管理办法（2026年修订）", doc_type="regulation")
    for doc_id in (old, new):
        decide(client, staff, doc_id, {"decision": "approve"})
        eventually_sync(lambda doc_id=doc_id: client.get(f"/api/v1/public/documents/{doc_id}").status_code == 200)
    change = {"validity": "repealed", "effective_on": "2026-07-01", "replaced_by": new, "note": "由新办法替代"}
    assert_problem(
        client.post(f"/api/v1/documents/{old}/validity", json={**change, "replaced_by": old}, headers=staff.publisher),
        422,
    )
    assert_problem(
        client.post(f"/api/v1/documents/{old}/validity", json={**change, "validity": "void"}, headers=staff.publisher),
        422,
    )
    answer = client.post(f"/api/v1/documents/{old}/validity", json=change, headers=staff.publisher)
    assert answer.status_code == 202, answer.text
    eventually_sync(lambda: client.get(f"/api/v1/public/documents/{old}").json().get("validity") == "repealed")
    assert client.get(f"/api/v1/public/documents/{old}").json()["replaced_by"] == new
    page = client.get(f"/documents/{old}").text
    assert "已废止" in page
    assert f'<a href="/documents/{new}">《某市政府投资项目管理办法（2026年修订）》</a>替代' in page
    # a correction of the repealed regulation keeps its label and link
    fixed = {**DRAFT, "title": "某市政府投资项目管理办法", "body": "更正后的正文。", "doc_type": "regulation"}
    assert client.post(f"/api/v1/documents/{old}/revisions", json=fixed, headers=staff.clerk).status_code == 202
    wait_status(client, staff, old, "in_review")
    decide(client, staff, old, {"decision": "approve"})
    eventually_sync(lambda: "更正后" in client.get(f"/api/v1/public/documents/{old}").json()["body"])
    assert client.get(f"/api/v1/public/documents/{old}").json()["validity"] == "repealed"
    assert client.get(f"/api/v1/public/documents/{old}").json()["replaced_by"] == new
    eventually_sync(lambda: file_of(client, staff, old)["validity"] == "repealed")

    def relabelled_by() -> list[str | None]:
        return [h.get("actor") for h in file_of(client, staff, old)["history"] if h["step"] == "validity"]

    eventually_sync(lambda: relabelled_by() == ["publisher-甲"])


def test_every_step_is_in_the_history_with_who_when_what_and_why(embedded: Client) -> None:
    client, staff = embedded
    doc_id = submit(client, staff)
    decide(client, staff, doc_id, {"decision": "approve", "comment": "同意公开"})
    wait_status(client, staff, doc_id, "published")
    history = file_of(client, staff, doc_id)["history"]
    assert [h["step"] for h in history] == ["submitted", "approve", "publish"]
    approve = history[1]
    assert (
        approve["actor"] == "reviewer-甲" and approve["comment"] == "同意公开" and approve["at"].startswith("2026-06")
    )


def test_overdue_unpublished_documents_show_in_metrics(embedded: Client) -> None:
    client, staff = embedded
    submit(client, staff, formed_on="2026-03-02")  # due 2026-03-30, the clock says 2026-06-01
    submit(client, staff, formed_on="2026-05-28")
    text = client.get("/metrics").text
    assert "gongkai_documents_publish_overdue 1.0" in text
    overdue = client.get("/api/v1/documents", params={"overdue": True}, headers=staff.clerk).json()["items"]
    assert [d["formed_on"] for d in overdue] == ["2026-03-02"]


def test_the_document_list_counts_every_page_under_its_filters(embedded: Client) -> None:
    client, staff = embedded
    waiting = [submit(client, staff, title=f"关于第{n}批项目的通知") for n in (1, 2, 3)]
    decide(client, staff, waiting[0], {"decision": "approve"})
    wait_status(client, staff, waiting[0], "published")

    def listing(**params: Any) -> tuple[int, int]:
        answer = client.get("/api/v1/documents", params=params, headers=staff.publisher)
        assert answer.status_code == 200, answer.text
        return answer.json()["total"], len(answer.json()["items"])

    assert listing(status="in_review", size=1) == (2, 1)
    assert listing(status="in_review", size=1, page=3) == (2, 0)
    assert listing(status="published") == (1, 1)
    assert listing() == (3, 3)
    assert listing(rereview_due=True) == (0, 0)
