"""The citizen's application page (``/requests/new``): the form, its errors, the confirmation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from gongkai.tracking import tracking_code_hash
from tests.e2e.test_bad_input import assert_problem
from tests.e2e.test_request_intake import (
    CREDIT_CODE,
    RESIDENT_ID,
    Intake,
    running_intake,
)


@pytest.fixture
def intake(tmp_path: Path) -> Iterator[Intake]:
    with running_intake(tmp_path) as running:
        yield running


FORM: dict[str, str] = {
    "kind": "natural_person",
    "org_type": "",
    "name": "王小红",
    "id_number": RESIDENT_ID,
    "phone": "138 1234 5678",
    "email": "",
    "address": "",
    "description": "本区2025年义务教育阶段学校招生划片范围及其依据",
    "doc_number": "",
    "delivery_form": "electronic",
    "delivery_method": "online",
}


def page(response: Any) -> Any:
    assert response.headers["content-type"].startswith("text/html")
    return lxml.html.fromstring(response.text)


def apply(intake: Intake, form: dict[str, str]) -> Any:
    return intake.client.post("/requests/new", data=form)


def field_errors(doc: Any) -> dict[str, str]:
    """The message shown beside each field, by the field's id."""
    return {
        p.get("id").removesuffix("-error"): p.text_content().removeprefix("错误：")
        for p in doc.xpath("//p[@class='field-error']")
    }


def summary_links(doc: Any) -> list[tuple[str, str]]:
    return [(a.get("href"), a.text_content()) for a in doc.xpath("//div[@class='error-summary']//a")]


def test_the_form_explains_article_29_and_the_deadlines(intake: Intake) -> None:
    response = intake.client.get("/requests/new")
    assert response.status_code == 200
    doc = page(response)
    assert doc.get("lang") == "zh-CN"
    assert doc.findtext(".//title").startswith("申请政府信息公开")
    text = doc.text_content()
    for words in (
        "第二十九条",
        "申请人的姓名或者名称、身份证明、联系方式",
        "申请公开的政府信息的名称、文号或者便于行政机关查询的其他特征性描述",
        "获取信息的方式、途径",
        "第三十一条",
        "双方确认之日为收到申请之日",
        "第三十三条",
        "20个工作日",
    ):
        assert words in text, words
    assert doc.xpath("//script") == []
    assert response.headers["cache-control"] == "no-store"


def test_every_input_has_a_label_and_groups_have_a_legend(intake: Intake) -> None:
    doc = page(intake.client.get("/requests/new"))
    (form,) = doc.xpath("//form[@class='apply']")
    assert form.get("method") == "post" and form.get("action") == "/requests/new"
    labelled = {label.get("for") for label in doc.xpath("//label")}
    controls = form.xpath(".//input[not(@type='hidden')] | .//select | .//textarea")
    assert {c.get("name") for c in controls} == set(FORM)
    assert form.xpath(".//input[@type='hidden']/@name") == ["form_id"]
    for control in controls:
        assert control.get("id") in labelled, control.get("name")
    for name in ("kind", "delivery_form", "delivery_method"):
        (fieldset,) = {radio.getparent().getparent().getparent() for radio in doc.xpath(f"//input[@name='{name}']")}
        assert fieldset.tag == "fieldset" and fieldset.findtext("legend").strip()
    legends = [legend.text_content() for legend in form.xpath("./fieldset/legend")]
    assert legends == ["申请人信息", "联系方式（至少填写一项）", "所需政府信息", "提供形式和获取方式"]
    for described in doc.xpath("//*[@aria-describedby]"):
        for ident in described.get("aria-describedby").split():
            assert doc.get_element_by_id(ident) is not None


def test_a_valid_form_is_filed_and_the_tracking_code_shown_once(intake: Intake) -> None:
    response = apply(intake, FORM)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    doc = page(response)
    assert doc.findtext(".//h1") == "申请已提交"
    code = doc.get_element_by_id("tracking-code").text_content()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    request_id = doc.get_element_by_id("request-id").text_content()
    (link,) = [a.get("href") for a in doc.xpath("//a") if a.text_content() == "查询办理进度"]
    assert link == f"/requests/track?id={request_id}"
    assert "妥善保存" in doc.text_content()

    (event,) = intake.events()
    assert event.type == "request.received" and event.subject == request_id
    data = event.data
    assert data["channel"] == "internet"
    assert data["received_on"] is None and data["recorded_by"] is None
    assert data["tracking_code_hash"] == tracking_code_hash(code)
    assert data["applicant"]["id_number"] == RESIDENT_ID
    assert data["applicant"]["phone"] == "138 1234 5678"
    assert data["applicant"]["email"] is None and data["applicant"]["org_type"] is None
    assert data["delivery"] == {"form": "electronic", "method": "online"}
    assert data["description"] == FORM["description"]


