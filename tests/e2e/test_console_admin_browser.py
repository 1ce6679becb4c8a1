"""管理 in a real browser (headless Chromium): an admin creates a clerk's account and an API token.

The new clerk signs in with the password the admin set, then is disabled and cannot any more; the
token is shown once, works at the API, and stops working when revoked. Same skip rule as every
browser test. Screenshots (1280×800) go to ``$GONGKAI_SCREENSHOTS``, else the test's temporary
folder: users.png, token.png.
"""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import needs_chromium
from tests.e2e.test_console_more_browser import Site, browser, new_page, open_nav, sign_in, site

pytestmark = needs_chromium
__all__ = ["browser", "site"]  # the fixtures, shared with the other console browser tests

NEW_PASSWORD = "风雨同舟 2026 zhou"


def sign_in_as(page: Page, site: Site, username: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(site.url + "/console/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_an_admin_creates_a_clerk_who_can_sign_in_until_disabled(site: Site, browser: Browser) -> None:
    page = new_page(browser)
    sign_in(page, site, "admin")
    open_nav(page, "用户与角色")
    expect(page.get_by_role("heading", level=1)).to_contain_text("用户")
    page.get_by_label("用户名（登录用）").fill("zhou")
    page.get_by_label("姓名（工作台显示的名称，可不填）").fill("周经办")
    page.get_by_label("角色").select_option(label="经办人员")
    page.get_by_label("密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="创建用户").click()
    expect(page.get_by_role("status")).to_contain_text("用户已创建")
    expect(page.locator("#user-role")).to_have_text("经办人员")
    open_nav(page, "用户与角色")
    row = page.locator("tr", has_text="zhou")
    expect(row).to_contain_text("周经办")
    expect(row).to_contain_text("经办人员")
    page.screenshot(path=str(site.shots / "users.png"))

    sign_in_as(page, site, "zhou", NEW_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("工作台")
    expect(page.get_by_role("navigation", name="工作台导航")).not_to_contain_text("用户与角色")

    sign_in(page, site, "admin")
    page.goto(site.url + "/console/admin/users/zhou")
    page.get_by_role("button", name="停用该用户").click()
    expect(page.locator("body")).to_contain_text("已停用")
    sign_in_as(page, site, "zhou", NEW_PASSWORD)
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("工作台")


def test_a_token_is_shown_once_and_revoked(site: Site, browser: Browser) -> None:
    page = new_page(browser)
    sign_in(page, site, "admin")
    open_nav(page, "API令牌")
    page.get_by_label("名称（持有的系统或用途，如“办公系统对接”）").fill("办公系统对接")
    page.get_by_label("角色").select_option(label="经办人员")
    page.get_by_role("button", name="创建令牌").click()
    shown = page.locator("#new-token")
    expect(shown).to_be_visible()
    token = shown.input_value()
    page.screenshot(path=str(site.shots / "token.png"))
    assert httpx.get(f"{site.url}/api/v1/requests", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    page.goto(site.url + "/console/admin/tokens")
    assert token not in page.content()  # shown once: never again
    page.locator("tr", has_text="办公系统对接").get_by_role("button", name="吊销").click()
    expect(page.locator("tr", has_text="办公系统对接")).to_have_count(0)
    assert httpx.get(f"{site.url}/api/v1/requests", headers={"Authorization": f"Bearer {token}"}).status_code == 401
