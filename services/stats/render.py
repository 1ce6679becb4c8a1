"""The annual report (政府信息公开工作年度报告), rendered as Markdown, HTML or XLSX. Pure.

Input is the dict of :func:`services.stats.report.annual_report` and nothing else; the same dict
gives the same bytes in every format (no clock, no randomness, fixed zip timestamps).

This module holds the dispatcher and the layout the three renderers share, so that they cannot
drift apart: the six sections in order, table 二 as its 第二十条 blocks, the header grids of
tables 三 and 四 (with their merged cells), the rows of table 三 with the heading-only rows
(“三、本年度办理结果”, （三）–（六）) put back, the checks and the pre-2019 (“seed-era”) figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from typing import Any

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "Block",
    "HeaderCell",
    "Line",
    "check_lines",
    "flat_headers",
    "header_rows",
    "paragraphs",
    "render",
    "summary_lines",
    "summary_text",
    "table2_blocks",
    "table3_codes",
    "table3_header",
    "table3_lines",
    "table4_header",
    "table4_values",
]

MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = tuple(MEDIA_TYPES)


def render(report: Mapping[str, Any], fmt: str) -> tuple[bytes, str]:
    """The report as ``fmt`` (``md``, ``html`` or ``xlsx``): the bytes and their media type."""
    # Imported here so that asking for Markdown does not load openpyxl, nor XLSX jinja2.
    if fmt == "md":
        from services.stats.render_md import render_markdown

        return render_markdown(report).encode("utf-8"), MEDIA_TYPES[fmt]
    if fmt == "html":
        from services.stats.render_html import render_html

        return render_html(report).encode("utf-8"), MEDIA_TYPES[fmt]
    if fmt == "xlsx":
        from services.stats.render_xlsx import render_xlsx

        return render_xlsx(report), MEDIA_TYPES[fmt]
    raise ValueError(f"unknown report format {fmt!r}: expected one of {', '.join(FORMATS)}")


# --- prose --------------------------------------------------------------------------------------


def paragraphs(text: str | None) -> list[str]:
    """A prose section's paragraphs: one per non-blank line, surrounding whitespace removed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# --- header grids (tables 三 and 四) --------------------------------------------------------------


@dataclass(frozen=True)
class HeaderCell:
    """One cell of a header grid, placed at ``row``/``col`` (0-based) and spanning rows and columns.

    ``flat`` says whether the label belongs in a flattened (Markdown) column header: the
    “申请人情况” band over all of table 三 does not, it would only repeat on every column.
    """

    label: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    flat: bool = True

    @property
    def scope(self) -> str:
        return "colgroup" if self.colspan > 1 else "col"


def flat_headers(cells: Sequence[HeaderCell]) -> list[str]:
    """One label per column: the labels over it, outermost first, joined with “·”."""
    width = max(cell.col + cell.colspan for cell in cells)
    labels: list[list[str]] = [[] for _ in range(width)]
    for cell in sorted(cells, key=lambda c: (c.row, c.col)):
        if cell.flat:
            for col in range(cell.col, cell.col + cell.colspan):
                labels[col].append(cell.label)
    return ["·".join(parts) for parts in labels]


def header_rows(cells: Sequence[HeaderCell]) -> list[list[HeaderCell]]:
    """The cells grouped by the row they start in, left to right (as an HTML table writes them)."""
    rows: list[list[HeaderCell]] = [[] for _ in range(max(c.row + c.rowspan for c in cells))]
    for cell in sorted(cells, key=lambda c: (c.row, c.col)):
        rows[cell.row].append(cell)
    return rows


# --- table 二 -------------------------------------------------------------------------------------

Value = int | Decimal

_DOCUMENT_HEADERS = ("本年制发件数", "本年废止件数", "现行有效件数")
_DECISION_HEADERS = ("本年处理决定数量",)
_FEE_HEADERS = ("本年收费金额（单位：万元）",)


