"""Bad applications get a 4xx problem+json answer, record nothing, and never echo personal data.

Every refusal is checked three ways: the problem's status and field, the ``gongkai.requests``
topic still empty, and none of the applicant's name, ID number, phone, e-mail or address (nor
a wrong ID number that was sent) anywhere in the answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_bad_input import assert_problem
from tests.e2e.test_request_intake import (
    CREDIT_CODE,
    ONLINE,
    ORGANISATION,
    PERSON,
    PERSONAL_VALUES,
    RESIDENT_ID,
    Intake,
    running_intake,
)


@pytest.fixture
def intake(tmp_path: Path) -> Iterator[Intake]:
    with running_intake(tmp_path) as running:
        yield running


#: The resident ID with its last digit changed: a wrong check character.
WRONG_ID = RESIDENT_ID[:16] + str((int(RESIDENT_ID[16]) + 1) % 10) + RESIDENT_ID[17]
WRONG_CODE = CREDIT_CODE[:-1] + ("0" if CREDIT_CODE[-1] != "0" else "1")
NEVER_ECHOED = [*PERSONAL_VALUES, WRONG_ID, WRONG_CODE, ORGANISATION["name"], ORGANISATION["phone"]]


def refused(intake: Intake, response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    problem = assert_problem(response, status)
    if field is not None:
        assert field in [e["field"] for e in problem.get("errors", [])], problem
    for value in NEVER_ECHOED:
        assert value not in response.text, f"the answer repeats a submitted personal value: {problem}"
    assert intake.events() == [], "nothing may be recorded"
    return problem


def without(mapping: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k not in keys}


def applicant(**changes: Any) -> dict[str, Any]:
    return {**ONLINE, "applicant": {**PERSON, **changes}}


BAD_ONLINE: list[tuple[str, Any, str]] = [
    # Art. 29(一): who applies, their proof of identity, how to reach them
    ("no applicant", without(ONLINE, "applicant"), "applicant"),
    ("no name", {**ONLINE, "applicant": without(PERSON, "name")}, "applicant.name"),
    ("blank name", applicant(name=" \u3000\u200b\u0000 "), "applicant.name"),
    ("overlong name", applicant(name="名" * 101), "applicant.name"),
    ("no applicant kind", {**ONLINE, "applicant": without(PERSON, "kind")}, "applicant.kind"),
    ("unknown applicant kind", applicant(kind="robot"), "applicant.kind"),
    ("no ID number online", {**ONLINE, "applicant": without(PERSON, "id_number")}, "applicant.id_number"),
    ("blank ID number online", applicant(id_number="   "), "applicant.id_number"),
    ("wrong ID check character", applicant(id_number=WRONG_ID), "applicant.id_number"),
    ("ID with an impossible birth date", applicant(id_number="110105194902300021"), "applicant.id_number"),
    ("15-digit old ID", applicant(id_number=RESIDENT_ID[:6] + RESIDENT_ID[8:17]), "applicant.id_number"),
    ("credit code for a natural person", applicant(id_number=CREDIT_CODE), "applicant.id_number"),
    ("no contact at all", applicant(phone=None, email=None, address=None), "applicant"),
    ("only blank contacts", applicant(phone=" ", email="", address="\u200b"), "applicant"),
    ("a phone that is not one", applicant(phone="12345"), "applicant.phone"),
    ("an e-mail that is not one", applicant(email="li.xiaoming at example.cn"), "applicant.email"),
    ("natural person with an org type", applicant(org_type="commercial"), "applicant.org_type"),
    ("unknown applicant field", applicant(gender="男"), "applicant.gender"),
    # Art. 29(二): what is sought
    ("no description", without(ONLINE, "description"), "description"),
    ("empty description", {**ONLINE, "description": ""}, "description"),
    ("blank description", {**ONLINE, "description": " \t\r\n\u3000\u200b\u0007"}, "description"),
    ("oversized description", {**ONLINE, "description": "申" * 5001}, "description"),
    ("description of the wrong type", {**ONLINE, "description": ["公开", "信息"]}, "description"),
    ("overlong doc number", {**ONLINE, "doc_number": "号" * 101}, "doc_number"),
    # Art. 29(三), Art. 31, and the shape of the body
    ("unknown channel", {**ONLINE, "channel": "wechat"}, "channel"),
    ("no channel", without(ONLINE, "channel"), "channel"),
    ("unknown delivery form", {**ONLINE, "delivery": {"form": "usb", "method": "post"}}, "delivery.form"),
    ("delivery by e-mail without an e-mail", applicant(email=None), "delivery.method"),
    (
        "delivery by post without an address",
        {**ONLINE, "delivery": {"form": "paper", "method": "post"}, "applicant": without(PERSON, "address")},
        "delivery.method",
    ),
    ("an oral application online", {**ONLINE, "oral": True}, "oral"),
    ("oral that is not a boolean", {**ONLINE, "oral": "maybe"}, "oral"),
    ("an applicant's receipt date", {**ONLINE, "received_on": "2026-05-30"}, "received_on"),
    ("unknown field", {**ONLINE, "priority": "urgent"}, "priority"),
    ("tracking code hash smuggled in", {**ONLINE, "tracking_code_hash": "0" * 64}, "tracking_code_hash"),
    ("recorded_by smuggled in", {**ONLINE, "recorded_by": "局长"}, "recorded_by"),
    ("an array instead of an object", [ONLINE], "body"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_ONLINE, ids=[c[0] for c in BAD_ONLINE])
def test_bad_online_applications_are_refused(intake: Intake, case: str, body: Any, field: str) -> None:
    refused(intake, intake.file(body), 422, field)


BAD_ORGANISATION: list[tuple[str, dict[str, Any], str]] = [
    ("legal person without org type", without(ORGANISATION, "org_type"), "applicant.org_type"),
    ("unknown org type", {**ORGANISATION, "org_type": "government"}, "applicant.org_type"),
    ("wrong credit code check character", {**ORGANISATION, "id_number": WRONG_CODE}, "applicant.id_number"),
    ("resident ID for a legal person", {**ORGANISATION, "id_number": RESIDENT_ID}, "applicant.id_number"),
    ("no credit code online", without(ORGANISATION, "id_number"), "applicant.id_number"),
]


@pytest.mark.parametrize(("case", "organisation", "field"), BAD_ORGANISATION, ids=[c[0] for c in BAD_ORGANISATION])
def test_bad_organisations_are_refused(intake: Intake, case: str, organisation: dict[str, Any], field: str) -> None:
    body = {**ONLINE, "applicant": organisation, "delivery": {"form": "paper", "method": "pickup"}}
    refused(intake, intake.file(body), 422, field)


def test_every_problem_is_reported_at_once(intake: Intake) -> None:
    body = {
        **ONLINE,
        "oral": True,
        "applicant": {"kind": "legal_person", "name": "某某科技有限公司", "id_number": WRONG_CODE},
    }
    problem = refused(intake, intake.file(body), 422)
    fields = [e["field"] for e in problem["errors"]]
    assert fields == ["applicant.org_type", "applicant", "applicant.id_number", "oral", "delivery.method"]


def test_an_anonymous_receipt_date_is_refused_with_the_reason(intake: Intake) -> None:
    problem = refused(intake, intake.file({**ONLINE, "received_on": "2026-05-30"}), 422, "received_on")
    (message,) = [e["message"] for e in problem["errors"] if e["field"] == "received_on"]
    assert "confirms receipt" in message and "Art. 31" in message


@pytest.mark.parametrize(
    ("case", "channel", "received_on", "words"),
    [
        ("before records start", "in_person", "2008-04-30", "2008-05-01"),
        ("long before", "registered_post", "1999-12-31", "2008-05-01"),
        ("tomorrow", "in_person", "2026-06-02", "future"),
        ("next year", "registered_post", "2027-06-01", "future"),
        ("30 February", "in_person", "2026-02-30", ""),
        ("not a date", "in_person", "yesterday", ""),
        ("a time of day", "in_person", "2026-05-30T10:00:00+08:00", ""),
        ("ordinary post", "ordinary_post", "2026-05-30", "confirm"),
        ("fax", "fax", "2026-05-30", "confirm"),
        ("internet, by a clerk", "internet", "2026-05-30", "confirm"),
    ],
)
def test_impossible_or_misplaced_receipt_dates_are_refused(
    intake: Intake, case: str, channel: str, received_on: str, words: str
) -> None:
    body = {**ONLINE, "channel": channel, "received_on": received_on}
    problem = refused(intake, intake.file(body, intake.staff.clerk), 422, "received_on")
    (message,) = [e["message"] for e in problem["errors"] if e["field"] == "received_on"]
    assert words in message


def test_a_paper_channel_without_a_token_is_refused_before_its_content(intake: Intake) -> None:
    refused(intake, intake.file({**ONLINE, "channel": "in_person", "received_on": "1999-01-01"}), 401)


def test_an_oral_application_is_only_for_in_person(intake: Intake) -> None:
    body = {**ONLINE, "channel": "registered_post", "oral": True}
    refused(intake, intake.file(body, intake.staff.clerk), 422, "oral")


# --- bodies that are not JSON applications ------------------------------------------------------------


def post_raw(intake: Intake, body: bytes, content_type: str | None) -> Any:
    headers = {"Content-Type": content_type} if content_type else {}
    return intake.client.post("/api/v1/requests", content=body, headers=headers)


ONLINE_JSON = json.dumps(ONLINE, ensure_ascii=False)


@pytest.mark.parametrize(
    ("case", "raw", "content_type", "status"),
    [
        ("malformed JSON", ONLINE_JSON[:-5].encode(), "application/json", 400),
        ("trailing garbage", (ONLINE_JSON + "}").encode(), "application/json", 400),
        ("invalid UTF-8", ONLINE_JSON.encode()[:-3] + b'\xff\xfe"}', "application/json", 400),
        ("GB18030 instead of UTF-8", ONLINE_JSON.encode("gb18030"), "application/json", 400),
        ("empty body", b"", "application/json", 422),
        ("JSON null", b"null", "application/json", 422),
        ("a JSON string", b'"please"', "application/json", 422),
        ("text/plain", ONLINE_JSON.encode(), "text/plain", 415),
        ("a form post", b"channel=internet&description=x", "application/x-www-form-urlencoded", 415),
        ("XML", b"<request><channel>internet</channel></request>", "application/xml", 415),
        ("no content type", ONLINE_JSON.encode(), None, 415),
    ],
)
def test_bodies_that_are_not_json_applications_are_refused(
    intake: Intake, case: str, raw: bytes, content_type: str | None, status: int
) -> None:
    refused(intake, post_raw(intake, raw, content_type), status)


def test_json_with_a_charset_parameter_is_fine(intake: Intake) -> None:
    response = post_raw(intake, ONLINE_JSON.encode(), "application/json; charset=utf-8")
    assert response.status_code == 202, response.text


def test_an_oversized_body_is_refused_before_it_is_read(intake: Intake) -> None:
    huge = json.dumps({**ONLINE, "description": "申" * 600_000}, ensure_ascii=False).encode()
    refused(intake, post_raw(intake, huge, "application/json"), 413)


def test_markup_is_not_refused_but_kept_as_text(intake: Intake) -> None:
    """XSS in the description is the applicant's text: recorded as is, escaped by every page."""
    markup = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'
    response = intake.file({**ONLINE, "description": markup})
    assert response.status_code == 202, response.text
    (event,) = intake.events()
    assert event.data["description"] == markup
    assert "<script>" not in response.text
