"""行政复议 and 行政诉讼 in the console's case view, over HTTP (no browser): a clerk records an appeal about a
case and later its result, both shown in the case and counted once in table 四; wrong values, a stale
result form, a double submission, a forged CSRF token and the roles that only read.

The platform's clock is 2026-06-01 (tests/e2e/console_fixture.py); the case is received 2026-05-20.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import httpx
import pytest

from gongkai.events import Envelope
from tests.e2e.console_fixture import csrf_of
from tests.e2e.test_console import Site
from tests.e2e.test_console_requests import file_case, signed_in
from tests.polling import eventually_sync


def answered_case(site: Site) -> str:
    case_id = file_case(site, "registered_post", received_on="2026-05-20")
    answer = site.client.post(
        f"/api/v1/requests/{case_id}/actions",
        json={"action": "answer", "outcome": "withheld.third_party_rights", "on": "2026-05-25"},
        headers=site.staff.clerk,
    )
    assert answer.status_code == 202, answer.text
    return case_id


def appeals_of(site: Site, case_id: str) -> list[dict[str, Any]]:
    answer = site.client.get("/api/v1/appeals", params={"request_id": case_id}, headers=site.staff.clerk)
    items: list[dict[str, Any]] = answer.json()["items"]
    assert answer.json()["total"] == len(items)
    return items


def appeal_events(site: Site) -> list[str]:
    """The types of every event on the appeals topic (what the annual report counts)."""
    with sqlite3.connect(f"file:{site.data_dir / 'bus.db'}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT value FROM log WHERE topic = 'gongkai.appeals' ORDER BY seq").fetchall()
    return [Envelope.from_bytes(value).type for (value,) in rows]


def hidden_of(page: str, form_id: str) -> dict[str, str]:
    found = re.search(rf'<form [^>]*id="{form_id}".*?</form>', page, re.S)
    assert found, f"no form {form_id}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', found.group(0)))


def file_form(client: httpx.Client, case_id: str) -> dict[str, str]:
    return hidden_of(client.get(f"/console/requests/{case_id}").text, "appeal-new")


def appeals_table(page: str) -> list[list[str]]:
    table = re.search(r'<table id="appeal-list">.*?</table>', page, re.S)
    if table is None:
        return []
    rows = re.findall(r"<tr id=\"appeal-[0-9a-f]{32}\">(.*?)</tr>", table.group(0), re.S)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows]


def report_table4(site: Site) -> dict[str, dict[str, int]]:
    answer = site.client.get("/api/v1/reports/annual/2026", headers=site.staff.clerk)
    assert answer.status_code == 200, answer.text
    table4: dict[str, dict[str, int]] = answer.json()["table4"]
    return table4


def test_a_clerk_records_an_appeal_and_its_result_and_the_case_shows_both(site: Site) -> None:
    case_id = answered_case(site)
    client = signed_in(site, "li")
    page = client.get(f"/console/requests/{case_id}").text
    assert "本申请没有登记行政复议或行政诉讼。" in page
    assert "计入年度报告表四" in page

    data = {**file_form(client, case_id), "kind": "reconsideration", "filed_on": "2026-05-28", "note": "市人民政府"}
    filed = client.post(f"/console/requests/{case_id}/appeals", data=data, follow_redirects=False)
    assert filed.status_code == 303 and filed.headers["location"].endswith("?done=appeal#appeals")
    page = client.get(filed.headers["location"]).text
    assert "已登记：行政复议或行政诉讼。" in page
    assert appeals_table(page) == [["行政复议", "2026-05-28", "—", "—", "尚未审结", "—", "—", "市人民政府"]]
    [appeal] = appeals_of(site, case_id)
    assert (appeal["kind"], appeal["filed_on"], appeal["status"]) == ("reconsideration", "2026-05-28", "pending")

    result = {**hidden_of(page, f"appeal-result-{appeal['id']}"), "result": "corrected", "on": "2026-06-01"}
    decided = client.post(
        f"/console/requests/{case_id}/appeals/{appeal['id']}/result", data=result, follow_redirects=False
    )
    assert decided.status_code == 303
    page = client.get(decided.headers["location"]).text
    assert "已登记：复议或诉讼的结果。" in page
    assert appeals_table(page) == [
        ["行政复议", "2026-05-28", "—", "—", "已审结", "结果纠正", "2026-06-01", "市人民政府"]
    ]
    assert f'id="appeal-result-{appeal["id"]}"' not in page  # a result is recorded once: no form any more

    # counted once, in one cell of table 四
    assert appeal_events(site) == ["appeal.filed", "appeal.decided"]
    expected = {"upheld": 0, "corrected": 1, "other": 0, "pending": 0, "total": 1}
    eventually_sync(lambda: report_table4(site)["reconsideration"] == expected)
    table4 = report_table4(site)
    assert sum(table4[block]["total"] for block in table4) == 1


def test_a_double_submitted_appeal_or_result_is_recorded_once(site: Site) -> None:
    case_id = answered_case(site)
    client = signed_in(site, "li")
    data = {**file_form(client, case_id), "kind": "litigation_direct", "filed_on": "2026-05-29"}
    first = client.post(f"/console/requests/{case_id}/appeals", data=data, follow_redirects=False)
    second = client.post(f"/console/requests/{case_id}/appeals", data=data, follow_redirects=False)
    assert first.headers["location"].endswith("done=appeal#appeals")
    assert second.headers["location"].endswith("done=replayed#appeals")
    assert "该表单已经提交过，本次未重复记录。" in client.get(second.headers["location"]).text
    [appeal] = appeals_of(site, case_id)
    page = client.get(f"/console/requests/{case_id}").text
    result = {**hidden_of(page, f"appeal-result-{appeal['id']}"), "result": "upheld", "on": "2026-06-01"}
    url = f"/console/requests/{case_id}/appeals/{appeal['id']}/result"
    assert (
        client.post(url, data=result, follow_redirects=False).headers["location"].endswith("done=appeal_result#appeals")
    )
    assert client.post(url, data=result, follow_redirects=False).headers["location"].endswith("done=replayed#appeals")
    assert appeal_events(site) == ["appeal.filed", "appeal.decided"]
    assert appeals_table(client.get(f"/console/requests/{case_id}").text)[0][4:6] == ["已审结", "结果维持"]


def test_wrong_values_are_explained_in_chinese_and_nothing_is_recorded(site: Site) -> None:
    case_id = answered_case(site)
    client = signed_in(site, "li")
    url = f"/console/requests/{case_id}/appeals"
    # the page's own checks
    wrong = client.post(url, data={**file_form(client, case_id), "kind": "appeal", "filed_on": "2026-06-02"})
    assert wrong.status_code == 422
    assert "请选择类别" in wrong.text and "提起日期不能晚于今天" in wrong.text
    assert "<details open>" in re.search(r'id="appeal-new".*?</form>', wrong.text, re.S).group(0)  # type: ignore[union-attr]
    early = client.post(url, data={**file_form(client, case_id), "kind": "reconsideration", "filed_on": "2026-05-19"})
    assert early.status_code == 422 and "提起日期不能早于收到申请之日（2026-05-20）" in early.text
    assert 'value="2026-05-19"' in early.text  # what was typed stays in the form
    # the API's own: a case not yet confirmed has no receipt date, the records' start still holds
    unconfirmed = file_case(site, "ordinary_post")
    old = {**file_form(client, unconfirmed), "kind": "reconsideration", "filed_on": "2001-01-01"}
    refused = client.post(f"/console/requests/{unconfirmed}/appeals", data=old)
    assert refused.status_code == 422
    assert "提起日期：2001-01-01 早于本系统记录的起始日（2008-05-01）" in refused.text
    assert "before the records start" not in refused.text
    assert appeal_events(site) == []

    data = {**file_form(client, case_id), "kind": "reconsideration", "filed_on": "2026-05-28"}
    client.post(url, data=data)
    [appeal] = appeals_of(site, case_id)
    page = client.get(f"/console/requests/{case_id}").text
    result_url = f"{url}/{appeal['id']}/result"
    hidden = hidden_of(page, f"appeal-result-{appeal['id']}")
    before = client.post(result_url, data={**hidden, "result": "upheld", "on": "2026-05-27"})
    assert before.status_code == 422 and "结果日期不能早于提起复议或诉讼之日（2026-05-28）" in before.text
    unknown = client.post(result_url, data={**hidden, "result": "won", "on": "2026-06-01"})
    assert unknown.status_code == 422 and "请选择结果" in unknown.text
    # an appeal of another case is not this case's to decide
    other = answered_case(site)
    assert client.post(f"/console/requests/{other}/appeals/{appeal['id']}/result", data=hidden).status_code == 404
    assert appeal_events(site) == ["appeal.filed"]


def test_a_stale_result_form_is_refused_in_chinese(site: Site) -> None:
    case_id = answered_case(site)
    client = signed_in(site, "li")
    data = {**file_form(client, case_id), "kind": "reconsideration", "filed_on": "2026-05-28"}
    client.post(f"/console/requests/{case_id}/appeals", data=data)
    [appeal] = appeals_of(site, case_id)
    stale = hidden_of(client.get(f"/console/requests/{case_id}").text, f"appeal-result-{appeal['id']}")
    recorded = site.client.post(
        f"/api/v1/appeals/{appeal['id']}/result",
        json={"result": "upheld", "on": "2026-05-30"},
        headers=site.staff.clerk,
    )
    assert recorded.status_code == 202
    refused = client.post(
        f"/console/requests/{case_id}/appeals/{appeal['id']}/result",
        data={**stale, "result": "corrected", "on": "2026-06-01"},
    )
    assert refused.status_code == 409
    assert "“登记结果”未被记录：该复议或诉讼当前状态为“已审结”" in refused.text
    assert "原因：该行政复议或行政诉讼已登记过结果（结果维持），结果只能登记一次。" in refused.text
    assert "already has a result" not in refused.text and "state:" not in refused.text
    assert appeals_table(refused.text)[0][5] == "结果维持"
    assert appeal_events(site) == ["appeal.filed", "appeal.decided"]


def test_a_forged_csrf_token_records_no_appeal(site: Site) -> None:
    case_id = answered_case(site)
    client = signed_in(site, "li")
    data = {**file_form(client, case_id), "kind": "reconsideration", "filed_on": "2026-05-28"}
    forged = client.post(f"/console/requests/{case_id}/appeals", data=data | {"csrf_token": "z" * 43})
    assert forged.status_code == 403 and "安全校验未通过" in forged.text
    missing = {k: v for k, v in data.items() if k != "csrf_token"}
    assert client.post(f"/console/requests/{case_id}/appeals", data=missing).status_code == 403
    assert appeal_events(site) == []


@pytest.mark.parametrize("username", ["shen", "zhao"])
def test_reviewers_and_publishers_read_appeals_and_may_not_record_them(site: Site, username: str) -> None:
    case_id = answered_case(site)
    filed = site.client.post(
        "/api/v1/appeals",
        json={"kind": "litigation_after_reconsideration", "request_id": case_id, "filed_on": "2026-05-30"},
        headers=site.staff.clerk,
    )
    appeal_id = filed.json()["id"]
    client = signed_in(site, username)
    page = client.get(f"/console/requests/{case_id}").text
    assert appeals_table(page) == [["行政诉讼（复议后起诉）", "2026-05-30", "—", "—", "尚未审结", "—", "—", "—"]]
    assert 'id="appeal-new"' not in page and "appeal-result-" not in page
    assert "复议、诉讼由经办人员登记" in page
    token = csrf_of(page)
    data = {"csrf_token": token, "form_id": "a" * 24, "kind": "reconsideration", "filed_on": "2026-05-28"}
    refused = client.post(f"/console/requests/{case_id}/appeals", data=data)
    assert refused.status_code == 403 and "无权登记行政复议或行政诉讼" in refused.text
    result = {"csrf_token": token, "form_id": "b" * 24, "result": "upheld", "on": "2026-06-01"}
    refused = client.post(f"/console/requests/{case_id}/appeals/{appeal_id}/result", data=result)
    assert refused.status_code == 403
    assert appeal_events(site) == ["appeal.filed"]


COURT = "杭州市西湖区人民法院"
CASE_NUMBER = "（2026）浙0106行初123号"


def test_the_body_or_court_and_the_case_number_are_shown_in_the_case_and_its_file(site: Site) -> None:
    case_id = answered_case(site)
    client = signed_in(site, "li")
    page = client.get(f"/console/requests/{case_id}").text
    assert '<label for="appeal-authority">复议机关或审理法院' in page and '<label for="appeal-case_number">案号' in page
    data = {
        **file_form(client, case_id),
        "kind": "litigation_direct",
        "filed_on": "2026-05-29",
        "authority": f" {COURT} ",
        "case_number": CASE_NUMBER,
    }
    filed = client.post(f"/console/requests/{case_id}/appeals", data=data, follow_redirects=False)
    assert filed.status_code == 303, filed.text
    page = client.get(filed.headers["location"]).text
    assert '<th scope="col">复议机关或审理法院</th><th scope="col">案号</th>' in page
    assert appeals_table(page) == [
        ["行政诉讼（未经复议直接起诉）", "2026-05-29", COURT, CASE_NUMBER, "尚未审结", "—", "—", "—"]
    ]
    [appeal] = appeals_of(site, case_id)
    assert (appeal["authority"], appeal["case_number"], appeal["note"]) == (COURT, CASE_NUMBER, "")
    printed = client.get(f"/console/requests/{case_id}/file")
    assert printed.status_code == 200
    assert f"<td>{COURT}</td>" in printed.text and f"<td>{CASE_NUMBER}</td>" in printed.text


BAD_NAMES = [
    ({"authority": "某" * 99 + "法院"}, "复议机关或审理法院不能超过 100 个字（现为 101 个）。"),
    ({"case_number": "（2026）浙0106行初" + "1" * 47 + "号"}, "案号不能超过 60 个字（现为 61 个）。"),
    ({"authority": "某市人民政府\n行政复议办公室"}, "复议机关或审理法院只能是一行文字，不能含换行、制表符等控制字符。"),
    ({"case_number": "（2026）浙0106\t行初123号"}, "案号只能是一行文字，不能含换行、制表符等控制字符。"),
]


@pytest.mark.parametrize(("fields", "error"), BAD_NAMES, ids=["long body", "long number", "newline", "tab"])
def test_a_wrong_body_court_or_case_number_is_explained_in_chinese_and_nothing_is_recorded(
    site: Site, fields: dict[str, str], error: str
) -> None:
    case_id = answered_case(site)
    client = signed_in(site, "li")
    data = {**file_form(client, case_id), "kind": "reconsideration", "filed_on": "2026-05-28", **fields}
    refused = client.post(f"/console/requests/{case_id}/appeals", data=data)
    assert refused.status_code == 422
    assert error in refused.text
    form = re.search(r'id="appeal-new".*?</form>', refused.text, re.S)
    assert form is not None and "<details open>" in form.group(0)
    assert appeal_events(site) == [] and appeals_of(site, case_id) == []


def test_the_apis_refusal_of_a_case_number_is_shown_in_chinese(site: Site) -> None:
    """Cleaning can lengthen text (a ligature becomes two letters): then the API's limit refuses it."""
    case_id = answered_case(site)
    client = signed_in(site, "li")
    ligatures = "\ufb01" * 31  # 31 characters typed, 62 once cleaned
    data = {**file_form(client, case_id), "kind": "reconsideration", "filed_on": "2026-05-28", "case_number": ligatures}
    refused = client.post(f"/console/requests/{case_id}/appeals", data=data)
    assert refused.status_code == 422
    assert "复议或诉讼未被登记，请修改后重新提交：" in refused.text
    assert "案号：不能超过 60 个字" in refused.text and "at most" not in refused.text
    assert f'value="{ligatures}"' in refused.text  # what was typed stays in the form
    assert appeal_events(site) == [] and appeals_of(site, case_id) == []
