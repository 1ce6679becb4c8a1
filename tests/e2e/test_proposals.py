"""Deputies' suggestions and CPPCC proposals end to end: a clerk registers them through intake and
records their handling on review; a publisher makes replies public; the sweep announces overdue ones.

The platform's clock stands at 2026-06-01 10:00 (Beijing).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from gongkai.metrics import REGISTRY
from gongkai.service import ServiceContext
from services.review.proposals_metrics import ProposalGauges
from tests.e2e.requests_fixture import Running
from tests.e2e.test_bad_input import assert_problem, post_raw
from tests.polling import eventually_sync

REGISTRATION: dict[str, Any] = {
    "kind": "npc_suggestion",
    "number": "第0123号",
    "title": "关于加强社区养老服务设施建设的建议",
    "proposer": "张建国",
    "assigned_on": "2026-03-31",
    "lead_unit": "市民政局",
    "co_units": ["市财政局", "市自然资源和规划局"],
}


def register(running: Running, **changes: Any) -> str:
    answer = running.client.post("/api/v1/proposals", json={**REGISTRATION, **changes}, headers=running.staff.clerk)
    assert answer.status_code == 202, answer.text
    proposal_id: str = answer.json()["id"]
    assert answer.headers["location"] == f"/api/v1/proposals/{proposal_id}"
    url = f"/api/v1/proposals/{proposal_id}"
    eventually_sync(lambda: running.client.get(url, headers=running.staff.clerk).status_code == 200)
    return proposal_id


def view(running: Running, proposal_id: str) -> dict[str, Any]:
    answer = running.client.get(f"/api/v1/proposals/{proposal_id}", headers=running.staff.reviewer)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def act(running: Running, proposal_id: str, action: str, **body: Any) -> Any:
    return act_as(running, running.staff.clerk, proposal_id, action, **body)


def act_as(running: Running, who: dict[str, str], proposal_id: str, action: str, **body: Any) -> Any:
    return running.client.post(f"/api/v1/proposals/{proposal_id}/{action}", json=body, headers=who)


def accepted(running: Running, proposal_id: str, action: str, **body: Any) -> dict[str, Any]:
    answer = act(running, proposal_id, action, **body)
    assert answer.status_code == 202, answer.text
    assert answer.headers["location"] == f"/api/v1/proposals/{proposal_id}"
    result: dict[str, Any] = answer.json()
    return result


def publish(running: Running, proposal_id: str) -> Any:
    return running.client.post(f"/api/v1/proposals/{proposal_id}/publish", headers=running.staff.publisher)


def listed(running: Running, **params: Any) -> dict[str, Any]:
    answer = running.client.get("/api/v1/proposals", params=params, headers=running.staff.clerk)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def proposal_events(running: Running) -> list[tuple[str, str]]:
    return [(e.type, e.subject) for e in running.events("gongkai.proposals")]


def public_events(running: Running) -> list[Any]:
    return [e for e in running.events("gongkai.public.letters") if e.type == "proposal.reply_published"]


def sweep(running: Running) -> dict[str, Any]:
    answer = running.client.post("/api/v1/admin/requests/sweep", headers=running.staff.admin)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["proposals"]
    return result


@contextmanager
def proposal_gauges(running: Running) -> Iterator[None]:
    """The proposal gauges on /metrics: registered by the review service, or here for the test's duration."""
    if "gongkai_proposals_open" in running.client.get("/metrics").text:
        yield
        return
    platform = running.platform
    assert platform.bus is not None
    collector = ProposalGauges(ServiceContext(platform.settings, platform.bus, platform.clock, platform.calendar))
    REGISTRY.register(collector)
    try:
        yield
    finally:
        REGISTRY.unregister(collector)


# --- the whole workflow ---------------------------------------------------------------------------