def test_an_organisation_files_with_its_credit_code(intake: Intake) -> None:
    form = {
        **FORM,
        "kind": "legal_person",
        "org_type": "research",
        "name": "某某大学公共政策研究院",
        "id_number": CREDIT_CODE,
        "email": "office@example.edu.cn",
        "delivery_method": "email",
    }
    assert apply(intake, form).status_code == 200
    (event,) = intake.events()
    assert event.data["applicant"]["org_type"] == "research"


def test_fields_outside_the_form_are_ignored(intake: Intake) -> None:
    """The page files online applications only: a crafted channel or receipt date is not taken."""
    response = apply(intake, {**FORM, "channel": "in_person", "received_on": "2026-05-01", "oral": "true"})
    assert response.status_code == 200
    (event,) = intake.events()
    assert (event.data["channel"], event.data["received_on"], event.data["oral"]) == ("internet", None, False)


MISSING_CONTACT = {**FORM, "phone": "", "email": "", "address": ""}
INVALID_FORMS: list[tuple[str, dict[str, str], dict[str, str]]] = [
    ("no contact", MISSING_CONTACT, {"phone": "请至少填写一种联系方式"}),
    ("nothing at all", {}, {"kind": "请选择申请人类型", "name": "请填写姓名或名称", "description": "请填写"}),
    ("blank name", {**FORM, "name": "\u3000 "}, {"name": "请填写姓名或名称"}),
    ("wrong ID", {**FORM, "id_number": RESIDENT_ID[:-2] + "00"}, {"id_number": "居民身份证号码有误"}),
    ("no ID online", {**FORM, "id_number": ""}, {"id_number": "网上申请须填写证件号码"}),
    ("bad phone", {**FORM, "phone": "8888"}, {"phone": "联系电话格式有误"}),
    ("bad e-mail", {**FORM, "email": "wang@"}, {"email": "电子邮箱格式有误"}),
    ("organisation without type", {**FORM, "kind": "legal_person", "id_number": CREDIT_CODE}, {"org_type": "请选择"}),
    ("person with org type", {**FORM, "org_type": "commercial"}, {"org_type": "自然人"}),
    ("no delivery chosen", {**FORM, "delivery_form": "", "delivery_method": ""}, {"delivery_form": "请选择提供形式"}),
    ("post without address", {**FORM, "delivery_method": "post"}, {"delivery_method": "请填写通信地址"}),
    ("unknown kind", {**FORM, "kind": "robot"}, {"kind": "请从所列选项中选择申请人类型"}),
    ("too long", {**FORM, "description": "长" * 5001}, {"description": "不能超过5000个字"}),
    (
        "bad phone and no ID: both in one round",
        {**FORM, "phone": "8888", "id_number": ""},
        {"phone": "联系电话格式有误", "id_number": "网上申请须填写证件号码"},
    ),
]


def test_a_malformed_only_contact_is_reported_as_malformed_not_missing(intake: Intake) -> None:
    doc = page(apply(intake, {**FORM, "phone": "", "email": "wang@", "delivery_method": "email"}))
    assert field_errors(doc) == {"email": "电子邮箱格式有误，应类似 name@example.cn"}
    assert intake.events() == []


@pytest.mark.parametrize(("case", "form", "expected"), INVALID_FORMS, ids=[c[0] for c in INVALID_FORMS])
def test_an_invalid_form_shows_errors_beside_the_fields(
    intake: Intake, case: str, form: dict[str, str], expected: dict[str, str]
) -> None:
    response = apply(intake, form)
    assert response.status_code == 422
    doc = page(response)
    assert doc.findtext(".//title").startswith("有误")
    shown = field_errors(doc)
    for field, words in expected.items():
        assert words in shown.get(field, ""), (field, shown)
    # The summary links to each field (a radio group: its first or chosen option) with the same message.
    links = summary_links(doc)
    assert [message for _, message in links] == list(shown.values())
    for href, _ in links:
        target = doc.get_element_by_id(href.removeprefix("#"))
        assert target.tag in ("input", "select", "textarea")
    for field in shown:
        controls = doc.xpath(f"//*[@id='{field}'] | //fieldset[contains(@aria-describedby, '{field}-error')]")
        assert controls, field
    assert intake.events() == []


