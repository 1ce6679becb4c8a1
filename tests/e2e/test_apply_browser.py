"""A citizen applies for disclosure in a real browser (headless Chromium), with keyboard and mouse.

They forget every contact, are told so beside the field, follow the error summary's link to the
field, add a phone number, submit with the keyboard and see their tracking code.

Screenshots of the filled form and of the confirmation go to ``$GONGKAI_SCREENSHOTS`` (e.g. /tmp)
when set, else to the test's temporary directory. Same skip rule as every browser test
(`tests/e2e/browser.py`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from gongkai.cli import service_builder
from gongkai.runtime import Platform
from gongkai.settings import Settings
from tests.e2e.browser import launch, needs_chromium, serve
from tests.e2e.test_request_intake import NOW, RESIDENT_ID

pytestmark = needs_chromium


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """The intake service on a real port (it serves the application page by itself)."""
    settings = Settings(data_dir=tmp_path / "data", bus="embedded", index="embedded", environment="test", clock=NOW)
    with serve(Platform(settings, [service_builder("intake")])) as url:
        yield url


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    wanted = os.environ.get("GONGKAI_SCREENSHOTS")
    directory = Path(wanted) if wanted else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def test_a_citizen_applies_corrects_a_mistake_and_gets_a_tracking_code(site: str, screenshots: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 900}, locale="zh-CN")
            page.goto(site + "/requests/new")
            expect(page).to_have_title("申请政府信息公开 - 政府信息公开")
            expect(page.get_by_role("heading", level=1)).to_have_text("申请政府信息公开")
            expect(page.locator(".guide")).to_contain_text("第二十九条")

            # The mouse for choices, the keyboard for text; no contact is given yet.
            page.get_by_label("自然人", exact=True).check()
            page.get_by_label("姓名或名称").fill("王小红")
            page.get_by_label("证件号码").click()
            page.keyboard.type(RESIDENT_ID)
            page.get_by_label("所需政府信息的名称或描述").fill("本区2025年义务教育阶段学校招生划片范围及其依据")
            page.get_by_label("电子", exact=True).check()
            page.get_by_label("网上获取").check()
            page.get_by_role("button", name="提交申请").focus()
            page.keyboard.press("Enter")

            summary = page.get_by_role("alert")
            expect(summary).to_contain_text("请至少填写一种联系方式")
            expect(page).to_have_title(re.compile("^有误"))
            expect(page.locator("#phone-error")).to_contain_text("请至少填写一种联系方式")
            # What was typed is still there, choices included.
            expect(page.get_by_label("姓名或名称")).to_have_value("王小红")
            expect(page.get_by_label("网上获取")).to_be_checked()
            # The summary's link takes the keyboard to the field.
            summary.get_by_role("link", name=re.compile("联系方式")).click()
            expect(page.get_by_label("联系电话")).to_be_focused()
            page.keyboard.type("138 1234 5678")
            page.screenshot(path=str(screenshots / "apply_form.png"), full_page=True)

            page.get_by_role("button", name="提交申请").focus()
            page.keyboard.press("Enter")
            expect(page.get_by_role("heading", level=1)).to_have_text("申请已提交")
            code = page.locator("#tracking-code")
            expect(code).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$"))
            request_id = page.locator("#request-id").inner_text()
            expect(page.get_by_role("link", name="查询办理进度")).to_have_attribute(
                "href", f"/requests/track?id={request_id}"
            )
            page.screenshot(path=str(screenshots / "applied.png"), full_page=True)
        finally:
            browser.close()


def test_the_form_fits_a_phone_and_escapes_markup(site: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            page.goto(site + "/requests/new")
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
            markup = "<script>window.pwned = true</script><img src=x onerror='window.pwned = true'>"
            page.get_by_label("姓名或名称").fill(markup)
            page.get_by_label("所需政府信息的名称或描述").fill(markup)
            page.get_by_role("button", name="提交申请").click()
            expect(page.get_by_role("alert")).to_be_visible()
            expect(page.get_by_label("姓名或名称")).to_have_value(markup)
            expect(page.get_by_label("所需政府信息的名称或描述")).to_have_value(markup)
            assert page.evaluate(
                "() => window.pwned === undefined && document.querySelectorAll('main img').length === 0"
            )
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        finally:
            browser.close()
