"""依申请公开 in a real browser (headless Chromium) on the whole platform with the console.

A clerk records a registered-post (letter-channel) application, asks for correction, records the
corrected application and answers it, and the due date shown changes as the law says; a reviewer sees
the case but no action forms. Same skip rule as every browser test.

Dates (the platform's clock is 2026-06-01, tests/e2e/console_fixture.py), counted by hand on the 2026
calendar, 20 working days not counting the trigger day:

* received (signed for) 2026-05-20 → due 2026-06-17;
* correction asked 2026-05-22: no due date while waiting for it;
* correction received 2026-05-29 → the 20 days restart: due 2026-06-29 (端午, Friday 2026-06-19, is a holiday).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.browser import launch, needs_chromium, serve
from tests.e2e.console_fixture import PASSWORD, console_platform, console_settings, create_users

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = needs_chromium

VIEWPORT = {"width": 1280, "height": 800}


@dataclass
class Site:
    url: str
    shots: Path


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    settings = console_settings(tmp_path)
    create_users(settings)
    shots = Path(os.environ.get("GONGKAI_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with serve(console_platform(settings)) as url:
        yield Site(url, shots)


def sign_in(page: Page, site: Site, username: str) -> None:
    page.goto(site.url + "/console/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_a_clerk_records_corrects_and_answers_a_letter_application(site: Site) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
            sign_in(page, site, "li")
            expect(page.get_by_role("heading", level=1)).to_have_text("工作台")
            page.get_by_role("navigation", name="工作台导航").get_by_role("link", name="依申请公开").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("依申请公开")
            page.get_by_role("link", name="登记纸质、传真或当面申请").click()

            page.get_by_label("收到渠道").select_option("registered_post")
            page.get_by_label("收到日期").fill("2026-05-20")
            page.get_by_label("申请人类型").select_option("natural_person")
            page.get_by_label("姓名或者名称").fill("欧阳明远")
            page.get_by_label("联系电话").fill("13912345678")
            page.get_by_label("通信地址").fill("北京市朝阳区幸福里7号楼301室")
            page.get_by_label("所需政府信息的名称、文号或者便于查询的其他特征性描述").fill(
                "本区老旧小区改造项目的批复文件"
            )
            page.get_by_role("button", name="登记申请").click()

            expect(page.get_by_role("status")).to_contain_text("申请已登记。查询码：")
            expect(page.get_by_role("heading", level=1)).to_have_text("欧阳明远的政府信息公开申请")
            expect(page.locator("#received-on")).to_have_text("2026-05-20")
            expect(page.locator("#due-on")).to_have_text("2026-06-17")
            expect(page.locator("#case-status")).to_have_text("办理中")
            page.screenshot(path=str(site.shots / "request.png"), full_page=False)
            case_url = page.locator("a", has_text="打印案卷").get_attribute("href")
            assert case_url is not None
            case_path = case_url.removesuffix("/file")

            correction = page.locator("#form-request_correction")
            expect(correction).to_contain_text("补正告知：收到补正材料后答复期限重新计算（条例第三十条）")
            correction.get_by_label("需要补正的事项").fill("请写明所需批复文件的项目名称\n请提供身份证明")
            correction.get_by_label("补正期限").fill("2026-06-05")
            correction.get_by_label("办理日期").fill("2026-05-22")
            correction.get_by_role("button", name="告知补正").click()

            expect(page.locator("#done")).to_have_text("已登记：告知补正。")
            expect(page.locator("#case-status")).to_have_text("待补正")
            expect(page.locator("#due-on")).to_contain_text("待补正，暂不计算")
            expect(page.locator("#form-answer")).to_have_count(0)

            received = page.locator("#form-correction_received")
            expect(received).to_contain_text("答复期限自收到补正材料之日起重新计算20个工作日")
            received.get_by_label("办理日期").fill("2026-05-29")
            received.get_by_role("button", name="收到补正材料").click()

            expect(page.locator("#done")).to_have_text("已登记：收到补正材料。")
            expect(page.locator("#due-on")).to_have_text("2026-06-29")

            answer = page.locator("#form-answer")
            answer.get_by_label("办理结果（年度报告表三）").select_option(label="（一）予以公开")
            answer.get_by_role("button", name="作出答复并办结").click()

            expect(page.locator("#done")).to_have_text("已登记：作出答复并办结。")
            expect(page.locator("#case-status")).to_have_text("已办结")
            expect(page.locator("form.action-form")).to_have_count(0)
            history = page.locator("#history")
            expect(history).to_contain_text("告知补正 · 李经办（li）")
            expect(history).to_contain_text("收到补正材料（答复期限重新计算）")
            expect(history).to_contain_text("办理结果：（一）予以公开")

            page.get_by_role("link", name="打印案卷（A4）").click()
            expect(page.locator("body")).to_contain_text("欧阳明远")
            page.go_back()

            # a reviewer may read the case but sees no action forms
            page.context.clear_cookies()
            sign_in(page, site, "shen")
            page.goto(site.url + case_path)
            expect(page.get_by_role("heading", level=1)).to_have_text("欧阳明远的政府信息公开申请")
            expect(page.locator("form.action-form")).to_have_count(0)
            expect(page.locator("#actions")).to_contain_text("依申请公开的办理由经办人员进行")
            page.goto(site.url + "/console/requests")
            expect(page.get_by_role("link", name="欧阳明远")).to_be_visible()
            expect(page.get_by_role("link", name="登记纸质、传真或当面申请")).to_have_count(0)
        finally:
            browser.close()
