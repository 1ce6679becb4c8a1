"""A publisher's 工作台 over HTTP (no browser): the replies to publish and what is public, each count
linking to its list, and who sees the section.

A publisher publishes proposal replies (``POST /api/v1/proposals/{id}/publish``) and withdraws or
relabels published documents (``…/withdraw``, ``…/validity``): the 工作台 counts the proposals whose
latest reply is not yet public (``reply_published=false``), the published documents, and the
regulations and normative documents in force (第二十条（一）, the portal's own search). The clock is
2026-06-01 (tests/e2e/console_fixture.py).
"""

from __future__ import annotations

import html
import re
from typing import Any

from tests.e2e.console_fixture import PHONE_DRAFT
from tests.e2e.scenario import DRAFT
from tests.e2e.test_console import Site, count_of, signed_in
from tests.e2e.test_console_letters import act, forms_shown, listed
from tests.polling import eventually_sync

REGISTRATION: dict[str, Any] = {
    "kind": "npc_suggestion",
    "number": "第0123号",
    "title": "关于加强社区养老服务设施建设的建议",
    "proposer": "张建国",
    "assigned_on": "2026-03-31",
    "lead_unit": "市民政局",
    "co_units": ["市财政局"],
}
REGULATION = {
    **DRAFT,
    "title": "某市政府投资项目管理办法",
    "category": "art20.1",
    "doc_type": "regulation",
    "doc_number": "某政规〔2026〕1号",
}
IN_REVIEW = {**PHONE_DRAFT, "title": "关于2026年第一季度重点项目进展情况的通报"}
SECTION = "公开发布</h2>"


def register(site: Site, number: str, *, reply: str | None = None) -> str:
    """A proposal registered through the API, answered with ``reply`` when given."""
    answer = site.client.post("/api/v1/proposals", json={**REGISTRATION, "number": number}, headers=site.staff.clerk)
    assert answer.status_code == 202, answer.text
    proposal_id: str = answer.json()["id"]
    url = f"/api/v1/proposals/{proposal_id}"
    eventually_sync(lambda: site.client.get(url, headers=site.staff.clerk).status_code == 200)
    if reply is not None:
        body = {"result_class": "B", "body": reply, "on": "2026-05-20"}
        answered = site.client.post(f"{url}/reply", json=body, headers=site.staff.clerk)
        assert answered.status_code == 202, answered.text
    return proposal_id


def published(site: Site, draft: dict[str, Any]) -> str:
    """A document approved by the reviewer and live on the portal."""
    doc_id = site.submit(draft)
    answer = site.client.post(
        f"/api/v1/documents/{doc_id}/review", json={"decision": "approve"}, headers=site.staff.reviewer
    )
    assert answer.status_code == 202, answer.text
    eventually_sync(lambda: site.client.get(f"/api/v1/public/documents/{doc_id}").status_code == 200)
    return doc_id


def link_of(page: str, label: str) -> str:
    """Where the 工作台 card labelled ``label`` leads."""
    found = re.search(
        rf'<a href="([^"]+)"[^>]*>\s*<span class="count">[^<]*</span>\s*<span class="label">{label}</span>', page
    )
    assert found, f"no link for {label}"
    return html.unescape(found.group(1))


def test_a_publisher_counts_the_replies_to_publish_and_what_is_public(site: Site) -> None:
    waiting = register(site, "第0123号", reply="已列入明年计划。")
    public = register(site, "第0124号", reply="已解决。")
    done = site.client.post(f"/api/v1/proposals/{public}/publish", headers=site.staff.publisher)
    assert done.status_code == 202, done.text
    register(site, "第0125号")  # not yet answered: nothing to publish
    regulation = published(site, REGULATION)
    published(site, DRAFT)
    site.submit(IN_REVIEW)  # in review: not public

    client = signed_in(site, "zhao")
    page = client.get("/console/").text
    assert SECTION in page and "保密审查</h2>" not in page and "依申请公开</h2>" not in page
    assert count_of(page, "待公开的建议提案答复") == "1"
    assert count_of(page, "已公开文件") == "2"
    assert count_of(page, "现行有效的规章和规范性文件") == "1"
    assert "在“已公开文件”中打开该文件办理" in page  # withdrawal and validity: tests/e2e/test_console_publishing.py

    replies = link_of(page, "待公开的建议提案答复")
    assert replies == "/console/proposals?unpublished=1"
    assert waiting in listed(client, "proposals", replies.removeprefix("/console/proposals"))
    documents = client.get(link_of(page, "已公开文件")).text
    assert REGULATION["title"] in documents and DRAFT["title"] in documents
    assert IN_REVIEW["title"] not in documents
    regulations = link_of(page, "现行有效的规章和规范性文件")
    assert regulations == "/?category=art20.1&validity=in_force"
    portal = client.get(regulations).text
    assert REGULATION["title"] in portal and DRAFT["title"] not in portal

    # Publishing the reply through the console and repealing the regulation take them off the counts.
    assert forms_shown(client.get(f"/console/proposals/{waiting}").text) == ["publish"]
    assert act(client, "proposals", waiting, "publish").status_code == 303
    repeal = {"validity": "repealed", "effective_on": "2026-06-01", "note": "已废止"}
    answer = site.client.post(f"/api/v1/documents/{regulation}/validity", json=repeal, headers=site.staff.publisher)
    assert answer.status_code == 202, answer.text
    eventually_sync(lambda: site.client.get(f"/api/v1/public/documents/{regulation}").json()["validity"] == "repealed")
    page = client.get("/console/").text
    assert count_of(page, "待公开的建议提案答复") == "0"
    assert count_of(page, "已公开文件") == "2"  # repealed regulations stay public, labelled
    assert count_of(page, "现行有效的规章和规范性文件") == "0"


def test_only_publishers_and_admin_see_the_publishing_section(site: Site) -> None:
    register(site, "第0123号", reply="已列入明年计划。")
    for username in ("shen", "li"):
        site.client.cookies.clear()
        assert SECTION not in signed_in(site, username).get("/console/").text
    site.client.cookies.clear()
    admin = signed_in(site, "admin").get("/console/").text
    for section in ("保密审查</h2>", "依申请公开</h2>", "信箱与咨询</h2>", "建议提案</h2>", SECTION):
        assert section in admin
    assert count_of(admin, "待公开的建议提案答复") == "1"
