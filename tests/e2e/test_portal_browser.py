"""A visitor in a real browser (headless Chromium, phone-sized): search, narrow by a facet, open a result.

Needs Debian's chromium (`make browser` installs it). Outside CI the test is skipped without it;
in CI (`CI=true`) it must run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gongkai.cli import SERVICE_NAMES, service_builder
from gongkai.runtime import Platform
from gongkai.settings import Settings
from tests.e2e.browser import launch, needs_chromium, serve
from tests.e2e.test_portal import seed

pytestmark = needs_chromium


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """The whole platform on a real port, as `gongkai up` serves it, with published documents."""
    seed(tmp_path)
    settings = Settings(data_dir=tmp_path, bus="embedded", index="embedded", environment="test")
    with serve(Platform(settings, [service_builder(name) for name in SERVICE_NAMES])) as url:
        yield url


def test_a_visitor_searches_narrows_by_a_facet_and_opens_a_result(site: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            page.goto(site + "/")
            expect(page).to_have_title("政府信息公开检索")

            page.get_by_label("检索词").fill("住房公积金")
            page.get_by_role("button", name="检索").click()
            summary = page.get_by_role("status")
            expect(summary).to_contain_text("共 16 条")
            expect(page.locator("ol.hits mark").first).to_have_text("住房公积金")
            page.screenshot(path=str(tmp_path / "search.png"), full_page=True)

            page.get_by_role("complementary", name="筛选").get_by_role("link", name="市统计局").click()
            expect(summary).to_contain_text("共 14 条")
            expect(page.locator("aside [aria-current]")).to_contain_text(["市统计局"])
            # The phone-sized page does not scroll sideways.
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

            first = page.locator("ol.hits h2 a").first
            title = first.inner_text()
            first.click()
            expect(page.get_by_role("heading", level=1)).to_have_text(title)
            expect(page.locator("dl.props")).to_contain_text("市统计局")
            page.screenshot(path=str(tmp_path / "document.png"), full_page=True)

            # Markup in a title is shown as text, never run.
            page.goto(site + "/?q=整治")
            expect(page.locator("ol.hits h2")).to_contain_text("<script>alert('x')</script>")
            assert page.evaluate("() => document.querySelectorAll('main script').length") == 0
        finally:
            browser.close()