def test_register_reply_rehandle_assess_and_publish(running: Running) -> None:
    proposal_id = register(running)
    proposal = view(running, proposal_id)
    assert {k: proposal[k] for k in (*REGISTRATION, "session", "status", "due_on", "result_class", "rating")} == {
        **REGISTRATION,
        "session": "session",
        "status": "assigned",
        "due_on": "2026-06-30",  # 3 months to the corresponding day
        "result_class": None,
        "rating": None,
    }
    assert (proposal["rehandling"], proposal["overdue"], proposal["duplicate_of"]) == (False, False, None)
    assert proposal["co_opinion_due_on"] == "2026-04-30"
    assert proposal["late_co_units"] == ["市财政局", "市自然资源和规划局"]  # today is 2026-06-01

    co = accepted(running, proposal_id, "co-opinion", unit="市财政局", on="2026-04-20", note="同意主办单位意见")
    assert (co["event"], co["status"]) == ("proposal.co_opinion", "assigned")
    proposal = view(running, proposal_id)
    assert proposal["co_opinions"] == [
        {"unit": "市财政局", "due_on": "2026-04-30", "given_on": "2026-04-20", "late": False},
        {"unit": "市自然资源和规划局", "due_on": "2026-04-30", "given_on": None, "late": True},
    ]
    assert proposal["late_co_units"] == ["市自然资源和规划局"]

    first = accepted(
        running, proposal_id, "reply", on="2026-05-28", result_class="B", body="已列入2027年民生实事项目。"
    )
    assert (first["status"], first["due_on"]) == ("replied", "2026-06-30")
    assessed = accepted(running, proposal_id, "feedback", rating="dissatisfied", on="2026-05-29")
    assert (assessed["status"], assessed["due_on"]) == ("rehandling", "2026-06-29")  # 1 month after the assessment
    proposal = view(running, proposal_id)
    assert (proposal["status"], proposal["rehandling"], proposal["rating"]) == ("rehandling", True, "dissatisfied")
    assert proposal["rehandling_due_on"] == "2026-06-29"

    second = accepted(running, proposal_id, "reply", result_class="A", body="经重新办理，已落实选址和资金。")
    assert second["status"] == "replied"
    closed = accepted(running, proposal_id, "feedback", rating="basically_satisfied")
    assert closed["status"] == "closed"

    published = publish(running, proposal_id)
    assert published.status_code == 202, published.text
    assert published.json()["replied_on"] == "2026-06-01"
    assert_problem(publish(running, proposal_id), 409)  # once per reply

    proposal = view(running, proposal_id)
    assert (proposal["status"], proposal["status_label"], proposal["result_class"], proposal["rating"]) == (
        "closed",
        "已办结",
        "A",
        "basically_satisfied",
    )
    assert proposal["result_label"] == "所提问题已经解决或者基本解决"
    assert proposal["closed_on"] == "2026-06-01"
    assert [(r["round"], r["on"], r["rehandling"], r["due_on"], r["on_time"], r["published"]) for r in
            proposal["replies"]] == [
        (1, "2026-05-28", False, "2026-06-30", True, False),
        (2, "2026-06-01", True, "2026-06-29", True, True),
    ]  # fmt: skip
    assert [h["step"] for h in proposal["history"]] == [
        "proposal.registered",
        "proposal.co_opinion",
        "proposal.replied",
        "proposal.feedback",
        "proposal.replied",
        "proposal.feedback",
        "proposal.reply_published",
    ]
    assert {h["actor"] for h in proposal["history"][:-1]} == {"clerk-甲"}
    assert proposal["history"][-1]["actor"] == "publisher-甲"
    assert proposal["history"][1]["note"] == "同意主办单位意见"

    replies = [e for e in running.events("gongkai.proposals") if e.type == "proposal.replied"]
    assert [(e.data["rehandling"], e.data["due_on"], e.data["on_time"]) for e in replies] == [
        (False, "2026-06-30", True),
        (True, "2026-06-29", True),
    ]
    (public,) = public_events(running)
    assert public.subject == proposal_id
    assert {k: public.data[k] for k in ("kind", "number", "title", "proposer", "lead_unit", "result_class")} == {
        "kind": "npc_suggestion",
        "number": "第0123号",
        "title": REGISTRATION["title"],
        "proposer": "张建国",
        "lead_unit": "市民政局",
        "result_class": "A",
    }
    assert (public.data["reply"], public.data["replied_on"]) == ("经重新办理，已落实选址和资金。", "2026-06-01")
    assert public.data["publisher"] == "publisher-甲"