@dataclass(frozen=True)
class Block:
    """One 第二十条 item of table 二: its band, the column headers after 信息内容, its rows."""

    item: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Value, ...]], ...]

    @property
    def is_fee(self) -> bool:
        return self.headers == _FEE_HEADERS


def _table2_row(row: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[Value, ...]]:
    if "issued" in row:
        return _DOCUMENT_HEADERS, (int(row["issued"]), int(row["repealed"]), int(row["in_force"]))
    if "decisions" in row:
        return _DECISION_HEADERS, (int(row["decisions"]),)
    if "amount_10k_yuan" in row:
        return _FEE_HEADERS, (Decimal(str(row["amount_10k_yuan"])),)
    raise ValueError(f"table 二 row of unknown shape: {sorted(row)}")


def table2_blocks(report: Mapping[str, Any]) -> list[Block]:
    """Table 二 in the official layout: consecutive rows of one item (and one shape) form a block."""
    blocks: list[Block] = []
    for row in report["table2"]["rows"]:
        headers, values = _table2_row(row)
        line = (str(row["label"]), values)
        if blocks and blocks[-1].item == row["item"] and blocks[-1].headers == headers:
            last = blocks.pop()
            blocks.append(Block(last.item, headers, (*last.rows, line)))
        else:
            blocks.append(Block(str(row["item"]), headers, (line,)))
    return blocks


# --- table 三 -------------------------------------------------------------------------------------

TABLE3_BAND = "申请人情况"
RESULTS_HEADING = "三、本年度办理结果"
_TOP_LEVEL = frozenset({"new", "carried_over", "carried_forward"})


@dataclass(frozen=True)
class Line:
    """A row of table 三 as printed: a label at an indentation level, and its cells (None: a heading)."""

    label: str
    level: int
    cells: tuple[int, ...] | None


def table3_codes(report: Mapping[str, Any]) -> list[str]:
    return [str(column["code"]) for column in report["table3"]["columns"]]


def table3_header(report: Mapping[str, Any]) -> list[HeaderCell]:
    """The corner cell (the note), the 申请人情况 band, the columns with 法人或其他组织 over its five."""
    table3 = report["table3"]
    columns = table3["columns"]
    group = table3.get("column_group") or {"label": "", "codes": []}
    grouped = set(group["codes"])
    cells = [
        HeaderCell(str(table3["note"]), 0, 0, rowspan=3),
        HeaderCell(TABLE3_BAND, 0, 1, colspan=len(columns), flat=False),
    ]
    col = 1
    for in_group, run in groupby(columns, key=lambda c: c["code"] in grouped):
        members = list(run)
        if in_group:
            cells.append(HeaderCell(str(group["label"]), 1, col, colspan=len(members)))
            cells.extend(HeaderCell(str(m["label"]), 2, col + i) for i, m in enumerate(members))
        else:
            cells.extend(HeaderCell(str(m["label"]), 1, col + i, rowspan=2) for i, m in enumerate(members))
        col += len(members)
    return cells


def table3_lines(report: Mapping[str, Any]) -> list[Line]:
    """The rows in the given order, with the headings that have no cells of their own put back."""
    codes = table3_codes(report)
    lines: list[Line] = []
    in_results = False
    group: str | None = None
    for row in report["table3"]["rows"]:
        cells = tuple(int(row["cells"][code]) for code in codes)
        if row["code"] in _TOP_LEVEL:
            lines.append(Line(str(row["label"]), 0, cells))
            group = None
            continue
        if not in_results:
            lines.append(Line(RESULTS_HEADING, 0, None))
            in_results = True
        if row.get("group") and row["group"] != group:
            group = str(row["group"])
            lines.append(Line(group, 1, None))
        elif not row.get("group"):
            group = None
        lines.append(Line(str(row["label"]), 2 if group else 1, cells))
    return lines


# --- table 四 -------------------------------------------------------------------------------------

