"""Filing applications for disclosure (依申请公开): ``POST /api/v1/requests`` on every channel.

Intake runs alone here (as ``gongkai serve intake`` would), on the embedded bus with the clock
frozen at 2026-06-01 10:00 Beijing time: what it recorded is read from the ``gongkai.requests``
topic itself, so these tests need nothing from the review service that consumes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongkai.cli import service_builder
from gongkai.events import Envelope, Topic
from gongkai.runtime import Platform
from gongkai.settings import Settings
from gongkai.tracking import normalise_tracking_code, tracking_code_hash
from services.intake.identity import credit_code_check_char, resident_id_check_char
from tests.e2e.conftest import Staff, make_staff

NOW = "2026-06-01T10:00:00+08:00"
TODAY = date(2026, 6, 1)


def _resident_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


#: Real-format identities (check characters computed), of nobody.
RESIDENT_ID = _resident_id("33010619850714123")
CREDIT_CODE = "91330106MA27XB1A2" + credit_code_check_char("91330106MA27XB1A2")
PERSON: dict[str, Any] = {
    "kind": "natural_person",
    "name": "李小明",
    "id_number": RESIDENT_ID,
    "phone": "13912345678",
    "email": "li.xiaoming@example.cn",
    "address": "浙江省杭州市西湖区文三路100号 310012",
}
ORGANISATION: dict[str, Any] = {
    "kind": "legal_person",
    "org_type": "legal_service",
    "name": "浙江某某律师事务所",
    "id_number": CREDIT_CODE,
    "phone": "0571-88888888",
}
ONLINE: dict[str, Any] = {
    "channel": "internet",
    "applicant": PERSON,
    "description": "2025年本市老旧小区改造项目的资金安排和实施进度",
    "doc_number": "杭政办发〔2025〕12号",
    "delivery": {"form": "electronic", "method": "email"},
}
#: The personal values that must never come back in an answer.
PERSONAL_VALUES = [PERSON["name"], RESIDENT_ID, PERSON["phone"], PERSON["email"], PERSON["address"]]


@dataclass
class Intake:
    client: TestClient
    staff: Staff
    platform: Platform

    def raw_events(self) -> list[bytes]:
        assert self.platform.bus is not None
        return list(self.client.portal.call(self.platform.bus.read, Topic.REQUESTS))  # type: ignore[union-attr]

    def events(self) -> list[Envelope]:
        return [Envelope.from_bytes(raw) for raw in self.raw_events()]

    def file(self, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.post("/api/v1/requests", json=body, headers=headers or {})


@contextmanager
def running_intake(data_dir: Path) -> Iterator[Intake]:
    """The intake service alone on the embedded bus, with staff tokens and the clock frozen."""
    settings = Settings(data_dir=data_dir, bus="embedded", index="embedded", environment="test", clock=NOW)
    staff = make_staff(data_dir)
    platform = Platform(settings, [service_builder("intake")])
    with TestClient(platform.app()) as client:
        yield Intake(client, staff, platform)


@pytest.fixture
def intake(tmp_path: Path) -> Iterator[Intake]:
    with running_intake(tmp_path) as running:
        yield running


def accepted(response: Any, status: str) -> dict[str, str]:
    assert response.status_code == 202, response.text
    body: dict[str, str] = response.json()
    assert set(body) == {"id", "tracking_code", "status"}
    assert re.fullmatch(r"[0-9a-f]{32}", body["id"])
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", body["tracking_code"])
    assert body["status"] == status
    assert response.headers["location"] == f"/api/v1/requests/{body['id']}"
    return body


def the_event(intake: Intake, answer: dict[str, str]) -> dict[str, Any]:
    (event,) = intake.events()
    assert event.type == "request.received"
    assert event.subject == answer["id"]
    assert event.source == "intake"
    assert event.recorded_at == datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    return event.data


def test_anyone_can_file_online_and_gets_a_tracking_code(intake: Intake) -> None:
    answer = accepted(intake.file(ONLINE), "awaiting_confirmation")
    data = the_event(intake, answer)
    assert data["channel"] == "internet"
    assert data["applicant"] == {**PERSON, "org_type": None}
    assert data["description"] == ONLINE["description"]
    assert data["doc_number"] == ONLINE["doc_number"]
    assert data["delivery"] == {"form": "electronic", "method": "email"}
    assert data["oral"] is False
    # Art. 31: online, the receipt date is the day both sides confirm; it is not known yet.
    assert data["received_on"] is None
    assert data["recorded_by"] is None


def test_only_the_tracking_codes_hash_is_recorded(intake: Intake) -> None:
    answer = accepted(intake.file(ONLINE), "awaiting_confirmation")
    code = answer["tracking_code"]
    assert the_event(intake, answer)["tracking_code_hash"] == tracking_code_hash(code)
    (raw,) = intake.raw_events()
    for form in (code, normalise_tracking_code(code), code.lower()):
        assert form.encode() not in raw


def test_every_filing_gets_its_own_id_and_code(intake: Intake) -> None:
    first = accepted(intake.file(ONLINE), "awaiting_confirmation")
    second = accepted(intake.file(ONLINE), "awaiting_confirmation")
    assert first["id"] != second["id"]
    assert first["tracking_code"] != second["tracking_code"]
    assert [e.subject for e in intake.events()] == [first["id"], second["id"]]


@pytest.mark.parametrize(
    ("channel", "received_on", "status", "recorded_on"),
    [
        ("in_person", None, "in_progress", TODAY),  # Art. 31: the day it was handed in, today by default
        ("in_person", "2026-05-29", "in_progress", date(2026, 5, 29)),  # a paper record entered late
        ("registered_post", None, "in_progress", TODAY),
        ("registered_post", "2026-05-28", "in_progress", date(2026, 5, 28)),  # the day the agency signed
        ("registered_post", "2008-05-01", "in_progress", date(2008, 5, 1)),  # the first day records may have
        ("ordinary_post", None, "awaiting_confirmation", None),  # dated when receipt is confirmed
        ("fax", None, "awaiting_confirmation", None),
    ],
)
def test_a_clerk_enters_paper_channels(
    intake: Intake, channel: str, received_on: str | None, status: str, recorded_on: date | None
) -> None:
    body: dict[str, Any] = {**ONLINE, "channel": channel, "applicant": ORGANISATION, "delivery": None}
    if received_on is not None:
        body["received_on"] = received_on
    data = the_event(intake, accepted(intake.file(body, intake.staff.clerk), status))
    assert data["channel"] == channel
    assert data["received_on"] == (recorded_on.isoformat() if recorded_on else None)
    assert data["recorded_by"] == "clerk-甲"
    assert data["applicant"] == {**ORGANISATION, "email": None, "address": None}
    assert data["delivery"] == {"form": "paper", "method": "post"}  # the default when none is said


def test_on_paper_the_id_number_may_be_left_out(intake: Intake) -> None:
    """The clerk saw the proof of identity at the counter or in the letter."""
    applicant = {k: v for k, v in PERSON.items() if k != "id_number"}
    body = {**ONLINE, "channel": "ordinary_post", "applicant": applicant}
    data = the_event(intake, accepted(intake.file(body, intake.staff.clerk), "awaiting_confirmation"))
    assert data["applicant"]["id_number"] is None


def test_an_oral_application_is_transcribed_at_the_counter(intake: Intake) -> None:
    body = {**ONLINE, "channel": "in_person", "oral": True, "delivery": {"form": "paper", "method": "pickup"}}
    data = the_event(intake, accepted(intake.file(body, intake.staff.clerk), "in_progress"))
    assert data["oral"] is True
    assert data["delivery"] == {"form": "paper", "method": "pickup"}


def test_an_admin_may_enter_paper_applications(intake: Intake) -> None:
    body = {**ONLINE, "channel": "fax"}
    data = the_event(intake, accepted(intake.file(body, intake.staff.admin), "awaiting_confirmation"))
    assert data["recorded_by"] == "admin-甲"


def test_staff_may_also_file_online_for_someone(intake: Intake) -> None:
    data = the_event(intake, accepted(intake.file(ONLINE, intake.staff.clerk), "awaiting_confirmation"))
    assert data["channel"] == "internet"
    assert data["received_on"] is None
    assert data["recorded_by"] == "clerk-甲"


def test_a_legal_person_files_online_with_its_credit_code(intake: Intake) -> None:
    body = {**ONLINE, "applicant": ORGANISATION, "delivery": {"form": "paper", "method": "pickup"}}
    data = the_event(intake, accepted(intake.file(body), "awaiting_confirmation"))
    assert data["applicant"]["org_type"] == "legal_service"
    assert data["applicant"]["id_number"] == CREDIT_CODE


def test_text_is_cleaned_and_numbers_normalised(intake: Intake) -> None:
    applicant = {
        **PERSON,
        "name": "  李小明\u200b ",
        "id_number": f" {RESIDENT_ID[:6]} {RESIDENT_ID[6:14]} {RESIDENT_ID[14:]} ".lower(),
        "phone": "１３９ １２３４ ５６７８",
        "email": "",
        "address": "   ",
    }
    body = {
        **ONLINE,
        "applicant": applicant,
        "description": "　　2025年ＧＤＰ\u0000统计公报\r\n原始数据",
        "doc_number": " ",
        "delivery": {"form": "paper", "method": "pickup"},
    }
    data = the_event(intake, accepted(intake.file(body), "awaiting_confirmation"))
    assert data["applicant"]["name"] == "李小明"
    assert data["applicant"]["id_number"] == RESIDENT_ID.upper()
    assert data["applicant"]["phone"] == "139 1234 5678"
    assert data["applicant"]["email"] is None and data["applicant"]["address"] is None  # blank is "not given"
    assert data["description"] == "2025年GDP统计公报\n原始数据"
    assert data["doc_number"] is None


def test_markup_in_the_description_is_kept_as_text(intake: Intake) -> None:
    markup = "<script>alert('x')</script><img src=x onerror=alert(1)> 关于“<b>拆迁</b>”的批复"
    data = the_event(intake, accepted(intake.file({**ONLINE, "description": markup}), "awaiting_confirmation"))
    assert data["description"] == markup  # stored as text; pages escape it


def test_the_answer_carries_no_personal_data(intake: Intake) -> None:
    response = intake.file(ONLINE)
    accepted(response, "awaiting_confirmation")
    for value in PERSONAL_VALUES:
        assert value not in response.text


# --- who may file -----------------------------------------------------------------------------------

PAPER_CHANNELS = ["in_person", "registered_post", "ordinary_post", "fax"]


@pytest.mark.parametrize("channel", PAPER_CHANNELS)
def test_paper_channels_need_a_staff_token(intake: Intake, channel: str) -> None:
    response = intake.file({**ONLINE, "channel": channel})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"] == "Bearer"
    assert intake.events() == []


@pytest.mark.parametrize("channel", PAPER_CHANNELS)
@pytest.mark.parametrize("role", ["reviewer", "publisher"])
def test_paper_channels_need_the_clerk_role(intake: Intake, channel: str, role: str) -> None:
    response = intake.file({**ONLINE, "channel": channel}, getattr(intake.staff, role))
    assert response.status_code == 403, response.text
    assert response.json()["type"] == "forbidden"
    assert intake.events() == []


@pytest.mark.parametrize("channel", ["internet", "in_person"])
def test_an_unknown_token_is_refused_even_online(intake: Intake, channel: str) -> None:
    response = intake.file({**ONLINE, "channel": channel}, {"Authorization": "Bearer gk_not-a-token"})
    assert response.status_code == 401, response.text
    assert intake.events() == []


# --- idempotency ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "clerk"])
def test_the_same_idempotency_key_and_body_file_once(intake: Intake, who: str) -> None:
    headers = {"Idempotency-Key": "apply-2026-06-01-0001", **({} if who == "anonymous" else intake.staff.clerk)}
    body = ONLINE if who == "anonymous" else {**ONLINE, "channel": "in_person"}
    first = intake.file(body, headers)
    second = intake.file(body, headers)
    assert first.status_code == second.status_code == 202
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    assert second.headers.get("idempotent-replayed") == "true"
    assert [e.subject for e in intake.events()] == [first.json()["id"]]


def test_an_idempotency_key_reused_with_another_body_is_refused(intake: Intake) -> None:
    headers = {"Idempotency-Key": "apply-0002", **intake.staff.clerk}
    in_person = {**ONLINE, "channel": "in_person"}
    accepted(intake.file(in_person, headers), "in_progress")
    response = intake.file({**in_person, "description": "另一项政府信息"}, headers)
    assert response.status_code == 422
    assert len(intake.events()) == 1


def test_two_citizens_who_pick_the_same_key_each_file_their_own_application(intake: Intake) -> None:
    """Anonymous callers share no namespace: the key is theirs together with what they send."""
    headers = {"Idempotency-Key": "1"}
    first = intake.file(ONLINE, headers)
    other = intake.file({**ONLINE, "applicant": {**ONLINE["applicant"], "name": "李四"}}, headers)
    assert first.status_code == other.status_code == 202
    assert first.json()["id"] != other.json()["id"]
    assert first.json()["tracking_code"] not in other.text
    assert other.headers.get("idempotent-replayed") is None
    assert len(intake.events()) == 2
