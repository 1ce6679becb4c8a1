"""撤下公开 of a proposal reply: a publisher takes the public reply down, with a reason, and may publish the
latest reply again.

``POST /api/v1/proposals/{id}/unpublish`` records ``proposal.reply_unpublished`` (with the reason) on the
internal proposals topic; review answers it on ``gongkai.public.letters`` with ``proposal.reply_withdrawn``
(instant and version only), which takes the reply off ``/letters``, ``/letters/{id}`` and
``/api/v1/public/letters``. A proposal's publications and take-downs are numbered 1, 2, 3, … The platform's
clock stands at 2026-06-01.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.requests_fixture import Running
from tests.e2e.test_bad_input import assert_problem, post_raw
from tests.e2e.test_proposals import REGISTRATION, accepted, listed, publish, register, view
from tests.polling import eventually_sync

PUBLIC = "gongkai.public.letters"
REASON = "答复中误写了代表的手机号码，待更正后重新公开"
REPLY = "已将社区养老服务设施建设列入2027年民生实事项目。"


def answered(running: Running, **changes: Any) -> str:
    """A proposal registered and answered (not yet public)."""
    proposal_id = register(running, **changes)
    accepted(running, proposal_id, "reply", result_class="B", body=REPLY, on="2026-05-20")
    return proposal_id


def published(running: Running, **changes: Any) -> str:
    """An answered proposal whose reply is public and shown on the portal."""
    proposal_id = answered(running, **changes)
    assert publish(running, proposal_id).status_code == 202
    eventually_sync(lambda: public(running, proposal_id).status_code == 200)
    return proposal_id


def public(running: Running, proposal_id: str) -> Any:
    return running.client.get(f"/api/v1/public/letters/{proposal_id}")


def unpublish(running: Running, proposal_id: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
    who = running.staff.publisher if headers is None else headers
    return running.client.post(f"/api/v1/proposals/{proposal_id}/unpublish", json=body, headers=who)


def events_of(running: Running, proposal_id: str, topic: str = "gongkai.proposals") -> list[Any]:
    return [e for e in running.events(topic) if e.subject == proposal_id]


def public_steps(running: Running, proposal_id: str) -> list[tuple[str, int]]:
    return [(e.type, e.data.get("version", 1)) for e in events_of(running, proposal_id, PUBLIC)]


def waiting(running: Running) -> set[str]:
    """The publisher's work list: proposals whose latest reply is not public."""
    return {p["id"] for p in listed(running, reply_published="false")["items"]}


def test_a_publisher_takes_a_public_reply_down_and_the_portal_no_longer_shows_it(running: Running) -> None:
    proposal_id = published(running)
    other = published(running, number="第0124号")
    assert waiting(running) == set()

    taken_down = unpublish(running, proposal_id, reason=REASON)
    assert taken_down.status_code == 202, taken_down.text
    assert taken_down.json() == {
        "id": proposal_id,
        "action": "unpublish",
        "event": "proposal.reply_unpublished",
        "status": "replied",
        "due_on": "2026-06-30",
        "published": False,
        "version": 2,
    }
    assert taken_down.headers["Location"] == f"/api/v1/proposals/{proposal_id}"

    proposal = view(running, proposal_id)  # answered once review applied it: the next read shows it
    assert (proposal["published"], proposal["withdrawn"], proposal["publication_version"]) == (False, True, 2)
    assert (proposal["withdrawn_on"], proposal["withdrawal_reason"]) == ("2026-06-01", REASON)
    assert [r["published"] for r in proposal["replies"]] == [False]
    assert (proposal["status"], proposal["due_on"]) == ("replied", "2026-06-30")  # the handling is untouched
    last = proposal["history"][-1]
    assert (last["step"], last["actor"], last["details"]["reason"], last["on"]) == (
        "proposal.reply_unpublished",
        "publisher-甲",
        REASON,
        "2026-06-01",
    )
    assert waiting(running) == {proposal_id}  # the publisher's 工作台 counts it again
    assert {p["id"] for p in listed(running, reply_published="true")["items"]} == {other}

    [step] = [e for e in events_of(running, proposal_id) if e.type == "proposal.reply_unpublished"]
    assert (step.data["reason"], step.data["version"], step.data["actor"]) == (REASON, 2, "publisher-甲")
    published_event, withdrawn = events_of(running, proposal_id, PUBLIC)
    assert (published_event.type, published_event.data["version"]) == ("proposal.reply_published", 1)
    assert withdrawn.type == "proposal.reply_withdrawn" and withdrawn.causation_id == step.id
    assert set(withdrawn.data) == {"withdrawn_at", "version"} and withdrawn.data["version"] == 2

    eventually_sync(lambda: public(running, proposal_id).status_code == 404)
    assert_problem(public(running, proposal_id), 404)
    listing = running.client.get("/api/v1/public/letters").json()
    assert [item["id"] for item in listing["items"]] == [other] and listing["total"] == 1
    page = running.client.get(f"/letters/{proposal_id}")
    assert page.status_code == 404 and "已撤下" in page.text and REPLY not in page.text
    assert f"/letters/{proposal_id}" not in running.client.get("/letters").text
    assert f"/letters/{proposal_id}" not in running.client.get("/letters", params={"kind": "npc_suggestion"}).text
    assert public(running, other).status_code == 200  # the other reply stays


