"""年度报告 in the console: the year's report (six sections, tables 二 三 四, the checks), staff entries, downloads.

Every page reads and writes through the stats API as the signed-in user (``GET
/api/v1/reports/annual/{year}``, ``PUT …/table2``, ``PUT …/sections/{1|5|6}``); the console only lays the
JSON out in the official 2021 format and checks the forms' values in Chinese before the API checks them
again. The downloads (md, html, xlsx) are the API's own renderings, fetched as the user and handed on
as attachments. ``PUT`` has no ``Idempotency-Key`` replay, so a form submitted twice is recognised by
its values: when the report already holds exactly what was posted, nothing is sent again.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from gongkai.auth import Role
from gongkai.clock import Clock
from services.console.api_client import ApiError, ApiUnavailable
from services.console.web import PREFIX, SECURITY_HEADERS, Console, Form, SignedInUser, first, form_key, see_other

__all__ = ["FORMATS", "report_router"]

#: Who may read the report (the API's ``Staff``) and who may enter figures and prose (``Clerk``).
READ = (Role.CLERK, Role.REVIEWER, Role.PUBLISHER)
EDIT = (Role.CLERK,)
FIRST_YEAR = 2008  # the 条例 took effect on 2008-05-01; the API refuses earlier years
PROSE_SECTIONS = (1, 5, 6)
FORMATS = {"md": "Markdown", "html": "网页（可打印）", "xlsx": "Excel"}
#: 表二's staff-entered figures: (field, row label in the report, what the form calls it).
FIGURES = (
    ("licensing_decisions", "行政许可", "行政许可 本年处理决定数量"),
    ("penalty_decisions", "行政处罚", "行政处罚 本年处理决定数量"),
    ("enforcement_decisions", "行政强制", "行政强制 本年处理决定数量"),
)
FEE_LABEL = "行政事业性收费 本年收费金额（单位：万元）"
_MAX_COUNT = 10_000_000
_MAX_FEE = Decimal("9999999999")
_MAX_TEXT = 50_000
TABLE2_HEADERS = {
    "documents": ("本年制发件数", "本年废止件数", "现行有效件数"),
    "decisions": ("本年处理决定数量",),
    "fee": ("本年收费金额（单位：万元）",),
}
TABLE3_BAND = "申请人情况"
RESULTS_HEADING = "三、本年度办理结果"
_TOP_LEVEL = frozenset({"new", "carried_over", "carried_forward"})
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
DONE = {
    "table2": "表二数据已保存。",
    "section1": "第一部分“总体情况”已保存。",
    "section5": "第五部分“存在的主要问题及改进情况”已保存。",
    "section6": "第六部分“其他需要报告的事项”已保存。",
    "replayed": "报告中已是所提交的内容（该表单可能已经提交过），本次未重复记录。",
}
_YEAR = re.compile(r"^\d{4}$")
_RANGE = re.compile(r"between (\d+) and (\d+)")


def report_router(console: Console, clock: Clock) -> APIRouter:
    pages = APIRouter(prefix=PREFIX, include_in_schema=False)

    def last_year() -> int:
        return clock.today().year - 1

    @pages.get("/reports", response_class=HTMLResponse)
    async def choose(request: Request, year: Annotated[str, Query(max_length=10)] = "") -> Response:
        """The navigation's entry and the year selector's target: on to the chosen year (default last year)."""
        user = await console.user(request)
        if not isinstance(user, SignedInUser):
            return user
        chosen = year.strip() if _YEAR.match(year.strip()) else str(last_year())
        return see_other(f"{PREFIX}/reports/{chosen}")

    @pages.get("/reports/{year}", response_class=HTMLResponse)
    async def show(request: Request, year: str, done: Annotated[str, Query(max_length=30)] = "") -> Response:
        user = await console.allowed(request, (*READ,), "查看年度报告")
        if not isinstance(user, SignedInUser):
            return user
        if not _YEAR.match(year):
            return console.message(request, "未找到", "年份应为四位数字，例如 2025。", user=user, status=404)
        return await _report_page(console, request, user, clock, int(year), [], DONE.get(done, ""), 200)

    @pages.post("/reports/{year}/table2", response_class=HTMLResponse)
    async def enter_figures(request: Request, year: str) -> Response:
        allowed = await console.allowed_post(request, (*EDIT,), "填报年度报告")
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        if not _YEAR.match(year):
            return console.message(request, "未找到", "年份应为四位数字，例如 2025。", user=user, status=404)
        values = {name: first(form, name).strip() for name, _, _ in FIGURES} | {
            "fees_10k_yuan": first(form, "fees_10k_yuan").strip()
        }
        body, errors = parse_figures(form)
        if body is None:
            return await _report_page(console, request, user, clock, int(year), errors, "", 422, posted=values)
        path = f"/api/v1/reports/annual/{year}"
        try:
            current = await user.api.get(path)
            if _figures_saved(current) == body:
                return _done(year, "replayed")
            await user.api.put(f"{path}/table2", body, idempotency_key=form_key(form))
        except ApiError as exc:
            if exc.status == 422:
                errors = ["表二数据未保存：", *_refusal(exc)]
                return await _report_page(console, request, user, clock, int(year), errors, "", 422, posted=values)
            return console.api_failure(request, user, exc, missing="未找到该年度报告。")
        except ApiUnavailable as exc:
            return console.api_failure(request, user, exc, missing="未找到该年度报告。")
        return _done(year, "table2")

    @pages.post("/reports/{year}/sections/{number}", response_class=HTMLResponse)
    async def save_section(request: Request, year: str, number: str) -> Response:
        allowed = await console.allowed_post(request, (*EDIT,), "编辑年度报告")
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        if not _YEAR.match(year):
            return console.message(request, "未找到", "年份应为四位数字，例如 2025。", user=user, status=404)
        if number not in {str(n) for n in PROSE_SECTIONS}:
            text = "只能编辑第一、五、六部分；第二、三、四部分是根据办理记录统计的表格。本次未作任何记录。"
            return console.message(request, "无法保存", text, user=user, status=422)
        text = first(form, "text").replace("\r\n", "\n").replace("\r", "\n").strip()
        posted = {f"section{number}": text}
        errors = []
        if not text:
            errors.append("内容不能为空；本次未作任何记录。")
        elif len(text) > _MAX_TEXT:
            errors.append(f"内容不能超过 {_MAX_TEXT} 个字符（现为 {len(text)} 个）；本次未作任何记录。")
        if errors:
            return await _report_page(console, request, user, clock, int(year), errors, "", 422, posted=posted)
        path = f"/api/v1/reports/annual/{year}"
        try:
            current = await user.api.get(path)
            saved: dict[str, Any] = next((s for s in current["sections"] if str(s["number"]) == number), {})
            if saved.get("saved_at") and saved.get("text") == text:
                return _done(year, "replayed")
            await user.api.put(f"{path}/sections/{number}", {"text": text}, idempotency_key=form_key(form))
        except ApiError as exc:
            if exc.status == 422:
                errors = [f"第{_NUMERALS[int(number)]}部分未保存：", *_refusal(exc)]
                return await _report_page(console, request, user, clock, int(year), errors, "", 422, posted=posted)
            return console.api_failure(request, user, exc, missing="未找到该年度报告。")
        except ApiUnavailable as exc:
            return console.api_failure(request, user, exc, missing="未找到该年度报告。")
        return _done(year, f"section{number}")

    @pages.get("/reports/{year}/download.{fmt}")
    async def download(request: Request, year: str, fmt: str) -> Response:
        user = await console.allowed(request, (*READ,), "下载年度报告")
        if not isinstance(user, SignedInUser):
            return user
        if not _YEAR.match(year) or fmt not in FORMATS:
            return console.message(request, "未找到", "没有这种格式的年度报告。", user=user, status=404)
        try:
            answer = await user.api.file(f"/api/v1/reports/annual/{year}", {"format": fmt})
        except ApiError as exc:
            if exc.status == 422:
                return console.message(request, "无法下载", _year_message(exc), user=user, status=422)
            return console.api_failure(request, user, exc, missing="未找到该年度报告。")
        except ApiUnavailable as exc:
            return console.api_failure(request, user, exc, missing="未找到该年度报告。")
        filename = f"{year}年政府信息公开工作年度报告.{fmt}"
        disposition = f"attachment; filename=\"annual-report-{year}.{fmt}\"; filename*=UTF-8''{quote(filename)}"
        headers = {**SECURITY_HEADERS, "Content-Disposition": disposition}
        media_type = answer.headers.get("content-type", "application/octet-stream")
        return Response(answer.content, media_type=media_type, headers=headers)

    return pages


# Forms ---------------------------------------------------------------------------------------------


def parse_figures(form: Form) -> tuple[dict[str, Any] | None, list[str]]:
    """表二's four figures: whole numbers ≥ 0 and an amount ≥ 0 with at most four decimals (万元)."""
    errors: list[str] = []
    body: dict[str, Any] = {}
    for name, _, label in FIGURES:
        value = first(form, name).strip()
        if not re.fullmatch(r"\d{1,8}", value) or int(value) > _MAX_COUNT:
            errors.append(f"{label}：应填写 0 到 {_MAX_COUNT} 之间的整数（不能为负数或小数），现为“{value}”。")
        else:
            body[name] = int(value)
    fee = first(form, "fees_10k_yuan").strip()
    try:
        amount = Decimal(fee) if re.fullmatch(r"\d{1,10}(\.\d{1,4})?", fee) else None
    except InvalidOperation:
        amount = None
    if amount is None or amount > _MAX_FEE:
        errors.append(f"{FEE_LABEL}：应填写不小于 0 的金额，最多四位小数（例如 1.25），现为“{fee}”。")
    else:
        body["fees_10k_yuan"] = _amount(amount)
    if errors:
        return None, [*errors, "表二数据未保存，本次未作任何记录。"]
    return body, []


