"""A publisher withdraws published documents and marks their 效力状态 in the console, over HTTP (no browser).

The document view (``/console/documents/{id}``) of a published document carries, for publishers and admin, the
forms 撤回公开 (``POST /api/v1/documents/{id}/withdraw``) and 标注效力状态 (``…/validity``). Every refusal is
checked for its Chinese message and for what it must not do: change the document or its portal page. The
clock is 2026-06-01 (tests/e2e/console_fixture.py).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.e2e.console_fixture import csrf_of
from tests.e2e.scenario import DRAFT
from tests.e2e.test_console import Site, sign_in, signed_in
from tests.e2e.test_console_publisher import REGULATION, published
from tests.polling import eventually_sync

AMENDMENT = {
    **REGULATION,
    "title": "某市人民政府关于修改《某市政府投资项目管理办法》的决定",
    "body": "市人民政府决定对《某市政府投资项目管理办法》作如下修改：第十条中的“三十日”修改为“二十日”。",
    "doc_number": "某政规〔2026〕2号",
}
REASON = "文件附件有误，需重新制发"
FORMS = ('id="form-withdraw"', 'id="form-validity"')


def form_of(page: str, action: str) -> dict[str, str]:
    """The hidden fields (CSRF token, form id) of the publisher's form ``action`` on a document view."""
    found = re.search(rf'<form [^>]*id="form-{action}".*?</form>', page, re.S)
    assert found, f"no form {action} in the page"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', found.group(0)))


def post(client: httpx.Client, doc_id: str, action: str, hidden: dict[str, str], **fields: str) -> httpx.Response:
    return client.post(f"/console/documents/{doc_id}/{action}", data={**hidden, **fields}, follow_redirects=False)


def act(client: httpx.Client, doc_id: str, action: str, **fields: str) -> httpx.Response:
    """Open the document view and submit its form ``action`` with ``fields``."""
    page = client.get(f"/console/documents/{doc_id}").text
    return post(client, doc_id, action, form_of(page, action), **fields)


def steps(site: Site, doc_id: str) -> list[str]:
    return [h["step"] for h in site.doc(doc_id)["history"]]


