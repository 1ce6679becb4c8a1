"""Letters (信箱, 在线咨询) in review, end to end: assignment, extension, transfer, reply, rating, publication,
the overdue sweep and gauges, the tracking page, how a letter came and the clerk's note, and the writer's privacy.

Letters arrive as ``letter.received`` events published on the bus (what intake emits). The platform's
clock stands at 2026-06-01 (Monday); 端午 2026 is 06-19…06-21.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from gongkai.events import new_event
from gongkai.events.letters import Contact, LetterReceived
from gongkai.tracking import new_tracking_code, tracking_code_hash
from tests.e2e.requests_fixture import Running, running_platform
from tests.e2e.test_bad_input import assert_problem
from tests.polling import eventually_sync

CONTACT = {"name": "欧阳明远", "phone": "13912345678", "email": "ouyang.private@example.com"}
PERSONAL_VALUES = tuple(CONTACT.values())
#: Staff-only words: a clerk's note on a letter and a reviewer's reason for taking it down.
NOTE = "来电人情绪激动，答复前请先与其电话沟通"
REASON = "来信人来电要求撤下，称信中情况可被邻居辨认"
BODY = "我是欧阳明远，住在幸福里小区。小区旁工地夜间施工，噪音严重，请予处理。电话13912345678。"


def send(
    running: Running,
    *,
    received_on: str = "2026-05-25",
    kind: str = "mayor_mailbox",
    category: str = "complaint",
    body: str = BODY,
    note: str = "",
) -> tuple[str, str]:
    """A letter as intake records it: (id, tracking code)."""
    letter_id, code = uuid.uuid4().hex, new_tracking_code()
    data = LetterReceived(
        kind=kind,  # type: ignore[arg-type]
        category=category,  # type: ignore[arg-type]
        title="工地夜间施工噪音扰民",
        body=body,
        contact=Contact(**CONTACT),
        received_on=date.fromisoformat(received_on),
        tracking_code_hash=tracking_code_hash(code),
        note=note,
    )
    event = new_event("letter.received", subject=letter_id, source="intake", data=data, recorded_at=running.clock.now())
    assert running.client.portal is not None and running.platform.bus is not None
    running.client.portal.call(running.platform.bus.publish, event)
    url = f"/api/v1/letters/{letter_id}"
    eventually_sync(lambda: running.client.get(url, headers=running.staff.clerk).status_code == 200)
    return letter_id, code


def act(running: Running, letter_id: str, action: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
    return running.client.post(
        f"/api/v1/letters/{letter_id}/{action}", json=body, headers=running.staff.clerk if headers is None else headers
    )


def letter(running: Running, letter_id: str) -> dict[str, Any]:
    response = running.client.get(f"/api/v1/letters/{letter_id}", headers=running.staff.clerk)
    assert response.status_code == 200, response.text
    return dict(response.json())


def status(running: Running, letter_id: str, code: str | None) -> Any:
    params = {"code": code} if code is not None else {}
    return running.client.get(f"/api/v1/letters/{letter_id}/status", params=params)


def feedback(running: Running, letter_id: str, code: str | None, rating: Any = "satisfied") -> Any:
    params = {"code": code} if code is not None else {}
    return running.client.post(f"/api/v1/letters/{letter_id}/feedback", params=params, json={"rating": rating})


def letter_events(running: Running, letter_id: str, topic: str = "gongkai.letters") -> list[Any]:
    return [e for e in running.events(topic) if e.subject == letter_id]


def test_a_letter_is_assigned_reassigned_extended_replied_and_rated(running: Running) -> None:
    letter_id, code = send(running, received_on="2026-05-25")
    opened = letter(running, letter_id)
    # 05-26 (1) · 05-27 (2) · 05-28 (3) · 05-29 (4) · 06-01 (5)
    assert (opened["status"], opened["received_on"], opened["due_on"], opened["workdays"]) == (
        "open",
        "2026-05-25",
        "2026-06-01",
        5,
    )
    assert opened["contact"] == CONTACT and opened["body"] == BODY and opened["department"] is None

    assigned = act(running, letter_id, "assign", department="市住房和城乡建设局", on="2026-05-26")
    assert assigned.status_code == 202, assigned.text
    assert assigned.json()["status"] == "assigned"
    assert assigned.headers["Location"] == f"/api/v1/letters/{letter_id}"
    reassigned = act(running, letter_id, "assign", department="市城市管理局", on="2026-05-27", note="属城管职责")
    assert reassigned.status_code == 202
    assert letter(running, letter_id)["department"] == "市城市管理局"

    extended = act(running, letter_id, "extend", workdays=10, reason="需现场核查夜间施工情况", on="2026-05-28")
    assert extended.status_code == 202, extended.text
    # … 06-01 (5) · 06-02 (6) · 06-03 (7) · 06-04 (8) · 06-05 (9) · 06-08 (10)
    assert extended.json()["due_on"] == "2026-06-08"
    assert letter(running, letter_id)["extension_reason"] == "需现场核查夜间施工情况"

    reply_text = "经核查，已责令施工单位停止夜间施工，并纳入日常巡查。"
    replied = act(running, letter_id, "reply", body=reply_text, first_pass=True)  # today: 2026-06-01
    assert replied.status_code == 202, replied.text
    case = letter(running, letter_id)
    assert (case["status"], case["reply"], case["replied_on"], case["first_pass"], case["on_time"]) == (
        "replied",
        reply_text,
        "2026-06-01",
        True,
        True,
    )
    assert [h["step"] for h in case["history"]] == [
        "letter.received",
        "letter.assigned",
        "letter.assigned",
        "letter.extended",
        "letter.replied",
    ]
    assert case["history"][2]["actor"] == "clerk-甲" and case["history"][2]["note"] == "属城管职责"

    public = status(running, letter_id, code)
    assert public.status_code == 200
    assert {
        k: public.json()[k] for k in ("status", "received_on", "due_on", "replied_on", "reply", "feedback_given")
    } == {
        "status": "replied",
        "received_on": "2026-05-25",
        "due_on": "2026-06-08",
        "replied_on": "2026-06-01",
        "reply": reply_text,
        "feedback_given": False,
    }

    rated = feedback(running, letter_id, code, "basically_satisfied")
    assert rated.status_code == 202, rated.text
    assert status(running, letter_id, code).json()["feedback_given"] is True
    assert (letter(running, letter_id)["feedback"], letter(running, letter_id)["feedback_on"]) == (
        "basically_satisfied",
        "2026-06-01",
    )
    twice = assert_problem(feedback(running, letter_id, code, "dissatisfied"), 409)
    assert twice["state"] == "replied" and "once" in twice["detail"]
    assert letter(running, letter_id)["feedback"] == "basically_satisfied"

    events = letter_events(running, letter_id)
    assert [e.type for e in events] == [
        "letter.received",
        "letter.assigned",
        "letter.assigned",
        "letter.extended",
        "letter.replied",
        "letter.feedback",
    ]
    reply_event = events[4].data
    assert (reply_event["due_on"], reply_event["on_time"], reply_event["first_pass"]) == ("2026-06-08", True, True)
    assert events[5].data == {"rating": "basically_satisfied", "on": "2026-06-01"}


def test_a_petition_is_transferred_and_then_closed_to_every_action(running: Running) -> None:
    letter_id, code = send(running, received_on="2026-05-28", category="help")
    transferred = act(running, letter_id, "transfer", note="属信访事项")
    assert transferred.status_code == 202, transferred.text
    case = letter(running, letter_id)
    assert (case["status"], case["transferred_on"]) == ("transferred", "2026-06-01")
    before = case["history"]

    for action, body in [
        ("reply", {"body": "答复", "first_pass": True}),
        ("assign", {"department": "市信访局"}),
        ("extend", {"workdays": 10, "reason": "复杂"}),
        ("transfer", {}),
    ]:
        refused = assert_problem(act(running, letter_id, action, **body), 409)
        assert refused["state"] == "transferred" and "transferred" in refused["detail"]
    assert_problem(feedback(running, letter_id, code), 409)
    publish = {"title": "来信", "body": "正文", "reply": "答复"}
    assert_problem(act(running, letter_id, "publish", running.staff.reviewer, **publish), 409)
    assert letter(running, letter_id)["history"] == before
    assert status(running, letter_id, code).json()["status"] == "transferred"

    def ids(**params: str) -> list[str]:
        listed = running.client.get("/api/v1/letters", params=params, headers=running.staff.clerk)
        assert listed.status_code == 200, listed.text
        return [item["id"] for item in listed.json()["items"]]

    other, _ = send(running, received_on="2026-05-29", kind="consultation", category="consultation")
    assert ids(status="transferred") == [letter_id]
    assert ids(status="open") == [other]
    assert ids(kind="consultation") == [other]
    assert act(running, other, "assign", department="市政务服务中心").status_code == 202
    assert ids(status="open") == [other]  # "open": not yet replied or transferred
    assert ids(status="assigned") == [other]
    assert sorted(ids()) == sorted([letter_id, other])
    assert_problem(running.client.get("/api/v1/letters", params={"status": "closed"}, headers=running.staff.clerk), 422)


def test_bad_input_gets_a_clear_4xx_and_records_nothing(running: Running) -> None:
    letter_id, _ = send(running, received_on="2026-05-25")
    assert act(running, letter_id, "assign", department="市城市管理局", on="2026-05-27").status_code == 202
    before = letter(running, letter_id)
    url = f"/api/v1/letters/{letter_id}"
    json_header = {**running.staff.clerk, "Content-Type": "application/json"}

    for action in ("assign", "extend", "transfer", "reply"):
        empty = assert_problem(running.client.post(f"{url}/{action}", headers=running.staff.clerk), 422)
        assert empty["errors"]
        assert_problem(running.client.post(f"{url}/{action}", content=b"{nope", headers=json_header), 400)
    assert_problem(act(running, letter_id, "assign"), 422)
    assert_problem(act(running, letter_id, "assign", department="   "), 422)
    assert_problem(act(running, letter_id, "assign", department="市城市管理局", surprise=1), 422)
    assert_problem(act(running, letter_id, "transfer", surprise=1), 422)
    too_long = assert_problem(act(running, letter_id, "extend", workdays=11, reason="复杂"), 422)
    assert too_long["errors"][0]["field"] == "workdays"
    assert_problem(act(running, letter_id, "extend", workdays=5, reason="复杂"), 422)
    assert_problem(act(running, letter_id, "extend", workdays=61, reason="复杂"), 422)
    assert_problem(act(running, letter_id, "extend", workdays="8", reason="复杂"), 422)
    assert_problem(act(running, letter_id, "extend", workdays=8), 422)
    assert_problem(act(running, letter_id, "extend", workdays=8, reason=""), 422)
    assert_problem(act(running, letter_id, "reply", body="答复"), 422)
    assert_problem(act(running, letter_id, "reply", body="", first_pass=True), 422)
    assert_problem(act(running, letter_id, "reply", body="答复", first_pass="yes"), 422)
    assert_problem(act(running, letter_id, "reply", body="答复", first_pass=True, on="2026-06-02"), 422)
    assert_problem(act(running, letter_id, "reply", body="答复", first_pass=True, on="not a day"), 422)
    earlier = assert_problem(act(running, letter_id, "reply", body="答复", first_pass=True, on="2026-05-26"), 422)
    assert earlier["errors"][0]["field"] == "on" and "2026-05-27" in earlier["detail"]
    assert_problem(act(running, letter_id, "transfer", on="2026-05-24"), 422)
    assert_problem(act(running, letter_id, "assign", department="市城市管理局", on="2001-01-01"), 422)
    assert_problem(act(running, "f" * 32, "assign", department="市城市管理局"), 404)
    assert_problem(act(running, "not-a-letter", "assign", department="市城市管理局"), 422)
    assert letter(running, letter_id) == before

    # after the deadline (2026-06-01) has passed, the limit can no longer be extended
    running.clock.advance(timedelta(days=1))
    late = assert_problem(act(running, letter_id, "extend", workdays=10, reason="复杂"), 409)
    assert late["state"] == "assigned" and "2026-06-01" in late["detail"]
    assert act(running, letter_id, "reply", body="答复", first_pass=False).status_code == 202
    again = assert_problem(act(running, letter_id, "reply", body="再次答复", first_pass=True), 409)
    assert again["state"] == "replied"
    case = letter(running, letter_id)
    assert (case["on_time"], case["first_pass"], case["reply"]) == (False, False, "答复")
    assert [h["step"] for h in case["history"]].count("letter.replied") == 1


def test_an_extension_is_granted_once(running: Running) -> None:
    letter_id, _ = send(running, received_on="2026-05-29")
    assert act(running, letter_id, "extend", workdays=7, reason="需调查").status_code == 202
    twice = assert_problem(act(running, letter_id, "extend", workdays=10, reason="再延"), 409)
    assert twice["state"] == "open" and "once" in twice["detail"]
    # 05-29 + 7 working days: 06-01 … 06-05 (5) · 06-08 (6) · 06-09 (7)
    assert letter(running, letter_id)["due_on"] == "2026-06-09"


def test_feedback_needs_the_tracking_code_and_a_reply(running: Running) -> None:
    letter_id, code = send(running)
    before_reply = assert_problem(feedback(running, letter_id, code), 409)
    assert before_reply["state"] == "open"
    wrong = [
        feedback(running, letter_id, "AAAA-AAAA-AAAA"),
        feedback(running, letter_id, None),
        feedback(running, "0" * 32, code),
        feedback(running, "not-a-letter", code),
        status(running, letter_id, "AAAA-AAAA-AAAA"),
        status(running, letter_id, None),
        status(running, "0" * 32, code),
        status(running, "not-a-letter", code),
    ]
    assert {r.status_code for r in wrong} == {404}
    assert len({r.text for r in wrong}) == 1
    assert_problem(feedback(running, letter_id, code, "delighted"), 422)
    bad = running.client.post(f"/api/v1/letters/{letter_id}/feedback", params={"code": code}, json={})
    assert_problem(bad, 422)
    extra = {"rating": "satisfied", "comment": "好"}
    assert_problem(running.client.post(f"/api/v1/letters/{letter_id}/feedback", params={"code": code}, json=extra), 422)
    assert letter(running, letter_id)["feedback"] is None

    assert act(running, letter_id, "reply", body="答复", first_pass=True).status_code == 202
    lower = code.lower().replace("-", "")
    assert feedback(running, letter_id, lower).status_code == 202
    assert letter(running, letter_id)["feedback"] == "satisfied"


def test_actions_need_their_roles(running: Running) -> None:
    letter_id, _ = send(running)
    url = f"/api/v1/letters/{letter_id}"
    assert_problem(running.client.get(url), 401)
    assert_problem(running.client.get("/api/v1/letters"), 401)
    assert_problem(act(running, letter_id, "assign", {}, department="市城管局"), 401)
    assert_problem(act(running, letter_id, "assign", running.staff.reviewer, department="市城管局"), 403)
    assert act(running, letter_id, "reply", body="答复", first_pass=True).status_code == 202
    publish = {"title": "关于工地夜间施工噪音的来信", "body": "工地夜间施工噪音严重。", "reply": "已责令停止夜间施工。"}
    assert_problem(act(running, letter_id, "publish", **publish), 403)
    assert running.client.get(url, headers=running.staff.reviewer).status_code == 200


def test_a_reviewer_publishes_a_replied_letter_once_without_personal_data(running: Running) -> None:
    letter_id, _ = send(running, received_on="2026-05-27")
    cleared = {
        "title": "关于工地夜间施工噪音扰民的来信",
        "body": "小区旁工地夜间施工，噪音严重，请予处理。",
        "reply": "经核查，已责令施工单位停止夜间施工，并纳入日常巡查。",
    }
    early = assert_problem(act(running, letter_id, "publish", running.staff.reviewer, **cleared), 409)
    assert early["state"] == "open"
    assert (
        act(
            running, letter_id, "reply", body=cleared["reply"] + "欧阳明远先生：感谢来信。", first_pass=True
        ).status_code
        == 202
    )

    def refused(**texts: str) -> list[dict[str, str]]:
        body = assert_problem(act(running, letter_id, "publish", running.staff.reviewer, **{**cleared, **texts}), 422)
        for value in PERSONAL_VALUES:
            assert value not in json.dumps(body, ensure_ascii=False)
        return list(body["errors"])

    assert refused(body=BODY)[0]["field"] == "body"
    assert {e["field"] for e in refused(reply="欧阳明远先生：感谢来信。", title="来信 ouyang.private@example.com")} == {
        "title",
        "reply",
    }
    assert refused(body="联系电话：139 1234 5678")[0]["field"] == "body"
    assert refused(body="身份证号11010519491231002X")[0]["message"].startswith("contains a resident ID number")
    assert_problem(act(running, letter_id, "publish", running.staff.reviewer, **{**cleared, "title": ""}), 422)
    assert_problem(act(running, letter_id, "publish", running.staff.reviewer, **cleared, surprise=1), 422)
    assert letter_events(running, letter_id, "gongkai.public.letters") == []

    published = act(running, letter_id, "publish", running.staff.reviewer, **cleared)
    assert published.status_code == 202, published.text
    case = letter(running, letter_id)
    assert case["published"] is True and case["history"][-1]["step"] == "letter.published"
    [event] = letter_events(running, letter_id, "gongkai.public.letters")
    assert event.type == "letter.published"
    assert {k: event.data[k] for k in ("kind", "category", "title", "body", "reply", "received_on", "replied_on")} == {
        "kind": "mayor_mailbox",
        "category": "complaint",
        **cleared,
        "received_on": "2026-05-27",
        "replied_on": "2026-06-01",
    }
    again = assert_problem(act(running, letter_id, "publish", running.staff.reviewer, **cleared), 409)
    assert again["state"] == "replied" and "already published" in again["detail"]
    assert len(letter_events(running, letter_id, "gongkai.public.letters")) == 1


def test_the_sweep_announces_an_overdue_letter_once_and_keeps_gauges(running: Running) -> None:
    late_id, _ = send(running, received_on="2026-05-25")  # due 2026-06-01
    send(running, received_on="2026-05-29")  # due 2026-06-05
    metrics = running.client.get("/metrics").text
    assert "gongkai_letters_open 2.0" in metrics and "gongkai_letters_overdue 0.0" in metrics

    running.clock.advance(timedelta(days=1))  # 2026-06-02
    for _ in range(2):
        swept = running.client.post("/api/v1/admin/requests/sweep", headers=running.staff.admin)
        assert swept.status_code == 200, swept.text
        assert swept.json()["letters"]["open_cases"] == 2
    overdue = [e for e in running.events("gongkai.letters") if e.type == "letter.overdue"]
    assert [(e.subject, e.data) for e in overdue] == [
        (late_id, {"due_on": "2026-06-01", "detected_on": "2026-06-02", "kind": "mayor_mailbox"})
    ]
    case = letter(running, late_id)
    assert case["overdue"] is True
    assert [h["step"] for h in case["history"]].count("letter.overdue") == 1
    assert "gongkai_letters_overdue 1.0" in running.client.get("/metrics").text
    listed = running.client.get("/api/v1/letters", params={"overdue": "true"}, headers=running.staff.clerk).json()
    assert [item["id"] for item in listed["items"]] == [late_id] and listed["items"][0]["overdue"] is True

    answered = act(running, late_id, "reply", body="答复", first_pass=True)
    assert answered.status_code == 202
    assert [e.data["on_time"] for e in letter_events(running, late_id) if e.type == "letter.replied"] == [False]
    metrics = running.client.get("/metrics").text
    assert "gongkai_letters_open 1.0" in metrics and "gongkai_letters_overdue 0.0" in metrics


def test_national_day_and_a_working_saturday_count_in_the_time_limit(tmp_path: Path) -> None:
    for run in running_platform(tmp_path, "2026-10-09T10:00:00+08:00"):
        letter_id, _ = send(run, received_on="2026-09-29")
        # 09-30 (1) · 10-01…10-07 国庆 · 10-08 (2) · 10-09 (3) · Saturday 10-10 worked (4) · 10-12 (5)
        assert (letter(run, letter_id)["due_on"], letter(run, letter_id)["due_provisional"]) == ("2026-10-12", False)
        extended = act(run, letter_id, "extend", workdays=10, reason="涉及多个部门")
        assert extended.json()["due_on"] == "2026-10-19"


def test_the_tracking_page_shows_the_reply_and_takes_one_rating(running: Running) -> None:
    letter_id, code = send(running, received_on="2026-05-28")
    empty = running.client.get("/letters/track")
    assert empty.status_code == 200 and "信件编号" in empty.text and "查询码" in empty.text

    page = running.client.get("/letters/track", params={"id": letter_id, "code": code})
    assert page.status_code == 200
    assert "待办理" in page.text and "2026-05-28" in page.text and "2026-06-04" in page.text
    assert 'name="rating"' not in page.text

    assert (
        act(
            running, letter_id, "reply", body="您反映的问题已转交属地街道处理。\n如有疑问请再次来信。", first_pass=True
        ).status_code
        == 202
    )
    page = running.client.get("/letters/track", params={"id": letter_id, "code": code})
    assert "已答复" in page.text and "您反映的问题已转交属地街道处理。" in page.text
    assert 'name="rating"' in page.text and "<script" not in page.text

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    wrong = [
        running.client.post(
            "/letters/track", content=f"id={letter_id}&code=AAAA-AAAA-AAAA&rating=satisfied", headers=form
        ),
        running.client.post("/letters/track", content=f"id={'0' * 32}&code={code}&rating=satisfied", headers=form),
        running.client.get("/letters/track", params={"id": letter_id, "code": "AAAA-AAAA-AAAA"}),
        running.client.get("/letters/track", params={"id": "nope", "code": code}),
    ]
    assert {r.status_code for r in wrong} == {404}
    assert all("未找到与该信件编号和查询码相符的来信" in r.text for r in wrong)
    no_rating = running.client.post("/letters/track", content=f"id={letter_id}&code={code}", headers=form)
    assert no_rating.status_code == 422 and "请选择一项评价" in no_rating.text
    assert letter(running, letter_id)["feedback"] is None

    thanks = running.client.post(
        "/letters/track", content=f"id={letter_id}&code={code}&rating=basically_satisfied", headers=form
    )
    assert thanks.status_code == 200, thanks.text
    assert "感谢您的评价" in thanks.text and "您已对本次答复作出评价" in thanks.text
    assert letter(running, letter_id)["feedback"] == "basically_satisfied"
    twice = running.client.post(
        "/letters/track", content=f"id={letter_id}&code={code}&rating=dissatisfied", headers=form
    )
    assert twice.status_code == 409 and "只能评价一次" in twice.text
    assert letter(running, letter_id)["feedback"] == "basically_satisfied"


def test_the_writers_contact_never_leaves_reviews_store(running: Running, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    letter_id, code = send(running, received_on="2026-05-25", note=NOTE)
    other_id, _ = send(running, received_on="2026-05-29")
    act(running, letter_id, "assign", department="市城市管理局")
    act(running, letter_id, "reply", body="经核查，已责令施工单位停止夜间施工。", first_pass=True)
    act(running, letter_id, "reply", body="再次答复", first_pass=True)  # refused: logged by nobody with personal data
    act(
        running,
        letter_id,
        "publish",
        running.staff.reviewer,
        title="关于工地夜间施工噪音的来信",
        body=BODY,  # refused: still names the writer
    )
    act(
        running,
        letter_id,
        "publish",
        running.staff.reviewer,
        title="关于工地夜间施工噪音的来信",
        body="小区旁工地夜间施工，噪音严重。",
        reply="经核查，已责令施工单位停止夜间施工。",
    )
    feedback(running, letter_id, code)
    feedback(running, letter_id, code)  # refused
    assert act(running, letter_id, "unpublish", running.staff.reviewer, reason=REASON).status_code == 202
    act(running, letter_id, "unpublish", running.staff.reviewer, reason=REASON)  # refused: not public now
    republished = act(
        running,
        letter_id,
        "publish",
        running.staff.reviewer,
        title="关于工地夜间施工噪音的来信",
        body="工地夜间施工，噪音严重。",
        reply="经核查，已责令施工单位停止夜间施工。",
    )
    assert republished.status_code == 202, republished.text
    shown_again = f"/api/v1/public/letters/{letter_id}"
    eventually_sync(lambda: "工地夜间施工，噪音严重。" in running.client.get(shown_again).text)
    running.clock.advance(timedelta(days=7))
    running.client.post("/api/v1/admin/requests/sweep", headers=running.staff.admin)
    assert any(e.type == "letter.overdue" and e.subject == other_id for e in running.events("gongkai.letters"))
    assert letter(running, letter_id)["published"] is True

    public_outputs = {
        "status": status(running, letter_id, code).text,
        "track page": running.client.get("/letters/track", params={"id": letter_id, "code": code}).text,
        "metrics": running.client.get("/metrics").text,
        "logs": caplog.text,
        "public topic": repr([e.model_dump() for e in running.events("gongkai.public.letters")]),
        "published letters": running.client.get("/api/v1/public/letters").text,
        "published letter": running.client.get(f"/api/v1/public/letters/{letter_id}").text,
        "portal list": running.client.get("/letters").text,
        "portal page": running.client.get(f"/letters/{letter_id}").text,
        "search": running.client.get("/api/v1/search", params={"q": "欧阳明远"}).text,
        "later events": repr(
            [e.model_dump() for e in running.events("gongkai.letters") if e.type != "letter.received"]
        ),
    }
    assert "已答复" in public_outputs["track page"] and "撤下公开" in public_outputs["track page"]
    assert "工地夜间施工，噪音严重。" in public_outputs["portal page"]  # published again, and shown
    assert {e.type for e in running.events("gongkai.public.letters")} == {"letter.published", "letter.withdrawn"}
    for name, text in public_outputs.items():
        staff_only = (NOTE, REASON) if name != "later events" else (NOTE,)  # the reason is kept on the letters topic
        for value in (*PERSONAL_VALUES, *staff_only):
            assert value not in text, f"{value!r} leaked into {name}"


def test_a_letter_written_through_intake_is_opened_by_review(running: Running) -> None:
    written = {
        "kind": "consultation",
        "category": "consultation",
        "title": "公租房申请条件咨询",
        "body": "请问公租房的申请条件是什么？",
        "contact": {"name": CONTACT["name"], "phone": CONTACT["phone"]},
    }
    accepted = running.client.post("/api/v1/letters", json=written)
    assert accepted.status_code == 202, accepted.text
    letter_id, code = accepted.json()["id"], accepted.json()["tracking_code"]
    url = f"/api/v1/letters/{letter_id}"
    eventually_sync(lambda: running.client.get(url, headers=running.staff.clerk).status_code == 200)
    case = letter(running, letter_id)
    assert (case["status"], case["received_on"], case["due_on"]) == ("open", "2026-06-01", "2026-06-08")
    assert case["contact"]["name"] == CONTACT["name"] and case["recorded_by"] is None
    assert status(running, letter_id, code).json()["status"] == "open"


def test_how_a_clerks_letter_came_and_the_note_are_shown_to_staff_only(running: Running) -> None:
    entered = {
        "kind": "mayor_mailbox",
        "category": "complaint",
        "title": "电话反映工地夜间施工噪音",
        "body": "来电反映幸福里小区旁工地夜间施工。",
        "channel": "phone",
        "note": NOTE,
        "received_on": "2026-05-29",
    }
    accepted = running.client.post("/api/v1/letters", json=entered, headers=running.staff.clerk)
    assert accepted.status_code == 202, accepted.text
    letter_id, code = accepted.json()["id"], accepted.json()["tracking_code"]
    url = f"/api/v1/letters/{letter_id}"
    eventually_sync(lambda: running.client.get(url, headers=running.staff.clerk).status_code == 200)
    case = letter(running, letter_id)
    assert (case["channel"], case["note"], case["recorded_by"]) == ("phone", NOTE, "clerk-甲")
    assert case["history"][0]["details"]["channel"] == "phone" and case["history"][0]["note"] == NOTE
    tracked = status(running, letter_id, code)
    assert tracked.status_code == 200 and NOTE not in tracked.text and "phone" not in tracked.text
    page = running.client.get("/letters/track", params={"id": letter_id, "code": code})
    assert page.status_code == 200 and NOTE not in page.text


def test_the_list_filters_by_channel_and_letters_from_before_channels_are_placed(running: Running) -> None:
    online = running.client.post(
        "/api/v1/letters",
        json={"kind": "consultation", "category": "consultation", "title": "咨询", "body": "请问办事时间？"},
    ).json()["id"]
    by_fax = running.client.post(
        "/api/v1/letters",
        json={"kind": "consultation", "category": "help", "title": "求助", "body": "传真来信。", "channel": "fax"},
        headers=running.staff.clerk,
    ).json()["id"]
    old_online, _ = send(running)  # events from before channels: no channel, no clerk → online
    old_clerks = uuid.uuid4().hex
    data = LetterReceived(
        kind="mayor_mailbox",
        category="complaint",
        title="旧的登记来信",
        body="登记于来信方式记录之前。",
        received_on=date(2026, 5, 20),
        tracking_code_hash=tracking_code_hash(new_tracking_code()),
        recorded_by="clerk-乙",
    )
    event = new_event("letter.received", subject=old_clerks, source="intake", data=data)
    assert running.client.portal is not None and running.platform.bus is not None
    running.client.portal.call(running.platform.bus.publish, event)
    eventually_sync(lambda: running.client.get(f"/api/v1/letters/{old_clerks}", headers=running.staff.clerk).is_success)
    eventually_sync(lambda: running.client.get(f"/api/v1/letters/{online}", headers=running.staff.clerk).is_success)
    eventually_sync(lambda: running.client.get(f"/api/v1/letters/{by_fax}", headers=running.staff.clerk).is_success)

    def listed(**params: str) -> dict[str, Any]:
        response = running.client.get("/api/v1/letters", params=params, headers=running.staff.clerk)
        assert response.status_code == 200, response.text
        return dict(response.json())

    assert {i["id"] for i in listed(channel="online")["items"]} == {online, old_online}
    assert listed(channel="online")["total"] == 2
    assert [i["id"] for i in listed(channel="fax")["items"]] == [by_fax]
    assert listed(channel="post")["total"] == 0
    assert {i["id"]: i["channel"] for i in listed()["items"]} == {
        online: "online",
        by_fax: "fax",
        old_online: "online",
        old_clerks: None,  # not recorded then: not guessed
    }
    assert letter(running, old_clerks)["channel"] is None
    assert_problem(
        running.client.get("/api/v1/letters", params={"channel": "pigeon"}, headers=running.staff.clerk), 422
    )