def _figures_saved(report: dict[str, Any]) -> dict[str, Any] | None:
    """The figures staff last entered for the year (None when nothing was entered yet)."""
    table2 = report["table2"]
    if not table2.get("entered_at"):
        return None
    rows = {row["label"]: row for row in table2["rows"]}
    saved: dict[str, Any] = {name: int(rows[label]["decisions"]) for name, label, _ in FIGURES}
    saved["fees_10k_yuan"] = _amount(rows["行政事业性收费"]["amount_10k_yuan"])
    return saved


def _amount(value: Any) -> str:
    """An amount as the form shows it: no trailing zeros, no exponent (``1.2500`` → ``1.25``, 100 → ``100``)."""
    return f"{Decimal(str(value)).normalize():f}"


_NUMERALS = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六"}


async def _report_page(
    console: Console,
    request: Request,
    user: SignedInUser,
    clock: Clock,
    year: int,
    errors: list[str],
    done: str,
    status: int,
    *,
    posted: dict[str, str] | None = None,
) -> Response:
    this_year = clock.today().year
    context: dict[str, Any] = {
        "year": year,
        "years": list(range(this_year, FIRST_YEAR - 1, -1)),
        "report": None,
        "errors": errors,
        "done": done,
        "formats": FORMATS,
        "may_edit": user.may(*EDIT),
        "csrf_token": user.session.csrf_token,
    }
    try:
        report = await user.api.get(f"/api/v1/reports/annual/{year}")
    except ApiError as exc:
        if exc.status != 422:
            return console.api_failure(request, user, exc, missing="未找到该年度报告。")
        context["errors"] = [*errors, _year_message(exc)]
        return console.page(request, "report.html", context, user=user, status=422)
    except ApiUnavailable as exc:
        return console.api_failure(request, user, exc, missing="未找到该年度报告。")
    posted = posted or {}
    figures = _figures_saved(report) or _figures_shown(report)
    context |= {
        "report": report,
        "table2": _table2_blocks(report),
        "table2_entered": report["table2"].get("entered_by"),
        "table2_entered_at": report["table2"].get("entered_at"),
        "table3_header": _table3_header(report),
        "table3_lines": _table3_lines(report),
        "table4_blocks": TABLE4_BLOCKS,
        "table4_columns": TABLE4_COLUMNS,
        "figures": [(name, label, posted.get(name, str(figures[name]))) for name, _, label in FIGURES],
        "fee_label": FEE_LABEL,
        "fee_value": posted.get("fees_10k_yuan", str(figures["fees_10k_yuan"])),
        "section_text": {
            s["number"]: posted.get(f"section{s['number']}", s.get("text") or "") for s in report["sections"]
        },
        "form_ids": {name: secrets.token_urlsafe(18) for name in ("table2", "section1", "section5", "section6")},
        "failed": [c for c in report["checks"] if not c["passed"]],
    }
    return console.page(request, "report.html", context, user=user, status=status)