def test_the_latest_reply_is_published_again_as_the_next_version(running: Running) -> None:
    proposal_id = published(running)
    assert unpublish(running, proposal_id, reason=REASON).status_code == 202
    eventually_sync(lambda: public(running, proposal_id).status_code == 404)

    again = publish(running, proposal_id)
    assert again.status_code == 202, again.text
    assert again.json()["version"] == 3
    proposal = view(running, proposal_id)
    assert (proposal["published"], proposal["withdrawn"], proposal["publication_version"]) == (True, False, 3)
    assert (proposal["withdrawn_on"], proposal["withdrawal_reason"]) == (None, None)
    assert waiting(running) == set()
    eventually_sync(lambda: public(running, proposal_id).status_code == 200)
    assert public(running, proposal_id).json()["reply"] == REPLY
    assert public_steps(running, proposal_id) == [
        ("proposal.reply_published", 1),
        ("proposal.reply_withdrawn", 2),
        ("proposal.reply_published", 3),
    ]

    assert unpublish(running, proposal_id, reason="再次撤下").json()["version"] == 4
    eventually_sync(lambda: public(running, proposal_id).status_code == 404)
    assert view(running, proposal_id)["withdrawal_reason"] == "再次撤下"


def test_the_first_reply_public_during_rehandling_can_be_taken_down_and_the_second_published(
    running: Running,
) -> None:
    proposal_id = published(running)
    accepted(running, proposal_id, "feedback", rating="dissatisfied", on="2026-05-25")
    accepted(running, proposal_id, "reply", result_class="A", body="经重新办理，已落实选址和资金。")
    assert waiting(running) == {proposal_id}  # the re-handling reply is not public; the first one still is
    assert view(running, proposal_id)["published"] is True

    assert unpublish(running, proposal_id, reason=REASON).json()["version"] == 2
    eventually_sync(lambda: public(running, proposal_id).status_code == 404)
    assert waiting(running) == {proposal_id}
    assert publish(running, proposal_id).json()["version"] == 3
    eventually_sync(lambda: public(running, proposal_id).status_code == 200)
    assert public(running, proposal_id).json()["reply"] == "经重新办理，已落实选址和资金。"
    assert [r["published"] for r in view(running, proposal_id)["replies"]] == [False, True]
    assert waiting(running) == set()


def test_only_a_proposal_with_a_public_reply_can_be_taken_down(running: Running) -> None:
    unanswered = register(running)
    refused = assert_problem(unpublish(running, unanswered, reason=REASON), 409)
    assert refused["state"] == "assigned" and "no reply of this proposal is public" in refused["detail"]
    never_public = answered(running, number="第0124号")
    refused = assert_problem(unpublish(running, never_public, reason=REASON), 409)
    assert (refused["type"], refused["state"]) == ("invalid-state", "replied")

    proposal_id = published(running, number="第0125号")
    assert unpublish(running, proposal_id, reason=REASON).status_code == 202
    twice = assert_problem(unpublish(running, proposal_id, reason="又一次"), 409)
    assert "no reply of this proposal is public" in twice["detail"]
    assert [e.type for e in events_of(running, proposal_id)].count("proposal.reply_unpublished") == 1
    assert [t for t, _ in public_steps(running, proposal_id)] == [
        "proposal.reply_published",
        "proposal.reply_withdrawn",
    ]
    for untouched in (unanswered, never_public):
        assert events_of(running, untouched, PUBLIC) == []
        assert "proposal.reply_unpublished" not in [e.type for e in events_of(running, untouched)]


