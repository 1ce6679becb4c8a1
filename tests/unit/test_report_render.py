"""The annual report rendered as Markdown, HTML and XLSX: official layout, escaping, reproducibility."""

from __future__ import annotations

import time
import zipfile
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

import lxml.html
import pytest
from openpyxl import load_workbook

from services.stats import render as layout
from services.stats.charts import NO_DATA, horizontal_bar_chart, monthly_bar_chart, nice_ticks, short_outcome
from services.stats.render import render
from services.stats.render_md import escape_paragraph, render_markdown
from services.stats.report import annual_report
from services.stats.store import CounterKey

AGENCY = "某市发展和改革委员会"
R, C = "requests_received", "requests_closed"
COUNTERS: dict[CounterKey, int] = {
    (R, 2026, (("applicant", "natural_person"), ("channel", "internet"), ("month", "03"))): 5,
    (R, 2026, (("applicant", "commercial"), ("channel", "in_person"), ("month", "05"))): 3,
    (R, 2026, (("applicant", "research"), ("channel", "registered_post"), ("month", "11"))): 2,
    (R, 2025, (("applicant", "natural_person"), ("channel", "fax"), ("month", "12"))): 1,
    (C, 2026, (("applicant", "commercial"), ("on_time", "true"), ("outcome", "disclosed"))): 2,
    (C, 2026, (("applicant", "natural_person"), ("on_time", "true"), ("outcome", "withheld.state_secret"))): 1,
    (C, 2026, (("applicant", "natural_person"), ("on_time", "false"), ("outcome", "unavailable.not_held"))): 2,
    (C, 2026, (("applicant", "research"), ("on_time", "true"), ("outcome", "other.fee_unpaid"))): 1,
    ("appeals_filed", 2026, (("kind", "reconsideration"),)): 1,
    ("appeals_filed", 2026, (("kind", "litigation_direct"),)): 2,
    ("appeals_decided", 2026, (("kind", "litigation_direct"), ("result", "upheld"))): 1,
    ("documents_issued", 2026, (("doc_type", "normative"),)): 4,
    ("documents_published", 2026, (("category", "art20.1"),)): 120,
}
ENTRIES: dict[str, dict[str, Any]] = {
    "table2": {
        "value": {"fees_10k_yuan": "12.3456", "licensing_decisions": 321, "penalty_decisions": 7},
        "actor": "staff-1",
        "recorded_at": "2027-01-10T09:00:00+08:00",
    }
}
TITLES = [
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
]
NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
# Table 三 as printed, headings included, in the official order (spec §B3).
TABLE3_LABELS = [
    "一、本年新收政府信息公开申请数量",
    "二、上年结转政府信息公开申请数量",
    "三、本年度办理结果",
    "（一）予以公开",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "（三）不予公开",
    "1.属于国家秘密",
    "2.其他法律行政法规禁止公开",
    "3.危及“三安全一稳定”",
    "4.保护第三方合法权益",
    "5.属于三类内部事务信息",
    "6.属于四类过程性信息",
    "7.属于行政执法案卷",
    "8.属于行政查询事项",
    "（四）无法提供",
    "1.本机关不掌握相关政府信息",
    "2.没有现成信息需要另行制作",
    "3.补正后申请内容仍不明确",
    "（五）不予处理",
    "1.信访举报投诉类申请",
    "2.重复申请",
    "3.要求提供公开出版物",
    "4.无正当理由大量反复申请",
    "5.要求行政机关确认或重新出具已获取信息",
    "（六）其他处理",
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "3.其他",
    "（七）总计",
    "四、结转下年度继续办理",
]
HEADINGS = {"三、本年度办理结果", "（三）不予公开", "（四）无法提供", "（五）不予处理", "（六）其他处理"}


@pytest.fixture(scope="module")
def report():
    return annual_report(2026, COUNTERS, ENTRIES, agency=AGENCY)


@pytest.fixture(scope="module")
def md(report):
    return render(report, "md")[0].decode("utf-8")


@pytest.fixture(scope="module")
def html(report):
    return render(report, "html")[0].decode("utf-8")


@pytest.fixture(scope="module")
def workbook(report):
    return load_workbook(BytesIO(render(report, "xlsx")[0]))


