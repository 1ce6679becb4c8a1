"""The annual report as an XLSX workbook (openpyxl), byte-reproducible. Pure.

Sheets: “说明” (title, the six sections, checks, pre-2019 figures), then “表二”, “表三” and “表四”
in the official layout with merged headers; table 三's note sits in its top-left merged cell.
Integers are numbers, the fee a number shown as ``0.0000``.

Reproducible: the document properties carry a date derived from the report year (1 January of
the year after) instead of the clock, and the zip is rewritten with that date on every entry, in
the same order, so one report gives one sequence of bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from services.stats import render as layout

__all__ = ["SHEETS", "render_xlsx", "stamp_for"]

SHEETS = ("说明", "表二", "表三", "表四")
FEE_FORMAT = "0.0000"
RATE_FORMAT = "0.0%"

_THIN = Side(style="thin", color="000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="EEEEEE")
BLANK_FILL = PatternFill("solid", fgColor="F6F6F6")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LINE_HEIGHT = 15.0  # points per wrapped line at the default 11pt font


def stamp_for(report: Mapping[str, Any]) -> datetime:
    """The fixed date written into the workbook: 1 January after the report year."""
    return datetime(int(report["year"]) + 1, 1, 1)


def render_xlsx(report: Mapping[str, Any]) -> bytes:
    """The workbook for ``report``, as the bytes of an .xlsx file."""
    wb = Workbook()
    notes = wb.active
    notes.title = SHEETS[0]
    _notes(notes, report)
    _table2(wb.create_sheet(SHEETS[1]), report)
    _table3(wb.create_sheet(SHEETS[2]), report)
    _table4(wb.create_sheet(SHEETS[3]), report)
    stamp = stamp_for(report)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = str(report.get("agency") or "")
    wb.properties.lastModifiedBy = None
    wb.properties.title = str(report["title"])
    buffer = BytesIO()
    with ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()  # not wb.save(): that stamps “modified” with the clock
    return _fixed_zip(buffer.getvalue(), stamp)


def _fixed_zip(data: bytes, stamp: datetime) -> bytes:
    """The same entries in the same order, each dated ``stamp`` with fixed attributes."""
    out = BytesIO()
    date_time = (stamp.year, stamp.month, stamp.day, 0, 0, 0)
    with ZipFile(BytesIO(data)) as source, ZipFile(out, "w", ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = ZipInfo(entry.filename, date_time=date_time)
            info.compress_type = ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()


# --- helpers ----------------------------------------------------------------------------------------


def _units(text: str) -> float:
    """Width of ``text`` in Excel column units: a CJK character is about two."""
    return sum(2.0 if ord(ch) >= 0x2E80 else 1.1 for ch in text)


def _lines(text: str, width: float) -> int:
    return max(1, math.ceil(_units(text) / max(width - 1.5, 1.0)))


def _fit_rows(ws: Worksheet, widths: Mapping[int, float], first_row: int = 1) -> None:
    """Row heights for wrapped text (Excel does not grow rows of generated files by itself)."""
    for row in ws.iter_rows(min_row=first_row):
        lines = 1
        for cell in row:
            if isinstance(cell.value, str) and cell.column in widths:
                lines = max(lines, _lines(cell.value, widths[cell.column]))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = lines * LINE_HEIGHT


def _box(ws: Worksheet, row: int, col: int, rowspan: int = 1, colspan: int = 1) -> None:
    """Borders round every cell of a (possibly merged) range, merging it if it spans more than one."""
    for r in range(row, row + rowspan):
        for c in range(col, col + colspan):
            ws.cell(r, c).border = BORDER
    if rowspan > 1 or colspan > 1:
        ws.merge_cells(start_row=row, start_column=col, end_row=row + rowspan - 1, end_column=col + colspan - 1)


def _header(ws: Worksheet, row: int, col: int, label: str, rowspan: int = 1, colspan: int = 1) -> None:
    cell = ws.cell(row, col, label)
    cell.font = BOLD
    cell.alignment = CENTER
    for r in range(row, row + rowspan):
        for c in range(col, col + colspan):
            ws.cell(r, c).fill = HEADER_FILL
    _box(ws, row, col, rowspan, colspan)


def _value(ws: Worksheet, row: int, col: int, value: int | Decimal, colspan: int = 1) -> None:
    cell = ws.cell(row, col, value)
    cell.alignment = CENTER
    if isinstance(value, Decimal):
        cell.number_format = FEE_FORMAT
    _box(ws, row, col, 1, colspan)


def _widths(ws: Worksheet, widths: Mapping[int, float]) -> None:
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width


def _print_setup(ws: Worksheet, *, landscape: bool = False, title_rows: str | None = None) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows


# --- sheets -----------------------------------------------------------------------------------------


def _table2(ws: Worksheet, report: Mapping[str, Any]) -> None:
    width = 4
    row = 1
    for block in layout.table2_blocks(report):
        _header(ws, row, 1, block.item, colspan=width)
        row += 1
        span = (width - 1) // len(block.headers)
        _header(ws, row, 1, "信息内容")
        for i, header in enumerate(block.headers):
            _header(ws, row, 2 + i * span, header, colspan=span)
        row += 1
        for label, values in block.rows:
            ws.cell(row, 1, label).alignment = CENTER
            _box(ws, row, 1)
            for i, value in enumerate(values):
                _value(ws, row, 2 + i * span, value, colspan=span)
            row += 1
    widths = {1: 24.0, 2: 16.0, 3: 16.0, 4: 16.0}
    _widths(ws, widths)
    _print_setup(ws)


def _grid(ws: Worksheet, cells: Sequence[layout.HeaderCell], *, corner: bool = False) -> None:
    for cell in cells:
        _header(ws, cell.row + 1, cell.col + 1, cell.label, cell.rowspan, cell.colspan)
        if corner and cell.row == 0 and cell.col == 0:
            note = ws.cell(1, 1)
            note.font = Font(bold=False, size=10)
            note.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)


def _table3(ws: Worksheet, report: Mapping[str, Any]) -> None:
    header = layout.table3_header(report)
    _grid(ws, header, corner=True)
    depth = max(c.row + c.rowspan for c in header)
    width = len(layout.table3_codes(report))
    row = depth + 1
    for line in layout.table3_lines(report):
        label = ws.cell(row, 1, line.label)
        label.alignment = Alignment(vertical="center", wrap_text=True, indent=2 * line.level)
        _box(ws, row, 1)
        if line.cells is None:
            label.font = BOLD
            for col in range(2, width + 2):
                ws.cell(row, col).fill = BLANK_FILL
                _box(ws, row, col)
        else:
            for i, value in enumerate(line.cells):
                _value(ws, row, 2 + i, value)
        row += 1
    widths = {1: 50.0, **{col: 11.0 for col in range(2, width + 2)}}
    _widths(ws, widths)
    for r in range(1, depth + 1):
        ws.row_dimensions[r].height = 26.0
    _fit_rows(ws, {1: widths[1] - 2}, first_row=depth + 1)  # the indent takes room from the label
    ws.freeze_panes = ws.cell(depth + 1, 2)
    _print_setup(ws, title_rows=f"1:{depth}")


def _table4(ws: Worksheet, report: Mapping[str, Any]) -> None:
    header = layout.table4_header()
    _grid(ws, header)
    depth = max(c.row + c.rowspan for c in header)
    values = layout.table4_values(report)
    for i, value in enumerate(values):
        _value(ws, depth + 1, 1 + i, value)
    _widths(ws, {col: 10.0 for col in range(1, len(values) + 1)})
    for r in range(1, depth + 2):
        ws.row_dimensions[r].height = 22.0
    _print_setup(ws, landscape=True)


def _notes(ws: Worksheet, report: Mapping[str, Any]) -> None:
    widths = {1: 50.0, 2: 16.0, 3: 40.0}
    full = sum(widths.values())
    _widths(ws, widths)
    row = 1

    def prose(text: str, *, font: Font | None = None, link: str | None = None) -> None:
        nonlocal row
        cell = ws.cell(row, 1, text)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        if font is not None:
            cell.font = font
        if link is not None:
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{link}'!A1", display=text)
            cell.font = Font(color="0563C1", underline="single")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        ws.row_dimensions[row].height = _lines(text, full) * (LINE_HEIGHT + (6 if font is TITLE else 0))
        row += 1

    prose(str(report["title"]), font=TITLE)
    row += 1
    sheets = {2: SHEETS[1], 3: SHEETS[2], 4: SHEETS[3]}
    for section in report["sections"]:
        number = int(section["number"])
        prose(str(section["title"]), font=BOLD)
        if number in sheets:
            for paragraph in layout.paragraphs(section.get("text")):
                prose("\u3000\u3000" + paragraph)
            prose(f"见工作表“{sheets[number]}”。", link=sheets[number])
        else:
            for paragraph in layout.paragraphs(section.get("text")) or ["（未填写）"]:
                prose("\u3000\u3000" + paragraph)
        row += 1

    prose(layout.CHECKS_TITLE, font=BOLD)
    prose(layout.ANNEX_NOTE)
    start = row
    for i, label in enumerate(("校验规则", "结果", "说明")):
        _header(ws, row, 1 + i, label)
    row += 1
    for rule, status, detail in layout.check_lines(report):
        for i, text in enumerate((rule, status, detail)):
            cell = ws.cell(row, 1 + i, text)
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            if i == 1 and status != "通过":
                cell.font = BOLD
            _box(ws, row, 1 + i)
        row += 1
    _fit_rows(ws, widths, first_row=start)
    row += 1

    prose(layout.SUMMARY_TITLE, font=BOLD)
    for i, label in enumerate(("项目", f"{report.get('year', '')}年", "分子/分母")):
        _header(ws, row, 1 + i, label)
    row += 1
    for label, value in layout.summary_lines(report):
        ws.cell(row, 1, label).alignment = Alignment(vertical="center", wrap_text=True)
        _box(ws, row, 1)
        figure = ws.cell(row, 2)
        ratio = ws.cell(row, 3)
        if isinstance(value, Mapping):
            if value.get("value") is None:
                figure.value = "—"
            else:
                figure.value = float(value["value"])
                figure.number_format = RATE_FORMAT
            ratio.value = f"{value['numerator']}/{value['denominator']}"
        else:
            figure.value = value if isinstance(value, int) else layout.summary_text(value)
        figure.alignment = ratio.alignment = CENTER
        _box(ws, row, 2)
        _box(ws, row, 3)
        row += 1
    _print_setup(ws)
