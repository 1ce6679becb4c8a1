"""The annual report as GitHub-flavoured Markdown. Pure.

Markdown cannot merge cells: a merged header is written into the headers under it
(“法人或其他组织·商业企业”), table 二's 第二十条 blocks become one small table each, and the
heading rows of table 三 are rows with empty cells. Text from the report is escaped so that it
reads as written: no markup, no raw HTML, no table breaking out of its cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from services.stats import render as layout

__all__ = ["escape_cell", "escape_inline", "escape_paragraph", "render_markdown"]

# Every ASCII punctuation character may be backslash-escaped in CommonMark; these are the ones
# that can start markup inside a line (emphasis, code, links, raw HTML, entities, table pipes).
_INLINE = re.compile(r"([\\`*_\[\]<>|&~!])")
# Line starts that make a block when the line stands alone: headings, quotes, lists, rules.
_HEADING = re.compile(r"^(#{1,6})(?=\s|$)")
_BULLET = re.compile(r"^([-+])(?=\s|$)")
_ORDERED = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_RULE = re.compile(r"^-(?=(?:[ \t]*-){2,}[ \t]*$)")


def escape_inline(text: str) -> str:
    """``text`` with every character that could start inline markup backslash-escaped."""
    return _INLINE.sub(r"\\\1", text)


def escape_paragraph(text: str) -> str:
    """One line of prose as a paragraph that renders as the text itself."""
    text = escape_inline(text.strip())
    text = _HEADING.sub(lambda m: "\\" + m.group(1), text)
    text = _BULLET.sub(r"\\\1", text)
    text = _ORDERED.sub(r"\1\\\2", text)
    return _RULE.sub(r"\\-", text)


def escape_cell(text: object) -> str:
    """A table cell: escaped, on one line."""
    return escape_inline(" ".join(str(text).split()))


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric_from: int = 1) -> list[str]:
    aligns = [":---" if i < numeric_from else ":---:" for i in range(len(headers))]
    lines = ["| " + " | ".join(escape_cell(h) for h in headers) + " |", "| " + " | ".join(aligns) + " |"]
    lines.extend("| " + " | ".join(escape_cell(cell) for cell in row) + " |" for row in rows)
    return lines


def _table2(report: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for block in layout.table2_blocks(report):
        out += [f"**{escape_inline(block.item)}**", ""]
        out += _table(("信息内容", *block.headers), [(label, *values) for label, values in block.rows])
        out.append("")
    return out


def _table3(report: Mapping[str, Any]) -> list[str]:
    headers = layout.flat_headers(layout.table3_header(report))
    width = len(headers) - 1
    rows = [
        (line.label, *(line.cells if line.cells is not None else ("",) * width)) for line in layout.table3_lines(report)
    ]
    return [*_table(headers, rows), ""]


def _table4(report: Mapping[str, Any]) -> list[str]:
    headers = layout.flat_headers(layout.table4_header())
    return [*_table(headers, [layout.table4_values(report)], numeric_from=0), ""]


def render_markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown text, ending in one newline."""
    out = [f"# {escape_inline(str(report['title']))}", ""]
    tables = {2: _table2, 3: _table3, 4: _table4}
    for section in report["sections"]:
        number = int(section["number"])
        out += [f"## {escape_inline(str(section['title']))}", ""]
        if number in tables:
            for paragraph in layout.paragraphs(section.get("text")):
                out += [escape_paragraph(paragraph), ""]
            out += tables[number](report)
            continue
        for paragraph in layout.paragraphs(section.get("text")) or ["（未填写）"]:
            out += [escape_paragraph(paragraph), ""]
    out += [f"## {escape_inline(layout.CHECKS_TITLE)}", "", escape_paragraph(layout.ANNEX_NOTE), ""]
    out += [*_table(("校验规则", "结果", "说明"), layout.check_lines(report), numeric_from=3), ""]
    out += [f"## {escape_inline(layout.SUMMARY_TITLE)}", ""]
    summary = [(label, layout.summary_text(value)) for label, value in layout.summary_lines(report)]
    out += [*_table(("项目", f"{report.get('year', '')}年"), summary), ""]
    return "\n".join(out).rstrip("\n") + "\n"
