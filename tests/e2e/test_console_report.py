"""年度报告 and 管理 · 工作日历 in the console over HTTP (no browser): the report's sections, tables and checks,
staff entries (表二 figures, prose sections) and their refusals, double submits, downloads, roles, CSRF, and
loading a year's 放假安排. The platform's clock is 2026-06-01 (tests/e2e/console_fixture.py)."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import unquote

import openpyxl

from tests.e2e.console_fixture import csrf_of
from tests.e2e.test_console import Site
from tests.e2e.test_console_requests import file_case, signed_in
from tests.polling import eventually_sync

FIGURES = {
    "licensing_decisions": "120",
    "penalty_decisions": "3",
    "enforcement_decisions": "0",
    "fees_10k_yuan": "1.25",
}


def api_report(site: Site, year: int = 2026) -> dict[str, Any]:
    answer = site.client.get(f"/api/v1/reports/annual/{year}", headers=site.staff.clerk)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def hidden_of(page: str, form: str) -> dict[str, str]:
    """The hidden fields (CSRF token, form id) of one form of the report page."""
    found = re.search(rf'<form [^>]*id="form-{form}".*?</form>', page, re.S)
    assert found, f"no form {form}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', found.group(0)))


def row_cells(page: str, code: str) -> list[str]:
    found = re.search(rf'<tr id="t3-{code}">(.*?)</tr>', page, re.S)
    assert found, f"no table-三 row {code}"
    return re.findall(r"<td>([^<]*)</td>", found.group(1))


def errors_of(page: str) -> list[str]:
    found = re.search(r'<div class="alert"[^>]*>(.*?)</div>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1), re.S) if found else []


def test_the_report_page_shows_the_sections_tables_and_checks(site: Site) -> None:
    case_id = file_case(site, received_on="2026-05-20")
    answered = site.client.post(
        f"/api/v1/requests/{case_id}/actions",
        json={"action": "answer", "outcome": "disclosed", "on": "2026-05-28"},
        headers=site.staff.clerk,
    )
    assert answered.status_code == 202, answered.text
    eventually_sync(
        lambda: next(r for r in api_report(site)["table3"]["rows"] if r["code"] == "disclosed")["cells"]["total"] == 1
    )
    client = signed_in(site, "li")
    chosen = client.get("/console/reports", follow_redirects=False)
    assert chosen.headers["location"] == "/console/reports/2025"  # default: last year
    assert client.get("/console/reports", params={"year": "2026"}, follow_redirects=False).headers["location"] == (
        "/console/reports/2026"
    )
    page = client.get("/console/reports/2026").text
    titles = [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    positions = [page.index(f">{title}</h2>") for title in titles]
    assert positions == sorted(positions)
    assert "2026年政府信息公开工作年度报告" in page
    # table 三: the note, the columns, the rows with their official labels; the answered case is counted
    assert "第一项加第二项之和，等于第三项加第四项之和" in page
    for label in (
        "申请人情况",
        "自然人",
        "法人或其他组织",
        "商业企业",
        "法律服务机构",
        "三、本年度办理结果",
        "（七）总计",
    ):
        assert label in page
    assert row_cells(page, "disclosed") == ["1", "0", "0", "0", "0", "0", "1"]
    assert row_cells(page, "new")[0] == "1" and len(row_cells(page, "new")) == 7
    # tables 二 and 四, the checks
    for label in (
        "第二十条第（一）项",
        "本年制发件数",
        "行政许可",
        "本年收费金额（单位：万元）",
        "行政复议",
        "复议后起诉",
    ):
        assert label in page
    assert '<td id="t4-reconsideration-total">0</td>' in page
    assert "数据校验（全部通过）" in page and page.count("<td>通过</td>") == len(api_report(site)["checks"])
    # the forms, the downloads, the navigation
    for form in ("table2", "section1", "section5", "section6"):
        assert hidden_of(page, form)["form_id"]
    assert "保存后替换草稿" in page and "（一）存在的主要问题：（请补充）" in page  # the draft, prefilled
    for fmt in ("md", "html", "xlsx"):
        assert f'href="/console/reports/2026/download.{fmt}"' in page
    assert 'href="/console/reports" aria-current="page">年度报告' in page
    assert "工作日历" not in page  # not in a clerk's navigation


def test_a_year_out_of_range_shows_the_apis_refusal(site: Site) -> None:
    client = signed_in(site, "li")
    page = client.get("/console/reports/2030")
    assert page.status_code == 422
    assert "年份超出范围：只能查看2008年至2026年的年度报告" in page.text
    assert client.get("/console/reports/2007").status_code == 422
    assert client.get("/console/reports/abcd").status_code == 404
    assert client.get("/console/reports/2030/download.xlsx").status_code == 422


def test_saving_section_five_and_table_two_shows_them(site: Site) -> None:
    client = signed_in(site, "li")
    page = client.get("/console/reports/2026").text
    text = "（一）存在的主要问题：答复期限把握不够精准。\r\n（二）改进情况：启用工作日历提醒。"
    saved = client.post(
        "/console/reports/2026/sections/5", data={**hidden_of(page, "section5"), "text": text}, follow_redirects=False
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/console/reports/2026?done=section5"
    shown = client.get(saved.headers["location"]).text
    assert "第五部分“存在的主要问题及改进情况”已保存。" in shown
    assert "<p>（二）改进情况：启用工作日历提醒。</p>" in shown
    assert "li 于 2026-06-01 10:00 保存" in shown
    section = next(s for s in api_report(site)["sections"] if s["number"] == 5)
    assert section["text"] == text.replace("\r\n", "\n") and section["saved_by"] == "li"

    entered = client.post(
        "/console/reports/2026/table2", data={**hidden_of(shown, "table2"), **FIGURES}, follow_redirects=False
    )
    assert entered.status_code == 303, entered.text
    shown = client.get(entered.headers["location"]).text
    assert "表二数据已保存。" in shown
    assert '<th scope="row">行政许可</th><td>120</td>' in shown
    assert '<th scope="row">行政事业性收费</th><td>1.2500</td>' in shown
    assert 'name="licensing_decisions" min="0" max="10000000" step="1" value="120"' in shown  # prefilled
    rows = {row["label"]: row for row in api_report(site)["table2"]["rows"]}
    assert rows["行政处罚"]["decisions"] == 3 and rows["行政事业性收费"]["amount_10k_yuan"] == "1.2500"


def test_a_negative_figure_is_refused_and_nothing_is_saved(site: Site) -> None:
    client = signed_in(site, "li")
    page = client.get("/console/reports/2026").text
    bad = {**FIGURES, "penalty_decisions": "-3", "fees_10k_yuan": "1.23456"}
    refused = client.post("/console/reports/2026/table2", data={**hidden_of(page, "table2"), **bad})
    assert refused.status_code == 422
    errors = errors_of(refused.text)
    assert any(e.startswith("行政处罚 本年处理决定数量：应填写 0 到") for e in errors), errors
    assert any("最多四位小数" in e for e in errors), errors
    assert "表二数据未保存，本次未作任何记录。" in errors
    assert 'value="-3"' in refused.text  # what was typed stays in the form
    assert api_report(site)["table2"]["entered_at"] is None
    empty = client.post("/console/reports/2026/sections/6", data={**hidden_of(page, "section6"), "text": "  \r\n "})
    assert empty.status_code == 422 and "内容不能为空" in empty.text
    assert next(s for s in api_report(site)["sections"] if s["number"] == 6)["saved_at"] is None
    # a year the API refuses: its message, nothing recorded
    late = client.post("/console/reports/2031/table2", data={**hidden_of(page, "table2"), **FIGURES})
    assert late.status_code == 422 and "年份超出范围" in late.text
    # a section that is a table
    table = client.post("/console/reports/2026/sections/3", data={**hidden_of(page, "section5"), "text": "x"})
    assert table.status_code == 422 and "只能编辑第一、五、六部分" in table.text


def test_a_double_submitted_form_records_once(site: Site) -> None:
    client = signed_in(site, "li")
    page = client.get("/console/reports/2026").text
    data = {**hidden_of(page, "table2"), **FIGURES}
    assert client.post("/console/reports/2026/table2", data=data, follow_redirects=False).status_code == 303
    entered_at = api_report(site)["table2"]["entered_at"]
    again = client.post("/console/reports/2026/table2", data=data, follow_redirects=False)
    assert again.headers["location"] == "/console/reports/2026?done=replayed"
    assert "本次未重复记录" in client.get(again.headers["location"]).text
    assert api_report(site)["table2"]["entered_at"] == entered_at
    section = {**hidden_of(page, "section1"), "text": "全年工作总体平稳。"}
    assert client.post("/console/reports/2026/sections/1", data=section, follow_redirects=False).status_code == 303
    saved_at = next(s for s in api_report(site)["sections"] if s["number"] == 1)["saved_at"]
    again = client.post("/console/reports/2026/sections/1", data=section, follow_redirects=False)
    assert again.headers["location"].endswith("done=replayed")
    assert next(s for s in api_report(site)["sections"] if s["number"] == 1)["saved_at"] == saved_at


def test_downloads_are_proxied_as_attachments(site: Site) -> None:
    client = signed_in(site, "shen")  # a reviewer may read and download
    expected = {
        "md": "text/markdown",
        "html": "text/html",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    for fmt, media_type in expected.items():
        answer = client.get(f"/console/reports/2026/download.{fmt}")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].split(";")[0] == media_type
        disposition = answer.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        encoded = re.search(r"filename\*=UTF-8''(\S+)", disposition)
        assert encoded and unquote(encoded.group(1)) == f"2026年政府信息公开工作年度报告.{fmt}"
        api = site.client.get("/api/v1/reports/annual/2026", params={"format": fmt}, headers=site.staff.reviewer)
        assert answer.content == api.content
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/console/reports/2026/download.xlsx").content))
    assert workbook.sheetnames
    assert client.get("/console/reports/2026/download.pdf").status_code == 404


def test_a_reviewer_reads_without_forms(site: Site) -> None:
    clerk_page = signed_in(site, "li").get("/console/reports/2026").text
    client = signed_in(site, "shen")
    page = client.get("/console/reports/2026")
    assert page.status_code == 200
    assert "三、收到和处理政府信息公开申请情况" in page.text
    assert '<form method="post" action="/console/reports' not in page.text and "保存后替换草稿" not in page.text
    data = {**hidden_of(clerk_page, "table2"), **FIGURES, "csrf_token": csrf_of(page.text)}
    refused = client.post("/console/reports/2026/table2", data=data)
    assert refused.status_code == 403 and "无权填报年度报告" in refused.text
    assert api_report(site)["table2"]["entered_at"] is None


def test_forged_and_missing_csrf_tokens_record_nothing(site: Site) -> None:
    client = signed_in(site, "li")
    page = client.get("/console/reports/2026").text
    for token in ("forged-token", None):
        data = {**hidden_of(page, "section5"), "text": "不应保存"}
        if token is None:
            del data["csrf_token"]
        else:
            data["csrf_token"] = token
        refused = client.post("/console/reports/2026/sections/5", data=data)
        assert refused.status_code == 403 and "安全校验未通过" in refused.text
    assert next(s for s in api_report(site)["sections"] if s["number"] == 5)["saved_at"] is None
    admin = signed_in(site, "admin")
    calendar = admin.get("/console/admin/calendar").text
    data = {**hidden_of(calendar, "calendar"), "csrf_token": "forged", "year": "2027", "holidays": "2027-01-01"}
    assert admin.post("/console/admin/calendar", data=data).status_code == 403
    assert 2027 not in site.client.get("/api/v1/admin/calendar", headers=site.staff.admin).json()["loaded_years"]


NOTICE_2027 = "\n".join(
    ["2027-01-01", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11", "2027-10-01"]
)


def test_an_admin_loads_the_2027_notice(site: Site) -> None:
    client = signed_in(site, "admin")
    page = client.get("/console/admin/calendar")
    assert page.status_code == 200
    assert 'href="/console/admin/calendar" aria-current="page">工作日历' in page.text
    assert "暂定年度：2027、2028" in page.text
    assert 'name="year" min="2000" max="2100" value="2027"' in page.text  # the first provisional year
    form = hidden_of(page.text, "calendar")
    # the page's own checks, then the API's: nothing loaded
    bad = client.post(
        "/console/admin/calendar", data={**form, "year": "2027", "holidays": "2027-02-30\n明天", "workdays": ""}
    )
    assert bad.status_code == 422
    assert any("第 1 行“2027-02-30”不是有效日期" in e for e in errors_of(bad.text))
    assert "明天" in bad.text  # kept in the form
    stray = client.post(
        "/console/admin/calendar", data={**form, "year": "2027", "holidays": "2027-01-01\n2028-05-01", "workdays": ""}
    )
    assert stray.status_code == 422
    assert "放假日期中有不属于2027年放假安排的日期：2028-05-01。" in errors_of(stray.text)
    both = client.post(
        "/console/admin/calendar", data={**form, "year": "2027", "holidays": "2027-01-01", "workdays": "2027-01-01"}
    )
    assert both.status_code == 422 and "以下日期同时列为放假日和调休上班日：2027-01-01。" in errors_of(both.text)
    assert site.client.get("/api/v1/admin/calendar", headers=site.staff.admin).json()["loaded_years"] == []

    loaded = client.post(
        "/console/admin/calendar",
        data={
            **form,
            "year": "2027",
            "holidays": NOTICE_2027,
            "workdays": "2027-02-13\r\n2027-02-14",
            "note": "国办发明电",
        },
        follow_redirects=False,
    )
    assert loaded.status_code == 303, loaded.text
    shown = client.get(loaded.headers["location"]).text
    assert "放假安排已载入" in shown
    assert "暂定年度：2028" in shown and "已载入放假安排的年度：2027" in shown
    assert re.search(r'<tr id="year-2027">.*?正式（已载入放假安排）', shown, re.S)
    state = site.client.get("/api/v1/admin/calendar", headers=site.staff.admin).json()
    assert state["loaded_years"] == [2027] and 2027 not in state["provisional_years"]
    # the loaded notice's days, the 春节 week as one run, and the form to correct it
    notice = re.search(r'<article class="notice-year" id="notice-2027">(.*?)</article>', shown, re.S)
    assert notice is not None
    assert "2027年2月6日（星期六）至2月11日（星期四），共6天" in notice.group(1)
    assert "放假（共8天）" in notice.group(1) and "2027年1月1日（星期五）" in notice.group(1)
    assert "调休上班：2027年2月13日（星期六）、2027年2月14日（星期日）" in notice.group(1)
    edit = client.get("/console/admin/calendar?year=2027").text
    assert re.search(r'<textarea id="cal-holidays" name="holidays"[^>]*>2027-01-01\n2027-02-06\n', edit)
    assert 'name="note" maxlength="200" size="60" value="国办发明电"' in edit


def test_only_admins_reach_the_calendar(site: Site) -> None:
    for username in ("li", "shen", "zhao"):
        client = signed_in(site, username)
        page = client.get("/console/admin/calendar")
        assert page.status_code == 403 and "无权管理工作日历" in page.text
        posted = client.post(
            "/console/admin/calendar",
            data={"csrf_token": csrf_of(page.text), "year": "2027", "holidays": "2027-01-01"},
        )
        assert posted.status_code == 403
    assert site.client.get("/api/v1/admin/calendar", headers=site.staff.admin).json()["loaded_years"] == []