def public(site: Site, doc_id: str) -> dict[str, Any]:
    answer = site.client.get(f"/api/v1/public/documents/{doc_id}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def found_by_search(site: Site, q: str) -> set[str]:
    answer = site.client.get("/api/v1/search", params={"q": q, "size": 100})
    assert answer.status_code == 200, answer.text
    return {hit["id"] for hit in answer.json()["hits"]}


def shown(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">(.*?)</(?:dd|p)>', page, re.S)
    assert found, element_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip()


# Withdrawing --------------------------------------------------------------------------------------


def test_a_publisher_withdraws_a_document_from_the_portal_search_and_feed(site: Site) -> None:
    doc_id = published(site, REGULATION)
    assert doc_id in found_by_search(site, "投资项目管理办法")
    assert doc_id in site.client.get("/feeds/documents.atom").text
    client = signed_in(site, "zhao")

    queue = client.get("/console/review").text  # a publisher starts with the published documents
    assert 'href="/console/review?view=published" aria-current="page"' in queue
    assert f'href="/console/documents/{doc_id}"' in queue and "<td>现行有效</td>" in queue
    page = client.get(f"/console/documents/{doc_id}").text
    assert all(form in page for form in FORMS)
    assert "撤回后，该文件立即从门户网站、全文检索和订阅（Atom）中删除" in page
    assert "处理记录保留该文件和撤回理由" in page

    answer = act(client, doc_id, "withdraw", reason=REASON, confirm="1")
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/console/documents/{doc_id}?done=withdraw"
    page = client.get(answer.headers["location"]).text
    assert "已撤回：该文件已从门户网站、全文检索和订阅中删除" in page
    assert shown(page, "doc-status") == "已撤回"
    assert REASON in shown(page, "doc-withdrawal")
    assert not any(form in page for form in FORMS)  # nothing left to withdraw or relabel

    # The console waited for the change: the portal, search and feed no longer have it, the history keeps it.
    assert site.client.get(f"/documents/{doc_id}").status_code == 404
    assert site.client.get(f"/api/v1/public/documents/{doc_id}").status_code == 404
    assert doc_id not in found_by_search(site, "投资项目管理办法")
    assert doc_id not in site.client.get("/feeds/documents.atom").text
    history = site.doc(doc_id)["history"]
    assert history[-1]["step"] == "withdraw" and history[-1]["comment"] == REASON
    assert f"撤回理由：{REASON}" in page

    def withdrawal_shown() -> str:
        return shown(client.get(f"/console/documents/{doc_id}").text, "doc-withdrawal")

    eventually_sync(lambda: "撤回人：赵发布（zhao）" in withdrawal_shown())  # named once review reads the attribution

    assert f"/console/documents/{doc_id}" not in client.get("/console/review?view=published").text
    withdrawn = client.get("/console/review?view=withdrawn").text
    assert f'href="/console/documents/{doc_id}"' in withdrawn and "<td>已撤回</td>" in withdrawn


# 效力状态 -------------------------------------------------------------------------------------------


def test_a_publisher_marks_a_regulation_repealed_and_the_portal_labels_it(site: Site) -> None:
    doc_id = published(site, REGULATION)
    client = signed_in(site, "zhao")
    page = client.get(f"/console/documents/{doc_id}").text
    assert "页面和检索结果标明“已修改”或“已废止”" in page
    assert shown(page, "doc-validity") == "现行有效"
    assert 'value="in_force"' not in page  # 现行有效 is offered only to correct an earlier label

    answer = act(client, doc_id, "validity", validity="repealed", effective_on="2026-06-01", note="已被新办法取代")
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/console/documents/{doc_id}?done=validity"
    page = client.get(answer.headers["location"]).text
    assert "效力状态已更新，门户网站已显示新的标注" in page
    assert shown(page, "doc-validity") == "已废止"
    assert shown(page, "doc-status") == "已公开"  # a repealed regulation stays public, labelled

    portal = site.client.get(f"/documents/{doc_id}")
    assert portal.status_code == 200
    assert '<span class="badge repealed">已废止</span>' in portal.text
    assert public(site, doc_id)["validity"] == "repealed"
    repealed = site.client.get("/api/v1/search", params={"validity": "repealed"}).json()["hits"]
    assert [hit["id"] for hit in repealed] == [doc_id]
    assert steps(site, doc_id)[-1] == "validity"
    assert "<td>已废止</td>" in client.get("/console/review?view=published").text
    history = client.get(f"/console/documents/{doc_id}").text.split('id="history-h"')[1]
    assert "已废止，自2026-06-01起" in history and "说明：已被新办法取代" in history

    # A label set by mistake can be corrected back to 现行有效.
    assert 'value="in_force"' in page
    assert act(client, doc_id, "validity", validity="in_force", effective_on="2026-06-01").status_code == 303
    assert public(site, doc_id)["validity"] == "in_force"


@pytest.mark.parametrize(
    "successor",
    ["某政规〔2026〕2号", "某政规[2026] 2号", "{id}", "https://gk.example.gov.cn/documents/{id}"],
    ids=["doc-number", "doc-number-as-typed", "id", "portal-address"],
)
def test_an_amended_regulation_links_to_its_successor(site: Site, successor: str) -> None:
    doc_id = published(site, REGULATION)
    amendment = published(site, AMENDMENT)
    client = signed_in(site, "zhao")
    typed = successor.format(id=amendment)
    answer = act(client, doc_id, "validity", validity="amended", effective_on="2026-06-01", successor=typed)
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"]).text
    assert shown(page, "doc-validity") == f"已修改，由《{AMENDMENT['title']}》修改"
    assert f'<a href="/console/documents/{amendment}">《{AMENDMENT["title"]}》</a>' in page

    assert public(site, doc_id)["replaced_by"] == amendment
    portal = site.client.get(f"/documents/{doc_id}").text
    assert '<span class="badge amended">已修改</span>' in portal
    assert f'由<a href="/documents/{amendment}">《{AMENDMENT["title"]}》</a>修改' in portal
    history = site.doc(doc_id)["history"][-1]
    assert (history["step"], history["validity"], history["replaced_by"]) == ("validity", "amended", amendment)


# Submitting twice, stale pages -------------------------------------------------------------------


def test_a_form_submitted_twice_is_recorded_once(site: Site) -> None:
    doc_id = published(site, REGULATION)
    client = signed_in(site, "zhao")
    hidden = form_of(client.get(f"/console/documents/{doc_id}").text, "validity")
    fields = {"validity": "repealed", "effective_on": "2026-06-01"}
    first = post(client, doc_id, "validity", hidden, **fields)
    again = post(client, doc_id, "validity", hidden, **fields)
    assert first.headers["location"].endswith("?done=validity")
    assert again.headers["location"].endswith("?done=replayed")
    assert "该表单已经提交过，本次未重复记录" in client.get(again.headers["location"]).text
    assert steps(site, doc_id).count("validity") == 1

    # The same form sent again with other values: the first submission stands, the edit is not recorded.
    edited = post(client, doc_id, "validity", hidden, validity="amended", effective_on="2026-06-01")
    assert edited.status_code == 422
    assert "该表单已经提交过，本次修改后的内容未被记录" in edited.text
    assert steps(site, doc_id).count("validity") == 1 and public(site, doc_id)["validity"] == "repealed"

    hidden = form_of(client.get(f"/console/documents/{doc_id}").text, "withdraw")
    first = post(client, doc_id, "withdraw", hidden, reason=REASON, confirm="1")
    again = post(client, doc_id, "withdraw", hidden, reason=REASON, confirm="1")
    assert first.headers["location"].endswith("?done=withdraw")
    assert again.headers["location"].endswith("?done=replayed")
    assert steps(site, doc_id).count("withdraw") == 1


def test_a_stale_form_is_refused_in_chinese_and_records_nothing(site: Site) -> None:
    doc_id = published(site, REGULATION)
    client = signed_in(site, "zhao")
    stale = client.get(f"/console/documents/{doc_id}").text  # another tab, opened before the withdrawal
    assert act(client, doc_id, "withdraw", reason=REASON, confirm="1").status_code == 303
    before = steps(site, doc_id)

    again = post(client, doc_id, "withdraw", form_of(stale, "withdraw"), reason="重复撤回", confirm="1")
    assert again.status_code == 409
    assert "“撤回公开”未被记录：该文件当前状态为“已撤回”" in again.text
    assert "原因：只有已公开的文件才能撤回或标注效力状态。" in again.text
    relabel = post(
        client, doc_id, "validity", form_of(stale, "validity"), validity="repealed", effective_on="2026-06-01"
    )
    assert relabel.status_code == 409
    assert "“标注效力状态”未被记录：该文件当前状态为“已撤回”" in relabel.text
    for unwanted in ("only a published", "state:", "not_published", "系统说明", "决定未被记录"):
        assert unwanted not in again.text + relabel.text, unwanted
    assert not any(form in relabel.text for form in FORMS)  # the page shows the document as it now is
    assert steps(site, doc_id) == before
    assert site.doc(doc_id)["validity"] == "in_force"


# Wrong or edited values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "fields", "message"),
    [
        ("withdraw", {"reason": "  ", "confirm": "1"}, "请填写撤回理由"),
        ("withdraw", {"reason": "x" * 501, "confirm": "1"}, "撤回理由不能超过 500 个字"),
        ("withdraw", {"reason": REASON}, "请勾选“确认撤回”"),
        ("validity", {"validity": "void", "effective_on": "2026-06-01"}, "请选择效力状态（已修改或已废止）"),
        ("validity", {"validity": "in_force", "effective_on": "2026-06-01"}, "该文件已是“现行有效”"),
        ("validity", {"validity": "repealed", "effective_on": "2026-13-01"}, "请填写生效日期"),
        ("validity", {"validity": "repealed", "effective_on": ""}, "请填写生效日期"),
        (
            "validity",
            {"validity": "repealed", "effective_on": "2026-06-01", "note": "x" * 501},
            "说明不能超过 500 个字",
        ),
        (
            "validity",
            {"validity": "amended", "effective_on": "2026-06-01", "successor": "某政规〔2099〕9号"},
            "未找到文号为“某政规〔2099〕9号”的已公开文件",
        ),
        (
            "validity",
            {"validity": "amended", "effective_on": "2026-06-01", "successor": REGULATION["doc_number"]},
            "修改或替代本文件的文件不能是本文件自身",
        ),
        (
            "validity",
            {"validity": "amended", "effective_on": "2026-06-01", "successor": "{id}"},
            "修改或替代本文件的文件不能是本文件自身",
        ),
        (
            "validity",
            {"validity": "repealed", "effective_on": "2026-06-01", "successor": "0" * 32},
            f"未找到编号为 {'0' * 32} 的已公开文件",
        ),
    ],
)
def test_wrong_or_edited_values_say_what_to_correct_and_record_nothing(
    site: Site, action: str, fields: dict[str, str], message: str
) -> None:
    doc_id = published(site, REGULATION)
    client = signed_in(site, "zhao")
    before = steps(site, doc_id)
    answer = act(client, doc_id, action, **{k: v.format(id=doc_id) for k, v in fields.items()})
    assert answer.status_code == 422
    assert "未被记录，请修改后重新提交" in answer.text and message in answer.text
    assert re.search(rf'id="form-{action}"[^>]*>\s*<details open>', answer.text)  # the form stays open to correct
    assert steps(site, doc_id) == before
    assert public(site, doc_id)["validity"] == "in_force"


def test_a_successor_that_is_not_public_is_refused(site: Site) -> None:
    doc_id = published(site, REGULATION)
    draft = site.submit({**AMENDMENT, "doc_number": "某政规〔2026〕3号"})  # still in review
    client = signed_in(site, "zhao")
    for typed in (draft, "某政规〔2026〕3号"):
        answer = act(client, doc_id, "validity", validity="amended", effective_on="2026-06-01", successor=typed)
        assert answer.status_code == 422
        assert "的已公开文件" in answer.text and "未找到" in answer.text
        assert f'value="{typed}"' in answer.text  # what was typed is kept
    assert public(site, doc_id)["validity"] == "in_force" and steps(site, doc_id)[-1] == "publish"


# CSRF and roles -----------------------------------------------------------------------------------


def test_a_forged_or_missing_csrf_token_is_refused_and_records_nothing(site: Site) -> None:
    doc_id = published(site, REGULATION)
    client = signed_in(site, "zhao")
    hidden = form_of(client.get(f"/console/documents/{doc_id}").text, "withdraw")
    for token in ("forged", ""):
        for action, fields in (
            ("withdraw", {"reason": REASON, "confirm": "1"}),
            ("validity", {"validity": "repealed", "effective_on": "2026-06-01"}),
        ):
            answer = post(client, doc_id, action, {**hidden, "csrf_token": token}, **fields)
            assert answer.status_code == 403
            assert "安全校验未通过" in answer.text and "未作任何记录" in answer.text
    without = client.post(f"/console/documents/{doc_id}/withdraw", data={"reason": REASON, "confirm": "1"})
    assert without.status_code == 403
    assert steps(site, doc_id)[-1] == "publish"
    assert public(site, doc_id)["validity"] == "in_force"


@pytest.mark.parametrize(("username", "role"), [("shen", "保密审查员"), ("li", "经办人员")])
def test_reviewers_and_clerks_see_no_publishing_forms_and_are_refused(site: Site, username: str, role: str) -> None:
    doc_id = published(site, REGULATION)
    client = signed_in(site, username)
    page = client.get(f"/console/documents/{doc_id}").text
    assert shown(page, "doc-validity") == "现行有效"
    assert not any(form in page for form in FORMS)
    assert "撤回公开和标注效力状态由发布人员办理" in page
    token = csrf_of(page)
    withdraw = post(client, doc_id, "withdraw", {"csrf_token": token, "form_id": "w" * 24}, reason=REASON, confirm="1")
    assert withdraw.status_code == 403 and f"您的角色（{role}）无权撤回已公开的文件" in withdraw.text
    fields = {"validity": "repealed", "effective_on": "2026-06-01"}
    relabel = post(client, doc_id, "validity", {"csrf_token": token, "form_id": "v" * 24}, **fields)
    assert relabel.status_code == 403 and f"您的角色（{role}）无权标注文件的效力状态" in relabel.text
    assert steps(site, doc_id)[-1] == "publish"
    assert site.client.get(f"/documents/{doc_id}").status_code == 200


def test_admin_has_the_forms_and_unpublished_documents_have_none(site: Site) -> None:
    doc_id = published(site, REGULATION)
    draft = site.submit(DRAFT)
    assert sign_in(site.client, "admin").status_code == 303
    assert all(form in site.client.get(f"/console/documents/{doc_id}").text for form in FORMS)
    client = signed_in(site, "zhao")
    page = client.get(f"/console/documents/{draft}").text
    assert not any(form in page for form in FORMS) and 'id="doc-validity"' not in page
    assert act(client, doc_id, "withdraw", reason=REASON, confirm="1").status_code == 303  # the published one
    hidden = {"csrf_token": csrf_of(page), "form_id": "d" * 24}
    answer = post(client, draft, "withdraw", hidden, reason=REASON, confirm="1")
    assert answer.status_code == 409  # the API's word: only a published document can be withdrawn
    assert "“撤回公开”未被记录：该文件当前状态为“待审查”" in answer.text
    assert steps(site, draft) == ["submitted"]
