"""Appeals about disclosure decisions end to end: a clerk records 行政复议 and 行政诉讼 filings and
their results (维持, 纠正, 其他); staff read and list them; bad input records nothing.

The platform's clock is frozen at 2026-06-01 (Beijing time).
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongkai.cli import SERVICE_NAMES, service_builder
from gongkai.events import Envelope
from gongkai.runtime import Platform
from gongkai.settings import Settings
from tests.e2e.conftest import Staff, make_staff
from tests.e2e.test_bad_input import assert_problem, post_raw
from tests.polling import eventually_sync

Client = tuple[TestClient, Staff]

KINDS = ("reconsideration", "litigation_direct", "litigation_after_reconsideration")
RESULTS = ("upheld", "corrected", "other")
FILING = {"kind": "reconsideration", "filed_on": "2026-03-02"}


def file_appeal(client: TestClient, staff: Staff, **changes: Any) -> str:
    answer = client.post("/api/v1/appeals", json={**FILING, **changes}, headers=staff.clerk)
    assert answer.status_code == 202, answer.text
    appeal_id: str = answer.json()["id"]
    assert answer.headers["location"] == f"/api/v1/appeals/{appeal_id}"
    return appeal_id


def appeal_of(client: TestClient, staff: Staff, appeal_id: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/appeals/{appeal_id}", headers=staff.reviewer)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def listed(client: TestClient, staff: Staff, **params: Any) -> dict[str, Any]:
    answer = client.get("/api/v1/appeals", params=params, headers=staff.publisher)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def appeal_events(data_dir: Path) -> list[Envelope]:
    """Every event on the appeals topic, as the stats service receives them."""
    with sqlite3.connect(f"file:{data_dir / 'bus.db'}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT value FROM log WHERE topic = 'gongkai.appeals' ORDER BY seq").fetchall()
    return [Envelope.from_bytes(value) for (value,) in rows]


def nothing_recorded(client: TestClient, staff: Staff, data_dir: Path) -> None:
    assert listed(client, staff)["items"] == []
    assert appeal_events(data_dir) == []


def test_each_kind_is_filed_and_decided_with_each_result(embedded: Client, tmp_path: Path) -> None:
    client, staff = embedded
    filed = {(kind, result): file_appeal(client, staff, kind=kind) for kind in KINDS for result in RESULTS}
    for (kind, result), appeal_id in filed.items():
        pending = appeal_of(client, staff, appeal_id)
        assert pending["status"] == "pending"
        assert (pending["kind"], pending["filed_on"], pending["result"], pending["request_id"]) == (
            kind,
            "2026-03-02",
            None,
            None,
        )
        answer = client.post(
            f"/api/v1/appeals/{appeal_id}/result", json={"result": result, "on": "2026-05-20"}, headers=staff.clerk
        )
        assert answer.status_code == 202, answer.text
        assert answer.headers["location"] == f"/api/v1/appeals/{appeal_id}"
    for (kind, result), appeal_id in filed.items():
        decided = appeal_of(client, staff, appeal_id)
        assert (decided["kind"], decided["status"], decided["result"], decided["decided_on"]) == (
            kind,
            "decided",
            result,
            "2026-05-20",
        )
        assert [h["step"] for h in decided["history"]] == ["filed", "decided"]
        assert {h["actor"] for h in decided["history"]} == {"clerk-甲"}
    events = appeal_events(tmp_path)
    assert [e.type for e in events] == ["appeal.filed"] * 9 + ["appeal.decided"] * 9
    for event in events:
        assert (event.source, event.data["actor"]) == ("review", "clerk-甲")
        assert event.recorded_at.isoformat() == "2026-06-01T02:00:00+00:00"
    decisions = {e.subject: e.data for e in events if e.type == "appeal.decided"}
    for (kind, result), appeal_id in filed.items():
        assert decisions[appeal_id] | {"note": ""} == {
            "result": result,
            "on": "2026-05-20",
            "actor": "clerk-甲",
            "note": "",
            "kind": kind,
            "filed_on": "2026-03-02",
        }


def test_a_result_posted_right_after_the_filing_is_accepted_and_read_back(embedded: Client) -> None:
    client, staff = embedded
    for _ in range(5):
        appeal_id = file_appeal(client, staff, kind="litigation_direct", filed_on="2026-06-01", note="不服答复")
        answer = client.post(
            f"/api/v1/appeals/{appeal_id}/result",
            json={"result": "corrected", "on": "2026-06-01", "note": "责令重新答复"},
            headers=staff.clerk,
        )
        assert answer.status_code == 202, answer.text
        appeal = appeal_of(client, staff, appeal_id)
        assert (appeal["status"], appeal["result"], appeal["note"]) == ("decided", "corrected", "不服答复")
        assert appeal["history"][-1]["note"] == "责令重新答复"


def test_appeals_are_listed_by_status_page_by_page(embedded: Client) -> None:
    client, staff = embedded
    ids = [file_appeal(client, staff, kind=kind, filed_on=f"2026-0{n + 1}-10") for n, kind in enumerate(KINDS)]
    client.post(f"/api/v1/appeals/{ids[1]}/result", json={"result": "upheld", "on": "2026-04-01"}, headers=staff.clerk)
    everything = listed(client, staff)
    assert [a["id"] for a in everything["items"]] == ids  # in filing order
    assert everything["total"] == 3
    assert "history" not in everything["items"][0]
    assert [a["id"] for a in listed(client, staff, status="pending")["items"]] == [ids[0], ids[2]]
    decided = listed(client, staff, status="decided")
    assert [(a["id"], a["result"]) for a in decided["items"]] == [(ids[1], "upheld")]
    second_page = listed(client, staff, page=2, size=2)
    assert ([a["id"] for a in second_page["items"]], second_page["total"]) == ([ids[2]], 3)
    assert listed(client, staff, request_id="f" * 32) == {"page": 1, "size": 50, "total": 0, "items": []}
    for params in ({"status": "closed"}, {"page": 0}, {"size": 201}, {"request_id": "../x"}):
        assert_problem(client.get("/api/v1/appeals", params=params, headers=staff.clerk), 422)


def test_only_clerks_record_appeals_and_only_staff_read_them(embedded: Client, tmp_path: Path) -> None:
    client, staff = embedded
    for headers in ({}, {"Authorization": "Bearer gk_not-a-real-token"}):
        assert_problem(client.post("/api/v1/appeals", json=FILING, headers=headers), 401)
        assert_problem(client.get("/api/v1/appeals", headers=headers), 401)
        assert_problem(client.get(f"/api/v1/appeals/{'a' * 32}", headers=headers), 401)
    for who in (staff.publisher, staff.reviewer):
        assert_problem(client.post("/api/v1/appeals", json=FILING, headers=who), 403)
    nothing_recorded(client, staff, tmp_path)
    appeal_id = file_appeal(client, staff)
    assert client.post("/api/v1/appeals", json=FILING, headers=staff.admin).status_code == 202
    for who in (staff.publisher, staff.reviewer):
        result = {"result": "upheld", "on": "2026-05-01"}
        assert_problem(client.post(f"/api/v1/appeals/{appeal_id}/result", json=result, headers=who), 403)
    assert_problem(
        client.post(f"/api/v1/appeals/{appeal_id}/result", json={"result": "upheld", "on": "2026-05-01"}), 401
    )
    for who in (staff.clerk, staff.reviewer, staff.publisher, staff.admin):
        assert client.get(f"/api/v1/appeals/{appeal_id}", headers=who).json()["status"] == "pending"


BAD_FILINGS: list[tuple[str, Any, str]] = [
    ("unknown kind", {**FILING, "kind": "petition"}, "kind"),
    ("missing kind", {"filed_on": "2026-03-02"}, "kind"),
    ("missing filed_on", {"kind": "reconsideration"}, "filed_on"),
    ("filed_on that is not a date", {**FILING, "filed_on": "2026-02-30"}, "filed_on"),
    ("filed_on in the future", {**FILING, "filed_on": "2026-06-02"}, "filed_on"),
    ("filed_on before the records start", {**FILING, "filed_on": "2008-04-30"}, "filed_on"),
    ("extra field", {**FILING, "court": "某市中级人民法院"}, "court"),
    ("malformed request_id", {**FILING, "request_id": "../../etc"}, "request_id"),
    ("overlong note", {**FILING, "note": "长" * 2001}, "note"),
    ("overlong authority", {**FILING, "authority": "某" * 99 + "法院"}, "authority"),
    ("authority far too long to read", {**FILING, "authority": " " * 401}, "authority"),
    ("overlong case_number", {**FILING, "case_number": "（2026）浙0106行初" + "1" * 47 + "号"}, "case_number"),
    ("line break in authority", {**FILING, "authority": "某市人民政府\n行政复议办公室"}, "authority"),
    ("tab in case_number", {**FILING, "case_number": "（2026）浙0106\t行初123号"}, "case_number"),
    ("control character in case_number", {**FILING, "case_number": "（2026）浙0106行初123号\x07"}, "case_number"),
    ("authority that is a number", {**FILING, "authority": 110}, "authority"),
    ("case_number that is a list", {**FILING, "case_number": ["（2026）浙0106行初123号"]}, "case_number"),
    ("an array instead of an object", [FILING], "body"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_FILINGS, ids=[c[0] for c in BAD_FILINGS])
def test_invalid_filings_are_refused_field_by_field(
    embedded: Client, tmp_path: Path, case: str, body: Any, field: str
) -> None:
    client, staff = embedded
    problem = assert_problem(client.post("/api/v1/appeals", json=body, headers=staff.clerk), 422)
    assert field in [e["field"] for e in problem["errors"]], problem
    nothing_recorded(client, staff, tmp_path)


@pytest.mark.parametrize(("raw", "status"), [(b'{"kind": "reconsideration",', 400), (b"", 422), (b"null", 422)])
def test_undecodable_filings_are_refused(embedded: Client, tmp_path: Path, raw: bytes, status: int) -> None:
    client, staff = embedded
    assert_problem(post_raw(client, "/api/v1/appeals", raw, staff.clerk), status)
    nothing_recorded(client, staff, tmp_path)


def test_an_appeal_about_an_unknown_request_is_not_found(embedded: Client, tmp_path: Path) -> None:
    client, staff = embedded
    problem = assert_problem(
        client.post("/api/v1/appeals", json={**FILING, "request_id": "0" * 32}, headers=staff.clerk), 404
    )
    assert "0" * 32 in problem["detail"]
    nothing_recorded(client, staff, tmp_path)


BAD_RESULTS: list[tuple[str, Any, str]] = [
    ("unknown result", {"result": "quashed", "on": "2026-05-01"}, "result"),
    ("missing on", {"result": "upheld"}, "on"),
    ("on before the filing", {"result": "upheld", "on": "2026-03-01"}, "on"),
    ("on in the future", {"result": "upheld", "on": "2026-06-02"}, "on"),
    ("extra field", {"result": "upheld", "on": "2026-05-01", "judge": "张三"}, "judge"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_RESULTS, ids=[c[0] for c in BAD_RESULTS])
def test_invalid_results_are_refused_and_the_appeal_stays_pending(
    embedded: Client, tmp_path: Path, case: str, body: Any, field: str
) -> None:
    client, staff = embedded
    appeal_id = file_appeal(client, staff)
    problem = assert_problem(client.post(f"/api/v1/appeals/{appeal_id}/result", json=body, headers=staff.clerk), 422)
    assert field in [e["field"] for e in problem["errors"]], problem
    assert appeal_of(client, staff, appeal_id)["status"] == "pending"
    assert [e.type for e in appeal_events(tmp_path)] == ["appeal.filed"]


def test_a_malformed_result_body_is_refused(embedded: Client, tmp_path: Path) -> None:
    client, staff = embedded
    appeal_id = file_appeal(client, staff)
    assert_problem(post_raw(client, f"/api/v1/appeals/{appeal_id}/result", b'{"result": ', staff.clerk), 400)
    assert [e.type for e in appeal_events(tmp_path)] == ["appeal.filed"]


def test_a_result_for_an_unknown_or_malformed_appeal_is_not_found_or_invalid(embedded: Client, tmp_path: Path) -> None:
    client, staff = embedded
    result = {"result": "upheld", "on": "2026-05-01"}
    assert_problem(client.post(f"/api/v1/appeals/{'0' * 32}/result", json=result, headers=staff.clerk), 404)
    assert_problem(client.post("/api/v1/appeals/not-an-id/result", json=result, headers=staff.clerk), 422)
    assert_problem(client.get(f"/api/v1/appeals/{'0' * 32}", headers=staff.clerk), 404)
    assert_problem(client.get("/api/v1/appeals/not-an-id", headers=staff.clerk), 422)
    nothing_recorded(client, staff, tmp_path)


def test_an_appeal_takes_one_result_only(embedded: Client, tmp_path: Path) -> None:
    client, staff = embedded
    appeal_id = file_appeal(client, staff)
    first = client.post(
        f"/api/v1/appeals/{appeal_id}/result", json={"result": "upheld", "on": "2026-05-01"}, headers=staff.clerk
    )
    assert first.status_code == 202, first.text
    problem = assert_problem(
        client.post(
            f"/api/v1/appeals/{appeal_id}/result", json={"result": "corrected", "on": "2026-05-02"}, headers=staff.clerk
        ),
        409,
    )
    assert "decided" in problem["detail"]
    appeal = appeal_of(client, staff, appeal_id)
    assert (appeal["result"], appeal["decided_on"]) == ("upheld", "2026-05-01")
    assert [e.type for e in appeal_events(tmp_path)] == ["appeal.filed", "appeal.decided"]


def test_the_same_idempotency_key_files_the_appeal_once(embedded: Client, tmp_path: Path) -> None:
    client, staff = embedded
    headers = {**staff.clerk, "Idempotency-Key": "appeal-2026-001"}
    first = client.post("/api/v1/appeals", json=FILING, headers=headers)
    again = client.post("/api/v1/appeals", json=FILING, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert len(appeal_events(tmp_path)) == 1


# --- linkage to a disclosure request (needs intake's POST /api/v1/requests) ---------------------


def open_case(client: TestClient, staff: Staff, received_on: date) -> str:
    """A disclosure-request case received in person on ``received_on``, through intake."""
    application = {
        "channel": "in_person",
        "applicant": {"kind": "natural_person", "name": "王五", "address": "某市某区人民路1号"},
        "description": "2025年某街道拆迁补偿方案",
        "received_on": received_on.isoformat(),
    }
    answer = client.post("/api/v1/requests", json=application, headers=staff.clerk)
    assert answer.status_code == 202, answer.text
    request_id: str = answer.json()["id"]
    eventually_sync(lambda: client.get(f"/api/v1/requests/{request_id}", headers=staff.clerk).status_code == 200)
    return request_id


def test_an_appeal_names_a_known_request_filed_no_earlier_than_its_receipt(embedded: Client, tmp_path: Path) -> None:
    client, staff = embedded
    request_id = open_case(client, staff, date(2026, 3, 2))
    early = assert_problem(
        client.post(
            "/api/v1/appeals",
            json={"kind": "reconsideration", "request_id": request_id, "filed_on": "2026-03-01"},
            headers=staff.clerk,
        ),
        422,
    )
    assert [e["field"] for e in early["errors"]] == ["filed_on"]
    nothing_recorded(client, staff, tmp_path)
    appeal_id = file_appeal(client, staff, request_id=request_id, filed_on="2026-03-02")
    other = file_appeal(client, staff)
    assert appeal_of(client, staff, appeal_id)["request_id"] == request_id
    assert [a["id"] for a in listed(client, staff, request_id=request_id)["items"]] == [appeal_id]
    assert {a["id"] for a in listed(client, staff)["items"]} == {appeal_id, other}
    filed = [e for e in appeal_events(tmp_path) if e.subject == appeal_id]
    assert [e.data["request_id"] for e in filed] == [request_id]


# --- the reconsideration body or court and the case number: staff data -------------------------

COURT = "杭州市西湖区人民法院"
CASE_NUMBER = "（2026）浙0106行初123号"


def test_the_body_or_court_and_the_case_number_are_recorded_cleaned_and_read_back(
    embedded: Client, tmp_path: Path
) -> None:
    client, staff = embedded
    named = file_appeal(
        client,
        staff,
        kind="litigation_direct",
        authority=f"\u3000{COURT} ",
        case_number="（２０２６）浙0106行初１２３号",  # full-width digits, as some input methods type them
    )
    unnamed = file_appeal(client, staff)
    blank = file_appeal(client, staff, authority="  ", case_number="")
    longest = file_appeal(
        client, staff, authority="某" * 98 + "法院", case_number="（2026）浙0106行初" + "1" * 46 + "号"
    )

    shown = appeal_of(client, staff, named)
    assert (shown["authority"], shown["case_number"]) == (COURT, CASE_NUMBER)
    at_the_limits = appeal_of(client, staff, longest)
    assert (len(at_the_limits["authority"]), len(at_the_limits["case_number"])) == (100, 60)
    listing = {a["id"]: (a["authority"], a["case_number"]) for a in listed(client, staff)["items"]}
    assert listing[named] == (COURT, CASE_NUMBER)
    assert listing[unnamed] == listing[blank] == (None, None)
    filed = {e.subject: e.data for e in appeal_events(tmp_path)}
    assert (filed[named]["authority"], filed[named]["case_number"]) == (COURT, CASE_NUMBER)
    assert (filed[blank]["authority"], filed[blank]["case_number"]) == (None, None)


def case_file_appeals(client: TestClient, staff: Staff, request_id: str) -> list[list[str]]:
    """The rows of the printed case file's appeals table (五、行政复议和行政诉讼)."""
    page = client.get(f"/api/v1/requests/{request_id}/file", headers=staff.reviewer)
    assert page.status_code == 200, page.text
    assert "五、行政复议和行政诉讼" in page.text
    table = re.search(r'<table id="appeals">.*?<tbody>(.*?)</tbody>', page.text, re.S)
    if table is None:
        assert "本申请没有登记行政复议或行政诉讼。" in page.text
        return []
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    return [[cell.strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows]


def test_the_case_file_lists_the_cases_appeals_with_their_body_or_court_and_case_number(embedded: Client) -> None:
    client, staff = embedded
    request_id = open_case(client, staff, date(2026, 3, 2))
    assert case_file_appeals(client, staff, request_id) == []
    first = file_appeal(
        client,
        staff,
        request_id=request_id,
        filed_on="2026-04-01",
        authority="某市人民政府",
        case_number="某复字〔2026〕8号",
    )
    decided = client.post(
        f"/api/v1/appeals/{first}/result", json={"result": "corrected", "on": "2026-05-20"}, headers=staff.clerk
    )
    assert decided.status_code == 202, decided.text
    file_appeal(
        client,
        staff,
        request_id=request_id,
        kind="litigation_after_reconsideration",
        filed_on="2026-05-28",
        authority=COURT,
        case_number=CASE_NUMBER,
        note="原告委托律师代理",
    )
    file_appeal(client, staff, authority="某区人民法院", case_number="（2026）浙0106行初999号")  # of no case
    assert case_file_appeals(client, staff, request_id) == [
        ["行政复议", "2026-04-01", "某市人民政府", "某复字〔2026〕8号", "结果纠正", "2026-05-20", ""],
        ["行政诉讼（复议后起诉）", "2026-05-28", COURT, CASE_NUMBER, "尚未审结", "—", "原告委托律师代理"],
    ]


def test_the_body_or_court_and_the_case_number_never_reach_a_public_output(embedded: Client, tmp_path: Path) -> None:
    client, staff = embedded
    application = {
        "channel": "in_person",
        "applicant": {"kind": "natural_person", "name": "王五", "address": "某市某区人民路1号"},
        "description": "2025年某街道拆迁补偿方案",
        "received_on": "2026-03-02",
    }
    answer = client.post("/api/v1/requests", json=application, headers=staff.clerk)
    assert answer.status_code == 202, answer.text
    request_id, code = answer.json()["id"], answer.json()["tracking_code"]
    eventually_sync(lambda: client.get(f"/api/v1/requests/{request_id}", headers=staff.clerk).status_code == 200)
    secrets = ("西湖区人民法院行政审判庭", "行初4567号")
    appeal_id = file_appeal(
        client, staff, request_id=request_id, authority=secrets[0], case_number=f"（2026）浙0106{secrets[1]}"
    )
    client.post(
        f"/api/v1/appeals/{appeal_id}/result", json={"result": "upheld", "on": "2026-05-20"}, headers=staff.clerk
    )
    assert appeal_of(client, staff, appeal_id)["authority"] == secrets[0]  # recorded, for staff

    status = client.get(f"/api/v1/requests/{request_id}/status", params={"code": code})
    track = client.get("/requests/track", params={"id": request_id, "code": code})
    assert status.status_code == track.status_code == 200
    assert status.json()["status"] == "in_progress" and "办理中" in track.text
    with sqlite3.connect(f"file:{tmp_path / 'bus.db'}?mode=ro", uri=True) as db:
        public_topics = db.execute("SELECT value FROM log WHERE topic LIKE 'gongkai.public.%'").fetchall()
    public_outputs = {
        "tracking API": status.text,
        "tracking page": track.text,
        "search": client.get("/api/v1/search", params={"q": "西湖区人民法院"}).text,
        "portal": client.get("/", params={"q": "西湖区人民法院"}).text,
        "metrics": client.get("/metrics").text,
        "public topics": repr([value.decode("utf-8", "replace") for (value,) in public_topics]),
    }
    for name, text in public_outputs.items():
        for value in secrets:
            assert value not in text, f"{value!r} reached the {name}"


#: The appeals table as the first version of the review service created it, before authority and case_number.
FIRST_APPEALS_TABLE = """
CREATE TABLE appeals (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, request_id TEXT, status TEXT NOT NULL, filed_on TEXT NOT NULL,
    result TEXT, decided_on TEXT, note TEXT NOT NULL DEFAULT '', filed_by TEXT NOT NULL, recorded_at TEXT NOT NULL,
    history TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO appeals (id, kind, status, filed_on, filed_by, recorded_at)
VALUES ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'reconsideration', 'pending', '2026-01-05', 'clerk-甲',
        '2026-01-05T02:00:00+00:00');
"""


def test_a_review_database_of_the_first_version_takes_the_new_fields(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "review.db")
    db.executescript(FIRST_APPEALS_TABLE)
    db.close()
    settings = Settings(
        data_dir=tmp_path, bus="embedded", index="embedded", environment="test", clock="2026-06-01T10:00:00+08:00"
    )
    staff = make_staff(tmp_path)
    with TestClient(Platform(settings, [service_builder(name) for name in SERVICE_NAMES]).app()) as client:
        new = file_appeal(client, staff, authority=COURT, case_number=CASE_NUMBER)
        old = appeal_of(client, staff, "a" * 32)
        assert (old["filed_on"], old["authority"], old["case_number"]) == ("2026-01-05", None, None)
        named = appeal_of(client, staff, new)
        assert (named["authority"], named["case_number"]) == (COURT, CASE_NUMBER)