def test_an_extension_moves_the_due_date_once(running: Running) -> None:
    proposal_id = register(running, kind="cppcc_proposal", number="第45号", assigned_on="2026-03-31", co_units=[])
    extended = accepted(running, proposal_id, "extend", months=6, reason="涉及面广、办理难度大", on="2026-05-15")
    assert (extended["event"], extended["due_on"]) == ("proposal.extended", "2026-09-30")
    proposal = view(running, proposal_id)
    assert proposal["extension"] == {"months": 6, "reason": "涉及面广、办理难度大", "on": "2026-05-15"}
    assert proposal["due_on"] == "2026-09-30"
    problem = assert_problem(act(running, proposal_id, "extend", months=5, reason="再次延期"), 409)
    assert problem["state"] == "assigned"
    reply = accepted(running, proposal_id, "reply", result_class="C", body="因目前条件限制，需待以后解决。")
    assert reply["due_on"] == "2026-09-30"
    (event,) = [e for e in running.events("gongkai.proposals") if e.type == "proposal.replied"]
    assert (event.data["due_on"], event.data["on_time"]) == ("2026-09-30", True)


def test_the_second_assessment_closes_whatever_it_is_and_no_third_round(running: Running) -> None:
    proposal_id = register(running)
    accepted(running, proposal_id, "reply", result_class="D", body="留作参考。", on="2026-05-01")
    accepted(running, proposal_id, "feedback", rating="dissatisfied", on="2026-05-02")
    accepted(running, proposal_id, "reply", result_class="B", body="重新办理答复。", on="2026-05-20")
    closed = accepted(running, proposal_id, "feedback", rating="dissatisfied", on="2026-05-21")
    assert closed["status"] == "closed"
    before = proposal_events(running)
    for action, body in (
        ("reply", {"result_class": "A", "body": "第三次答复"}),
        ("feedback", {"rating": "dissatisfied"}),
        ("extend", {"months": 6, "reason": "延期"}),
        ("co-opinion", {"unit": "市财政局"}),
    ):
        problem = assert_problem(act(running, proposal_id, action, **body), 409)
        assert (problem["type"], problem["state"]) == ("invalid-state", "closed")
        assert "closed" in problem["detail"]
    assert proposal_events(running) == before
    assert view(running, proposal_id)["status"] == "closed"


def test_the_first_reply_can_be_published_and_the_rehandling_reply_after_it(running: Running) -> None:
    proposal_id = register(running)
    assert_problem(publish(running, proposal_id), 409)  # nothing to publish yet
    accepted(running, proposal_id, "reply", result_class="B", body="第一次答复。", on="2026-05-01")
    assert publish(running, proposal_id).status_code == 202
    assert_problem(publish(running, proposal_id), 409)
    accepted(running, proposal_id, "feedback", rating="dissatisfied", on="2026-05-02")
    assert_problem(publish(running, proposal_id), 409)  # still the same reply
    accepted(running, proposal_id, "reply", result_class="A", body="第二次答复。", on="2026-05-03")
    assert publish(running, proposal_id).status_code == 202
    assert [e.data["reply"] for e in public_events(running)] == ["第一次答复。", "第二次答复。"]
    assert [r["published"] for r in view(running, proposal_id)["replies"]] == [True, True]


# --- overdue and gauges ---------------------------------------------------------------------------


