"""信箱与咨询, 建议提案, 年度报告 and 工作日历 in a real browser (headless Chromium), on the whole platform
with the console as `gongkai up` serves it, each walked through by the staff member whose work it is.

* A citizen writes to the mayor's mailbox on the portal, leaving a phone number in the text; a clerk
  assigns and answers the letter; a reviewer's publication is refused while the phone is in the text,
  goes through once it is removed, and the portal's 公开信件选登 shows the letter without it.
* A clerk registers a deputy's suggestion and answers it; the publisher's 工作台 counts the reply waiting
  to be made public and leads to it; the publisher publishes it.
* A clerk enters 表二's figures and section 五 of this year's annual report; the page and the downloads
  (the xlsx through the browser's own download) hold them.
* An admin loads 2027's holiday notice and the year turns from 暂定 to 正式.

The platform's clock is 2026-06-01 10:00 (tests/e2e/console_fixture.py). Same skip rule as every browser
test. Screenshots (1280×800) go to ``$GONGKAI_SCREENSHOTS`` (``docs/console`` for the docs), else the
test's temporary folder: letter-list.png, letter.png, proposal.png, dashboard-publisher.png, report.png,
calendar.png.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import openpyxl
import pytest

from tests.e2e.browser import launch, needs_chromium, serve
from tests.e2e.conftest import Staff, make_staff
from tests.e2e.console_fixture import PASSWORD, console_platform, console_settings, create_users
from tests.e2e.test_console_report import NOTICE_2027
from tests.polling import eventually_sync

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = needs_chromium

PHONE = "13987654321"
LETTER_TITLE = "建议在文三路学院路口增设公交站点"
LETTER_BODY = (
    f"文三路与学院路交叉口附近居民较多，最近的公交站步行需要十五分钟。\n建议在路口增设一处公交站点。联系电话{PHONE}。"
)
LETTER_REPLY = "您好！来信收悉。经市交通运输局研究，该站点已列入2026年公交线网优化计划，预计三季度设置。"
PROPOSAL_TITLE = "关于加快老旧小区加装电梯的建议"
PROPOSAL_REPLY = "已列入2026年民生实事项目，分批推进，年内完成100台加装任务。"


@dataclass
class Site:
    url: str
    staff: Staff
    shots: Path

    def api(self, path: str, **params: Any) -> Any:
        answer = httpx.get(f"{self.url}{path}", params=params, headers=self.staff.clerk)
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    settings = console_settings(tmp_path, embedded_poll_s=0.05)
    create_users(settings)
    staff = make_staff(tmp_path)
    shots = Path(os.environ.get("GONGKAI_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with serve(console_platform(settings)) as url:
        yield Site(url, staff, shots)


@pytest.fixture
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser: Browser) -> Page:
    """A tab as the screenshots are taken: 1280×800, Chinese locale, downloads accepted."""
    return browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN", accept_downloads=True)


def sign_in(page: Page, site: Site, username: str) -> None:
    """A fresh sign-in (the previous user's session cookie dropped), ending on the 工作台."""
    from playwright.sync_api import expect

    page.context.clear_cookies()
    page.goto(site.url + "/console/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("工作台")


def open_nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="工作台导航").get_by_role("link", name=name).click()


def test_a_letter_is_answered_and_published_without_the_writers_phone(site: Site, browser: Browser) -> None:
    from playwright.sync_api import expect

    page = new_page(browser)
    # A citizen writes on the portal's public form.
    page.goto(site.url + "/letters/new?kind=mayor_mailbox")
    page.get_by_label("建议", exact=True).check()
    page.get_by_label("标题").fill(LETTER_TITLE)
    page.get_by_label("来信内容").fill(LETTER_BODY)
    page.get_by_label("姓名").fill("周晓兰")
    page.get_by_label("联系电话").fill(PHONE)
    page.get_by_role("button", name="提交来信").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("来信已提交")
    eventually_sync(lambda: site.api("/api/v1/letters")["total"] == 1)

    # A clerk finds it among the letters waiting, assigns it and answers it.
    sign_in(page, site, "li")
    mailbox = page.get_by_role("region", name="信箱与咨询")
    expect(mailbox.locator("li", has_text="待办理")).to_contain_text("1")
    open_nav(page, "信箱与咨询")
    expect(page.get_by_role("heading", level=1)).to_have_text("信箱与咨询")
    row = page.locator("#letters tbody tr", has_text=LETTER_TITLE)
    expect(row).to_contain_text("市长信箱")
    expect(row).to_contain_text("2026-06-08")  # 5 working days after 2026-06-01
    page.screenshot(path=str(site.shots / "letter-list.png"))
    row.get_by_role("link", name=LETTER_TITLE).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(LETTER_TITLE)
    expect(page.locator("#contact")).to_contain_text(PHONE)  # staff see the contact, labelled as not public
    assign = page.locator("#form-assign")
    assign.get_by_label("承办单位").fill("市交通运输局")
    assign.get_by_role("button", name="交办承办单位").click()
    expect(page.locator("#done")).to_have_text("已登记：交办承办单位。")
    expect(page.locator("#department")).to_have_text("市交通运输局")
    reply = page.locator("#form-reply")
    reply.get_by_label("答复内容").fill(LETTER_REPLY)
    reply.get_by_role("checkbox").check()
    reply.get_by_role("button", name="答复").click()
    expect(page.locator("#done")).to_have_text("已登记：答复。")
    expect(page.locator("#letter-reply")).to_have_text(LETTER_REPLY)
    expect(page.locator("#form-publish")).to_have_count(0)  # publication is the reviewer's
    letter_path = page.url.split("?")[0].removeprefix(site.url)

    # A reviewer publishes it: refused while the phone is in the text, published once it is removed.
    sign_in(page, site, "shen")
    page.goto(site.url + letter_path)
    publish = page.locator("#form-publish")
    expect(publish).to_contain_text("须删除来信人姓名、电话、邮箱等个人信息，否则不能公开")
    expect(publish.get_by_label("公开的来信内容")).to_have_value(LETTER_BODY)
    publish.get_by_role("button", name="公开信件选登").click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("未公开：须删除来信人姓名、电话、邮箱等个人信息")
    expect(refusal).to_contain_text("含有来信人电话")
    body = page.locator("#form-publish").get_by_label("公开的来信内容")
    expect(body).to_have_value(LETTER_BODY)  # kept for editing; nothing published
    assert site.api(letter_path.replace("/console/", "/api/v1/"))["published"] is False
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(site.shots / "letter.png"))
    body.fill(LETTER_BODY.replace(f"联系电话{PHONE}。", ""))
    page.locator("#form-publish").get_by_role("button", name="公开信件选登").click()
    expect(page.locator("#done")).to_have_text("已公开：该信件已在“公开信件选登”中发布。")
    expect(page.locator("#letter-status")).to_contain_text("已选登公开")

    # The portal shows it, without the phone.
    eventually_sync(lambda: httpx.get(f"{site.url}/api/v1/public/letters").json()["total"] == 1)
    page.goto(site.url + "/letters")
    page.get_by_role("link", name=LETTER_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(LETTER_TITLE)
    expect(page.locator("article")).to_contain_text("建议在路口增设一处公交站点")
    expect(page.locator("article")).to_contain_text(LETTER_REPLY)
    assert PHONE not in page.content() and "周晓兰" not in page.content()


def test_a_proposal_is_registered_answered_and_its_reply_published(site: Site, browser: Browser) -> None:
    from playwright.sync_api import expect

    page = new_page(browser)
    sign_in(page, site, "li")
    open_nav(page, "建议提案")
    page.get_by_role("link", name="登记交办的建议或提案").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登记交办的建议或提案")
    page.get_by_label("类型").select_option(label="人大代表建议")
    page.get_by_label("编号").fill("第0057号")
    page.get_by_label("标题").fill(PROPOSAL_TITLE)
    page.get_by_label("提出人").fill("吴代表")
    page.get_by_label("交办日期").fill("2026-03-31")
    page.get_by_label("主办单位").fill("市住房和城乡建设局")
    page.get_by_label("协办单位").fill("市财政局")
    page.get_by_role("button", name="登记").click()

    expect(page.locator("#done")).to_have_text("建议提案已登记。")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"人大代表建议 第0057号：{PROPOSAL_TITLE}")
    expect(page.locator("#due-on")).to_contain_text("2026-06-30")  # three months after assignment
    reply = page.locator("#form-reply")
    reply.get_by_label("办理结果类别").select_option("B")
    reply.get_by_label("答复内容").fill(PROPOSAL_REPLY)
    reply.get_by_role("button", name="答复").click()
    expect(page.locator("#done")).to_have_text("已登记：答复。")
    expect(page.locator("#result-class")).to_contain_text("B类")
    expect(page.locator("#form-publish")).to_have_count(0)  # publication is the publisher's

    # The publisher's 工作台 counts the reply waiting and leads to it.
    sign_in(page, site, "zhao")
    publishing = page.get_by_role("region", name="公开发布")
    waiting = publishing.get_by_role("link", name="待公开的建议提案答复")
    expect(waiting).to_contain_text("1")
    expect(page.get_by_role("region", name="保密审查")).to_have_count(0)
    page.screenshot(path=str(site.shots / "dashboard-publisher.png"))
    waiting.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("建议提案")
    page.get_by_role("link", name=PROPOSAL_TITLE).click()
    publish = page.locator("#form-publish")
    expect(publish).to_contain_text("公开前请确认答复中不含个人信息")
    page.screenshot(path=str(site.shots / "proposal.png"))
    publish.get_by_role("button", name="公开答复").click()
    expect(page.locator("#done")).to_have_text("已公开：最新一次答复已发布。")
    expect(page.get_by_role("region", name="答复", exact=True)).to_contain_text("已公开")
    expect(page.locator("#form-publish")).to_have_count(0)  # once per reply

    open_nav(page, "工作台")
    expect(waiting).to_contain_text("0")  # the locator looks again on the new page
    eventually_sync(lambda: httpx.get(f"{site.url}/api/v1/public/letters").json()["total"] == 1)
    page.goto(site.url + "/letters")
    expect(page.get_by_role("link", name=PROPOSAL_TITLE)).to_be_visible()


