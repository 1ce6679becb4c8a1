"""信箱/咨询 and 建议提案 in the console over HTTP (no browser): the lists and filters, the views, every
clerk's step through its form, the reviewer's publication refused while the writer's phone is in the text,
its withdrawal (撤下公开) and publication again, how a clerk's letter came (来信方式) and its staff-only note,
the publisher's publication of a proposal reply, stale forms, double submits, CSRF and roles.

The platform's clock is 2026-06-01 (Monday; tests/e2e/console_fixture.py). Letters have 5 working days from
receipt (``GONGKAI_LETTER_WORKDAYS``), at most 10 after the one extension: received 2026-05-29 → due
2026-06-05, extended to 10 → 2026-06-12; received 2026-05-20 → due 2026-05-27 (overdue). A proposal
assigned 2026-03-31 is due 2026-06-30; its co-units' month ended 2026-04-30 (late now).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.e2e.console_fixture import csrf_of, form_id_of
from tests.e2e.test_console import Site, sign_in
from tests.polling import eventually_sync

WRITER = {"name": "欧阳明远", "phone": "13912345678"}
BODY = "我住在幸福里小区，小区旁工地夜间施工，噪音严重，请予处理。联系电话13912345678。"
REGISTRATION = {
    "kind": "npc_suggestion",
    "number": "第0123号",
    "title": "关于加强社区养老服务设施建设的建议",
    "proposer": "张建国",
    "assigned_on": "2026-03-31",
    "lead_unit": "市民政局",
    "co_units": "市财政局\n市自然资源和规划局",
    "session": "session",
}


def signed_in(site: Site, username: str) -> TestClient:
    answer = sign_in(site.client, username)
    assert answer.status_code == 303, answer.text
    return site.client


def write_letter(site: Site, received_on: str, kind: str = "mayor_mailbox", title: str = "工地夜间施工噪音扰民") -> str:
    body = {"kind": kind, "category": "complaint", "title": title, "body": BODY, "contact": WRITER}
    if kind == "department_mailbox":
        body["department"] = "市生态环境局"
    answer = site.client.post("/api/v1/letters", json=body | {"received_on": received_on}, headers=site.staff.clerk)
    assert answer.status_code == 202, answer.text
    letter_id: str = answer.json()["id"]
    url = f"/api/v1/letters/{letter_id}"
    eventually_sync(lambda: site.client.get(url, headers=site.staff.clerk).status_code == 200)
    return letter_id


def letter(site: Site, letter_id: str) -> dict[str, Any]:
    found: dict[str, Any] = site.client.get(f"/api/v1/letters/{letter_id}", headers=site.staff.clerk).json()
    return found


def proposal(site: Site, proposal_id: str) -> dict[str, Any]:
    found: dict[str, Any] = site.client.get(f"/api/v1/proposals/{proposal_id}", headers=site.staff.clerk).json()
    return found


def form_of(page: str, action: str) -> dict[str, str]:
    found = re.search(rf'<form [^>]*id="form-{action}".*?</form>', page, re.S)
    assert found, f"no form for {action}"
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', found.group(0)))
    assert hidden["action"] == action
    return hidden


def forms_shown(page: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="action" value="([^"]+)"', page)


def act(client: httpx.Client, what: str, item_id: str, action: str, **fields: str) -> httpx.Response:
    page = client.get(f"/console/{what}/{item_id}").text
    return post(client, what, item_id, form_of(page, action), **fields)


def post(client: httpx.Client, what: str, item_id: str, hidden: dict[str, str], **fields: str) -> httpx.Response:
    return client.post(f"/console/{what}/{item_id}/actions", data={**hidden, **fields}, follow_redirects=False)


def shown(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">(.*?)</dd>', page, re.S)
    assert found, element_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip()


def listed(client: httpx.Client, what: str, query: str = "") -> set[str]:
    page = client.get(f"/console/{what}{query}")
    assert page.status_code == 200, page.text
    return set(re.findall(rf'href="/console/{what}/([0-9a-f]{{32}})"', page.text))


# Letters ------------------------------------------------------------------------------------------


def test_the_letter_list_filters_by_status_kind_and_overdue(site: Site) -> None:
    late = write_letter(site, "2026-05-20")
    recent = write_letter(site, "2026-05-29", kind="consultation", title="咨询办事流程")
    client = signed_in(site, "li")
    assert listed(client, "letters") == {late, recent}
    assert listed(client, "letters", "?overdue=1") == {late}
    assert listed(client, "letters", "?kind=consultation") == {recent}
    assert listed(client, "letters", "?status=open") == {late, recent}
    assert listed(client, "letters", "?status=replied") == set()
    page = client.get("/console/letters").text
    assert "2026-05-27" in page and "已超期" in page and "2026-06-05" in page
    bad = client.get("/console/letters?status=bogus&kind=x")
    assert bad.status_code == 200 and "已忽略该条件" in bad.text


def test_the_letter_list_shows_and_filters_how_a_letter_came(site: Site) -> None:
    posted = write_letter(site, "2026-05-29")  # a clerk's entry: 信件邮寄 unless said otherwise
    body = {"kind": "consultation", "category": "consultation", "title": "电话咨询", "body": BODY, "channel": "phone"}
    answer = site.client.post("/api/v1/letters", json=body, headers=site.staff.clerk)
    assert answer.status_code == 202, answer.text
    called = answer.json()["id"]
    eventually_sync(lambda: site.client.get(f"/api/v1/letters/{called}", headers=site.staff.clerk).status_code == 200)
    client = signed_in(site, "li")
    assert listed(client, "letters", "?channel=phone") == {called}
    assert listed(client, "letters", "?channel=post") == {posted}
    page = client.get("/console/letters?channel=phone").text
    assert '<option value="phone" selected>电话</option>' in page
    row = re.search(rf'<a href="/console/letters/{called}">.*?</tr>', page, re.S)
    assert row is not None and "<td>电话</td>" in row.group(0)
    unknown = client.get("/console/letters?channel=pigeon")
    assert "无法识别的来信方式，已忽略该条件。" in unknown.text
    assert listed(client, "letters", "?channel=pigeon") == {posted, called}
    dashboard = client.get("/console/").text
    for href in ("/console/letters?status=open", "/console/letters?overdue=1"):
        assert f'href="{href}"' in dashboard, href
    assert 'href="/console/letters"' in dashboard and 'href="/console/proposals"' in dashboard  # navigation


def test_a_letter_is_assigned_extended_replied_and_published_without_the_writers_phone(site: Site) -> None:
    letter_id = write_letter(site, "2026-05-29")
    client = signed_in(site, "li")
    page = client.get(f"/console/letters/{letter_id}").text
    assert "来信人联系方式" in page and WRITER["phone"] in page and WRITER["name"] in page
    assert shown(page, "due-on").startswith("2026-06-05")
    assert forms_shown(page) == ["assign", "extend", "transfer", "reply"]
    stale = form_of(page, "assign")

    answer = act(client, "letters", letter_id, "assign", department="市住建局")
    assert answer.status_code == 303
    after = client.get(answer.headers["location"]).text
    assert "已登记：交办承办单位" in after and shown(after, "department") == "市住建局"
    answer = act(client, "letters", letter_id, "extend", workdays="10", reason="需现场核查")
    assert answer.status_code == 303
    after = client.get(f"/console/letters/{letter_id}").text
    assert shown(after, "due-on").startswith("2026-06-12") and "extend" not in forms_shown(after)
    page = client.get(f"/console/letters/{letter_id}").text
    assert "一次性办结：未退回补充、未重新办理" in page
    reply = form_of(page, "reply")
    fields = {"body": "经核查，已责令施工单位夜间停工。", "first_pass": "1"}
    assert post(client, "letters", letter_id, reply, **fields).status_code == 303
    # the same form submitted again is answered from the first, nothing recorded twice
    again = post(client, "letters", letter_id, reply, **fields)
    assert again.status_code == 303 and again.headers["location"].endswith("done=replayed")
    assert "该表单已经提交过" in client.get(again.headers["location"]).text
    state = letter(site, letter_id)
    assert (state["status"], state["first_pass"], state["department"]) == ("replied", True, "市住建局")
    assert [e["step"] for e in state["history"]].count("letter.replied") == 1
    after = client.get(f"/console/letters/{letter_id}").text
    assert shown(after, "first-pass").startswith("是") and forms_shown(after) == []  # a clerk does not publish

    # a stale form: the letter is replied, assigning is refused (409) and nothing is recorded
    refused = post(client, "letters", letter_id, stale, department="市城管局")
    assert refused.status_code == 409
    assert "当前状态为“已答复”" in refused.text and "本次未作任何记录" in refused.text
    assert letter(site, letter_id)["department"] == "市住建局"

    # the reviewer publishes: refused while the body still holds the writer's phone
    client = signed_in(site, "shen")
    page = client.get(f"/console/letters/{letter_id}").text
    assert forms_shown(page) == ["publish"]
    assert "须删除来信人姓名、电话、邮箱等个人信息，否则不能公开" in page
    publish = form_of(page, "publish")
    steps = len(letter(site, letter_id)["history"])
    texts = {"title": "工地夜间施工噪音扰民", "body": BODY, "reply": "经核查，已责令施工单位夜间停工。"}
    refused = post(client, "letters", letter_id, publish, **texts)
    assert refused.status_code == 422
    assert "来信人电话" in refused.text and "本次未作任何记录" in refused.text
    assert BODY in refused.text  # the edited texts are kept for the next try
    state = letter(site, letter_id)
    assert state["published"] is False and len(state["history"]) == steps
    cleared = texts | {"body": "小区旁工地夜间施工，噪音严重，请予处理。"}
    answer = post(client, "letters", letter_id, form_of(refused.text, "publish"), **cleared)
    assert answer.status_code == 303, answer.text
    assert "已公开" in client.get(answer.headers["location"]).text
    assert letter(site, letter_id)["published"] is True


def test_a_letter_form_with_wrong_values_or_a_forged_token_records_nothing(site: Site) -> None:
    letter_id = write_letter(site, "2026-05-29")
    client = signed_in(site, "li")
    steps = len(letter(site, letter_id)["history"])
    empty = act(client, "letters", letter_id, "assign", department="  ")
    assert empty.status_code == 422 and "请填写承办单位" in empty.text
    too_long = act(client, "letters", letter_id, "extend", workdays="11", reason="复杂")
    assert too_long.status_code == 422 and "1 到 10" in too_long.text
    shorter = act(client, "letters", letter_id, "extend", workdays="3", reason="复杂")  # the API's 422
    assert shorter.status_code == 422 and "延长后的办理期限：" in shorter.text
    future = act(client, "letters", letter_id, "reply", body="答复", on="2026-06-02")
    assert future.status_code == 422 and "不能晚于今天" in future.text
    page = client.get(f"/console/letters/{letter_id}").text
    forged = post(client, "letters", letter_id, form_of(page, "assign") | {"csrf_token": "x" * 43}, department="甲")
    assert forged.status_code == 403 and "安全校验未通过" in forged.text
    missing = {k: v for k, v in form_of(page, "assign").items() if k != "csrf_token"}
    assert post(client, "letters", letter_id, missing, department="甲").status_code == 403
    assert len(letter(site, letter_id)["history"]) == steps


def test_letter_roles_as_the_api(site: Site) -> None:
    letter_id = write_letter(site, "2026-05-29")
    client = signed_in(site, "zhao")  # a publisher reads only
    page = client.get(f"/console/letters/{letter_id}")
    assert page.status_code == 200 and forms_shown(page.text) == []
    hidden = {"csrf_token": csrf_of(page.text), "form_id": "f" * 24, "action": "assign"}
    assert post(client, "letters", letter_id, hidden, department="甲").status_code == 403
    client = signed_in(site, "shen")  # a reviewer publishes, does not handle
    page = client.get(f"/console/letters/{letter_id}").text
    assert forms_shown(page) == []
    hidden = {"csrf_token": csrf_of(page), "form_id": "g" * 24, "action": "reply"}
    assert post(client, "letters", letter_id, hidden, body="答复").status_code == 403
    assert letter(site, letter_id)["status"] == "open"


# Proposals ----------------------------------------------------------------------------------------


def register(client: httpx.Client, **fields: str) -> httpx.Response:
    page = client.get("/console/proposals/new").text
    data = {"csrf_token": csrf_of(page), "form_id": form_id_of(page), **REGISTRATION, **fields}
    return client.post("/console/proposals/new", data=data, follow_redirects=False)


def test_a_proposal_is_registered_replied_rated_dissatisfied_rehandled_rated_and_published(site: Site) -> None:
    client = signed_in(site, "li")
    answer = register(client)
    assert answer.status_code == 303, answer.text
    proposal_id = answer.headers["location"].split("/")[-1].split("?")[0]
    page = client.get(answer.headers["location"]).text
    assert "建议提案已登记" in page and "第0123号" in page and "张建国" in page
    assert shown(page, "due-on") == "2026-06-30"
    assert "逾期" in shown(page, "co-units")  # co-units' month ended 2026-04-30
    assert forms_shown(page) == ["co_opinion", "extend", "reply"]
    assert "自交办之日起不超过六个月" in page
    for code, label in (("A", "所提问题已经解决或者基本解决"), ("D", "留作参考")):
        assert f'<option value="{code}">{code}类：{label}</option>' in page
    assert listed(client, "proposals") == {proposal_id}
    assert listed(client, "proposals", "?status=assigned") == {proposal_id}
    assert listed(client, "proposals", "?status=closed") == set()

    assert act(client, "proposals", proposal_id, "co_opinion", unit="市财政局").status_code == 303
    bad = act(client, "proposals", proposal_id, "extend", months="7", reason="涉及面广")
    assert bad.status_code == 422 and "不超过六个月" in bad.text
    page = client.get(f"/console/proposals/{proposal_id}").text
    stale = form_of(page, "extend")
    reply = act(client, "proposals", proposal_id, "reply", result_class="B", body="已列入明年计划。")
    assert reply.status_code == 303
    page = client.get(f"/console/proposals/{proposal_id}").text
    assert shown(page, "result-class").startswith("B类") and forms_shown(page) == ["feedback"]
    refused = post(client, "proposals", proposal_id, stale, months="5", reason="涉及面广")
    assert refused.status_code == 409 and "当前状态为“已答复”" in refused.text
    assert proposal(site, proposal_id)["extension"] is None

    assert act(client, "proposals", proposal_id, "feedback", rating="dissatisfied").status_code == 303
    page = client.get(f"/console/proposals/{proposal_id}").text
    assert "重新办理" in shown(page, "proposal-status") and shown(page, "rehandling") == "是"
    assert shown(page, "due-on").startswith("2026-07-01")
    assert forms_shown(page) == ["reply"]
    assert act(client, "proposals", proposal_id, "reply", result_class="A", body="已解决。").status_code == 303
    assert act(client, "proposals", proposal_id, "feedback", rating="satisfied").status_code == 303
    page = client.get(f"/console/proposals/{proposal_id}").text
    assert "已办结" in shown(page, "proposal-status") and shown(page, "rating") == "满意"
    assert forms_shown(page) == []  # publishing is the publisher's
    state = proposal(site, proposal_id)
    assert [r["result_class"] for r in state["replies"]] == ["B", "A"] and state["status"] == "closed"

    client = signed_in(site, "zhao")
    page = client.get(f"/console/proposals/{proposal_id}").text
    assert forms_shown(page) == ["publish"]
    assert act(client, "proposals", proposal_id, "publish").status_code == 303
    assert proposal(site, proposal_id)["replies"][-1]["published"] is True
    assert forms_shown(client.get(f"/console/proposals/{proposal_id}").text) == ["unpublish"]  # no second publish


def test_the_proposal_list_shows_the_replies_waiting_to_be_published(site: Site) -> None:
    client = signed_in(site, "li")
    waiting = register(client).headers["location"].split("/")[-1].split("?")[0]
    unanswered = register(client, number="第0124号").headers["location"].split("/")[-1].split("?")[0]
    assert act(client, "proposals", waiting, "reply", result_class="B", body="已列入明年计划。").status_code == 303
    assert listed(client, "proposals", "?unpublished=1") == {waiting}
    page = client.get("/console/proposals?unpublished=1&status=replied").text
    assert 'name="unpublished" value="1" checked' in page
    client = signed_in(site, "zhao")  # the publisher's 工作台 links here
    assert act(client, "proposals", waiting, "publish").status_code == 303
    assert listed(client, "proposals", "?unpublished=1") == set()
    assert listed(client, "proposals") == {waiting, unanswered}


def test_a_registration_submitted_twice_or_with_wrong_values_is_recorded_once(site: Site) -> None:
    client = signed_in(site, "li")
    wrong = register(client, kind="x", assigned_on="2026-06-02", number="")
    assert wrong.status_code == 422 and "未登记" in wrong.text and "交办日期不能晚于今天" in wrong.text
    page = client.get("/console/proposals/new").text
    data = {"csrf_token": csrf_of(page), "form_id": form_id_of(page), **REGISTRATION}
    first = client.post("/console/proposals/new", data=data, follow_redirects=False)
    second = client.post("/console/proposals/new", data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"].endswith("done=replayed")
    assert first.headers["location"].split("?")[0] == second.headers["location"].split("?")[0]
    items = site.client.get("/api/v1/proposals", headers=site.staff.clerk).json()["items"]
    assert len(items) == 1
    forged = client.post("/console/proposals/new", data=data | {"csrf_token": "y" * 43})
    assert forged.status_code == 403 and "安全校验未通过" in forged.text


def test_proposal_roles_as_the_api(site: Site) -> None:
    client = signed_in(site, "li")
    proposal_id = register(client).headers["location"].split("/")[-1].split("?")[0]
    for username in ("shen", "zhao"):
        client = signed_in(site, username)
        assert client.get("/console/proposals/new").status_code == 403
        page = client.get(f"/console/proposals/{proposal_id}").text
        assert forms_shown(page) == [] and "登记交办的建议或提案" not in client.get("/console/proposals").text
        hidden = {"csrf_token": csrf_of(page), "form_id": "h" * 24, "action": "reply"}
        refused = post(client, "proposals", proposal_id, hidden, result_class="A", body="答复")
        assert refused.status_code == 403
    assert proposal(site, proposal_id)["status"] == "assigned"


# Letters received on paper, by phone or at the counter ------------------------------------------------

PAPER_LETTER = {
    "kind": "mayor_mailbox",
    "category": "suggestion",
    "title": "建议增设社区公交线路",
    "body": "幸福里小区距最近的公交站约两公里，老人出行不便，建议增设社区公交线路。",
    "received_on": "2026-05-28",
    "channel": "post",
    "name": "欧阳明远",
    "phone": "13912345678",
}


def enter_letter(client: httpx.Client, **fields: str) -> httpx.Response:
    page = client.get("/console/letters/new").text
    data = {"csrf_token": csrf_of(page), "form_id": form_id_of(page), **PAPER_LETTER, **fields}
    return client.post("/console/letters/new", data=data)


def letters_recorded(site: Site) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = site.client.get("/api/v1/letters", headers=site.staff.clerk).json()["items"]
    return items


def test_a_clerk_records_a_letter_received_on_paper_with_its_receipt_date(site: Site) -> None:
    client = signed_in(site, "li")
    listing = client.get("/console/letters").text
    assert '<a href="/console/letters/new">登记来信</a>' in listing
    form = client.get("/console/letters/new")
    assert form.status_code == 200 and "登记来信" in form.text and 'value="2026-06-01"' in form.text  # today
    answer = enter_letter(client)
    assert answer.status_code == 200, answer.text
    code = re.search(r"来信已登记。查询码：([^（]+)（", answer.text).group(1)  # type: ignore[union-attr]
    assert "<h1>建议增设社区公交线路</h1>" in answer.text
    [entered] = letters_recorded(site)
    state = letter(site, entered["id"])
    assert (state["received_on"], state["recorded_by"], state["contact"]["phone"]) == (
        "2026-05-28",
        "li",
        "13912345678",
    )
    assert shown(answer.text, "due-on").startswith(state["due_on"])  # counted from the receipt date, not today
    assert forms_shown(answer.text) == ["assign", "extend", "transfer", "reply"]
    # in the list with its receipt day; the writer follows it with the code
    assert listed(client, "letters") == {entered["id"]}
    assert "<td>2026-05-28</td>" in client.get("/console/letters").text
    tracked = site.client.get(f"/api/v1/letters/{entered['id']}/status", params={"code": code})
    assert tracked.status_code == 200
    assert code not in client.get(f"/console/letters/{entered['id']}").text  # shown once only


def test_a_paper_letter_with_wrong_values_is_explained_in_chinese_and_not_recorded(site: Site) -> None:
    client = signed_in(site, "li")
    wrong = enter_letter(client, kind="", category="praise", title=" ", received_on="2026-06-02")
    assert wrong.status_code == 422 and "来信未被登记" in wrong.text
    for message in ("请选择来信类型", "请选择类别", "请填写标题", "收信日期不能晚于今天"):
        assert message in wrong.text, message
    assert PAPER_LETTER["body"] in wrong.text  # what was typed stays
    department = enter_letter(client, department="市交通局")
    assert department.status_code == 422 and "只有写给部门信箱的来信才填写收信部门" in department.text
    name_only = enter_letter(client, phone="")
    assert name_only.status_code == 422 and "须同时登记联系电话或电子邮箱" in name_only.text
    # the API's own check, in Chinese and by field
    phone = enter_letter(client, phone="12345")
    assert phone.status_code == 422
    assert "来信人电话：不是有效的电话号码：手机号码为11位数字，固定电话须带区号" in phone.text
    assert "mainland" not in phone.text and "landline" not in phone.text
    old = enter_letter(client, received_on="2001-01-01")
    assert old.status_code == 422
    assert "收信日期：不能早于 2008-05-01（本系统记录的起始日）" in old.text and "records start" not in old.text
    assert letters_recorded(site) == []


def test_a_paper_letter_submitted_twice_is_recorded_once(site: Site) -> None:
    client = signed_in(site, "li")
    page = client.get("/console/letters/new").text
    data = {"csrf_token": csrf_of(page), "form_id": form_id_of(page), **PAPER_LETTER}
    first = client.post("/console/letters/new", data=data)
    second = client.post("/console/letters/new", data=data)
    assert first.status_code == second.status_code == 200
    code = re.search(r"查询码：([^（]+)（", first.text).group(1)  # type: ignore[union-attr]
    assert f"该表单已经提交过，本次未重复登记。查询码：{code}。" in second.text
    assert len(letters_recorded(site)) == 1
    forged = client.post("/console/letters/new", data=data | {"csrf_token": "q" * 43, "form_id": "n" * 24})
    assert forged.status_code == 403 and "安全校验未通过" in forged.text
    assert len(letters_recorded(site)) == 1


@pytest.mark.parametrize("username", ["shen", "zhao"])
def test_only_clerks_record_paper_letters(site: Site, username: str) -> None:
    client = signed_in(site, username)
    assert "/console/letters/new" not in client.get("/console/letters").text
    assert client.get("/console/letters/new").status_code == 403
    page = client.get("/console/letters").text
    data = {"csrf_token": csrf_of(page), "form_id": "m" * 24, **PAPER_LETTER}
    refused = client.post("/console/letters/new", data=data)
    assert refused.status_code == 403 and "无权登记来信" in refused.text
    assert letters_recorded(site) == []


def test_the_apis_409_reads_in_chinese_for_letters_and_proposals(site: Site) -> None:
    letter_id = write_letter(site, "2026-05-29")
    client = signed_in(site, "li")
    stale = form_of(client.get(f"/console/letters/{letter_id}").text, "extend")
    assert act(client, "letters", letter_id, "extend", workdays="8", reason="需现场核查").status_code == 303
    refused = post(client, "letters", letter_id, stale, workdays="10", reason="仍需核查")
    assert refused.status_code == 409
    assert "“延长办理期限”未被记录：该信件当前状态为“待办理”" in refused.text
    assert "原因：办理期限只能延长一次，该信件已延长过。" in refused.text
    assert letter(site, letter_id)["workdays"] == 8

    answer = register(client)
    proposal_id = answer.headers["location"].split("/")[-1].split("?")[0]
    stale = form_of(client.get(f"/console/proposals/{proposal_id}").text, "extend")
    assert act(client, "proposals", proposal_id, "extend", months="5", reason="涉及面广").status_code == 303
    again = post(client, "proposals", proposal_id, stale, months="6", reason="涉及面广")
    assert again.status_code == 409
    assert "原因：办理期限已于 2026-06-01 延长过，只能延长一次。" in again.text
    for english in ("extended only once", "already extended", "state:", "系统说明"):
        assert english not in refused.text + again.text, english


# How a letter came (来信方式) and the clerk's note --------------------------------------------------------

NOTE = "来电人情绪激动，答复前请先电话沟通"


def test_a_clerk_records_how_a_letter_came_and_a_note_for_colleagues(site: Site) -> None:
    client = signed_in(site, "li")
    form = client.get("/console/letters/new").text
    options = re.findall(
        r'<option value="(\w+)"( selected)?>([^<]+)</option>', form.split('id="channel"')[1].split("</select>")[0]
    )
    assert [(code, label) for code, _, label in options] == [
        ("post", "信件邮寄"),
        ("phone", "电话"),
        ("visit", "来访"),
        ("fax", "传真"),
        ("email", "电子邮件"),
    ]
    assert [code for code, selected, _ in options if selected] == ["post"]  # the usual case, preselected
    answer = enter_letter(client, channel="phone", note=NOTE)
    assert answer.status_code == 200, answer.text
    code = re.search(r"查询码：([^（]+)（", answer.text).group(1)  # type: ignore[union-attr]
    assert shown(answer.text, "channel") == "电话"
    assert shown(answer.text, "note") == f"{NOTE} （仅限工作人员，不公开）"
    [entered] = letters_recorded(site)
    assert entered["channel"] == "phone"
    state = letter(site, entered["id"])
    assert (state["channel"], state["note"]) == ("phone", NOTE)
    assert "来信方式：电话" in client.get(f"/console/letters/{entered['id']}").text  # in the history too
    tracked = site.client.get("/letters/track", params={"id": entered["id"], "code": code})
    assert tracked.status_code == 200 and NOTE not in tracked.text


def test_a_paper_letter_without_its_channel_or_with_a_long_note_is_not_recorded(site: Site) -> None:
    client = signed_in(site, "li")
    for channel in ("", "online", "pigeon"):
        wrong = enter_letter(client, channel=channel)
        assert wrong.status_code == 422 and "请选择来信方式（信件邮寄、电话、来访、传真、电子邮件）" in wrong.text
    long_note = enter_letter(client, note="注" * 501)
    assert long_note.status_code == 422 and "备注不能超过 500 字" in long_note.text
    assert "注" * 501 in long_note.text  # what was typed stays
    assert letters_recorded(site) == []


def test_a_letter_written_online_shows_it_came_online(site: Site) -> None:
    body = {"kind": "consultation", "category": "consultation", "title": "办事时间咨询", "body": "请问周六是否办公？"}
    letter_id = site.client.post("/api/v1/letters", json=body).json()["id"]
    eventually_sync(lambda: site.client.get(f"/api/v1/letters/{letter_id}", headers=site.staff.clerk).is_success)
    page = signed_in(site, "li").get(f"/console/letters/{letter_id}").text
    assert shown(page, "channel") == "网上来信" and 'id="note"' not in page


# 撤下公开: a reviewer takes a published letter down -------------------------------------------------------

CLEARED = {
    "title": "工地夜间施工噪音扰民",
    "body": "小区旁工地夜间施工，噪音严重，请予处理。",
    "reply": "已责令夜间停工。",
}
REASON = "来信人要求撤下"


def published(site: Site) -> str:
    letter_id = write_letter(site, "2026-05-29")
    replied = site.client.post(
        f"/api/v1/letters/{letter_id}/reply",
        json={"body": CLEARED["reply"], "first_pass": True},
        headers=site.staff.clerk,
    )
    assert replied.status_code == 202, replied.text
    answer = site.client.post(f"/api/v1/letters/{letter_id}/publish", json=CLEARED, headers=site.staff.reviewer)
    assert answer.status_code == 202, answer.text
    eventually_sync(lambda: site.client.get(f"/letters/{letter_id}").status_code == 200)
    return letter_id


def folded(page: str, action: str) -> bool:
    """Whether the action's form is a closed disclosure (<details> without ``open``)."""
    found = re.search(rf'<form [^>]*id="form-{action}".*?<details( open)?>', page, re.S)
    assert found, f"no folded form for {action}"
    return found.group(1) is None


