"""Staff in a real browser (headless Chromium) on the whole platform with the console, as `gongkai up` serves it.

A reviewer signs in, opens a document whose text has a phone number, redacts it and approves, and
the public page shows the redaction; a clerk cannot reach the review actions; a wrong password and a
forged CSRF token are refused in the page with nothing recorded. Same skip rule as every browser test.

``GONGKAI_SCREENSHOTS=docs/console`` writes the screenshots of docs/console.md (1280×800).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.e2e.browser import launch, needs_chromium, serve
from tests.e2e.conftest import Staff, make_staff
from tests.e2e.console_fixture import (
    PASSWORD,
    PHONE,
    PHONE_DRAFT,
    console_platform,
    console_settings,
    create_users,
)
from tests.e2e.scenario import DRAFT
from tests.polling import eventually_sync

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = needs_chromium

VIEWPORT = {"width": 1280, "height": 800}
#: Recorded by a clerk: one received in May (due this week), one received by ordinary post, not yet confirmed.
APPLICATIONS = [
    {
        "channel": "in_person",
        "received_on": "2026-05-06",
        "applicant": {"kind": "natural_person", "name": "王小红", "phone": "13912345678"},
        "description": "本区2025年义务教育阶段学校招生划片范围",
    },
    {
        "channel": "ordinary_post",
        "applicant": {
            "kind": "legal_person",
            "org_type": "legal_service",
            "name": "某律师事务所",
            "phone": "010-88886666",
        },
        "description": "2026年某重大建设项目的核准批复文件",
    },
]


@dataclass
class Site:
    url: str
    staff: Staff
    doc_id: str  # in review, with a phone number in its text
    shots: Path

    def doc(self) -> dict[str, Any]:
        found: dict[str, Any] = httpx.get(f"{self.url}/api/v1/documents/{self.doc_id}", headers=self.staff.clerk).json()
        return found


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    settings = console_settings(tmp_path)
    create_users(settings)
    staff = make_staff(tmp_path)
    shots = Path(os.environ.get("GONGKAI_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with serve(console_platform(settings)) as url:
        ids = []
        for draft in (
            PHONE_DRAFT,
            {**DRAFT, "title": "关于2026年第一季度重点项目进展情况的通报", "doc_number": "某发改〔2026〕30号"},
        ):
            answer = httpx.post(f"{url}/api/v1/documents", json=draft, headers=staff.clerk)
            assert answer.status_code == 202, answer.text
            ids.append(answer.json()["id"])
        for doc_id in ids:
            doc_url = f"{url}/api/v1/documents/{doc_id}"
            eventually_sync(lambda u=doc_url: httpx.get(u, headers=staff.clerk).json().get("status") == "in_review")
        for application in APPLICATIONS:
            answer = httpx.post(f"{url}/api/v1/requests", json=application, headers=staff.clerk)
            assert answer.status_code == 202, answer.text
        cases = f"{url}/api/v1/requests"
        eventually_sync(lambda: len(httpx.get(cases, headers=staff.clerk).json()["items"]) == len(APPLICATIONS))
        yield Site(url, staff, ids[0], shots)


def sign_in(page: Page, site: Site, username: str, password: str = PASSWORD) -> None:
    page.goto(site.url + "/console/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_a_reviewer_redacts_a_phone_number_and_approves(site: Site) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
            page.goto(site.url + "/console/")
            expect(page.get_by_role("heading", level=1)).to_have_text("工作人员登录")
            expect(page.get_by_label("用户名")).to_be_focused()
            page.screenshot(path=str(site.shots / "login.png"))
            page.get_by_label("用户名").fill("shen")
            page.get_by_label("密码").fill(PASSWORD)
            page.keyboard.press("Enter")

            expect(page.get_by_role("heading", level=1)).to_have_text("工作台")
            waiting = page.get_by_role("link", name="待审查")
            expect(waiting).to_contain_text("2")
            page.screenshot(path=str(site.shots / "dashboard.png"))

            page.get_by_role("navigation", name="工作台导航").get_by_role("link", name="保密审查").click()
            expect(page.get_by_role("link", name="保密审查")).to_have_attribute("aria-current", "page")
            page.get_by_role("link", name=PHONE_DRAFT["title"]).click()
            expect(page.get_by_role("heading", level=1)).to_have_text(PHONE_DRAFT["title"])
            finding = page.locator("#doc-text mark.finding")
            expect(finding).to_have_text(PHONE)

            # The enhancement: select the number in the text, and the manual row gets its offsets.
            page.evaluate(
                """() => { const range = document.createRange();
                           range.selectNodeContents(document.querySelector('#doc-text mark.finding'));
                           const selection = window.getSelection();
                           selection.removeAllRanges(); selection.addRange(range); }"""
            )
            page.get_by_role("button", name="将选中文字填入手工删除").click()
            start = site.doc()["findings"][0]["start"]
            expect(page.get_by_label("第1行起始位置")).to_have_value(str(start))
            expect(page.get_by_label("第1行结束位置")).to_have_value(str(start + len(PHONE)))

            page.get_by_role("checkbox", name="删除第1项").check()
            expect(page.get_by_label("第1项删除理由")).to_have_value("个人隐私（《条例》第十五条）")
            page.get_by_role("textbox", name="审查意见").fill("删除个人电话后公开")
            page.evaluate("() => window.scrollTo(0, 0)")
            page.screenshot(path=str(site.shots / "review.png"))
            page.get_by_role("button", name="批准公开").click()

            expect(page.get_by_role("status").first).to_contain_text("所选内容将以“■”替换后发布")
            eventually_sync(lambda: site.doc()["status"] == "published")
            page.reload()
            expect(page.locator("#doc-status")).to_have_text("已公开")
            expect(page.locator("ol.history")).to_contain_text("删除部分内容后批准公开 · 沈审查（shen）")
            expect(page.locator("#doc-text .redacted")).to_have_text(PHONE)

            page.get_by_role("link", name="在门户网站查看").click()
            body = page.locator("article .body")
            expect(body).to_contain_text("联系电话" + "■" * len(PHONE))
            expect(body).not_to_contain_text(PHONE)
            assert PHONE not in page.content()
        finally:
            browser.close()


def test_a_clerk_cannot_reach_the_review_actions(site: Site) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
            sign_in(page, site, "li")
            expect(page.get_by_role("heading", level=1)).to_have_text("工作台")
            expect(page.get_by_role("heading", name="依申请公开")).to_be_visible()
            expect(page.get_by_role("heading", name="保密审查")).to_have_count(0)
            cases = page.get_by_role("region", name="依申请公开")
            expect(cases.locator("li", has_text="待确认收到")).to_contain_text("1")
            expect(cases.locator("li", has_text="本周内到期")).to_contain_text("1")
            expect(page.get_by_text("王小红")).to_have_count(0)
            page.screenshot(path=str(site.shots / "dashboard-clerk.png"))

            page.get_by_role("link", name="保密审查").click()
            page.get_by_role("link", name=PHONE_DRAFT["title"]).click()
            expect(page.get_by_text("保密审查决定由保密审查员作出")).to_be_visible()
            for name in ("批准公开", "不予公开", "报请保密行政管理部门审查"):
                expect(page.get_by_role("button", name=name)).to_have_count(0)
            expect(page.locator("form#decision-form")).to_have_count(0)

            # A form built by hand (with the clerk's own valid CSRF token) meets the 403 page.
            page.evaluate(
                """(docId) => { const form = document.createElement('form');
                    form.method = 'post'; form.action = '/console/documents/' + docId + '/decision';
                    const add = (name, value) => { const input = document.createElement('input');
                        input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input); };
                    add('csrf_token', document.querySelector('header [name=csrf_token]').value);
                    add('decision', 'approve'); add('override', '1'); add('comment', '经办人员自行批准');
                    document.body.appendChild(form); form.submit(); }""",
                site.doc_id,
            )
            expect(page.get_by_role("heading", level=1)).to_have_text("无权访问")
            expect(page.get_by_role("alert")).to_contain_text("无权作出保密审查决定")
            assert site.doc()["status"] == "in_review"
            assert len(site.doc()["history"]) == 1
        finally:
            browser.close()


def test_a_wrong_password_shows_the_message(site: Site) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
            sign_in(page, site, "shen", "not the password")
            expect(page.get_by_role("alert")).to_have_text("用户名或密码错误。")
            expect(page.get_by_role("heading", level=1)).to_have_text("工作人员登录")
            expect(page.get_by_label("用户名")).to_have_value("shen")
            expect(page.get_by_label("密码")).to_have_value("")
            expect(page.get_by_label("密码")).to_be_focused()
            # The right password then works (one failure locks nothing).
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("工作台")
        finally:
            browser.close()


def test_a_forged_csrf_token_is_refused_and_records_nothing(site: Site) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
            sign_in(page, site, "shen")
            page.goto(f"{site.url}/console/documents/{site.doc_id}")
            page.get_by_role("checkbox", name="删除第1项").check()
            page.evaluate("() => { document.querySelector('#decision-form [name=csrf_token]').value = 'forged'; }")
            page.get_by_role("button", name="批准公开").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("安全校验未通过")
            expect(page.get_by_role("alert")).to_contain_text("本次提交未作任何记录")
            assert site.doc()["status"] == "in_review"
            assert len(site.doc()["history"]) == 1
        finally:
            browser.close()
