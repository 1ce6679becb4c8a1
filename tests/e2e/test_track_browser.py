"""An applicant follows their application in a real browser (headless Chromium), on the whole platform.

They apply online, follow the confirmation's link to the tracking page, type the code, and see the
status; after the clerk confirms receipt they see the receipt date and the answer deadline. A wrong
code gets the same message as an unknown case. Same skip rule as every browser test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gongkai.cli import SERVICE_NAMES, service_builder
from gongkai.runtime import Platform
from gongkai.settings import Settings
from tests.e2e.browser import launch, needs_chromium, serve
from tests.e2e.conftest import Staff, make_staff
from tests.e2e.test_request_intake import NOW, RESIDENT_ID
from tests.polling import eventually_sync

pytestmark = needs_chromium


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Staff]]:
    settings = Settings(data_dir=tmp_path, bus="embedded", index="embedded", environment="test", clock=NOW)
    staff = make_staff(tmp_path)
    with serve(Platform(settings, [service_builder(name) for name in SERVICE_NAMES])) as url:
        yield url, staff


def test_an_applicant_tracks_the_application_with_the_code(site: tuple[str, Staff], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, staff = site
    shots = Path(os.environ.get("GONGKAI_SCREENSHOTS", tmp_path))
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 900}, locale="zh-CN")
            page.goto(url + "/requests/new")
            page.get_by_label("自然人", exact=True).check()
            page.get_by_label("姓名或名称").fill("王小红")
            page.get_by_label("证件号码").fill(RESIDENT_ID)
            page.get_by_label("联系电话").fill("13812345678")
            page.get_by_label("所需政府信息的名称或描述").fill("本区2025年义务教育阶段学校招生划片范围")
            page.get_by_label("电子", exact=True).check()
            page.get_by_label("网上获取").check()
            page.get_by_role("button", name="提交申请").click()
            code = page.locator("#tracking-code").inner_text()
            request_id = page.locator("#request-id").inner_text()

            page.get_by_role("link", name="查询办理进度").click()
            expect(page.get_by_label("申请编号")).to_have_value(request_id)
            case_url = f"{url}/api/v1/requests/{request_id}"
            eventually_sync(lambda: httpx.get(case_url, headers=staff.clerk).status_code == 200)
            page.get_by_label("查询码").fill(code.lower())
            page.get_by_role("button", name="查询").click()
            result = page.get_by_role("region", name="办理情况")
            expect(result).to_contain_text("待确认收到")
            expect(result).not_to_contain_text("王小红")

            # The clerk confirms receipt (today: 2026-06-01); the deadline appears.
            confirmed = httpx.post(
                f"{url}/api/v1/requests/{request_id}/actions", json={"action": "confirm_receipt"}, headers=staff.clerk
            )
            assert confirmed.status_code == 202, confirmed.text
            page.reload()
            expect(result).to_contain_text("办理中")
            expect(result).to_contain_text("2026-06-30")
            expect(page.locator("ol.timeline li")).to_have_count(2)
            page.screenshot(path=str(shots / "track.png"), full_page=True)

            page.get_by_label("查询码").fill("AAAA-AAAA-AAAA")
            page.get_by_role("button", name="查询").click()
            expect(page.get_by_role("alert")).to_contain_text("未找到")
            expect(page.get_by_role("region", name="办理情况")).to_have_count(0)
        finally:
            browser.close()
