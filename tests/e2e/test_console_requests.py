"""依申请公开 in the console over HTTP (no browser): the list and its filters, recording a paper application,
the case view with only the actions its status allows, the actions' refusals, double submits, CSRF, roles.

The platform's clock is 2026-06-01 (tests/e2e/console_fixture.py). Deadlines are counted by hand on the
2026 calendar: received 2026-05-20 → due 2026-06-17 (20 working days; 端午 2026-06-19 is later);
correction received 2026-05-29 → due 2026-06-29 (06-19 is a holiday, so one day later than plain counting).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.e2e.console_fixture import csrf_of
from tests.e2e.test_console import Site, sign_in
from tests.polling import eventually_sync

APPLICANT = {"kind": "natural_person", "name": "王小红", "phone": "13912345678"}


def signed_in(site: Site, username: str) -> TestClient:
    answer = sign_in(site.client, username)
    assert answer.status_code == 303, answer.text
    return site.client


def file_case(site: Site, channel: str = "registered_post", **extra: Any) -> str:
    body = {"channel": channel, "applicant": APPLICANT, "description": "2025年某重大建设项目的批复文件", **extra}
    answer = site.client.post("/api/v1/requests", json=body, headers=site.staff.clerk)
    assert answer.status_code == 202, answer.text
    case_id: str = answer.json()["id"]
    url = f"/api/v1/requests/{case_id}"
    eventually_sync(lambda: site.client.get(url, headers=site.staff.clerk).status_code == 200)
    return case_id


def case(site: Site, case_id: str) -> dict[str, Any]:
    found: dict[str, Any] = site.client.get(f"/api/v1/requests/{case_id}", headers=site.staff.clerk).json()
    return found


def form_of(page: str, action: str) -> dict[str, str]:
    """The hidden fields (CSRF token, form id, action) of one action form in the case page."""
    found = re.search(rf'<form [^>]*id="form-{action}".*?</form>', page, re.S)
    assert found, f"no form for {action}"
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', found.group(0)))
    assert hidden["action"] == action
    return hidden


def act(client: httpx.Client, case_id: str, action: str, **fields: str) -> httpx.Response:
    page = client.get(f"/console/requests/{case_id}").text
    return client.post(
        f"/console/requests/{case_id}/actions", data={**form_of(page, action), **fields}, follow_redirects=False
    )


def actions_shown(page: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="action" value="([^"]+)"', page)


def due_shown(page: str) -> str:
    found = re.search(r'<dd id="due-on">(.*?)</dd>', page, re.S)
    assert found
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


# Recording a paper application ------------------------------------------------------------------


def new_application(client: httpx.Client, **fields: str) -> httpx.Response:
    page = client.get("/console/requests/new").text
    data = {
        "csrf_token": csrf_of(page),
        "form_id": re.search(r'name="form_id" value="([^"]+)"', page).group(1),  # type: ignore[union-attr]
        "channel": "registered_post",
        "received_on": "2026-05-20",
        "kind": "natural_person",
        "name": "欧阳明远",
        "phone": "13912345678",
        "address": "北京市朝阳区幸福里7号楼301室",
        "description": "2025年本区老旧小区改造项目的批复文件",
        **fields,
    }
    return client.post("/console/requests/new", data=data)


def test_a_clerk_records_a_registered_post_application_and_gets_the_case_page(site: Site) -> None:
    client = signed_in(site, "li")
    page = client.get("/console/requests/new")
    assert page.status_code == 200 and "登记依申请公开申请" in page.text
    answer = new_application(client)
    assert answer.status_code == 200, answer.text
    assert "申请已登记。查询码：" in answer.text
    assert "欧阳明远的政府信息公开申请" in answer.text
    assert due_shown(answer.text) == "2026-06-17"
    assert re.search(r'id="received-on">2026-05-20<', answer.text)
    assert "<dt>登记人</dt><dd>李经办（li）</dd>" in answer.text  # the display name, with the user name
    assert actions_shown(answer.text)[0] == "request_correction"
    cases = site.client.get("/api/v1/requests", headers=site.staff.clerk).json()["items"]
    assert [(c["channel"], c["received_on"], c["due_on"]) for c in cases] == [
        ("registered_post", "2026-05-20", "2026-06-17")
    ]
    assert cases[0]["id"] in answer.text
    listing = client.get("/console/requests").text
    assert f'href="/console/requests/{cases[0]["id"]}"' in listing and "2026-06-17" in listing


def test_an_incomplete_application_is_explained_and_not_recorded(site: Site) -> None:
    client = signed_in(site, "li")
    answer = new_application(client, name="", phone="", address="", channel="telegram")
    assert answer.status_code == 422
    assert "申请未被登记" in answer.text
    assert "请选择收到申请的渠道" in answer.text and "请填写申请人姓名或者名称" in answer.text
    assert "请至少填写一种联系方式" in answer.text
    # what the API refuses (an impossible phone number) comes back in the page too
    refused = new_application(client, phone="12345")
    assert refused.status_code == 422 and "联系电话：" in refused.text
    # a receipt date on a channel dated by confirmation is not sent; ordinary post waits for confirmation
    assert site.client.get("/api/v1/requests", headers=site.staff.clerk).json()["items"] == []


def test_a_double_submitted_application_is_recorded_once(site: Site) -> None:
    client = signed_in(site, "li")
    page = client.get("/console/requests/new").text
    data = {
        "csrf_token": csrf_of(page),
        "form_id": re.search(r'name="form_id" value="([^"]+)"', page).group(1),  # type: ignore[union-attr]
        "channel": "in_person",
        "received_on": "2026-06-01",
        "kind": "natural_person",
        "name": "欧阳明远",
        "phone": "13912345678",
        "description": "某文件",
    }
    first = client.post("/console/requests/new", data=data)
    second = client.post("/console/requests/new", data=data)
    assert first.status_code == 200 and second.status_code == 200
    assert "该表单已经提交过，本次未重复登记" in second.text
    code = re.search(r"查询码：([^（。]+)", first.text).group(1)  # type: ignore[union-attr]
    assert code in second.text
    assert len(site.client.get("/api/v1/requests", headers=site.staff.clerk).json()["items"]) == 1


# The list ------------------------------------------------------------------------------------------


def test_the_list_filters_by_status_channel_overdue_and_due(site: Site) -> None:
    late = file_case(site, "in_person", received_on="2026-04-01")  # due 2026-04-30: overdue on 06-01
    soon = file_case(site, "registered_post", received_on="2026-05-20")  # due 2026-06-17
    unconfirmed = file_case(site, "ordinary_post")
    client = signed_in(site, "li")

    def listed(query: str) -> set[str]:
        page = client.get(f"/console/requests{query}")
        assert page.status_code == 200
        return set(re.findall(r'href="/console/requests/([0-9a-f]{32})"', page.text))

    assert listed("") == {late, soon, unconfirmed}
    assert listed("?status=awaiting_confirmation") == {unconfirmed}
    assert listed("?channel=registered_post") == {soon}
    assert listed("?overdue=1") == {late}
    assert listed("?due=0") == {late}  # due by today: the overdue one
    assert listed("?due=16") == {late, soon}  # 2026-06-17 is 16 days away
    assert listed("?status=in_progress&channel=in_person") == {late}
    assert listed("?provisional=1") == set()  # every day counted lies in 2026, whose notice is loaded
    page = client.get("/console/requests").text
    assert "已逾期" in page and "待确认" in page
    bad = client.get("/console/requests?due=abc&status=bogus")
    assert bad.status_code == 200 and "已忽略该条件" in bad.text
    assert set(re.findall(r'href="/console/requests/([0-9a-f]{32})"', bad.text)) == {late, soon, unconfirmed}


def test_the_dashboard_counts_link_to_the_list(site: Site) -> None:
    client = signed_in(site, "li")
    page = client.get("/console/").text
    for href in (
        "/console/requests?status=awaiting_confirmation",
        "/console/requests?due=0",
        "/console/requests?due=6",  # 2026-06-01 is a Monday: Sunday is 6 days away
        "/console/requests?overdue=1",
        "/console/requests?provisional=1",
    ):
        assert f'href="{href}"' in page, href
    assert 'href="/console/requests"' in page  # the navigation


def test_what_waits_is_counted_by_the_api_and_shown_on_the_dashboard(site: Site) -> None:
    file_case(site, "in_person", received_on="2026-04-01")  # due 2026-04-30: overdue on Monday 06-01
    file_case(site, "in_person", received_on="2026-05-06")  # due this week (劳动节, the working Saturday 05-09)
    file_case(site, "registered_post", received_on="2026-05-20")  # due 2026-06-17: later
    file_case(site, "ordinary_post")  # not confirmed: no clock yet
    waiting = site.client.get("/api/v1/requests/deadlines", headers=site.staff.reviewer)
    assert waiting.status_code == 200, waiting.text
    assert waiting.json() == {
        "today": "2026-06-01",
        "week_ends_on": "2026-06-07",
        "awaiting_confirmation": 1,
        "due_today": 0,
        "due_this_week": 1,
        "overdue": 1,
        "provisional": 0,
    }
    assert site.client.get("/api/v1/requests/deadlines").status_code == 401
    page = signed_in(site, "li").get("/console/").text
    counts = dict(
        (href, int(count))
        for href, count in re.findall(r'<a href="(/console/requests\?[^"]+)"[^>]*>\s*<span class="count">(\d+)', page)
    )
    assert counts == {
        "/console/requests?status=awaiting_confirmation": 1,
        "/console/requests?due=0": 0,
        "/console/requests?due=6": 1,
        "/console/requests?overdue=1": 1,
        "/console/requests?provisional=1": 0,
    }


# The case view and its actions --------------------------------------------------------------------


def test_the_case_shows_only_the_actions_its_status_allows(site: Site) -> None:
    unconfirmed = file_case(site, "ordinary_post")
    running = file_case(site, "registered_post", received_on="2026-05-20")
    client = signed_in(site, "li")
    page = client.get(f"/console/requests/{unconfirmed}").text
    assert actions_shown(page) == ["confirm_receipt", "withdraw"]
    assert "确认收到后开始计算" in page
    page = client.get(f"/console/requests/{running}").text
    assert actions_shown(page) == [
        "request_correction",
        "consult_third_party",
        "extend",
        "ask_reasons",
        "notify_deadline",
        "fee_notice",
        "answer",
        "withdraw",
    ]
    assert "补正告知：收到补正材料后答复期限重新计算（条例第三十条）" in page
    assert "延长答复期限不超过20个工作日，须经负责人同意（第三十三条）" in page
    assert "征求意见期间不计入答复期限（第三十二、三十三条）" in page
    assert "（三）不予公开 1.属于国家秘密" in page  # the table-三 labels of the answer's outcome
    assert f'href="/console/requests/{running}/file"' in page


def test_correction_then_answer_moves_the_deadline_as_the_law_says(site: Site) -> None:
    case_id = file_case(site, "registered_post", received_on="2026-05-20")
    client = signed_in(site, "li")
    assert due_shown(client.get(f"/console/requests/{case_id}").text) == "2026-06-17"

    asked = act(
        client,
        case_id,
        "request_correction",
        items="请写明所需文件的名称\n请提供联系地址",
        reply_by="2026-06-05",
        on="2026-05-22",
    )
    assert asked.status_code == 303 and asked.headers["location"].endswith("?done=request_correction")
    page = client.get(asked.headers["location"]).text
    assert "已登记：告知补正。" in page
    assert "待补正，暂不计算" in due_shown(page)
    assert actions_shown(page) == ["correction_received", "abandon_no_correction", "withdraw"]
    assert "请写明所需文件的名称；请提供联系地址" in page

    received = act(client, case_id, "correction_received", on="2026-05-29")
    assert received.status_code == 303
    page = client.get(received.headers["location"]).text
    assert due_shown(page) == "2026-06-29"

    answered = act(client, case_id, "answer", outcome="partially_disclosed", on="2026-06-01")
    assert answered.status_code == 303
    page = client.get(answered.headers["location"]).text
    assert "已办结" in page and actions_shown(page) == []
    assert "（二）部分公开" in page
    assert [h["step"] for h in case(site, case_id)["history"]] == [
        "request.received",
        "request.correction_requested",
        "request.correction_received",
        "request.closed",
    ]


def test_a_refused_action_is_shown_and_nothing_is_recorded(site: Site) -> None:
    case_id = file_case(site, "registered_post", received_on="2026-05-20")
    client = signed_in(site, "li")
    stale = client.get(f"/console/requests/{case_id}").text
    # someone else answers the case meanwhile; the stale page's correction form is refused by the API (409)
    site.client.post(
        f"/api/v1/requests/{case_id}/actions",
        json={"action": "answer", "outcome": "disclosed"},
        headers=site.staff.clerk,
    )
    before = len(case(site, case_id)["history"])
    fields = {**form_of(stale, "request_correction"), "items": "请写明文号", "reply_by": "2026-06-05"}
    refused = client.post(f"/console/requests/{case_id}/actions", data=fields)
    assert refused.status_code == 409
    assert "“告知补正”未被记录：该申请当前状态为“已办结”" in refused.text and "本次未作任何记录" in refused.text
    assert actions_shown(refused.text) == []  # the page shows the current state
    assert len(case(site, case_id)["history"]) == before

    # an edited form: an action the status does not allow goes to the API, which refuses it
    other = file_case(site, "registered_post", received_on="2026-05-20")
    page = client.get(f"/console/requests/{other}").text
    edited = {**form_of(page, "request_correction"), "action": "correction_received"}
    refused = client.post(f"/console/requests/{other}/actions", data=edited)
    assert refused.status_code == 409 and "当前状态为“办理中”" in refused.text
    assert len(case(site, other)["history"]) == 1


def test_wrong_values_are_explained_and_not_recorded(site: Site) -> None:
    case_id = file_case(site, "registered_post", received_on="2026-05-20")
    client = signed_in(site, "li")
    # the page's own checks
    missing = act(client, case_id, "request_correction", items="", reply_by="soon")
    assert missing.status_code == 422
    assert "请逐行填写需要补正的全部事项" in missing.text and "补正期限" in missing.text
    too_long = act(client, case_id, "extend", days="30", reason="情况复杂", approver="张局长")
    assert too_long.status_code == 422 and "延长的工作日数应为 1 到 20 之间的整数" in too_long.text
    unknown = act(client, case_id, "answer", outcome="granted")
    assert unknown.status_code == 422 and "请从列表中选择办理结果" in unknown.text
    # the API's: a step dated before the receipt
    early = act(client, case_id, "request_correction", items="请写明文号", reply_by="2026-06-05", on="2026-05-01")
    assert early.status_code == 422 and "“告知补正”未被记录" in early.text and "日期：" in early.text
    assert len(case(site, case_id)["history"]) == 1


def test_a_double_submitted_action_is_recorded_once(site: Site) -> None:
    case_id = file_case(site, "registered_post", received_on="2026-05-20")
    client = signed_in(site, "li")
    page = client.get(f"/console/requests/{case_id}").text
    data = {**form_of(page, "ask_reasons"), "on": "2026-05-25"}
    first = client.post(f"/console/requests/{case_id}/actions", data=data, follow_redirects=False)
    second = client.post(f"/console/requests/{case_id}/actions", data=data, follow_redirects=False)
    assert first.headers["location"].endswith("?done=ask_reasons")
    assert second.headers["location"].endswith("?done=replayed")
    assert "该表单已经提交过，本次未重复记录。" in client.get(second.headers["location"]).text
    steps = [h["step"] for h in case(site, case_id)["history"]]
    assert steps.count("request.reasons_requested") == 1


def test_a_forged_csrf_token_records_nothing(site: Site) -> None:
    case_id = file_case(site, "registered_post", received_on="2026-05-20")
    client = signed_in(site, "li")
    page = client.get(f"/console/requests/{case_id}").text
    data = {**form_of(page, "ask_reasons"), "csrf_token": "forged-" + "x" * 40}
    refused = client.post(f"/console/requests/{case_id}/actions", data=data)
    assert refused.status_code == 403 and "安全校验未通过" in refused.text
    missing = {k: v for k, v in form_of(page, "ask_reasons").items() if k != "csrf_token"}
    assert client.post(f"/console/requests/{case_id}/actions", data=missing).status_code == 403
    assert len(case(site, case_id)["history"]) == 1
    new = client.post("/console/requests/new", data={"csrf_token": "forged", "channel": "in_person", "name": "某人"})
    assert new.status_code == 403
    assert len(site.client.get("/api/v1/requests", headers=site.staff.clerk).json()["items"]) == 1


@pytest.mark.parametrize("username", ["shen", "zhao"])
def test_reviewers_and_publishers_see_cases_but_no_actions(site: Site, username: str) -> None:
    case_id = file_case(site, "registered_post", received_on="2026-05-20")
    client = signed_in(site, username)
    listing = client.get("/console/requests")
    assert listing.status_code == 200 and case_id in listing.text
    assert "登记纸质" not in listing.text
    page = client.get(f"/console/requests/{case_id}")
    assert page.status_code == 200 and "王小红" in page.text
    assert actions_shown(page.text) == [] and "办理由经办人员进行" in page.text
    assert client.get("/console/requests/new").status_code == 403
    data = {"csrf_token": csrf_of(page.text), "form_id": "f" * 24, "action": "ask_reasons"}
    refused = client.post(f"/console/requests/{case_id}/actions", data=data)
    assert refused.status_code == 403 and "无权办理依申请公开案件" in refused.text
    assert len(case(site, case_id)["history"]) == 1


def test_the_printable_case_file_is_served_to_staff(site: Site) -> None:
    case_id = file_case(site, "registered_post", received_on="2026-05-20")
    client = signed_in(site, "shen")
    printed = client.get(f"/console/requests/{case_id}/file")
    assert printed.status_code == 200 and "王小红" in printed.text
    assert "script-src" not in printed.headers["content-security-policy"]
    assert printed.headers["cache-control"] == "no-store"
    assert client.get(f"/console/requests/{'0' * 32}").status_code == 404
    assert client.get("/console/requests/not-an-id").status_code == 404
    site.client.cookies.clear()
    assert client.get(f"/console/requests/{case_id}/file", follow_redirects=False).status_code == 303


# Papers, the compact layout, the API's refusals in Chinese -----------------------------------------


def test_the_papers_of_a_step_are_recorded_and_shown_in_the_timeline(site: Site) -> None:
    case_id = file_case(site, "registered_post", received_on="2026-05-20")
    client = signed_in(site, "li")
    page = client.get(f"/console/requests/{case_id}").text
    answer_form = re.search(r'<form [^>]*id="form-answer".*?</form>', page, re.S).group(0)  # type: ignore[union-attr]
    assert 'name="documents_sent"' in answer_form and "政府信息公开申请答复书" in answer_form
    asked = act(
        client,
        case_id,
        "request_correction",
        items="请写明文号",
        reply_by="2026-06-05",
        on="2026-05-22",
        documents_sent="补正告知书\n\n  申请表（空白）  ",
    )
    assert asked.status_code == 303
    received = act(client, case_id, "correction_received", on="2026-05-29", documents_received="补正后的申请表")
    assert received.status_code == 303
    history = case(site, case_id)["history"]
    assert [h["documents"] for h in history[1:]] == [
        [{"title": "补正告知书", "direction": "sent"}, {"title": "申请表（空白）", "direction": "sent"}],
        [{"title": "补正后的申请表", "direction": "received"}],
    ]
    page = client.get(f"/console/requests/{case_id}").text
    timeline = re.search(r'<ol class="history" id="history">.*?</ol>', page, re.S).group(0)  # type: ignore[union-attr]
    for line in ("发出文书：补正告知书", "发出文书：申请表（空白）", "收到文书：补正后的申请表"):
        assert line in timeline, line
    assert "补正告知书" in client.get(f"/console/requests/{case_id}/file").text  # and in the printable case file


def test_papers_the_api_would_refuse_are_explained_in_chinese_and_kept_in_the_form(site: Site) -> None:
    case_id = file_case(site, "registered_post", received_on="2026-05-20")
    client = signed_in(site, "li")
    too_long = "答" * 201
    refused = act(client, case_id, "answer", outcome="disclosed", documents_sent=f"答复书\n{too_long}")
    assert refused.status_code == 422
    assert "发出的文书“答答答" in refused.text and "超过 200 个字" in refused.text
    form = re.search(r'<form [^>]*id="form-answer".*?</form>', refused.text, re.S).group(0)  # type: ignore[union-attr]
    assert "<details open>" in form and too_long in form and 'value="disclosed" selected' in form
    many = "\n".join(f"文书{n}" for n in range(51))
    assert "最多登记 50 件文书" in act(client, case_id, "ask_reasons", documents_sent=many).text
    assert len(case(site, case_id)["history"]) == 1


def test_each_action_is_a_disclosure_with_its_consequence_and_the_likely_next_one_open(site: Site) -> None:
    unconfirmed = file_case(site, "ordinary_post")
    running = file_case(site, "registered_post", received_on="2026-05-20")
    client = signed_in(site, "li")

    def opened(page: str) -> list[str]:
        forms = re.findall(r'<form [^>]*id="form-(\w+)"[^>]*>\s*<details( open)?>', page)
        assert [name for name, _ in forms] == actions_shown(page)  # every action form is a <details>
        return [name for name, is_open in forms if is_open]

    page = client.get(f"/console/requests/{unconfirmed}").text
    assert opened(page) == ["confirm_receipt"]
    page = client.get(f"/console/requests/{running}").text
    assert opened(page) == ["request_correction"]  # a fresh case is first checked for completeness
    summary = re.search(r'id="form-extend".*?<summary>(.*?)</summary>', page, re.S).group(1)  # type: ignore[union-attr]
    assert "延长答复期限" in summary and "须经负责人同意（第三十三条）" in summary
    assert "<script" not in page  # no script at all: <details> opens by mouse and keyboard alike
    act(client, running, "ask_reasons", on="2026-05-25")
    assert opened(client.get(f"/console/requests/{running}").text) == ["answer"]  # after a step: the answer


def test_a_refusal_gives_the_apis_reason_in_chinese_and_no_english(site: Site) -> None:
    case_id = file_case(site, "registered_post", received_on="2026-05-20")
    client = signed_in(site, "li")
    stale = client.get(f"/console/requests/{case_id}").text
    extended = act(client, case_id, "extend", days="10", reason="需要检索档案", approver="张局长")
    assert extended.status_code == 303
    # the stale page's extension form: the API refuses a second extension (409) and says why
    again = {**form_of(stale, "extend"), "days": "5", "reason": "还需时间", "approver": "张局长"}
    refused = client.post(f"/console/requests/{case_id}/actions", data=again)
    assert refused.status_code == 409
    assert "“延长答复期限”未被记录" in refused.text
    assert "原因：答复期限只能延长一次，该申请已延长过（条例第三十三条）。" in refused.text
    # an Art. 35 date not later than the current deadline: the API's 422, in Chinese
    early = act(client, case_id, "notify_deadline", due_on="2026-06-10")
    assert early.status_code == 422
    assert "告知的答复期限：须晚于现行答复期限（2026-07-02）（条例第三十五条）" in early.text
    for english in ("extended only once", "state:", "Art.", "must be later", "current one"):
        assert english not in refused.text + early.text, english
    steps = [h["step"] for h in case(site, case_id)["history"]]
    assert steps == ["request.received", "request.extended"]


def test_a_form_resubmitted_with_other_values_keeps_the_first_and_says_so(site: Site) -> None:
    case_id = file_case(site, "registered_post", received_on="2026-05-20")
    client = signed_in(site, "li")
    page = client.get(f"/console/requests/{case_id}").text
    hidden = form_of(page, "ask_reasons")
    first = client.post(f"/console/requests/{case_id}/actions", data={**hidden, "on": "2026-05-25"})
    assert first.status_code == 200 and "已登记：要求说明理由。" in first.text
    edited = client.post(f"/console/requests/{case_id}/actions", data={**hidden, "on": "2026-05-26"})
    assert edited.status_code == 422
    assert "该表单已经提交过，本次修改后的内容未被记录" in edited.text and "different body" not in edited.text
    steps = [(h["step"], h["on"]) for h in case(site, case_id)["history"]]
    assert steps == [("request.received", "2026-05-20"), ("request.reasons_requested", "2026-05-25")]