def in_order(text: str, needles: list[str]) -> bool:
    positions, start = [], 0
    for needle in needles:
        found = text.find(needle, start)
        if found < 0:
            return False
        positions.append(found)
        start = found + len(needle)
    return positions == sorted(positions)


def header_grid(table) -> list[list[str]]:
    """For each column of ``table``'s thead, the header texts over it, top to bottom (rowspan/colspan resolved)."""
    taken: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(table.xpath("./thead/tr")):
        c = 0
        for th in tr.xpath("./th"):
            while (r, c) in taken:
                c += 1
            for dr in range(int(th.get("rowspan", 1))):
                for dc in range(int(th.get("colspan", 1))):
                    taken[(r + dr, c + dc)] = th.text_content().strip()
            c += int(th.get("colspan", 1))
    width = max(c for _, c in taken) + 1
    depth = max(r for r, _ in taken) + 1
    return [[taken[(r, c)] for r in range(depth)] for c in range(width)]


# --- dispatcher -------------------------------------------------------------------------------------


def test_render_gives_bytes_and_media_type(report):
    assert render(report, "md")[1] == "text/markdown; charset=utf-8"
    assert render(report, "html")[1] == "text/html; charset=utf-8"
    assert render(report, "xlsx")[1] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    with pytest.raises(ValueError, match="unknown report format"):
        render(report, "pdf")


@pytest.mark.parametrize("fmt", ["md", "html", "xlsx"])
def test_same_report_same_bytes(report, fmt):
    assert render(report, fmt)[0] == render(report, fmt)[0]
    same = annual_report(2026, dict(reversed(list(COUNTERS.items()))), ENTRIES, agency=AGENCY)
    assert render(same, fmt)[0] == render(report, fmt)[0]


def test_xlsx_bytes_do_not_depend_on_the_clock(report, monkeypatch):
    first = render(report, "xlsx")[0]
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 400 * 86400)
    later = render(report, "xlsx")[0]
    assert later == first
    with zipfile.ZipFile(BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2027, 1, 1, 0, 0, 0)}
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
        assert b"<dcterms:created" in archive.read("docProps/core.xml")
        assert b"2027-01-01T00:00:00Z" in archive.read("docProps/core.xml")


# --- layout ------------------------------------------------------------------------------------------


def test_table3_lines_put_the_headings_back_once(report):
    lines = layout.table3_lines(report)
    assert [line.label for line in lines] == TABLE3_LABELS
    assert {line.label for line in lines if line.cells is None} == HEADINGS
    assert sum(line.cells is not None for line in lines) == len(report["table3"]["rows"])
    levels = {line.label: line.level for line in lines}
    assert levels["三、本年度办理结果"] == 0
    assert levels["（一）予以公开"] == levels["（三）不予公开"] == levels["（七）总计"] == 1
    assert levels["1.属于国家秘密"] == 2
    assert levels["四、结转下年度继续办理"] == 0


def test_table2_blocks_follow_article_20(report):
    blocks = layout.table2_blocks(report)
    assert [b.item for b in blocks] == [
        "第二十条第（一）项",
        "第二十条第（五）项",
        "第二十条第（六）项",
        "第二十条第（八）项",
    ]
    assert blocks[0].headers == ("本年制发件数", "本年废止件数", "现行有效件数")
    assert blocks[0].rows == (("规章", (0, 0, 0)), ("行政规范性文件", (4, 0, 4)))
    assert blocks[2].rows == (("行政处罚", (7,)), ("行政强制", (0,)))
    assert blocks[3].rows == (("行政事业性收费", (Decimal("12.3456"),)),) and blocks[3].is_fee


def test_every_summary_figure_has_a_chinese_label(report):
    assert set(report["summary"]) <= set(layout.SUMMARY_LABELS)
    assert layout.summary_text(report["summary"]["applications_on_time"]) == "4/6（66.7%）"
    assert layout.summary_text({"numerator": 0, "denominator": 0, "value": None}) == "—"


def test_table4_layout_matches_the_report_keys(report):
    assert {kind for kind, _, _ in layout.TABLE4_BLOCKS} == set(report["table4"])
    assert layout.table4_values(report) == [0, 0, 0, 1, 1, 1, 0, 0, 1, 2, 0, 0, 0, 0, 0]


# --- Markdown ----------------------------------------------------------------------------------------