def test_the_sweep_announces_overdue_proposals_once_per_due_date_and_keeps_gauges(running: Running) -> None:
    late = register(running, assigned_on="2026-03-02")  # due 2026-06-02
    rehandled = register(running, number="第0124号", assigned_on="2026-05-01")  # due 2026-08-01
    accepted(running, rehandled, "reply", result_class="B", body="答复。", on="2026-05-10")
    accepted(running, rehandled, "feedback", rating="dissatisfied", on="2026-05-11")  # re-handling due 2026-06-11
    done = register(running, number="第0125号", assigned_on="2026-02-02")
    accepted(running, done, "reply", result_class="A", body="已解决。", on="2026-05-01")
    accepted(running, done, "feedback", rating="satisfied", on="2026-05-02")

    with proposal_gauges(running):
        metrics = running.client.get("/metrics").text
        assert "gongkai_proposals_open 2.0" in metrics and "gongkai_proposals_overdue 0.0" in metrics
        assert sweep(running) == {"open_cases": 2, "recomputed": 0, "newly_overdue": 0}

        running.clock.advance(timedelta(days=2))  # 2026-06-03
        for _ in range(2):
            sweep(running)
        overdue = [e for e in running.events("gongkai.proposals") if e.type == "proposal.overdue"]
        assert [(e.subject, e.data["due_on"], e.data["kind"]) for e in overdue] == [
            (late, "2026-06-02", "npc_suggestion")
        ]
        proposal = view(running, late)
        assert proposal["overdue"] is True
        assert [h["step"] for h in proposal["history"]].count("proposal.overdue") == 1
        assert "gongkai_proposals_overdue 1.0" in running.client.get("/metrics").text
        assert [p["id"] for p in listed(running, overdue="true")["items"]] == [late]

        running.clock.advance(timedelta(days=9))  # 2026-06-12: the re-handling reply is late too
        sweep(running)
        sweep(running)
        overdue = [e for e in running.events("gongkai.proposals") if e.type == "proposal.overdue"]
        assert [(e.subject, e.data["due_on"]) for e in overdue] == [(late, "2026-06-02"), (rehandled, "2026-06-11")]
        metrics = running.client.get("/metrics").text
        assert "gongkai_proposals_open 2.0" in metrics and "gongkai_proposals_overdue 2.0" in metrics
        assert {p["id"] for p in listed(running, overdue="true")["items"]} == {late, rehandled}

        late_reply = accepted(running, late, "reply", result_class="B", body="逾期答复。")
        assert late_reply["status"] == "replied"
        (event,) = [
            e for e in running.events("gongkai.proposals") if e.type == "proposal.replied" and e.subject == late
        ]
        assert (event.data["due_on"], event.data["on_time"]) == ("2026-06-02", False)
        assert "gongkai_proposals_overdue 1.0" in running.client.get("/metrics").text
        assert view(running, late)["overdue"] is False


# --- lists ----------------------------------------------------------------------------------------


def test_proposals_are_listed_by_status_kind_and_page(running: Running) -> None:
    a = register(running, assigned_on="2026-03-02")
    b = register(running, kind="cppcc_proposal", number="第7号", assigned_on="2026-04-01")
    c = register(running, number="第0200号", assigned_on="2026-05-01")
    accepted(running, b, "reply", result_class="A", body="答复。", on="2026-05-01")
    everything = listed(running)
    assert [p["id"] for p in everything["items"]] == [a, b, c]  # soonest due first
    assert everything["total"] == 3 and "history" not in everything["items"][0]
    assert [p["id"] for p in listed(running, status="assigned")["items"]] == [a, c]
    assert [p["id"] for p in listed(running, kind="cppcc_proposal")["items"]] == [b]
    assert listed(running, status="replied", kind="npc_suggestion")["items"] == []
    second = listed(running, page=2, size=2)
    assert ([p["id"] for p in second["items"]], second["total"]) == ([c], 3)
    for params in ({"status": "open"}, {"kind": "letter"}, {"page": 0}, {"size": 201}, {"overdue": "maybe"}):
        assert_problem(running.client.get("/api/v1/proposals", params=params, headers=running.staff.clerk), 422)