def test_a_reviewer_takes_a_published_letter_down_and_may_publish_it_again(site: Site) -> None:
    letter_id = published(site)
    client = signed_in(site, "shen")
    page = client.get(f"/console/letters/{letter_id}").text
    assert forms_shown(page) == ["unpublish"] and folded(page, "unpublish")
    assert "撤下后，该信件不再在门户网站“公开信件选登”中显示" in page and shown(page, "publication") == "已公开"
    stale = form_of(page, "unpublish")

    blank = act(client, "letters", letter_id, "unpublish", reason="  ")
    assert blank.status_code == 422 and "请填写撤下理由" in blank.text and not folded(blank.text, "unpublish")
    assert letter(site, letter_id)["published"] is True

    answer = act(client, "letters", letter_id, "unpublish", reason=REASON)
    assert answer.status_code == 303 and answer.headers["location"].endswith("done=unpublish")
    after = client.get(answer.headers["location"]).text
    assert "已撤下：该信件已从“公开信件选登”中撤下" in after
    assert shown(after, "publication") == f"已撤下（2026-06-01；撤下理由：{REASON}）"
    assert "已撤下" in shown(after, "letter-status") and f"撤下理由：{REASON}" in after  # and in the history
    assert forms_shown(after) == ["publish"]  # it may be published again
    eventually_sync(lambda: site.client.get(f"/letters/{letter_id}").status_code == 404)

    refused = post(client, "letters", letter_id, stale, reason="再次撤下")
    assert refused.status_code == 409
    assert "“撤下公开”未被记录：该信件当前状态为“已答复”" in refused.text
    assert "原因：该信件当前未公开（尚未选登，或已被撤下），无需撤下。" in refused.text
    for untranslated in ("only a published", "系统说明", "系统另有说明"):
        assert untranslated not in refused.text, untranslated
    assert [h["step"] for h in letter(site, letter_id)["history"]].count("letter.unpublished") == 1

    again = act(client, "letters", letter_id, "publish", **CLEARED)
    assert again.status_code == 303, again.text
    assert forms_shown(client.get(f"/console/letters/{letter_id}").text) == ["unpublish"]
    eventually_sync(lambda: site.client.get(f"/letters/{letter_id}").status_code == 200)
    assert letter(site, letter_id)["publication_version"] == 3