def test_markdown_has_the_title_and_six_sections_in_order(md, report):
    assert md.startswith(f"# {report['title']}\n")
    assert in_order(md, [f"\n## {title}\n" for title in TITLES])
    assert md.endswith("|\n") and not md.endswith("\n\n")


def test_markdown_table3_has_the_note_the_labels_and_the_column_groups(md):
    assert in_order(md, [f"| {NOTE} |", *[f"\n| {label} |" for label in TABLE3_LABELS]])
    assert "| 自然人 | 法人或其他组织·商业企业 | 法人或其他组织·科研机构 |" in md
    assert "| 法人或其他组织·其他 | 总计 |" in md
    assert "\n| （一）予以公开 | 0 | 2 | 0 | 0 | 0 | 0 | 2 |\n" in md
    assert "\n| 三、本年度办理结果 |  |  |  |  |  |  |  |\n" in md


def test_markdown_tables_two_and_four(md):
    assert in_order(md, ["**第二十条第（一）项**", "| 行政规范性文件 | 4 | 0 | 4 |", "**第二十条第（八）项**"])
    assert "| 行政事业性收费 | 12.3456 |" in md
    assert "| 行政复议·结果维持 |" in md and "| 行政诉讼·复议后起诉·总计 |" in md
    assert "\n| 0 | 0 | 0 | 1 | 1 | 1 | 0 | 0 | 1 | 2 | 0 | 0 | 0 | 0 | 0 |\n" in md


def test_markdown_checks_and_summary_follow_the_sections(md):
    assert in_order(md, [TITLES[-1], "## 附一、数据校验结果", "| 表三各列：", "## 附二、历年可比口径数据"])
    assert "| 申请按时办结率 | 4/6（66.7%） |" in md
    assert "| 信箱来信按时办结率 | — |" in md


def test_markdown_rows_have_the_same_number_of_cells(md):
    for block in md.split("\n\n"):
        rows = [line for line in block.splitlines() if line.startswith("| ")]
        widths = {line.replace("\\|", "").count("|") for line in rows}
        assert len(widths) <= 1, block


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# 标题", "\\# 标题"),
        ("> 引用", "\\> 引用"),
        ("- 列表", "\\- 列表"),
        ("+ 列表", "\\+ 列表"),
        ("1. 第一", "1\\. 第一"),
        ("2) 第二", "2\\) 第二"),
        ("---", "\\---"),
        ("1.属于国家秘密", "1.属于国家秘密"),
        ("#标签", "#标签"),
        ("a|b <script>x</script>", "a\\|b \\<script\\>x\\</script\\>"),
        ("*强调* _下划线_ `代码` [链接](http://x)", "\\*强调\\* \\_下划线\\_ \\`代码\\` \\[链接\\](http://x)"),
        ("&lt; ![图](x)", "\\&lt; \\!\\[图\\](x)"),
    ],
)
def test_markdown_escaping(text, expected):
    assert escape_paragraph(text) == expected


# --- HTML --------------------------------------------------------------------------------------------


def test_html_is_one_self_contained_page(html):
    assert html.startswith('<!doctype html>\n<html lang="zh-CN">')
    doc = lxml.html.document_fromstring(html)
    assert doc.xpath("//script") == []
    assert doc.xpath("//link") == [] and doc.xpath("//img") == []
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    assert "@page { size: A4" in html
    assert doc.xpath("//th[not(@scope)]") == []


def test_html_has_the_title_and_six_sections_in_order(html, report):
    doc = lxml.html.document_fromstring(html)
    assert doc.xpath("//h1")[0].text_content() == report["title"]
    assert doc.xpath("//main/section/h2/text()") == TITLES
    assert in_order(html, [f">{title}</h2>" for title in TITLES])
    paragraphs = doc.xpath("//section[@id='s1']/p/text()")
    assert paragraphs[0].startswith("2026年，本机关") and len(paragraphs) == 6