def test_the_publishers_work_list_holds_proposals_whose_latest_reply_is_not_yet_public(running: Running) -> None:
    unanswered = register(running)
    answered = register(running, number="第0124号", assigned_on="2026-04-01")
    accepted(running, answered, "reply", result_class="A", body="已解决。", on="2026-05-01")
    public = register(running, number="第0125号", assigned_on="2026-04-15")
    accepted(running, public, "reply", result_class="B", body="正在解决。", on="2026-05-02")
    assert publish(running, public).status_code == 202
    rehandled = register(running, number="第0126号", assigned_on="2026-05-01")
    accepted(running, rehandled, "reply", result_class="D", body="留作参考。", on="2026-05-03")
    assert publish(running, rehandled).status_code == 202
    accepted(running, rehandled, "feedback", rating="dissatisfied", on="2026-05-04")

    def ids(**params: Any) -> set[str]:
        found = listed(running, **params)
        assert found["total"] == len(found["items"])
        return {p["id"] for p in found["items"]}

    assert ids(reply_published="false") == {answered}  # never answered: nothing to publish
    assert ids(reply_published="true") == {public, rehandled}
    # The re-handling reply is new and unpublished, though the first one is public.
    accepted(running, rehandled, "reply", result_class="B", body="重新办理答复。", on="2026-05-20")
    assert ids(reply_published="false") == {answered, rehandled}
    assert ids(reply_published="false", status="replied", kind="npc_suggestion") == {answered, rehandled}
    assert ids(reply_published="false", kind="cppcc_proposal") == set()
    assert publish(running, rehandled).status_code == 202
    assert ids(reply_published="false") == {answered}
    for proposal_id in (answered, public, rehandled):  # the filter agrees with each proposal's own view
        latest = view(running, proposal_id)["replies"][-1]
        assert latest["published"] is (proposal_id in ids(reply_published="true"))
    assert ids() == {unanswered, answered, public, rehandled}  # without the parameter: every proposal
    problem = assert_problem(
        running.client.get("/api/v1/proposals", params={"reply_published": "maybe"}, headers=running.staff.clerk),
        422,
    )
    assert "reply_published" in str(problem)


def test_a_repeated_number_is_recorded_with_a_warning(running: Running) -> None:
    first = register(running)
    again = register(running, title="关于社区养老的建议（重复登记）")
    other_kind = register(running, kind="cppcc_proposal")
    other_year = register(running, assigned_on="2025-12-31")
    spaced = register(running, number=" 第 0123号")
    assert view(running, first)["duplicate_of"] is None
    repeated = view(running, again)
    assert repeated["duplicate_of"] == first
    warnings = [h for h in repeated["history"] if h["step"] == "warning"]
    assert len(warnings) == 1 and "第0123号" in warnings[0]["warning"]
    assert view(running, spaced)["duplicate_of"] == first
    assert view(running, other_kind)["duplicate_of"] is None
    assert view(running, other_year)["duplicate_of"] is None
    # handled like any other
    assert accepted(running, again, "reply", result_class="A", body="答复。")["status"] == "replied"


# --- bad input ------------------------------------------------------------------------------------


def nothing_registered(running: Running) -> None:
    assert proposal_events(running) == []
    assert listed(running)["items"] == []


