"""Every page a citizen or a clerk opens passes axe-core's WCAG 2.1 A/AA rules in headless Chromium.

axe-core (bundled by ``axe-playwright-python``, injected by the test, never served by the platform)
checks what a browser actually renders: names of form fields and buttons, contrast of text on its
background, landmarks, the language of the page, headings, tables, links with discernible text, ARIA
use. The pages are filled with one of everything (a document in review and one published, a
disclosure request, a letter and one published, a proposal and one with its reply published) so the
tables, timelines and forms are all there.
Same skip rule as every browser test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.e2e.browser import launch, needs_chromium, serve
from tests.e2e.conftest import Staff, make_staff
from tests.e2e.console_fixture import PASSWORD, PHONE_DRAFT, console_platform, console_settings, create_users
from tests.e2e.scenario import DRAFT
from tests.polling import eventually_sync

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = needs_chromium

#: The rule sets checked: WCAG 2.0 and 2.1, levels A and AA (what 《信息无障碍》 GB/T 37668 refers to).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
APPLICATION = {
    "channel": "in_person",
    "received_on": "2026-05-20",
    "applicant": {"kind": "natural_person", "name": "王小红", "phone": "13912345678"},
    "description": "本区2025年义务教育阶段学校招生划片范围",
}
LETTER = {
    "kind": "mayor_mailbox",
    "category": "complaint",
    "title": "工地夜间施工噪音扰民",
    "body": "小区旁工地夜间施工，噪音严重，请予处理。",
    "contact": {"name": "欧阳明远", "phone": "13912345678"},
}
PROPOSAL = {
    "kind": "npc_suggestion",
    "number": "第0123号",
    "title": "关于加强社区养老服务设施建设的建议",
    "proposer": "张建国",
    "assigned_on": "2026-03-31",
    "lead_unit": "市民政局",
    "co_units": ["市财政局"],
}


@dataclass
class Site:
    url: str
    staff: Staff
    ids: dict[str, str]


def _created(url: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> str:
    answer = httpx.post(url + path, json=body, headers=headers)
    assert answer.status_code == 202, answer.text
    item_id: str = answer.json()["id"]
    eventually_sync(lambda: httpx.get(f"{url}{path}/{item_id}", headers=headers).status_code == 200)
    return item_id


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("a11y")
    settings = console_settings(data)
    create_users(settings)
    staff = make_staff(data)
    with serve(console_platform(settings)) as url:
        ids = {
            "review": _created(url, "/api/v1/documents", PHONE_DRAFT, staff.clerk),
            "published": _created(url, "/api/v1/documents", {**DRAFT, "title": "关于重点项目的通知"}, staff.clerk),
            "request": _created(url, "/api/v1/requests", APPLICATION, staff.clerk),
            "letter": _created(url, "/api/v1/letters", LETTER, staff.clerk),
            "published_letter": _created(url, "/api/v1/letters", {**LETTER, "channel": "phone"}, staff.clerk),
            "proposal": _created(url, "/api/v1/proposals", PROPOSAL, staff.clerk),
            "published_proposal": _created(url, "/api/v1/proposals", {**PROPOSAL, "number": "第0124号"}, staff.clerk),
        }
        decision = {"decision": "approve", "comment": "无涉密内容"}
        answer = httpx.post(f"{url}/api/v1/documents/{ids['published']}/review", json=decision, headers=staff.reviewer)
        assert answer.status_code == 202, answer.text
        public = f"{url}/api/v1/public/documents/{ids['published']}"
        eventually_sync(lambda: httpx.get(public).status_code == 200)
        letter = f"{url}/api/v1/letters/{ids['published_letter']}"
        texts = {"title": LETTER["title"], "body": LETTER["body"], "reply": "已责令夜间停工。"}
        answer = httpx.post(f"{letter}/reply", json={"body": texts["reply"], "first_pass": True}, headers=staff.clerk)
        assert answer.status_code == 202, answer.text
        answer = httpx.post(f"{letter}/publish", json=texts, headers=staff.reviewer)
        assert answer.status_code == 202, answer.text
        proposal = f"{url}/api/v1/proposals/{ids['published_proposal']}"
        reply = {"result_class": "B", "body": "已列入明年计划。", "on": "2026-05-20"}
        answer = httpx.post(f"{proposal}/reply", json=reply, headers=staff.clerk)
        assert answer.status_code == 202, answer.text
        answer = httpx.post(f"{proposal}/publish", headers=staff.publisher)
        assert answer.status_code == 202, answer.text
        yield Site(url, staff, ids)


def violations(page: Page) -> list[str]:
    """axe-core's violations of the current page, one line each: rule, impact, where, what to fix."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": TAGS}})
    return [
        f"{v['id']} ({v['impact']}) at {node['target']}: {' '.join(node.get('failureSummary', '').split())[:300]}"
        for v in results.response["violations"]
        for node in v["nodes"]
    ]


def console_pages(ids: dict[str, str]) -> list[str]:
    """Every page of the console an admin can reach, the detail pages with content in them."""
    return [
        "/console/",
        "/console/review",
        f"/console/documents/{ids['review']}",
        f"/console/documents/{ids['published']}",  # the publisher's forms 撤回公开 and 标注效力状态
        "/console/requests",
        "/console/requests/new",
        f"/console/requests/{ids['request']}",
        "/console/letters",
        f"/console/letters/{ids['letter']}",
        f"/console/letters/{ids['published_letter']}",  # the reviewer's folded 撤下公开
        "/console/proposals",
        "/console/proposals/new",
        f"/console/proposals/{ids['proposal']}",
        f"/console/proposals/{ids['published_proposal']}",  # 登记代表（委员）评价 and the folded 撤下公开
        "/console/reports/2026",
        "/console/admin/calendar",
        "/console/admin/users",
        "/console/admin/users/li",
        "/console/admin/tokens",
        "/console/letters/new",
    ]


def public_pages(ids: dict[str, str]) -> list[str]:
    return [
        "/",
        "/?q=通知",
        f"/documents/{ids['published']}",
        "/requests/new",
        "/requests/track",
        "/letters/new",
        "/letters/track",
        "/letters",
    ]


def check(page: Page, base: str, paths: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        answer = page.goto(base + path)
        assert answer is not None and answer.status == 200, path
        if problems := violations(page):
            found[path] = problems
    return found


def test_every_console_page_passes_wcag_21_aa(site: Site) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(bypass_csp=True)  # the console forbids inline scripts; axe is one
            page.goto(site.url + "/console/login")
            assert violations(page) == []
            page.get_by_label("用户名").fill("admin")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"{site.url}/console/")
            assert check(page, site.url, console_pages(site.ids)) == {}
        finally:
            browser.close()


def test_every_public_page_passes_wcag_21_aa(site: Site) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(bypass_csp=True)
            assert check(page, site.url, public_pages(site.ids)) == {}
        finally:
            browser.close()


def test_the_check_finds_what_it_is_meant_to_find(site: Site) -> None:
    """The harness itself: an unlabelled field, pale text and an image without text are reported."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(bypass_csp=True)
            page.set_content(
                '<html lang="zh-CN"><head><title>试验</title></head><body><main><input type="text">'
                '<p style="color:#ccc;background:#fff">浅灰色文字</p><img src="x.png"></main></body></html>'
            )
            found = {line.split(" ")[0] for line in violations(page)}
            assert found == {"label", "color-contrast", "image-alt"}
        finally:
            browser.close()