def test_an_unpublish_form_submitted_twice_or_forged_is_recorded_at_most_once(site: Site) -> None:
    letter_id = published(site)
    client = signed_in(site, "shen")
    page = client.get(f"/console/letters/{letter_id}").text
    forged = post(client, "letters", letter_id, form_of(page, "unpublish") | {"csrf_token": "z" * 43}, reason=REASON)
    assert forged.status_code == 403 and "安全校验未通过" in forged.text
    assert letter(site, letter_id)["published"] is True
    hidden = form_of(page, "unpublish")
    first = post(client, "letters", letter_id, hidden, reason=REASON)
    second = post(client, "letters", letter_id, hidden, reason=REASON)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"].endswith("done=replayed")
    assert [h["step"] for h in letter(site, letter_id)["history"]].count("letter.unpublished") == 1


@pytest.mark.parametrize("username", ["li", "zhao"])
def test_only_reviewers_see_and_use_the_unpublish_form(site: Site, username: str) -> None:
    letter_id = published(site)
    client = signed_in(site, username)
    page = client.get(f"/console/letters/{letter_id}").text
    assert forms_shown(page) == [] and "撤下公开由保密审查员办理" in page
    hidden = {"csrf_token": csrf_of(page), "form_id": "u" * 24, "action": "unpublish"}
    refused = post(client, "letters", letter_id, hidden, reason=REASON)
    assert refused.status_code == 403
    assert letter(site, letter_id)["published"] is True
