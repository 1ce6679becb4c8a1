"""Disclosure requests end to end: intake → review's case, every action over HTTP, tracking, case file.

The platform's clock stands at 2026-06-01 (Monday). 端午 2026 is 06-19…06-21.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e.requests_fixture import PERSONAL_VALUES, Running, running_platform
from tests.e2e.test_bad_input import assert_problem


def test_letter_application_through_correction_to_answer(running: Running) -> None:
    filed = running.apply("registered_post", received_on="2026-05-20")
    case = running.case(filed["id"])
    assert (case["status"], case["received_on"], case["due_on"]) == ("in_progress", "2026-05-20", "2026-06-17")

    asked = running.act(
        filed["id"],
        "request_correction",
        on="2026-05-22",
        items=["请写明所需文件的名称或文号", "请写明获取方式"],
        reply_by="2026-06-05",
        postal_tracking="XA123456789CN",
        documents=[{"title": "补正告知书", "direction": "sent"}],
    )
    assert asked.status_code == 202, asked.text
    assert (asked.json()["status"], asked.json()["due_on"]) == ("awaiting_correction", None)
    case = running.case(filed["id"])
    assert (case["status"], case["due_on"], case["paused"]) == ("awaiting_correction", None, True)

    # 补正后答复期限重新计算: 20 working days from the corrected application (端午 06-19 off).
    assert running.act(filed["id"], "correction_received", on="2026-05-29").status_code == 202
    case = running.case(filed["id"])
    assert (case["status"], case["due_on"]) == ("in_progress", "2026-06-29")
    assert case["correction"] == {"asked_on": "2026-05-22", "reply_by": "2026-06-05", "received_on": "2026-05-29"}

    answered = running.act(filed["id"], "answer", outcome="partially_disclosed", on="2026-06-01")
    assert answered.status_code == 202, answered.text
    case = running.case(filed["id"])
    assert (case["status"], case["outcome"], case["closed_on"]) == ("answered", "partially_disclosed", "2026-06-01")
    steps = [entry["step"] for entry in case["history"]]
    assert steps == [
        "request.received",
        "request.correction_requested",
        "request.correction_received",
        "request.closed",
    ]
    assert case["history"][1]["postal_tracking"] == "XA123456789CN"
    assert case["history"][1]["actor"] == "clerk-甲"

    printed = running.client.get(f"/api/v1/requests/{filed['id']}/file", headers=running.staff.clerk)
    assert printed.status_code == 200 and printed.headers["content-type"].startswith("text/html")
    for text in (
        "政府信息公开申请案卷",
        "欧阳明远",
        "告知补正",
        "XA123456789CN",
        "补正告知书",
        "部分公开",
        "2026-06-29",
    ):
        assert text in printed.text


def test_online_application_waits_for_receipt_confirmation(running: Running) -> None:
    filed = running.apply("internet")
    assert filed["status"] == "awaiting_confirmation"
    status = running.client.get(f"/api/v1/requests/{filed['id']}/status", params={"code": filed["tracking_code"]})
    assert status.status_code == 200
    assert (status.json()["status"], status.json()["received_on"], status.json()["due_on"]) == (
        "awaiting_confirmation",
        None,
        None,
    )
    confirmed = running.act(filed["id"], "confirm_receipt")  # today: 2026-06-01
    assert confirmed.status_code == 202
    body = running.client.get(f"/api/v1/requests/{filed['id']}/status", params={"code": filed["tracking_code"]}).json()
    assert (body["status"], body["received_on"], body["due_on"]) == ("in_progress", "2026-06-01", "2026-06-30")
    assert [h["step"] for h in body["history"]] == ["request.received", "request.receipt_confirmed"]


def test_tracking_answers_the_same_for_every_wrong_code_or_id(running: Running) -> None:
    filed = running.apply("internet")
    answers = [
        running.client.get(f"/api/v1/requests/{filed['id']}/status", params={"code": "AAAA-AAAA-AAAA"}),
        running.client.get(f"/api/v1/requests/{filed['id']}/status"),
        running.client.get(f"/api/v1/requests/{'0' * 32}/status", params={"code": filed["tracking_code"]}),
        running.client.get("/api/v1/requests/not-an-id/status", params={"code": filed["tracking_code"]}),
    ]
    assert {r.status_code for r in answers} == {404}
    assert len({r.text for r in answers}) == 1
    lower = filed["tracking_code"].lower().replace("-", "")
    assert running.client.get(f"/api/v1/requests/{filed['id']}/status", params={"code": lower}).status_code == 200


def test_consultation_pauses_and_extension_adds_working_days(running: Running) -> None:
    filed = running.apply("in_person", received_on="2026-05-06")  # 2026-05-09 (Saturday) is a working day
    assert running.case(filed["id"])["due_on"] == "2026-06-02"
    consult = running.act(filed["id"], "consult_third_party", on="2026-05-07", consultee="某建设公司")
    assert consult.status_code == 202 and consult.json()["paused"] is True
    case = running.case(filed["id"])
    assert case["status"] == "consulting" and case["paused"]
    assert case["consultations"][0]["window_ends_on"] == "2026-05-27"
    replied = running.act(filed["id"], "third_party_replied", on="2026-05-11", reply="objection")
    assert replied.status_code == 202
    # 05-08, the working Saturday 05-09 and 05-11 were paused: three more working days.
    assert running.case(filed["id"])["due_on"] == "2026-06-05"
    extended = running.act(filed["id"], "extend", days=20, reason="涉及档案调取", approver="办公室主任")
    assert extended.status_code == 202
    assert running.case(filed["id"])["due_on"] == "2026-07-06"  # 端午 06-19 off


def test_fee_notice_amount_follows_the_109_tiers(running: Running) -> None:
    filed = running.apply("in_person", received_on="2026-05-25")
    free = running.act(filed["id"], "fee_notice", basis="items")
    assert_problem(free, 422)
    noticed = running.act(filed["id"], "fee_notice", basis="pages", pages=150)
    assert noticed.status_code == 202, noticed.text
    case = running.case(filed["id"])
    assert case["status"] == "awaiting_payment"
    assert case["fee"]["amount_yuan"] == 1700 and case["fee"]["pay_by"] == "2026-06-30"
    too_early = running.act(filed["id"], "fee_unpaid")
    assert_problem(too_early, 409)


def test_illegal_actions_are_refused_and_record_nothing(running: Running) -> None:
    filed = running.apply("registered_post", received_on="2026-05-25")
    before = running.case(filed["id"])["history"]

    confirm = assert_problem(running.act(filed["id"], "confirm_receipt"), 409)
    assert "in_progress" in confirm["detail"] and confirm["state"] == "in_progress"
    assert_problem(running.act(filed["id"], "correction_received"), 409)
    assert_problem(running.act(filed["id"], "fee_paid"), 409)
    assert_problem(running.act(filed["id"], "abandon_no_correction"), 409)
    assert_problem(running.act(filed["id"], "fly_to_the_moon"), 422)
    assert_problem(running.act(filed["id"], "answer", outcome="disclosed_maybe"), 422)
    assert_problem(running.act(filed["id"], "answer"), 422)
    assert_problem(running.act(filed["id"], "answer", outcome="other.no_correction"), 422)
    assert_problem(running.act(filed["id"], "extend", days=21, reason="r", approver="a"), 422)
    assert_problem(running.act(filed["id"], "extend", days=5), 422)
    assert_problem(running.act(filed["id"], "answer", outcome="disclosed", on="2026-06-02"), 422)
    assert_problem(running.act(filed["id"], "answer", outcome="disclosed", on="2026-05-24"), 422)
    assert_problem(running.act(filed["id"], "answer", outcome="disclosed", on="2001-01-01"), 422)
    assert_problem(running.act(filed["id"], "answer", outcome="disclosed", surprise=1), 422)
    assert_problem(running.act(filed["id"], "request_correction", items=[], reply_by="2026-06-10"), 422)
    json_header = {**running.staff.clerk, "Content-Type": "application/json"}
    raw = running.client.post(f"/api/v1/requests/{filed['id']}/actions", content=b"{nope", headers=json_header)
    assert_problem(raw, 400)
    assert running.case(filed["id"])["history"] == before

    assert running.act(filed["id"], "request_correction", items=["写明文号"], reply_by="2026-06-10").status_code == 202
    assert running.act(filed["id"], "correction_received").status_code == 202
    twice = assert_problem(running.act(filed["id"], "request_correction", items=["再补"], reply_by="2026-06-20"), 409)
    assert "once" in twice["detail"]
    assert running.act(filed["id"], "extend", days=20, reason="复杂", approver="主任").status_code == 202
    assert_problem(running.act(filed["id"], "extend", days=1, reason="再延", approver="主任"), 409)
    assert running.act(filed["id"], "answer", outcome="disclosed").status_code == 202
    assert_problem(running.act(filed["id"], "withdraw"), 409)


def test_actions_need_a_clerk_and_cases_need_staff(running: Running) -> None:
    filed = running.apply("internet")
    url = f"/api/v1/requests/{filed['id']}"
    assert_problem(running.client.get(url), 401)
    assert_problem(running.client.post(url + "/actions", json={"action": "confirm_receipt"}), 401)
    assert_problem(
        running.client.post(url + "/actions", json={"action": "confirm_receipt"}, headers=running.staff.reviewer), 403
    )
    assert_problem(running.client.get(url + "/file"), 401)
    assert_problem(running.client.get("/api/v1/requests/" + "f" * 32, headers=running.staff.clerk), 404)


def test_daily_sweep_announces_an_overdue_case_once_and_keeps_gauges(running: Running) -> None:
    filed = running.apply("in_person", received_on="2026-05-06")  # due 2026-06-02
    running.apply("in_person", received_on="2026-05-29")  # due 2026-06-29 (端午 06-19 off)
    metrics = running.client.get("/metrics").text
    assert "gongkai_requests_open 2.0" in metrics and "gongkai_requests_overdue 0.0" in metrics
    assert "gongkai_requests_due_soon 1.0" in metrics

    running.clock.advance(timedelta(days=2))  # 2026-06-03
    for _ in range(2):
        sweep = running.client.post("/api/v1/admin/requests/sweep", headers=running.staff.admin)
        assert sweep.status_code == 200, sweep.text
    overdue = [e for e in running.events("gongkai.requests") if e.type == "request.overdue"]
    assert [(e.subject, e.data["due_on"]) for e in overdue] == [(filed["id"], "2026-06-02")]
    case = running.case(filed["id"])
    assert case["overdue"] is True
    assert [h["step"] for h in case["history"]].count("request.overdue") == 1
    metrics = running.client.get("/metrics").text
    assert "gongkai_requests_overdue 1.0" in metrics
    listed = running.client.get("/api/v1/requests", params={"overdue": "true"}, headers=running.staff.clerk).json()
    assert [item["id"] for item in listed["items"]] == [filed["id"]]


def test_a_provisional_due_date_becomes_exact_when_the_year_is_loaded(tmp_path: Path) -> None:
    for run in running_platform(tmp_path, "2026-12-20T10:00:00+08:00"):
        filed = run.apply("in_person", received_on="2026-12-15")
        case = run.case(filed["id"])
        assert (case["due_on"], case["due_provisional"]) == ("2027-01-13", True)
        assert "gongkai_requests_provisional 1.0" in run.client.get("/metrics").text
        notice = {"holidays": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"], "workdays": []}
        loaded = run.client.put("/api/v1/admin/calendar/years/2027", json=notice, headers=run.staff.admin)
        assert loaded.status_code == 200, loaded.text
        case = run.case(filed["id"])
        assert (case["due_on"], case["due_provisional"]) == ("2027-01-14", False)
        swept = run.client.post("/api/v1/admin/requests/sweep", headers=run.staff.admin)
        assert swept.status_code == 200
        assert "gongkai_requests_provisional 0.0" in run.client.get("/metrics").text


def test_personal_data_never_leaves_the_case_store(running: Running, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    online = running.apply("internet")
    paper = running.apply("registered_post", received_on="2026-05-25")
    running.act(online["id"], "confirm_receipt")
    running.act(paper["id"], "consult_third_party", consultee="某公司")
    running.act(paper["id"], "third_party_replied", reply="consent")
    running.act(paper["id"], "answer", outcome="disclosed", note="已向欧阳明远寄送")
    running.act(paper["id"], "confirm_receipt")  # refused: logged by nobody with personal data
    running.client.post("/api/v1/admin/requests/sweep", headers=running.staff.admin)

    public_outputs = {
        "status": running.client.get(
            f"/api/v1/requests/{online['id']}/status", params={"code": online["tracking_code"]}
        ).text,
        "track page": running.client.get(
            "/requests/track", params={"id": online["id"], "code": online["tracking_code"]}
        ).text,
        "search": running.client.get("/api/v1/search", params={"q": "欧阳明远"}).text,
        "portal": running.client.get("/", params={"q": "批复文件"}).text,
        "metrics": running.client.get("/metrics").text,
        "logs": caplog.text,
        "intake answer": json.dumps(online, ensure_ascii=False),
        "public topic": repr([raw for raw in running.events("gongkai.public.documents")]),
    }
    assert "办理中" in public_outputs["track page"]
    for name, text in public_outputs.items():
        for value in PERSONAL_VALUES:
            assert value not in text, f"{value!r} leaked into {name}"