TABLE4_BLOCKS = (
    ("reconsideration", "行政复议", None),
    ("litigation_direct", "行政诉讼", "未经复议直接起诉"),
    ("litigation_after_reconsideration", "行政诉讼", "复议后起诉"),
)
TABLE4_COLUMNS = (
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)


def table4_header() -> list[HeaderCell]:
    """行政复议 over its five columns (each two rows tall); 行政诉讼 over ten, in two sub-blocks of five."""
    width = len(TABLE4_COLUMNS)
    cells: list[HeaderCell] = []
    col = 0
    for _, top, sub in TABLE4_BLOCKS:
        if sub is None:
            cells.append(HeaderCell(top, 0, col, colspan=width))
            cells.extend(HeaderCell(label, 1, col + i, rowspan=2) for i, (_, label) in enumerate(TABLE4_COLUMNS))
        else:
            if not any(c.row == 0 and c.label == top for c in cells):
                span = sum(width for _, t, s in TABLE4_BLOCKS if t == top and s is not None)
                cells.append(HeaderCell(top, 0, col, colspan=span))
            cells.append(HeaderCell(sub, 1, col, colspan=width))
            cells.extend(HeaderCell(label, 2, col + i) for i, (_, label) in enumerate(TABLE4_COLUMNS))
        col += width
    return cells


def table4_values(report: Mapping[str, Any]) -> list[int]:
    """The one data row: 15 integers, block by block."""
    table4 = report["table4"]
    return [int(table4[kind][code]) for kind, _, _ in TABLE4_BLOCKS for code, _ in TABLE4_COLUMNS]


# --- checks and the seed-era figures ---------------------------------------------------------------

CHECKS_TITLE = "附一、数据校验结果"
SUMMARY_TITLE = "附二、历年可比口径数据"
ANNEX_NOTE = "（附录供核对使用，不属于年度报告正文。）"

SUMMARY_LABELS = {
    "documents_published": "主动公开政府信息（条）",
    "applications_received": "收到申请（件）",
    "applications_carried_over": "上年结转申请（件）",
    "applications_handled": "办结申请（件）",
    "applications_carried_forward": "结转下年度继续办理（件）",
    "applications_on_time": "申请按时办结率",
    "reconsiderations": "行政复议（件）",
    "lawsuits": "行政诉讼（件）",
    "consultations": "在线咨询办理（件）",
    "mailbox_letters": "信箱来信办理（件）",
    "letters_on_time_rate": "信箱来信按时办结率",
    "letters_first_pass_rate": "信箱来信一次性办结率",
    "proposals": "建议提案办理（件）",
    "proposals_reply_rate": "建议提案办复率",
    "proposals_satisfaction_rate": "建议提案满意率",
}


def summary_lines(report: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(label, value) in a fixed order; a figure without a label here keeps its key (shown last)."""
    summary = report.get("summary") or {}
    known = [(label, summary[key]) for key, label in SUMMARY_LABELS.items() if key in summary]
    return known + [(str(key), summary[key]) for key in sorted(summary) if key not in SUMMARY_LABELS]


def summary_text(value: Any) -> str:
    """A figure as read: an integer, or a rate as “分子/分母（百分比）”, “—” when there is no rate."""
    if isinstance(value, Mapping):
        if value.get("value") is None:
            return "—"
        return f"{value['numerator']}/{value['denominator']}（{Decimal(str(value['value'])) * 100:.1f}%）"
    return "—" if value is None else str(value)


def check_lines(report: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(rule, 通过/未通过, detail) per check; a failed warning reads “未通过（提示）”."""
    lines = []
    for check in report.get("checks") or []:
        if check["passed"]:
            status, detail = "通过", "—"
        else:
            status = "未通过（提示）" if check.get("severity") == "warning" else "未通过"
            detail = str(check.get("detail") or "")
        lines.append((str(check["rule"]), status, detail))
    return lines