def _figures_shown(report: dict[str, Any]) -> dict[str, Any]:
    rows = {row["label"]: row for row in report["table2"]["rows"]}
    shown: dict[str, Any] = {name: int(rows[label].get("decisions", 0)) for name, label, _ in FIGURES}
    shown["fees_10k_yuan"] = _amount(rows["行政事业性收费"].get("amount_10k_yuan", "0"))
    return shown


def _table2_blocks(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Table 二 in the official layout: consecutive rows of one 第二十条 item and one shape form a block."""
    blocks: list[dict[str, Any]] = []
    for row in report["table2"]["rows"]:
        if "issued" in row:
            shape, values = "documents", [row["issued"], row["repealed"], row["in_force"]]
        elif "decisions" in row:
            shape, values = "decisions", [row["decisions"]]
        else:
            shape, values = "fee", [row.get("amount_10k_yuan", "")]
        if blocks and blocks[-1]["item"] == row["item"] and blocks[-1]["shape"] == shape:
            blocks[-1]["rows"].append((row["label"], values))
        else:
            blocks.append(
                {
                    "item": row["item"],
                    "shape": shape,
                    "headers": TABLE2_HEADERS[shape],
                    "rows": [(row["label"], values)],
                }
            )
    return blocks


def _table3_header(report: dict[str, Any]) -> dict[str, Any]:
    """The three header rows: the note (corner), 申请人情况, then 自然人 | 法人或其他组织 (over five) | 总计."""
    table3 = report["table3"]
    columns = table3["columns"]
    group = table3.get("column_group") or {"label": "", "codes": []}
    grouped = set(group["codes"])
    second: list[dict[str, Any]] = []
    third: list[str] = []
    for column in columns:
        if column["code"] in grouped:
            if not second or second[-1].get("group") is not True:
                second.append({"label": group["label"], "colspan": 0, "rowspan": 1, "group": True})
            second[-1]["colspan"] += 1
            third.append(column["label"])
        else:
            second.append({"label": column["label"], "colspan": 1, "rowspan": 2, "group": False})
    return {"note": table3["note"], "band": TABLE3_BAND, "width": len(columns), "second": second, "third": third}


def _table3_lines(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row in the API's order, with the headings that have no cells of their own put back."""
    codes = [column["code"] for column in report["table3"]["columns"]]
    lines: list[dict[str, Any]] = []
    in_results = False
    group: str | None = None
    for row in report["table3"]["rows"]:
        cells = [row["cells"][code] for code in codes]
        if row["code"] in _TOP_LEVEL:
            lines.append({"label": row["label"], "level": 0, "cells": cells, "code": row["code"]})
            group = None
            continue
        if not in_results:
            lines.append({"label": RESULTS_HEADING, "level": 0, "cells": None, "code": ""})
            in_results = True
        if row.get("group") and row["group"] != group:
            group = str(row["group"])
            lines.append({"label": group, "level": 1, "cells": None, "code": ""})
        elif not row.get("group"):
            group = None
        lines.append({"label": row["label"], "level": 2 if group else 1, "cells": cells, "code": row["code"]})
    return lines


# Answers -------------------------------------------------------------------------------------------


def _done(year: str, what: str) -> Response:
    return see_other(f"{PREFIX}/reports/{year}?done={what}")


def _year_message(exc: ApiError) -> str:
    found = _RANGE.search(exc.detail)
    if found:
        return f"年份超出范围：只能查看{found.group(1)}年至{found.group(2)}年的年度报告（《条例》自2008年施行）。"
    return f"无法生成该年度的报告：{exc.problem.get('title') or '请求参数有误'}。"


_FIELD_LABELS = {name: label for name, _, label in FIGURES} | {
    "fees_10k_yuan": FEE_LABEL,
    "text": "正文",
    "year": "年份",
    "number": "部分",
}


def _refusal(exc: ApiError) -> list[str]:
    found = exc.problem.get("errors")
    if not isinstance(found, list) or not found:
        return [f"{exc.problem.get('title') or '提交的内容未通过校验'}，本次未作任何记录。"]
    lines = []
    for item in found:
        field = str(item.get("field", "")) if isinstance(item, dict) else ""
        field = field.removeprefix("body.")
        if field == "year":
            lines.append(_year_message(exc))
            continue
        label = _FIELD_LABELS.get(field, field or "提交的内容")
        lines.append(f"{label}：数值无效（系统校验未通过，本次未作任何记录）")
    return lines