@pytest.mark.parametrize(
    ("case", "body", "field"),
    [
        ("no reason", {}, "reason"),
        ("an empty reason", {"reason": ""}, "reason"),
        ("a blank reason", {"reason": " \u3000 "}, "reason"),
        ("a reason over 500 characters", {"reason": "理" * 501}, "reason"),
        ("a reason that is not text", {"reason": ["有误"]}, "reason"),
        ("an unknown field", {"reason": REASON, "version": 9}, "version"),
    ],
)
def test_a_take_down_without_a_proper_reason_is_refused_and_changes_nothing(
    running: Running, case: str, body: dict[str, Any], field: str
) -> None:
    proposal_id = published(running)
    problem = assert_problem(unpublish(running, proposal_id, **body), 422)
    assert problem["type"] == "validation" and [e["field"] for e in problem["errors"]] == [field]
    assert view(running, proposal_id)["published"] is True
    assert public_steps(running, proposal_id) == [("proposal.reply_published", 1)]


def test_a_body_that_is_not_json_is_refused(running: Running) -> None:
    proposal_id = published(running)
    url = f"/api/v1/proposals/{proposal_id}/unpublish"
    assert_problem(post_raw(running.client, url, b'{"reason": ', running.staff.publisher), 400)
    assert_problem(post_raw(running.client, url, b"", running.staff.publisher), 422)
    assert_problem(post_raw(running.client, url, b"[]", running.staff.publisher), 422)
    assert view(running, proposal_id)["published"] is True


def test_only_publishers_take_replies_down(running: Running) -> None:
    proposal_id = published(running)
    for role in (running.staff.clerk, running.staff.reviewer):
        assert assert_problem(unpublish(running, proposal_id, role, reason=REASON), 403)["type"] == "forbidden"
    assert_problem(unpublish(running, proposal_id, {}, reason=REASON), 401)
    assert_problem(unpublish(running, proposal_id, {"Authorization": "Bearer gk_not-a-real-token"}, reason=REASON), 401)
    assert_problem(unpublish(running, "0" * 32, reason=REASON), 404)
    assert_problem(unpublish(running, "not-a-proposal", reason=REASON), 422)
    assert view(running, proposal_id)["published"] is True
    assert unpublish(running, proposal_id, running.staff.admin, reason=REASON).status_code == 202  # admin may


def test_the_same_take_down_sent_twice_is_recorded_once(running: Running) -> None:
    proposal_id = published(running)
    headers = {**running.staff.publisher, "Idempotency-Key": "unpublish-proposal-0001"}
    first = unpublish(running, proposal_id, headers, reason=REASON)
    second = unpublish(running, proposal_id, headers, reason=REASON)
    assert first.status_code == second.status_code == 202
    assert second.json() == first.json() and second.headers.get("idempotent-replayed") == "true"
    other = assert_problem(unpublish(running, proposal_id, headers, reason="另一个理由"), 422)
    assert other["type"] == "idempotency-key-reused"
    assert public_steps(running, proposal_id) == [("proposal.reply_published", 1), ("proposal.reply_withdrawn", 2)]
    assert [h["step"] for h in view(running, proposal_id)["history"]].count("proposal.reply_unpublished") == 1


def test_the_reason_stays_with_staff(running: Running, caplog: pytest.LogCaptureFixture) -> None:
    """The reason travels only on the internal proposals topic; after the take-down nothing of the reply or
    of its proposer is public, and neither the reason nor the proposer is in the metrics or the logs."""
    caplog.set_level("DEBUG")
    proposal_id = published(running, proposer="欧阳建国")
    assert unpublish(running, proposal_id, reason=REASON).status_code == 202
    assert_problem(unpublish(running, proposal_id, reason=REASON), 409)  # refused: logged without the reason
    eventually_sync(lambda: public(running, proposal_id).status_code == 404)
    public_outputs = {
        "public topic": repr([e.model_dump() for e in running.events(PUBLIC) if e.type != "proposal.reply_published"]),
        "published letters": running.client.get("/api/v1/public/letters").text,
        "published letter": public(running, proposal_id).text,
        "portal list": running.client.get("/letters").text,
        "portal list of suggestions": running.client.get("/letters", params={"kind": "npc_suggestion"}).text,
        "portal page": running.client.get(f"/letters/{proposal_id}").text,
        "metrics": running.client.get("/metrics").text,
        "logs": caplog.text,
    }
    for name, text in public_outputs.items():
        for value in (REASON, "欧阳建国", REPLY, REGISTRATION["title"], "publisher-甲"):
            assert value not in text, f"{value!r} leaked into {name}"
    withdrawal = [e for e in running.events(PUBLIC) if e.type == "proposal.reply_withdrawn"]
    assert [set(e.data) for e in withdrawal] == [{"withdrawn_at", "version"}]
    assert any(e.data.get("reason") == REASON for e in running.events("gongkai.proposals"))  # kept for staff