def test_html_table3_layout_and_a_cell_in_its_place(html):
    doc = lxml.html.document_fromstring(html)
    (table,) = doc.xpath("//table[contains(@class, 't3')]")
    columns = header_grid(table)
    assert columns[0] == [NOTE, NOTE, NOTE]
    assert [col[-1] for col in columns[1:]] == [
        "自然人",
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
        "总计",
    ]
    assert all(col[0] == "申请人情况" for col in columns[1:])
    assert [col[1] for col in columns[2:7]] == ["法人或其他组织"] * 5
    labels = [tr.xpath("./th")[0].text_content() for tr in table.xpath("./tbody/tr")]
    assert labels == TABLE3_LABELS
    rows = {
        tr.xpath("./th")[0].text_content(): [td.text_content() for td in tr.xpath("./td")]
        for tr in table.xpath("./tbody/tr")
    }
    commercial = next(i for i, col in enumerate(columns) if col[-1] == "商业企业") - 1
    assert rows["（一）予以公开"][commercial] == "2"
    assert rows["一、本年新收政府信息公开申请数量"] == ["5", "3", "2", "0", "0", "0", "10"]
    assert rows["三、本年度办理结果"] == [""]  # a heading: one blank cell across the columns


def test_html_table2_and_table4(html):
    doc = lxml.html.document_fromstring(html)
    (t2,) = doc.xpath("//table[contains(@class, 't2')]")
    bands = [th.text_content() for th in t2.xpath(".//th[@colspan='4']")]
    assert bands == ["第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项", "第二十条第（八）项"]
    rows = {
        tr.xpath("./th")[0].text_content(): [td.text_content() for td in tr.xpath("./td")]
        for tr in t2.xpath(".//tr[td]")
    }
    assert rows == {
        "规章": ["0", "0", "0"],
        "行政规范性文件": ["4", "0", "4"],
        "行政许可": ["321"],
        "行政处罚": ["7"],
        "行政强制": ["0"],
        "行政事业性收费": ["12.3456"],
    }
    assert "本年收费金额（单位：万元）" in t2.text_content()
    (t4,) = doc.xpath("//table[contains(@class, 't4')]")
    columns = header_grid(t4)
    assert len(columns) == 15
    assert columns[0] == ["行政复议", "结果维持", "结果维持"]
    assert columns[5] == ["行政诉讼", "未经复议直接起诉", "结果维持"]
    assert columns[14] == ["行政诉讼", "复议后起诉", "总计"]
    assert t4.xpath(".//th[@colspan='10']/text()") == ["行政诉讼"]
    assert [td.text_content() for td in t4.xpath("./tbody/tr/td")] == [
        str(v) for v in [0, 0, 0, 1, 1, 1, 0, 0, 1, 2, 0, 0, 0, 0, 0]
    ]


def test_html_has_three_svg_charts_with_titles(html):
    assert html.count("<svg") == 3
    doc = lxml.html.document_fromstring(html)
    charts = doc.xpath("//svg")
    assert len(charts) == 3
    for chart in charts:
        assert chart.get("role") == "img"
        title = chart.xpath("./title")[0].text_content()
        assert title.startswith("2026年") and "申请" in title
    monthly = charts[0]
    assert len(monthly.xpath("./g/rect")) == 12
    assert monthly.xpath("./desc")[0].text_content().startswith("1月0件；2月0件；3月5件")
    channels = charts[2].xpath(".//text/text()")
    for label in ["互联网", "当面", "邮寄（挂号）", "平常信函", "传真"]:
        assert label in channels
    assert "（二）部分公开" in charts[1].xpath(".//text/text()")


def test_html_checks_and_summary(html):
    doc = lxml.html.document_fromstring(html)
    checks = doc.xpath("//table[contains(@class, 'checks')]/tbody/tr")
    assert len(checks) == 7
    assert [tr.xpath("./td")[0].text_content() for tr in checks] == ["通过"] * 7
    summary = {
        tr.xpath("./th")[0].text_content(): tr.xpath("./td")[0].text_content()
        for tr in doc.xpath("//table[contains(@class, 'summary')]/tbody/tr")
    }
    assert summary["主动公开政府信息（条）"] == "120"
    assert summary["收到申请（件）"] == "10"
    assert summary["行政复议（件）"] == "1" and summary["行政诉讼（件）"] == "2"
    assert summary["申请按时办结率"] == "4/6（66.7%）"
    assert summary["建议提案满意率"] == "—"


# --- escaping ----------------------------------------------------------------------------------------

HOSTILE = "<script>alert(1)</script> 第一段 a|b & c\n# 不是标题\n> 不是引用\n- 不是列表\n1. 不是编号"