BAD_REGISTRATIONS: list[tuple[str, Any, str]] = [
    ("unknown kind", {**REGISTRATION, "kind": "petition"}, "kind"),
    ("missing number", {k: v for k, v in REGISTRATION.items() if k != "number"}, "number"),
    ("blank title", {**REGISTRATION, "title": "   "}, "title"),
    ("title of control characters", {**REGISTRATION, "title": "\u0000\u0001"}, "title"),
    ("overlong title", {**REGISTRATION, "title": "长" * 301}, "title"),
    ("overlong number", {**REGISTRATION, "number": "1" * 51}, "number"),
    ("overlong proposer", {**REGISTRATION, "proposer": "张" * 101}, "proposer"),
    ("missing lead unit", {k: v for k, v in REGISTRATION.items() if k != "lead_unit"}, "lead_unit"),
    ("assigned_on in the future", {**REGISTRATION, "assigned_on": "2026-06-02"}, "assigned_on"),
    ("assigned_on before the records", {**REGISTRATION, "assigned_on": "2008-04-30"}, "assigned_on"),
    ("assigned_on not a date", {**REGISTRATION, "assigned_on": "2026-02-30"}, "assigned_on"),
    ("a co-unit twice", {**REGISTRATION, "co_units": ["市财政局", "市财政局"]}, "co_units"),
    ("the lead unit as a co-unit", {**REGISTRATION, "co_units": ["市民政局"]}, "co_units"),
    ("a blank co-unit", {**REGISTRATION, "co_units": [" "]}, "co_units.0"),
    ("co_units not a list", {**REGISTRATION, "co_units": "市财政局"}, "co_units"),
    ("too many co-units", {**REGISTRATION, "co_units": [f"单位{n}" for n in range(21)]}, "co_units"),
    ("unknown session", {**REGISTRATION, "session": "plenary"}, "session"),
    ("extra field", {**REGISTRATION, "phone": "13800000000"}, "phone"),
    ("an array instead of an object", [REGISTRATION], "body"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_REGISTRATIONS, ids=[c[0] for c in BAD_REGISTRATIONS])
def test_invalid_registrations_are_refused_field_by_field(running: Running, case: str, body: Any, field: str) -> None:
    problem = assert_problem(running.client.post("/api/v1/proposals", json=body, headers=running.staff.clerk), 422)
    assert field in [e["field"] for e in problem["errors"]], problem
    nothing_registered(running)


@pytest.mark.parametrize(("raw", "status"), [(b"", 422), (b"null", 422), (b"{}", 422), (b'{"kind": ', 400)])
def test_undecodable_or_empty_registrations_are_refused(running: Running, raw: bytes, status: int) -> None:
    assert_problem(post_raw(running.client, "/api/v1/proposals", raw, running.staff.clerk), status)
    nothing_registered(running)


def test_only_clerks_register_and_act_only_publishers_publish_only_staff_read(running: Running) -> None:
    for headers in ({}, {"Authorization": "Bearer gk_not-a-real-token"}):
        assert_problem(running.client.post("/api/v1/proposals", json=REGISTRATION, headers=headers), 401)
        assert_problem(running.client.get("/api/v1/proposals", headers=headers), 401)
    for who in (running.staff.reviewer, running.staff.publisher):
        assert_problem(running.client.post("/api/v1/proposals", json=REGISTRATION, headers=who), 403)
    nothing_registered(running)
    proposal_id = register(running)
    reply = {"result_class": "A", "body": "答复。"}
    assert_problem(act_as(running, running.staff.publisher, proposal_id, "reply", **reply), 403)
    assert_problem(running.client.post(f"/api/v1/proposals/{proposal_id}/reply", json=reply), 401)
    accepted(running, proposal_id, "reply", **reply)
    assert_problem(running.client.post(f"/api/v1/proposals/{proposal_id}/publish", headers=running.staff.clerk), 403)
    assert_problem(running.client.post(f"/api/v1/proposals/{proposal_id}/publish"), 401)
    assert public_events(running) == []
    for who in (running.staff.clerk, running.staff.reviewer, running.staff.publisher, running.staff.admin):
        assert running.client.get(f"/api/v1/proposals/{proposal_id}", headers=who).json()["status"] == "replied"


BAD_ACTIONS: list[tuple[str, str, Any, str]] = [
    ("empty reply", "reply", {}, "result_class"),
    ("reply without body", "reply", {"result_class": "A"}, "body"),
    ("blank reply body", "reply", {"result_class": "A", "body": "  \u0000 "}, "body"),
    ("unknown result class", "reply", {"result_class": "E", "body": "答复。"}, "result_class"),
    ("reply in the future", "reply", {"result_class": "A", "body": "答复。", "on": "2026-06-02"}, "on"),
    ("reply before assignment", "reply", {"result_class": "A", "body": "答复。", "on": "2026-03-30"}, "on"),
    ("reply not a date", "reply", {"result_class": "A", "body": "答复。", "on": "2026-04-31"}, "on"),
    ("reply with extra field", "reply", {"result_class": "A", "body": "答复。", "rehandling": True}, "rehandling"),
    ("overlong note", "reply", {"result_class": "A", "body": "答复。", "note": "长" * 2001}, "note"),
    ("co-opinion of another unit", "co-opinion", {"unit": "市教育局"}, "unit"),
    ("co-opinion without unit", "co-opinion", {}, "unit"),
    ("co-opinion before assignment", "co-opinion", {"unit": "市财政局", "on": "2026-03-01"}, "on"),
    ("extension of 3 months", "extend", {"months": 3, "reason": "难"}, "months"),
    ("extension of 7 months", "extend", {"months": 7, "reason": "难"}, "months"),
    ("extension without reason", "extend", {"months": 6}, "reason"),
    ("extension with blank reason", "extend", {"months": 6, "reason": " "}, "reason"),
    ("empty feedback", "feedback", {}, "rating"),
    ("unknown rating", "feedback", {"rating": "angry"}, "rating"),
]


@pytest.mark.parametrize(
    ("case", "action", "body", "field"), BAD_ACTIONS, ids=[c[0] for c in BAD_ACTIONS]
)  # fmt: skip
def test_invalid_actions_are_refused_and_nothing_is_recorded(
    running: Running, case: str, action: str, body: Any, field: str
) -> None:
    proposal_id = register(running)
    before = view(running, proposal_id)
    problem = assert_problem(act(running, proposal_id, action, **body), 422)
    assert field in [e["field"] for e in problem["errors"]], problem
    assert view(running, proposal_id) == before
    assert proposal_events(running) == [("proposal.registered", proposal_id)]


def test_actions_the_state_forbids_are_conflicts_naming_the_state(running: Running) -> None:
    proposal_id = register(running)
    problem = assert_problem(act(running, proposal_id, "feedback", rating="satisfied"), 409)
    assert problem["state"] == "assigned"
    accepted(running, proposal_id, "co-opinion", unit="市财政局", on="2026-04-10")
    assert assert_problem(act(running, proposal_id, "co-opinion", unit="市财政局"), 409)["state"] == "assigned"
    accepted(running, proposal_id, "reply", result_class="A", body="答复。", on="2026-05-10")
    for action, body in (
        ("reply", {"result_class": "A", "body": "再答复。"}),
        ("extend", {"months": 6, "reason": "难"}),
        ("co-opinion", {"unit": "市自然资源和规划局"}),
    ):
        assert assert_problem(act(running, proposal_id, action, **body), 409)["state"] == "replied"
    # dates out of order: an assessment before the reply
    early = assert_problem(act(running, proposal_id, "feedback", rating="satisfied", on="2026-05-09"), 422)
    assert [e["field"] for e in early["errors"]] == ["on"]
    accepted(running, proposal_id, "feedback", rating="satisfied", on="2026-05-10")
    twice = assert_problem(act(running, proposal_id, "feedback", rating="dissatisfied"), 409)
    assert twice["state"] == "closed"
    late = register(running, number="第9号", assigned_on="2026-02-02")  # due 2026-05-02: too late to extend
    assert assert_problem(act(running, late, "extend", months=6, reason="难"), 409)["state"] == "assigned"
    assert [t for t, _ in proposal_events(running)] == [
        "proposal.registered",
        "proposal.co_opinion",
        "proposal.replied",
        "proposal.feedback",
        "proposal.registered",
    ]


def test_unknown_or_malformed_proposals(running: Running) -> None:
    for action, body in (("reply", {"result_class": "A", "body": "x"}), ("feedback", {"rating": "satisfied"})):
        assert_problem(act(running, "0" * 32, action, **body), 404)
        assert_problem(act(running, "not-an-id", action, **body), 422)
    assert_problem(publish(running, "0" * 32), 404)
    assert_problem(running.client.get(f"/api/v1/proposals/{'0' * 32}", headers=running.staff.clerk), 404)
    assert_problem(running.client.get("/api/v1/proposals/not-an-id", headers=running.staff.clerk), 422)
    nothing_registered(running)


def test_a_malformed_action_body_is_refused(running: Running) -> None:
    proposal_id = register(running)
    url = f"/api/v1/proposals/{proposal_id}/reply"
    assert_problem(post_raw(running.client, url, b'{"result_class": ', running.staff.clerk), 400)
    assert_problem(post_raw(running.client, url, b"", running.staff.clerk), 422)
    assert proposal_events(running) == [("proposal.registered", proposal_id)]


def test_the_same_idempotency_key_registers_once(running: Running) -> None:
    headers = {**running.staff.clerk, "Idempotency-Key": "proposal-2026-0123"}
    first = running.client.post("/api/v1/proposals", json=REGISTRATION, headers=headers)
    again = running.client.post("/api/v1/proposals", json=REGISTRATION, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert len(proposal_events(running)) == 1