def test_a_clerk_fills_in_this_years_annual_report(site: Site, browser: Browser, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = new_page(browser)
    sign_in(page, site, "li")
    open_nav(page, "年度报告")
    page.get_by_label("年度", exact=True).select_option("2026")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026年政府信息公开工作年度报告")

    table2 = page.locator("#form-table2")
    table2.get_by_label("行政许可 本年处理决定数量").fill("120")
    table2.get_by_label("行政处罚 本年处理决定数量").fill("3")
    table2.get_by_label("行政强制 本年处理决定数量").fill("0")
    table2.get_by_label("行政事业性收费 本年收费金额（单位：万元）").fill("1.25")
    table2.get_by_role("button", name="保存表二数据").click()
    expect(page.locator("#done")).to_have_text("表二数据已保存。")
    expect(page.locator("#section-2 tr", has_text="行政许可")).to_contain_text("120")
    expect(page.locator("#section-2 tr", has_text="行政事业性收费")).to_contain_text("1.2500")
    expect(page.locator("#table2-entered")).to_contain_text("由 li 于 2026-06-01 10:00 填报")

    problems = "（一）存在的主要问题：答复期限把握不够精准。\n（二）改进情况：启用工作日历提醒。"
    section5 = page.locator("#form-section5")
    section5.get_by_role("textbox").fill(problems)
    section5.get_by_role("button", name="保存第五部分").click()
    expect(page.locator("#done")).to_contain_text("已保存")
    expect(page.locator("#section-5-text")).to_contain_text("（二）改进情况：启用工作日历提醒。")
    expect(page.locator("#section-5")).to_contain_text("li 于 2026-06-01 10:00 保存")
    page.locator("#section-2-h").evaluate("heading => heading.scrollIntoView()")
    page.screenshot(path=str(site.shots / "report.png"))

    # The downloads: the xlsx through the browser's download, the others fetched with the session.
    with page.expect_download() as started:
        page.get_by_role("link", name="Excel（.xlsx）").click()
    download = started.value
    assert download.suggested_filename == "2026年政府信息公开工作年度报告.xlsx"
    saved = tmp_path / "report.xlsx"
    download.save_as(saved)
    workbook = openpyxl.load_workbook(io.BytesIO(saved.read_bytes()))
    cells = {str(c.value) for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row if c.value}
    assert "120" in cells and any("启用工作日历提醒" in c for c in cells)
    for fmt, media_type in (("md", "text/markdown"), ("html", "text/html")):
        href = page.locator("#downloads a", has_text=f".{fmt}").get_attribute("href")
        assert href == f"/console/reports/2026/download.{fmt}"
        answer = page.request.get(site.url + href)
        assert answer.ok and answer.headers["content-type"].startswith(media_type)
        assert answer.headers["content-disposition"].startswith("attachment;")
        assert "启用工作日历提醒" in answer.text()


def test_an_admin_loads_next_years_holiday_notice(site: Site, browser: Browser) -> None:
    from playwright.sync_api import expect

    page = new_page(browser)
    sign_in(page, site, "admin")
    open_nav(page, "工作日历")
    expect(page.get_by_role("heading", level=1)).to_have_text("工作日历（节假日与调休安排）")
    expect(page.locator("#year-2027")).to_contain_text("暂定")
    expect(page.get_by_label("年度", exact=True)).to_have_value("2027")  # the first provisional year
    page.get_by_label("放假日期").fill(NOTICE_2027)
    page.get_by_label("调休上班日期").fill("2027-02-13\n2027-02-14")
    page.get_by_label("说明").fill("国办发明电〔2026〕7号")
    page.get_by_role("button", name="载入放假安排").click()

    expect(page.locator("#done")).to_contain_text("放假安排已载入")
    expect(page.locator("#year-2027")).to_contain_text("正式（已载入放假安排）")
    expect(page.locator("#year-2027")).not_to_contain_text("暂定")
    expect(page.locator("#loaded-years")).to_have_text("已载入放假安排的年度：2027")
    expect(page.locator("#provisional-years")).to_have_text("暂定年度：2028")
    page.screenshot(path=str(site.shots / "calendar.png"))
    loaded = httpx.get(f"{site.url}/api/v1/admin/calendar", headers=site.staff.admin).json()
    assert loaded["loaded_years"] == [2027]