@pytest.fixture(scope="module")
def hostile():
    entries: dict[str, dict[str, Any]] = {**ENTRIES, "section5": {"value": HOSTILE, "actor": "x", "recorded_at": "t"}}
    return annual_report(2026, COUNTERS, entries, agency="某市<b>委</b>&")


def test_section_text_renders_harmlessly_in_html(hostile):
    html = render(hostile, "html")[0].decode()
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    doc = lxml.html.document_fromstring(html)
    assert doc.xpath("//script") == [] and doc.xpath("//b") == []
    paragraphs = doc.xpath("//section[@id='s5']/p/text()")
    assert paragraphs == [
        "<script>alert(1)</script> 第一段 a|b & c",
        "# 不是标题",
        "> 不是引用",
        "- 不是列表",
        "1. 不是编号",
    ]
    assert doc.xpath("//h1")[0].text_content() == "某市<b>委</b>&2026年政府信息公开工作年度报告"


def test_section_text_renders_harmlessly_in_markdown(hostile):
    md = render_markdown(hostile)
    assert "<script>" not in md and "<b>" not in md
    assert (
        "\\<script\\>alert(1)\\</script\\> 第一段 a\\|b \\& c\n\n"
        "\\# 不是标题\n\n\\> 不是引用\n\n\\- 不是列表\n\n1\\. 不是编号\n" in md
    )
    assert md.startswith("# 某市\\<b\\>委\\</b\\>\\&2026年")


def test_section_text_is_kept_as_text_in_xlsx(hostile):
    wb = load_workbook(BytesIO(render(hostile, "xlsx")[0]))
    texts = [cell for row in wb["说明"].iter_rows(values_only=True) for cell in row if isinstance(cell, str)]
    assert "\u3000\u3000<script>alert(1)</script> 第一段 a|b & c" in texts


# --- XLSX --------------------------------------------------------------------------------------------


def test_xlsx_sheets_and_properties(workbook, report):
    assert workbook.sheetnames == ["说明", "表二", "表三", "表四"]
    assert workbook.properties.created == datetime(2027, 1, 1)
    assert workbook.properties.modified == datetime(2027, 1, 1)
    notes = [cell for row in workbook["说明"].iter_rows(values_only=True) for cell in row if isinstance(cell, str)]
    assert notes[0] == report["title"]
    assert in_order("\n".join(notes), [*TITLES, "附一、数据校验结果", "表三各列：", "附二、历年可比口径数据"])
    assert "见工作表“表三”。" in notes


def test_xlsx_table3_official_layout(workbook):
    ws = workbook["表三"]
    assert ws["A1"].value == NOTE
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:A3", "B1:H1", "B2:B3", "C2:G2", "H2:H3"} <= merged
    assert ws["B1"].value == "申请人情况" and ws["C2"].value == "法人或其他组织"
    assert [ws.cell(3, c).value for c in range(3, 8)] == [
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
    ]
    assert ws["B1"].font.bold and ws["B1"].border.left.style == "thin"
    labels = [ws.cell(r, 1).value for r in range(4, ws.max_row + 1)]
    assert labels == TABLE3_LABELS
    rows = {ws.cell(r, 1).value: [ws.cell(r, c).value for c in range(2, 9)] for r in range(4, ws.max_row + 1)}
    assert rows["（一）予以公开"] == [0, 2, 0, 0, 0, 0, 2]
    assert rows["三、本年度办理结果"] == [None] * 7
    assert all(type(v) is int for label, values in rows.items() if label not in HEADINGS for v in values)
    assert ws.column_dimensions["A"].width > ws.column_dimensions["B"].width


def test_xlsx_table2_and_fee(workbook):
    ws = workbook["表二"]
    column_a = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert column_a == [
        "第二十条第（一）项", "信息内容", "规章", "行政规范性文件",
        "第二十条第（五）项", "信息内容", "行政许可",
        "第二十条第（六）项", "信息内容", "行政处罚", "行政强制",
        "第二十条第（八）项", "信息内容", "行政事业性收费",
    ]  # fmt: skip
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:D1", "A5:D5", "B6:D6", "B7:D7", "A12:D12", "B14:D14"} <= merged
    assert [ws.cell(4, c).value for c in range(2, 5)] == [4, 0, 4]
    assert ws["B7"].value == 321 and type(ws["B7"].value) is int
    fee = ws["B14"]
    assert isinstance(fee.value, float) and fee.value == pytest.approx(12.3456)
    assert fee.number_format == "0.0000"
    assert ws["B13"].value == "本年收费金额（单位：万元）"