def test_what_was_typed_is_kept_and_errors_never_repeat_it(intake: Intake) -> None:
    wrong_id = RESIDENT_ID[:-2] + "00"
    form = {**MISSING_CONTACT, "id_number": wrong_id, "doc_number": "某政发〔2025〕3号"}
    doc = page(apply(intake, form))
    for name in ("name", "id_number", "doc_number"):
        assert doc.get_element_by_id(name).get("value") == form[name]
    assert doc.get_element_by_id("description").text_content() == form["description"]
    assert doc.get_element_by_id("kind-natural_person").get("checked") is not None
    assert doc.get_element_by_id("delivery_method-online").get("checked") is not None
    assert doc.get_element_by_id("id_number").get("aria-invalid") == "true"
    messages = " ".join(field_errors(doc).values()) + " ".join(m for _, m in summary_links(doc))
    for value in (form["name"], wrong_id, form["doc_number"]):
        assert value not in messages


def test_markup_in_fields_comes_back_escaped(intake: Intake) -> None:
    markup = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    response = apply(intake, {**MISSING_CONTACT, "name": markup, "description": markup, "doc_number": markup})
    assert response.status_code == 422
    assert "<script>alert(1)" not in response.text and "<img src=x" not in response.text
    doc = page(response)
    assert doc.xpath("//script | //img") == []
    assert doc.get_element_by_id("name").get("value") == markup
    assert doc.get_element_by_id("description").text_content() == markup

    response = apply(intake, {**FORM, "description": markup, "doc_number": markup})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text and "<img src=x" not in response.text
    doc = page(response)
    assert doc.xpath("//script | //img") == []
    assert markup in doc.text_content()
    (event,) = intake.events()
    assert event.data["description"] == markup


@pytest.mark.parametrize(
    ("case", "body", "content_type", "status"),
    [
        ("JSON instead of a form", b'{"name": "x"}', "application/json", 415),
        ("multipart", b"--x\r\n\r\n--x--", "multipart/form-data; boundary=x", 415),
        ("invalid UTF-8", b"name=%FF%FE&kind=natural_person", "application/x-www-form-urlencoded", 400),
        ("raw invalid UTF-8", b"name=\xff\xfe", "application/x-www-form-urlencoded", 400),
        ("too many fields", b"&".join(b"f%d=1" % n for n in range(200)), "application/x-www-form-urlencoded", 400),
    ],
)
def test_posts_that_are_not_the_form_are_refused(
    intake: Intake, case: str, body: bytes, content_type: str, status: int
) -> None:
    response = intake.client.post("/requests/new", content=body, headers={"Content-Type": content_type})
    assert_problem(response, status)
    assert intake.events() == []


def form_id_of(response: Any) -> str:
    (form_id,) = page(response).xpath("//form//input[@name='form_id']/@value")
    return str(form_id)


def shown(response: Any) -> tuple[str, str]:
    doc = page(response)
    return doc.get_element_by_id("request-id").text_content(), doc.get_element_by_id("tracking-code").text_content()


def test_a_form_sent_twice_is_filed_once_and_answered_with_the_same_code(intake: Intake) -> None:
    form_id = form_id_of(intake.client.get("/requests/new"))
    first = apply(intake, FORM | {"form_id": form_id})
    again = apply(intake, FORM | {"form_id": form_id})  # a double click, or "resend" after a lost answer
    assert first.status_code == again.status_code == 200
    assert shown(first) == shown(again)
    (event,) = intake.events()
    request_id, code = shown(first)
    assert event.subject == request_id and event.data["tracking_code_hash"] == tracking_code_hash(code)


def test_the_same_form_sent_with_other_content_is_a_new_application(intake: Intake) -> None:
    form_id = form_id_of(intake.client.get("/requests/new"))
    first = apply(intake, FORM | {"form_id": form_id})
    changed = FORM["description"] + "（2024年度）"
    edited = apply(intake, FORM | {"form_id": form_id, "description": changed})
    assert shown(first)[0] != shown(edited)[0] and shown(first)[1] != shown(edited)[1]
    assert [e.data["description"] for e in intake.events()] == [FORM["description"], changed]


def test_every_form_gets_its_own_id_and_a_refused_form_keeps_it(intake: Intake) -> None:
    ids = {form_id_of(intake.client.get("/requests/new")) for _ in range(3)}
    assert len(ids) == 3
    form_id = ids.pop()
    refused = apply(intake, FORM | {"form_id": form_id, "description": ""})
    assert refused.status_code == 422 and form_id_of(refused) == form_id
    forged = apply(intake, FORM | {"form_id": "<script>"})  # not one we issue: filed as a form without an id
    assert forged.status_code == 200 and "<script>" not in forged.text
    without = apply(intake, FORM)
    assert shown(forged)[0] != shown(without)[0] and len(intake.events()) == 2
