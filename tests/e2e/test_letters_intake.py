"""Writing to a mailbox or asking online (市长信箱, 部门信箱, 在线咨询): ``POST /api/v1/letters``.

Intake runs alone (as ``gongkai serve intake`` would) on the embedded bus, the clock frozen at
2026-06-01 10:00 Beijing time; what it recorded is read from the ``gongkai.letters`` topic itself.
Every refusal is checked three ways: a 4xx problem+json answer, nothing on the topic, and none of
the writer's name, phone or e-mail (nor a malformed one that was sent) anywhere in the answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from gongkai.events import Envelope, Topic
from gongkai.tracking import normalise_tracking_code, tracking_code_hash
from tests.e2e.test_bad_input import assert_problem
from tests.e2e.test_request_intake import Intake, running_intake

TODAY = date(2026, 6, 1)
KINDS = ["mayor_mailbox", "department_mailbox", "consultation"]
CATEGORIES = ["consultation", "complaint", "suggestion", "help"]
CONTACT: dict[str, Any] = {"name": "赵一鸣", "phone": "13987654321", "email": "zhao.yiming@example.cn"}
LETTER: dict[str, Any] = {
    "kind": "mayor_mailbox",
    "category": "suggestion",
    "title": "关于在文三路增设公交站点的建议",
    "body": "文三路与学院路交叉口附近居民较多，最近的公交站步行需要十五分钟。\n建议在交叉口增设一处公交站点。",
    "contact": CONTACT,
}
TO_DEPARTMENT: dict[str, Any] = {**LETTER, "kind": "department_mailbox", "department": "市交通运输局"}
BAD_PHONE = "139-8765-432"
BAD_EMAIL = "zhao.yiming at example.cn"
#: What a writer sent that must never come back in an answer.
NEVER_ECHOED = [CONTACT["name"], CONTACT["phone"], CONTACT["email"], BAD_PHONE, BAD_EMAIL]


@pytest.fixture
def intake(tmp_path: Path) -> Iterator[Intake]:
    with running_intake(tmp_path) as running:
        yield running


def raw_letters(intake: Intake) -> list[bytes]:
    assert intake.platform.bus is not None and intake.client.portal is not None
    return list(intake.client.portal.call(intake.platform.bus.read, Topic.LETTERS))


def letters(intake: Intake) -> list[Envelope]:
    return [Envelope.from_bytes(raw) for raw in raw_letters(intake)]


def write(intake: Intake, body: Any, headers: dict[str, str] | None = None) -> Any:
    return intake.client.post("/api/v1/letters", json=body, headers=headers or {})


def accepted(response: Any) -> dict[str, str]:
    assert response.status_code == 202, response.text
    body: dict[str, str] = response.json()
    assert set(body) == {"id", "tracking_code"}
    assert re.fullmatch(r"[0-9a-f]{32}", body["id"])
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", body["tracking_code"])
    assert response.headers["location"] == f"/api/v1/letters/{body['id']}"
    return body


def the_event(intake: Intake, answer: dict[str, str]) -> dict[str, Any]:
    (event,) = letters(intake)
    assert event.type == "letter.received"
    assert event.subject == answer["id"]
    assert event.source == "intake"
    assert event.recorded_at == datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    return event.data


def refused(intake: Intake, response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    problem = assert_problem(response, status)
    if field is not None:
        assert field in [e["field"] for e in problem.get("errors", [])], problem
    for value in NEVER_ECHOED:
        assert value not in response.text, f"the answer repeats a submitted personal value: {problem}"
    assert letters(intake) == [], "nothing may be recorded"
    return problem


def without(mapping: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k not in keys}


# --- what is recorded -------------------------------------------------------------------------------


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("kind", KINDS)
def test_anyone_writes_online_in_every_kind_and_category(intake: Intake, kind: str, category: str) -> None:
    body = {**LETTER, "kind": kind, "category": category}
    if kind == "department_mailbox":
        body["department"] = "市交通运输局"
    response = write(intake, body)
    answer = accepted(response)
    data = the_event(intake, answer)
    assert data["kind"] == kind
    assert data["category"] == category
    assert data["title"] == LETTER["title"]
    assert data["body"] == LETTER["body"]
    assert data["contact"] == CONTACT
    assert data["department"] == ("市交通运输局" if kind == "department_mailbox" else None)
    assert data["received_on"] == TODAY.isoformat()  # online: the day it is submitted
    assert data["recorded_by"] is None
    assert (data["channel"], data["note"]) == ("online", "")  # the public form: online, no staff note
    for value in NEVER_ECHOED:
        assert value not in response.text


def test_the_event_carries_the_codes_hash_not_the_code(intake: Intake) -> None:
    answer = accepted(write(intake, LETTER))
    code = answer["tracking_code"]
    assert the_event(intake, answer)["tracking_code_hash"] == tracking_code_hash(code)
    (raw,) = raw_letters(intake)
    for form in (code, normalise_tracking_code(code), code.lower()):
        assert form.encode() not in raw


def test_every_letter_gets_its_own_id_and_code(intake: Intake) -> None:
    first = accepted(write(intake, LETTER))
    second = accepted(write(intake, LETTER))
    assert first["id"] != second["id"]
    assert first["tracking_code"] != second["tracking_code"]
    assert [e.subject for e in letters(intake)] == [first["id"], second["id"]]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("contact", [None, {}, {"name": " ", "phone": "", "email": None}], ids=["null", "{}", "blank"])
def test_a_letter_may_be_anonymous_in_every_kind(intake: Intake, kind: str, contact: Any) -> None:
    """The reply to an anonymous letter is read on the tracking page with the code."""
    body = {**without(TO_DEPARTMENT, "contact"), "kind": kind, "contact": contact}
    if kind != "department_mailbox":
        body = without(body, "department")
    data = the_event(intake, accepted(write(intake, body)))
    assert data["contact"] == {"name": None, "phone": None, "email": None}


def test_contact_may_be_left_out_altogether(intake: Intake) -> None:
    data = the_event(intake, accepted(write(intake, without(LETTER, "contact"))))
    assert data["contact"] == {"name": None, "phone": None, "email": None}


@pytest.mark.parametrize(
    "contact",
    [{"phone": "0571-87654321"}, {"email": "someone@example.cn"}, {"name": "钱女士", "phone": "+86 139 8765 4321"}],
    ids=["landline only", "e-mail only", "name and phone"],
)
def test_a_mailbox_letter_with_a_way_to_reach_the_writer(intake: Intake, contact: dict[str, str]) -> None:
    data = the_event(intake, accepted(write(intake, {**TO_DEPARTMENT, "contact": contact})))
    assert data["contact"] == {"name": None, "phone": None, "email": None, **contact}


def test_a_consultation_may_give_a_name_alone(intake: Intake) -> None:
    body = {**LETTER, "kind": "consultation", "category": "consultation", "contact": {"name": "孙先生"}}
    data = the_event(intake, accepted(write(intake, body)))
    assert data["contact"] == {"name": "孙先生", "phone": None, "email": None}


def test_text_is_cleaned(intake: Intake) -> None:
    body = {
        **TO_DEPARTMENT,
        "title": "  关于\u200b文三路\r\n公交站点的建议　",
        "body": "　　文三路ＡＢＣ小区\u0000附近\r\n\r\n\r\n建议增设站点。  ",
        "department": " 市交通运输局\u200b ",
        "contact": {"name": " 赵一鸣 ", "phone": "１３９ ８７６５ ４３２１", "email": ""},
    }
    data = the_event(intake, accepted(write(intake, body)))
    assert data["title"] == "关于文三路公交站点的建议"  # one line
    assert data["body"] == "文三路ABC小区附近\n\n建议增设站点。"
    assert data["department"] == "市交通运输局"
    assert data["contact"] == {"name": "赵一鸣", "phone": "139 8765 4321", "email": None}


def test_the_longest_title_and_body_are_accepted_and_cleaning_counts_first(intake: Intake) -> None:
    body = {**LETTER, "title": "题" * 200, "body": "\u3000" * 50 + "信" * 10_000 + "\n" * 50}
    data = the_event(intake, accepted(write(intake, body)))
    assert len(data["title"]) == 200
    assert data["body"] == "信" * 10_000


def test_markup_is_kept_as_text(intake: Intake) -> None:
    markup = '<script>alert("x")</script>"><img src=x onerror=alert(1)> 关于<b>噪音</b>的投诉'
    response = write(intake, {**LETTER, "title": markup, "body": markup})
    accepted(response)
    assert "<script>" not in response.text
    data = letters(intake)[0].data
    assert data["title"] == data["body"] == markup  # stored as text; every page escapes it


# --- clerks entering letters received otherwise ---------------------------------------------------------


@pytest.mark.parametrize(
    ("received_on", "recorded_on"),
    [(None, TODAY), ("2026-05-29", date(2026, 5, 29)), ("2008-05-01", date(2008, 5, 1)), ("2026-06-01", TODAY)],
)
def test_a_clerk_enters_a_letter_received_by_post(intake: Intake, received_on: str | None, recorded_on: date) -> None:
    body = {**TO_DEPARTMENT, **({"received_on": received_on} if received_on else {})}
    data = the_event(intake, accepted(write(intake, body, intake.staff.clerk)))
    assert data["received_on"] == recorded_on.isoformat()
    assert data["recorded_by"] == "clerk-甲"


def test_a_writer_may_say_online_which_is_what_the_form_is(intake: Intake) -> None:
    data = the_event(intake, accepted(write(intake, {**LETTER, "channel": "online"})))
    assert data["channel"] == "online"


def test_a_clerks_letter_came_by_post_unless_the_clerk_says_otherwise(intake: Intake) -> None:
    data = the_event(intake, accepted(write(intake, LETTER, intake.staff.clerk)))
    assert (data["channel"], data["note"]) == ("post", "")


@pytest.mark.parametrize("channel", ["post", "phone", "visit", "fax", "email"])
def test_a_clerk_states_how_the_letter_came(intake: Intake, channel: str) -> None:
    data = the_event(intake, accepted(write(intake, {**LETTER, "channel": channel}, intake.staff.clerk)))
    assert data["channel"] == channel


def test_a_clerks_note_is_recorded_cleaned_for_staff(intake: Intake) -> None:
    note = "  来电人情绪激动，\n答复前请先电话沟通。\u200b "
    data = the_event(intake, accepted(write(intake, {**LETTER, "channel": "phone", "note": note}, intake.staff.clerk)))
    assert data["note"] == "来电人情绪激动，\n答复前请先电话沟通。"


@pytest.mark.parametrize(("note", "recorded"), [("注" * 500, "注" * 500), (" \u3000 ", "")])
def test_a_note_of_500_characters_is_kept_and_a_blank_one_is_no_note(intake: Intake, note: str, recorded: str) -> None:
    data = the_event(intake, accepted(write(intake, {**LETTER, "note": note}, intake.staff.clerk)))
    assert data["note"] == recorded


@pytest.mark.parametrize(
    ("case", "change", "field"),
    [
        ("the public form's channel", {"channel": "online"}, "channel"),
        ("an unknown channel", {"channel": "pigeon"}, "channel"),
        ("a note over 500 characters", {"note": "注" * 501}, "note"),
        ("a note that is not text", {"note": ["急"]}, "note"),
    ],
)
def test_what_a_clerk_may_not_state(intake: Intake, case: str, change: dict[str, Any], field: str) -> None:
    refused(intake, write(intake, {**LETTER, **change}, intake.staff.clerk), 422, field)


def test_an_admin_may_enter_letters(intake: Intake) -> None:
    data = the_event(intake, accepted(write(intake, {**LETTER, "received_on": "2026-05-30"}, intake.staff.admin)))
    assert data["recorded_by"] == "admin-甲"
    assert data["received_on"] == "2026-05-30"


def test_a_clerk_may_enter_a_letter_with_a_name_only_for_a_consultation(intake: Intake) -> None:
    body = {**LETTER, "kind": "consultation", "contact": {"name": "电话来询的李先生"}}
    data = the_event(intake, accepted(write(intake, body, intake.staff.clerk)))
    assert data["contact"]["name"] == "电话来询的李先生"


@pytest.mark.parametrize("role", ["reviewer", "publisher"])
@pytest.mark.parametrize("received_on", [None, "2026-05-29"])
def test_other_staff_roles_may_not_enter_letters(intake: Intake, role: str, received_on: str | None) -> None:
    body = {**LETTER, **({"received_on": received_on} if received_on else {})}
    problem = refused(intake, write(intake, body, getattr(intake.staff, role)), 403)
    assert problem["type"] == "forbidden"


@pytest.mark.parametrize("header", ["Bearer gk_not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", "gk_no-scheme"])
def test_an_invalid_token_is_refused_even_for_an_online_letter(intake: Intake, header: str) -> None:
    response = write(intake, LETTER, {"Authorization": header})
    refused(intake, response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_the_token_is_checked_before_the_content(intake: Intake) -> None:
    refused(intake, write(intake, {"kind": "letter"}, {"Authorization": "Bearer gk_not-a-token"}), 401)
    refused(intake, write(intake, {"kind": "letter"}, intake.staff.reviewer), 403)


# --- receipt dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("received_on", ["2026-06-01", "2026-05-29", "2027-01-01"])
def test_a_writer_online_does_not_state_a_receipt_date(intake: Intake, received_on: str) -> None:
    problem = refused(intake, write(intake, {**LETTER, "received_on": received_on}), 422, "received_on")
    (message,) = [e["message"] for e in problem["errors"] if e["field"] == "received_on"]
    assert "submitted" in message


@pytest.mark.parametrize(
    ("received_on", "words"),
    [
        ("2026-06-02", "future"),
        ("2027-06-01", "future"),
        ("2008-04-30", "2008-05-01"),
        ("1999-12-31", "2008-05-01"),
        ("2026-02-30", ""),
        ("yesterday", ""),
        ("2026-05-30T10:00:00+08:00", ""),
        ("", ""),
    ],
)
def test_impossible_receipt_dates_are_refused(intake: Intake, received_on: str, words: str) -> None:
    body = {**TO_DEPARTMENT, "received_on": received_on}
    problem = refused(intake, write(intake, body, intake.staff.clerk), 422, "received_on")
    (message,) = [e["message"] for e in problem["errors"] if e["field"] == "received_on"]
    assert words in message


# --- bad letters ------------------------------------------------------------------------------------


def contact(**changes: Any) -> dict[str, Any]:
    return {**LETTER, "contact": {**CONTACT, **changes}}


BAD_LETTERS: list[tuple[str, Any, str]] = [
    ("no kind", without(LETTER, "kind"), "kind"),
    ("unknown kind", {**LETTER, "kind": "petition"}, "kind"),
    ("kind of the wrong type", {**LETTER, "kind": ["mayor_mailbox"]}, "kind"),
    ("no category", without(LETTER, "category"), "category"),
    ("unknown category", {**LETTER, "category": "report"}, "category"),
    ("no title", without(LETTER, "title"), "title"),
    ("empty title", {**LETTER, "title": ""}, "title"),
    ("blank title", {**LETTER, "title": " \u3000\u200b\u0000\r\n "}, "title"),
    ("overlong title", {**LETTER, "title": "题" * 201}, "title"),
    ("title of the wrong type", {**LETTER, "title": 12}, "title"),
    ("no body", without(LETTER, "body"), "body"),
    ("empty body", {**LETTER, "body": ""}, "body"),
    ("blank body", {**LETTER, "body": " \t\r\n\u3000\u200b\u0007"}, "body"),
    ("oversized body", {**LETTER, "body": "信" * 10_001}, "body"),
    ("body padded far beyond the limit", {**LETTER, "body": "信" + " " * 40_001}, "body"),
    ("body of the wrong type", {**LETTER, "body": {"text": "信"}}, "body"),
    ("department mailbox without department", without(TO_DEPARTMENT, "department"), "department"),
    ("department mailbox with a blank department", {**TO_DEPARTMENT, "department": " \u200b"}, "department"),
    ("department for the mayor's mailbox", {**LETTER, "department": "市交通运输局"}, "department"),
    ("department for a consultation", {**LETTER, "kind": "consultation", "department": "市交通运输局"}, "department"),
    ("overlong department", {**TO_DEPARTMENT, "department": "局" * 101}, "department"),
    ("a phone that is not one", contact(phone=BAD_PHONE), "contact.phone"),
    ("an e-mail that is not one", contact(email=BAD_EMAIL), "contact.email"),
    ("an overlong name", contact(name="名" * 101), "contact.name"),
    ("a mailbox letter naming the writer without a way to reach them", contact(phone=None, email=""), "contact"),
    (
        "a department letter naming the writer only",
        {**TO_DEPARTMENT, "contact": {"name": CONTACT["name"]}},
        "contact",
    ),
    ("unknown contact field", contact(id_number="11010519491231002X"), "contact.id_number"),
    ("contact that is not an object", {**LETTER, "contact": CONTACT["phone"]}, "contact"),
    ("unknown field", {**LETTER, "priority": "urgent"}, "priority"),
    ("tracking code hash smuggled in", {**LETTER, "tracking_code_hash": "0" * 64}, "tracking_code_hash"),
    ("recorded_by smuggled in", {**LETTER, "recorded_by": "市长"}, "recorded_by"),
    ("a writer online saying the letter came by post", {**LETTER, "channel": "post"}, "channel"),
    ("an unknown channel", {**LETTER, "channel": "pigeon"}, "channel"),
    ("a staff note from a writer", {**LETTER, "note": "请优先处理"}, "note"),
    ("an array instead of an object", [LETTER], "body"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_LETTERS, ids=[c[0] for c in BAD_LETTERS])
def test_bad_letters_are_refused(intake: Intake, case: str, body: Any, field: str) -> None:
    refused(intake, write(intake, body), 422, field)


def test_every_rule_broken_is_reported_at_once(intake: Intake) -> None:
    body = {**without(TO_DEPARTMENT, "department"), "contact": {"name": CONTACT["name"]}, "received_on": "2026-05-01"}
    problem = refused(intake, write(intake, body), 422)
    assert [e["field"] for e in problem["errors"]] == ["department", "contact", "received_on"]


# --- bodies that are not JSON letters -----------------------------------------------------------------


def post_raw(intake: Intake, body: bytes, content_type: str | None, headers: dict[str, str] | None = None) -> Any:
    sent = {**({"Content-Type": content_type} if content_type else {}), **(headers or {})}
    return intake.client.post("/api/v1/letters", content=body, headers=sent)


LETTER_JSON = json.dumps(LETTER, ensure_ascii=False)


@pytest.mark.parametrize(
    ("case", "raw", "content_type", "status"),
    [
        ("malformed JSON", LETTER_JSON[:-5].encode(), "application/json", 400),
        ("invalid UTF-8", LETTER_JSON.encode()[:-3] + b'\xff\xfe"}', "application/json", 400),
        ("GB18030 instead of UTF-8", LETTER_JSON.encode("gb18030"), "application/json", 400),
        ("empty body", b"", "application/json", 422),
        ("JSON null", b"null", "application/json", 422),
        ("text/plain", LETTER_JSON.encode(), "text/plain", 415),
        ("a form post", b"kind=mayor_mailbox&title=x", "application/x-www-form-urlencoded", 415),
        ("multipart", b"--x\r\n\r\n--x--", "multipart/form-data; boundary=x", 415),
        ("no content type", LETTER_JSON.encode(), None, 415),
    ],
)
def test_bodies_that_are_not_json_letters_are_refused(
    intake: Intake, case: str, raw: bytes, content_type: str | None, status: int
) -> None:
    refused(intake, post_raw(intake, raw, content_type), status)


def test_a_clerks_form_post_is_refused_as_a_media_type_too(intake: Intake) -> None:
    refused(
        intake, post_raw(intake, b"kind=mayor_mailbox", "application/x-www-form-urlencoded", intake.staff.clerk), 415
    )


def test_json_with_a_charset_parameter_is_fine(intake: Intake) -> None:
    accepted(post_raw(intake, LETTER_JSON.encode(), "application/json; charset=utf-8"))


def test_an_oversized_request_is_refused_before_it_is_read(intake: Intake) -> None:
    huge = json.dumps({**LETTER, "body": "信" * 600_000}, ensure_ascii=False).encode()
    refused(intake, post_raw(intake, huge, "application/json"), 413)


# --- idempotency ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "clerk"])
def test_the_same_idempotency_key_and_body_record_once(intake: Intake, who: str) -> None:
    headers = {"Idempotency-Key": "letter-2026-06-01-0001", **({} if who == "anonymous" else intake.staff.clerk)}
    first = write(intake, LETTER, headers)
    second = write(intake, LETTER, headers)
    assert first.status_code == second.status_code == 202
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    assert second.headers.get("idempotent-replayed") == "true"
    assert [e.subject for e in letters(intake)] == [first.json()["id"]]


def test_an_idempotency_key_reused_with_another_letter_is_refused(intake: Intake) -> None:
    headers = {"Idempotency-Key": "letter-0002", **intake.staff.clerk}
    accepted(write(intake, LETTER, headers))
    response = write(intake, {**LETTER, "title": "另一封来信"}, headers)
    assert response.status_code == 422
    assert len(letters(intake)) == 1


def test_two_writers_who_pick_the_same_key_each_send_their_own_letter(intake: Intake) -> None:
    headers = {"Idempotency-Key": "1"}
    first = write(intake, LETTER, headers)
    other = write(intake, {**LETTER, "title": "另一封来信"}, headers)
    assert first.status_code == other.status_code == 202
    assert first.json()["id"] != other.json()["id"] and first.json()["tracking_code"] not in other.text
    assert len(letters(intake)) == 2