def test_xlsx_table4(workbook):
    ws = workbook["表四"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:E1", "F1:O1", "F2:J2", "K2:O2", "A2:A3", "E2:E3"} <= merged
    assert (ws["A1"].value, ws["F1"].value, ws["F2"].value, ws["K2"].value) == (
        "行政复议",
        "行政诉讼",
        "未经复议直接起诉",
        "复议后起诉",
    )
    assert [ws.cell(2, c).value for c in range(1, 6)] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    values = [ws.cell(4, c).value for c in range(1, 16)]
    assert values == [0, 0, 0, 1, 1, 1, 0, 0, 1, 2, 0, 0, 0, 0, 0]
    assert all(type(v) is int for v in values)


# --- edge cases --------------------------------------------------------------------------------------


def test_an_empty_year_renders_without_dividing_by_zero():
    empty = annual_report(2026, {}, {}, agency=AGENCY)
    for fmt in ("md", "html", "xlsx"):
        assert render(empty, fmt)[0]
    html = render(empty, "html")[0].decode()
    assert html.count(NO_DATA) == 3
    assert "nan" not in html.lower().replace("nanning", "") and "inf" not in html
    summary = load_workbook(BytesIO(render(empty, "xlsx")[0]))["说明"]
    rates = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row[0] == "申请按时办结率"}
    assert rates == {"申请按时办结率": "—"}


def test_failed_checks_are_shown_as_failed():
    counters: dict[CounterKey, int] = {
        (C, 2026, (("applicant", "natural_person"), ("on_time", "true"), ("outcome", "disclosed"))): 2
    }
    report = annual_report(2026, counters, {}, agency=AGENCY)
    failed = [c for c in report["checks"] if not c["passed"]]
    assert failed
    html = render(report, "html")[0].decode()
    md = render(report, "md")[0].decode()
    for check in failed:
        assert check["detail"] in html and check["detail"] in md
    assert "未通过" in html and "| 未通过 |" in md


def test_chart_helpers():
    assert nice_ticks(0) == [0]
    assert nice_ticks(5) == [0, 2, 4, 6]
    assert nice_ticks(37) == [0, 10, 20, 30, 40]
    assert short_outcome("（二）部分公开（区分处理的，只计这一情形，不计其他情形）") == "（二）部分公开"
    assert short_outcome("其他") == "其他"
    zero = monthly_bar_chart([0] * 12, chart_id="m", title="t")
    assert NO_DATA in zero and 'height="0.0"' in zero
    bars = horizontal_bar_chart([("甲", 0), ("乙", 0)], chart_id="h", title="<标题>")
    assert "&lt;标题&gt;" in bars and NO_DATA in bars
    assert horizontal_bar_chart([], chart_id="e", title="空").startswith("<svg")


def test_text_saved_for_a_table_section_comes_before_its_table():
    entries: dict[str, dict[str, Any]] = {
        "section3": {"value": "本年度申请情况如下表。", "actor": "x", "recorded_at": "t"}
    }
    report = annual_report(2026, COUNTERS, entries, agency=AGENCY)
    md = render(report, "md")[0].decode()
    html = render(report, "html")[0].decode()
    assert in_order(md, [TITLES[2], "本年度申请情况如下表。", NOTE, TITLES[3]])
    assert in_order(html, [TITLES[2], "<p>本年度申请情况如下表。</p>", NOTE, TITLES[3]])
    notes = load_workbook(BytesIO(render(report, "xlsx")[0]))["说明"]
    texts = [row[0] for row in notes.iter_rows(values_only=True) if row[0]]
    assert in_order("\n".join(texts), [TITLES[2], "本年度申请情况如下表。", "见工作表“表三”。"])


def test_negative_figures_draw_no_bar_but_are_printed():
    monthly = monthly_bar_chart([-1] + [0] * 11, chart_id="m", title="t")
    assert 'height="-' not in monthly and "1月-1件" in monthly
    bars = horizontal_bar_chart([("甲", -3), ("乙", 2)], chart_id="h", title="t")
    assert 'width="-' not in bars and "-3件" in bars
