"""撤下公开: a reviewer takes a published letter down, with a reason, and may publish it again.

``POST /api/v1/letters/{id}/unpublish`` records ``letter.unpublished`` (with the reason) on the internal
letters topic; review answers it on ``gongkai.public.letters`` with ``letter.withdrawn`` (instant and version
only), which takes the letter off ``/letters``, ``/letters/{id}`` and ``/api/v1/public/letters``. Publications
and withdrawals of a letter are numbered 1, 2, 3, … The platform's clock stands at 2026-06-01.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.requests_fixture import Running
from tests.e2e.test_bad_input import assert_problem
from tests.e2e.test_letters_review import REASON, act, letter, letter_events, send, status
from tests.polling import eventually_sync

CLEARED = {
    "title": "关于工地夜间施工噪音扰民的来信",
    "body": "小区旁工地夜间施工，噪音严重，请予处理。",
    "reply": "经核查，已责令施工单位停止夜间施工，并纳入日常巡查。",
}
PUBLIC = "gongkai.public.letters"


def published_letter(running: Running) -> tuple[str, str]:
    """A replied letter, published once and shown on the portal: (id, tracking code)."""
    letter_id, code = send(running, received_on="2026-05-27")
    assert act(running, letter_id, "reply", body=CLEARED["reply"], first_pass=True).status_code == 202
    assert act(running, letter_id, "publish", running.staff.reviewer, **CLEARED).status_code == 202
    eventually_sync(lambda: public(running, letter_id).status_code == 200)
    return letter_id, code


def public(running: Running, letter_id: str) -> Any:
    return running.client.get(f"/api/v1/public/letters/{letter_id}")


def unpublish(running: Running, letter_id: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
    return act(running, letter_id, "unpublish", running.staff.reviewer if headers is None else headers, **body)


def test_a_reviewer_takes_a_published_letter_down_and_the_portal_no_longer_shows_it(running: Running) -> None:
    letter_id, code = published_letter(running)
    other_id, _ = published_letter(running)

    taken_down = unpublish(running, letter_id, reason=REASON)
    assert taken_down.status_code == 202, taken_down.text
    assert taken_down.json() == {"id": letter_id, "event": "letter.unpublished", "published": False, "version": 2}
    assert taken_down.headers["Location"] == f"/api/v1/letters/{letter_id}"

    case = letter(running, letter_id)  # answered once review applied it: the next read shows it
    assert (case["published"], case["withdrawn"], case["publication_version"]) == (False, True, 2)
    assert (case["withdrawn_on"], case["withdrawal_reason"], case["status"]) == ("2026-06-01", REASON, "replied")
    last = case["history"][-1]
    assert (last["step"], last["label"], last["actor"], last["details"]["reason"]) == (
        "letter.unpublished",
        "撤下公开",
        "reviewer-甲",
        REASON,
    )

    [step] = [e for e in letter_events(running, letter_id) if e.type == "letter.unpublished"]
    assert (step.data["reason"], step.data["version"], step.data["actor"]) == (REASON, 2, "reviewer-甲")
    published, withdrawn = letter_events(running, letter_id, PUBLIC)
    assert (published.type, published.data["version"]) == ("letter.published", 1)
    assert withdrawn.type == "letter.withdrawn" and withdrawn.causation_id == step.id
    assert set(withdrawn.data) == {"withdrawn_at", "version"} and withdrawn.data["version"] == 2

    eventually_sync(lambda: public(running, letter_id).status_code == 404)
    assert_problem(public(running, letter_id), 404)
    listed = running.client.get("/api/v1/public/letters").json()
    assert [item["id"] for item in listed["items"]] == [other_id] and listed["total"] == 1
    page = running.client.get(f"/letters/{letter_id}")
    assert page.status_code == 404 and "已撤下" in page.text and CLEARED["body"] not in page.text
    assert f"/letters/{letter_id}" not in running.client.get("/letters").text
    assert public(running, other_id).status_code == 200  # the other letter stays

    tracked = status(running, letter_id, code).json()  # the writer sees the step, not the reason
    assert [h["step"] for h in tracked["history"]][-2:] == ["letter.published", "letter.unpublished"]
    assert REASON not in status(running, letter_id, code).text


def test_a_withdrawn_letter_is_published_again_as_the_next_version(running: Running) -> None:
    letter_id, _ = published_letter(running)
    assert unpublish(running, letter_id, reason=REASON).status_code == 202
    eventually_sync(lambda: public(running, letter_id).status_code == 404)

    again = act(running, letter_id, "publish", running.staff.reviewer, **{**CLEARED, "title": "关于夜间施工噪音的来信"})
    assert again.status_code == 202, again.text
    assert again.json()["version"] == 3
    case = letter(running, letter_id)
    assert (case["published"], case["withdrawn"], case["withdrawal_reason"], case["publication_version"]) == (
        True,
        False,
        None,
        3,
    )
    eventually_sync(lambda: public(running, letter_id).status_code == 200)
    assert public(running, letter_id).json()["title"] == "关于夜间施工噪音的来信"
    assert [(e.type, e.data["version"]) for e in letter_events(running, letter_id, PUBLIC)] == [
        ("letter.published", 1),
        ("letter.withdrawn", 2),
        ("letter.published", 3),
    ]

    assert unpublish(running, letter_id, reason="再次撤下").json()["version"] == 4
    eventually_sync(lambda: public(running, letter_id).status_code == 404)
    assert letter(running, letter_id)["withdrawal_reason"] == "再次撤下"


def test_only_a_letter_that_is_public_now_can_be_taken_down(running: Running) -> None:
    open_id, _ = send(running)
    refused = assert_problem(unpublish(running, open_id, reason=REASON), 409)
    assert refused["state"] == "open"
    replied_id, _ = send(running)
    assert act(running, replied_id, "reply", body="答复", first_pass=True).status_code == 202
    refused = assert_problem(unpublish(running, replied_id, reason=REASON), 409)
    assert refused["state"] == "replied" and "only a published letter can be withdrawn" in refused["detail"]

    letter_id, _ = published_letter(running)
    assert unpublish(running, letter_id, reason=REASON).status_code == 202
    twice = assert_problem(unpublish(running, letter_id, reason="又一次"), 409)
    assert "only a published letter can be withdrawn" in twice["detail"]
    assert [e.type for e in letter_events(running, letter_id) if e.type == "letter.unpublished"] == [
        "letter.unpublished"
    ]
    assert [e.type for e in letter_events(running, letter_id, PUBLIC)] == ["letter.published", "letter.withdrawn"]
    for untouched in (open_id, replied_id):
        assert letter_events(running, untouched, PUBLIC) == []


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
def test_a_withdrawal_without_a_proper_reason_is_refused_and_changes_nothing(
    running: Running, case: str, body: dict[str, Any], field: str
) -> None:
    letter_id, _ = published_letter(running)
    problem = assert_problem(unpublish(running, letter_id, **body), 422)
    assert problem["type"] == "validation" and [e["field"] for e in problem["errors"]] == [field]
    assert letter(running, letter_id)["published"] is True
    assert [e.type for e in letter_events(running, letter_id, PUBLIC)] == ["letter.published"]


def test_only_reviewers_take_letters_down(running: Running) -> None:
    letter_id, _ = published_letter(running)
    assert assert_problem(unpublish(running, letter_id, running.staff.clerk, reason=REASON), 403)["type"] == "forbidden"
    assert_problem(unpublish(running, letter_id, running.staff.publisher, reason=REASON), 403)
    assert_problem(unpublish(running, letter_id, {}, reason=REASON), 401)
    assert_problem(unpublish(running, "0" * 32, reason=REASON), 404)
    assert_problem(unpublish(running, "not-a-letter", reason=REASON), 422)
    assert letter(running, letter_id)["published"] is True
    assert unpublish(running, letter_id, running.staff.admin, reason=REASON).status_code == 202  # admin may


def test_the_same_withdrawal_sent_twice_is_recorded_once(running: Running) -> None:
    letter_id, _ = published_letter(running)
    headers = {**running.staff.reviewer, "Idempotency-Key": "unpublish-0001"}
    first = unpublish(running, letter_id, headers, reason=REASON)
    second = unpublish(running, letter_id, headers, reason=REASON)
    assert first.status_code == second.status_code == 202
    assert second.json() == first.json() and second.headers.get("idempotent-replayed") == "true"
    assert [e.type for e in letter_events(running, letter_id, PUBLIC)] == ["letter.published", "letter.withdrawn"]
    assert [h["step"] for h in letter(running, letter_id)["history"]].count("letter.unpublished") == 1
