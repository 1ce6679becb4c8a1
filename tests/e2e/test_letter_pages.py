"""The citizen's writing page (``/letters/new``): the form, its errors, the confirmation with the code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from gongkai.tracking import tracking_code_hash
from tests.e2e.test_apply_page import field_errors, page, summary_links
from tests.e2e.test_bad_input import assert_problem
from tests.e2e.test_letters_intake import BAD_EMAIL, BAD_PHONE, letters
from tests.e2e.test_request_intake import Intake, running_intake


@pytest.fixture
def intake(tmp_path: Path) -> Iterator[Intake]:
    with running_intake(tmp_path) as running:
        yield running


FORM: dict[str, str] = {
    "kind": "mayor_mailbox",
    "category": "complaint",
    "department": "",
    "title": "小区门口夜间施工噪音扰民",
    "body": "近一个月来，小区门口道路夜间施工至凌晨两点。\n请有关部门督促施工单位按规定时间作业。",
    "name": "周晓兰",
    "phone": "139 8765 4321",
    "email": "",
}
NEVER_ECHOED = ["周晓兰", "139 8765 4321", "13987654321", BAD_PHONE, BAD_EMAIL]


def send(intake: Intake, form: dict[str, str]) -> Any:
    return intake.client.post("/letters/new", data=form)


def test_the_form_explains_the_time_limit_article_39_and_petitions(intake: Intake) -> None:
    response = intake.client.get("/letters/new")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    doc = page(response)
    assert doc.get("lang") == "zh-CN"
    assert doc.findtext(".//title").startswith("写信咨询")
    assert doc.findtext(".//h1") == "写信咨询"
    text = doc.text_content()
    for words in (
        "5个工作日",
        "可延长至10个工作日",
        "不是政府信息公开申请",
        "第三十九条",
        "信访事项",
        "信访部门",
        "查询码",
    ):
        assert words in text, words
    links = {a.get("href"): a.text_content() for a in doc.xpath("//main//a")}
    assert "依申请公开" in links["/requests/new"]
    assert links["/letters"] == "信件选登"
    nav = {a.get("href"): a.text_content() for a in doc.xpath("//header//nav//a")}
    assert nav["/letters/new"] == "写信咨询"
    assert nav["/letters"] == "信件选登"


def test_every_control_has_a_label_and_the_choices_are_the_vocabulary(intake: Intake) -> None:
    doc = page(intake.client.get("/letters/new"))
    form = doc.xpath("//form[@action='/letters/new']")[0]
    assert form.get("method") == "post"
    assert form.xpath(".//input[@type='hidden']/@name") == ["form_id"]
    for control in form.xpath(".//input[not(@type='hidden')] | .//textarea"):
        (label,) = doc.xpath(f"//label[@for='{control.get('id')}']")
        assert label.text_content().strip()
    kinds = {i.get("value"): i.getparent().text_content().strip() for i in form.xpath(".//input[@name='kind']")}
    assert kinds == {"mayor_mailbox": "市长信箱", "department_mailbox": "部门信箱", "consultation": "在线咨询"}
    categories = {
        i.get("value"): i.getparent().text_content().strip() for i in form.xpath(".//input[@name='category']")
    }
    assert categories == {"consultation": "咨询", "complaint": "投诉", "suggestion": "建议", "help": "求助"}
    assert form.xpath(".//input[@checked]") == []
    assert {e.get("name") for e in form.xpath(".//input[@type!='radio' and @type!='hidden'] | .//textarea")} == {
        "department",
        "title",
        "body",
        "name",
        "phone",
        "email",
    }


@pytest.mark.parametrize(
    ("kind", "heading"),
    [("mayor_mailbox", "写信给市长信箱"), ("department_mailbox", "写信给部门信箱"), ("consultation", "在线咨询")],
)
def test_a_link_may_choose_the_kind_beforehand(intake: Intake, kind: str, heading: str) -> None:
    doc = page(intake.client.get("/letters/new", params={"kind": kind}))
    assert doc.findtext(".//h1") == heading
    assert [i.get("value") for i in doc.xpath("//input[@checked]")] == [kind]


@pytest.mark.parametrize("kind", ["petition", "<script>", "", "m" * 500])
def test_an_unknown_kind_in_the_link_chooses_nothing(intake: Intake, kind: str) -> None:
    response = intake.client.get("/letters/new", params={"kind": kind})
    assert response.status_code == 200
    assert "<script>" not in response.text
    assert page(response).xpath("//input[@checked]") == []


def sent(response: Any) -> tuple[Any, str, str]:
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    doc = page(response)
    assert doc.findtext(".//h1") == "来信已提交"
    code = doc.get_element_by_id("tracking-code").text_content()
    letter_id = doc.get_element_by_id("letter-id").text_content()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    assert re.fullmatch(r"[0-9a-f]{32}", letter_id)
    return doc, letter_id, code


def test_a_valid_letter_is_confirmed_with_its_code_and_the_tracking_link(intake: Intake) -> None:
    doc, letter_id, code = sent(send(intake, FORM))
    (link,) = doc.xpath("//a[contains(., '查询办理进度并评价')]")
    assert link.get("href") == f"/letters/track?id={letter_id}"
    text = doc.text_content()
    assert "5个工作日" in text and "10个工作日" in text
    assert FORM["title"] in text and "市长信箱" in text and "投诉" in text
    for value in ("周晓兰", "139 8765 4321"):
        assert value not in text  # the contact is not shown back
    (event,) = letters(intake)
    assert event.subject == letter_id
    assert event.data["tracking_code_hash"] == tracking_code_hash(code)
    assert event.data["kind"] == "mayor_mailbox" and event.data["category"] == "complaint"
    assert event.data["contact"] == {"name": "周晓兰", "phone": "139 8765 4321", "email": None}
    assert event.data["received_on"] == "2026-06-01"
    assert event.data["recorded_by"] is None
    assert event.data["body"] == FORM["body"]


def test_a_letter_to_a_department_names_it(intake: Intake) -> None:
    doc, _, _ = sent(send(intake, {**FORM, "kind": "department_mailbox", "department": "市城市管理局"}))
    assert "市城市管理局" in doc.text_content()
    assert letters(intake)[0].data["department"] == "市城市管理局"


def test_a_department_left_typed_when_another_kind_is_chosen_is_ignored(intake: Intake) -> None:
    sent(send(intake, {**FORM, "kind": "consultation", "department": "市城市管理局"}))
    assert letters(intake)[0].data["department"] is None


def test_an_anonymous_consultation(intake: Intake) -> None:
    form = {**FORM, "kind": "consultation", "category": "consultation", "name": "", "phone": ""}
    doc, _, _ = sent(send(intake, form))
    assert "未留" in doc.text_content()
    assert letters(intake)[0].data["contact"] == {"name": None, "phone": None, "email": None}


def test_an_empty_post_shows_every_required_field(intake: Intake) -> None:
    response = intake.client.post(
        "/letters/new", content=b"", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 422
    doc = page(response)
    assert doc.findtext(".//title").startswith("有误：")
    assert field_errors(doc) == {
        "kind": "请选择写信渠道",
        "category": "请选择来信类别",
        "title": "请填写标题",
        "body": "请填写来信内容",
    }
    assert [href for href, _ in summary_links(doc)] == [
        "#kind-mayor_mailbox",
        "#category-consultation",
        "#title",
        "#body",
    ]
    assert letters(intake) == []


def test_errors_are_shown_beside_the_fields_all_at_once_and_what_was_typed_is_kept(intake: Intake) -> None:
    form = {**FORM, "kind": "department_mailbox", "title": " ", "phone": "", "email": ""}
    response = send(intake, form)
    assert response.status_code == 422
    assert response.headers["cache-control"] == "no-store"
    doc = page(response)
    assert field_errors(doc) == {
        "department": "写信给部门信箱，请填写收信部门",
        "title": "请填写标题",
        "phone": "留下姓名的，请至少填写联系电话或电子邮箱；不留联系方式的，可凭查询码在网上查看答复",
    }
    assert [href for href, _ in summary_links(doc)] == ["#department", "#title", "#phone"]
    assert doc.get_element_by_id("department").get("aria-invalid") == "true"
    assert "department-error" in doc.get_element_by_id("department").get("aria-describedby")
    assert doc.get_element_by_id("body").text_content() == FORM["body"]
    assert doc.get_element_by_id("name").get("value") == "周晓兰"  # kept in the field, never in a message
    assert [i.get("value") for i in doc.xpath("//input[@checked]")] == ["department_mailbox", "complaint"]
    assert letters(intake) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phone": BAD_PHONE}, "phone", "联系电话格式有误"),
        ({"email": BAD_EMAIL}, "email", "电子邮箱格式有误"),
        ({"title": "题" * 201}, "title", "标题不能超过200个字"),
        ({"body": "信" * 10_001}, "body", "来信内容不能超过10000个字"),
        ({"kind": "petition"}, "kind", "请从所列选项中选择写信渠道"),
        ({"category": "report"}, "category", "请从所列选项中选择来信类别"),
        ({"name": "名" * 101}, "name", "姓名不能超过100个字"),
    ],
)
def test_malformed_fields_are_named_without_repeating_them(
    intake: Intake, changes: dict[str, str], field: str, message: str
) -> None:
    response = send(intake, {**FORM, **changes})
    assert response.status_code == 422
    errors = field_errors(page(response))
    assert errors[field].startswith(message), errors
    messages = " ".join(errors.values())
    for value in NEVER_ECHOED:
        assert value not in messages
    assert letters(intake) == []


def test_a_malformed_phone_alone_does_not_also_claim_the_contact_is_missing(intake: Intake) -> None:
    errors = field_errors(page(send(intake, {**FORM, "phone": BAD_PHONE})))
    assert list(errors) == ["phone"]


def test_markup_is_escaped_on_the_confirmation(intake: Intake) -> None:
    markup = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = send(
        intake, {**FORM, "title": "投诉" + markup, "body": markup, "kind": "department_mailbox", "department": markup}
    )
    doc, _, _ = sent(response)
    assert "<script>" not in response.text and "<img src=x" not in response.text
    assert doc.xpath("//script") == [] and doc.xpath("//img") == []
    assert markup in doc.text_content()
    assert letters(intake)[0].data["body"] == markup


def test_markup_is_escaped_when_the_form_comes_back_with_errors(intake: Intake) -> None:
    markup = '"><script>alert(1)</script>'
    response = send(intake, {**FORM, "title": markup, "body": "</textarea>" + markup, "category": ""})
    assert response.status_code == 422
    assert "<script>" not in response.text and "</textarea><" not in response.text
    doc = page(response)
    assert doc.get_element_by_id("title").get("value") == markup
    assert doc.get_element_by_id("body").text_content() == "</textarea>" + markup


def test_only_form_posts_are_read(intake: Intake) -> None:
    response = intake.client.post("/letters/new", json=FORM)
    assert_problem(response, 415)
    assert letters(intake) == []


def test_a_form_that_is_not_utf8_is_refused(intake: Intake) -> None:
    body = b"kind=mayor_mailbox&title=" + "噪音".encode("gb18030")
    response = intake.client.post(
        "/letters/new", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_problem(response, 400)
    assert letters(intake) == []


def test_unknown_fields_in_the_post_are_ignored(intake: Intake) -> None:
    sent(send(intake, {**FORM, "received_on": "2020-01-01", "recorded_by": "市长", "tracking_code_hash": "0" * 64}))
    (event,) = letters(intake)
    assert event.data["received_on"] == "2026-06-01"
    assert event.data["recorded_by"] is None


def test_the_page_is_html_without_scripts(intake: Intake) -> None:
    doc = lxml.html.fromstring(intake.client.get("/letters/new").text)
    assert doc.xpath("//script") == []


def test_a_letter_sent_twice_is_filed_once_and_answered_with_the_same_code(intake: Intake) -> None:
    (form_id,) = page(intake.client.get("/letters/new")).xpath("//form//input[@name='form_id']/@value")
    _, first_id, first_code = sent(send(intake, FORM | {"form_id": form_id}))
    _, again_id, again_code = sent(send(intake, FORM | {"form_id": form_id}))
    assert (first_id, first_code) == (again_id, again_code)
    (event,) = letters(intake)
    assert event.subject == first_id and event.data["tracking_code_hash"] == tracking_code_hash(first_code)
    _, edited_id, _ = sent(send(intake, FORM | {"form_id": form_id, "title": "小区门口施工噪音"}))
    assert edited_id != first_id and len(letters(intake)) == 2
