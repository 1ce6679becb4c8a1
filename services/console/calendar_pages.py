"""管理 · 工作日历 in the console (admins only): which years are provisional, the loaded 放假安排, loading a year.

Reads ``GET /api/v1/admin/calendar`` and writes ``PUT /api/v1/admin/calendar/years/{year}`` as the
signed-in admin. A year is *provisional* while neither the bundled calendar nor a loaded notice knows
it: deadlines that count days in it use the rule (weekends off, no holidays) and are marked 暂定 until
its notice is loaded, which makes them exact everywhere.
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from gongkai.auth import Role
from gongkai.clock import Clock
from services.console.api_client import ApiError, ApiUnavailable
from services.console.web import PREFIX, SECURITY_HEADERS, Console, Form, SignedInUser, first

__all__ = ["calendar_router", "parse_notice"]

KIND_LABELS = {"holiday": "放假", "workday": "调休上班"}
DONE = {"loaded": "放假安排已载入，该年度的答复期限按正式安排计算。"}
_MAX_HOLIDAYS = 80
_MAX_WORKDAYS = 30
_MAX_NOTE = 200
_DAY = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def calendar_router(console: Console, clock: Clock) -> APIRouter:
    pages = APIRouter(prefix=f"{PREFIX}/admin", include_in_schema=False)

    @pages.get("/calendar", response_class=HTMLResponse)
    async def show(
        request: Request,
        done: Annotated[str, Query(max_length=30)] = "",
        year: Annotated[str, Query(max_length=10)] = "",
    ) -> Response:
        """The calendar; ``?year=`` puts that year's loaded notice into the form, to correct and load again."""
        user = await console.allowed(request, (Role.ADMIN,), "管理工作日历")
        if not isinstance(user, SignedInUser):
            return user
        return await _page(console, request, user, clock, [], DONE.get(done, ""), 200, {}, edit=year)

    @pages.post("/calendar", response_class=HTMLResponse)
    async def load(request: Request) -> Response:
        allowed = await console.allowed_post(request, (Role.ADMIN,), "管理工作日历")
        if not isinstance(allowed, tuple):
            return allowed
        user, form = allowed
        values = {name: first(form, name) for name in ("year", "holidays", "workdays", "note")}
        year, body, errors = parse_notice(form)
        if body is None:
            return await _page(console, request, user, clock, errors, "", 422, values)
        try:
            await user.api.put(f"/api/v1/admin/calendar/years/{year}", body)
        except ApiError as exc:
            if exc.status == 422:
                errors = [f"{year}年放假安排未载入：", *_refusal(exc, year), "本次未作任何记录。"]
                return await _page(console, request, user, clock, errors, "", 422, values)
            return console.api_failure(request, user, exc, missing=None, doing="管理工作日历")
        except ApiUnavailable as exc:
            return console.api_failure(request, user, exc, missing=None, doing="管理工作日历")
        return Response(
            status_code=303, headers={**SECURITY_HEADERS, "Location": f"{PREFIX}/admin/calendar?done=loaded"}
        )

    return pages


def parse_notice(form: Form) -> tuple[int, dict[str, Any] | None, list[str]]:
    """The year, its 放假日 and 调休上班日 (one date per line, ``2027-01-01``) and the note."""
    errors: list[str] = []
    raw_year = first(form, "year").strip()
    year = int(raw_year) if re.fullmatch(r"\d{4}", raw_year) else 0
    if not 2000 <= year <= 2100:
        errors.append(f"年度应为 2000 到 2100 之间的四位数字，现为“{raw_year}”。")
    holidays = _days(first(form, "holidays"), "放假日期", errors)
    workdays = _days(first(form, "workdays"), "调休上班日期", errors)
    if not holidays and not any(e.startswith("放假日期") for e in errors):
        errors.append("放假日期：至少填写一天（每行一个日期）。")
    if len(holidays) > _MAX_HOLIDAYS:
        errors.append(f"放假日期：最多 {_MAX_HOLIDAYS} 天，现为 {len(holidays)} 天。")
    if len(workdays) > _MAX_WORKDAYS:
        errors.append(f"调休上班日期：最多 {_MAX_WORKDAYS} 天，现为 {len(workdays)} 天。")
    note = first(form, "note").strip()
    if len(note) > _MAX_NOTE:
        errors.append(f"说明：不能超过 {_MAX_NOTE} 个字符。")
    if errors:
        return year, None, [*errors, "放假安排未载入，本次未作任何记录。"]
    body = {"holidays": [d.isoformat() for d in holidays], "workdays": [d.isoformat() for d in workdays], "note": note}
    return year, body, []


def _days(text: str, what: str, errors: list[str]) -> list[date]:
    found: list[date] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = _DAY.match(line)
        try:
            day = date(*(int(part) for part in match.groups())) if match else None
        except ValueError:
            day = None
        if day is None:
            errors.append(f"{what}第 {number} 行“{line[:40]}”不是有效日期（应为 2027-01-01 这样的格式）。")
        elif day not in found:
            found.append(day)
    return sorted(found)


async def _page(
    console: Console,
    request: Request,
    user: SignedInUser,
    clock: Clock,
    errors: list[str],
    done: str,
    status: int,
    values: dict[str, str],
    *,
    edit: str = "",
) -> Response:
    calendar = await console.fetch(request, user, "/api/v1/admin/calendar", missing=None, doing="管理工作日历")
    if isinstance(calendar, Response):
        return calendar
    this_year = clock.today().year
    provisional = [int(y) for y in calendar.get("provisional_years", [])]
    by_year: dict[int, list[dict[str, Any]]] = {}
    for override in calendar.get("overrides", []):
        by_year.setdefault(int(override["date"][:4]), []).append(override)
    default_year = next((y for y in provisional if y >= this_year), this_year + 1)
    notices = {int(n["year"]): n for n in calendar.get("notices", [])}
    if edit.isdigit() and int(edit) in notices and not values:
        values = _form_values(notices[int(edit)])
    context = {
        "this_year": this_year,
        "checked_years": list(range(this_year - 1, this_year + 3)),
        "provisional": provisional,
        "loaded": [int(y) for y in calendar.get("loaded_years", [])],
        "overrides": calendar.get("overrides", []),
        "notices": [_shown(notice) for _, notice in sorted(notices.items())],
        "by_year": by_year,
        "kind_labels": KIND_LABELS,
        "values": {"year": str(default_year), "holidays": "", "workdays": "", "note": ""} | values,
        "errors": errors,
        "done": done,
        "form_id": secrets.token_urlsafe(18),
        "csrf_token": user.session.csrf_token,
    }
    return console.page(request, "calendar.html", context, user=user, status=status)


_OUTSIDE = re.compile(r"notice (holiday|workday)s outside the year: (.+)$")
_BOTH = re.compile(r"lists (.+) as both holiday and workday")
_ITEM = re.compile(r"^(?:body\.)?(holidays|workdays)\.(\d+)$")


def _refusal(exc: ApiError, year: int) -> list[str]:
    """The calendar API's 422 in Chinese (its messages are the calendar's own, in English)."""
    what = {"holidays": "放假日期", "workdays": "调休上班日期", "holiday": "放假日期", "workday": "调休上班日期"}
    found = exc.problem.get("errors")
    items = found if isinstance(found, list) and found else [{"field": "", "message": exc.detail}]
    lines: list[str] = []
    for item in items:
        field = str(item.get("field", "")) if isinstance(item, dict) else ""
        message = str(item.get("message", "")) if isinstance(item, dict) else str(item)
        if outside := _OUTSIDE.search(message):
            lines.append(f"{what[outside.group(1)]}中有不属于{year}年放假安排的日期：{_listed(outside.group(2))}。")
        elif both := _BOTH.search(message):
            lines.append(f"以下日期同时列为放假日和调休上班日：{_listed(both.group(1))}。")
        elif entry := _ITEM.match(field):
            lines.append(f"{what[entry.group(1)]}第 {int(entry.group(2)) + 1} 个日期无效。")
        else:
            label = what.get(field.removeprefix("body."), "日历数据")
            lines.append(f"{label}有误（系统校验未通过：{message}）。")
    return lines


def _listed(days: str) -> str:
    """``['2028-05-01', '2028-05-02']`` (the calendar's message) as ``2028-05-01、2028-05-02``."""
    return "、".join(re.findall(r"\d{4}-\d{2}-\d{2}", days)) or days


def _form_values(notice: dict[str, Any]) -> dict[str, str]:
    """A loaded notice as the load form's values (one date per line)."""
    return {
        "year": str(notice["year"]),
        "holidays": "\n".join(notice["holidays"]),
        "workdays": "\n".join(notice["workdays"]),
        "note": str(notice.get("note", "")),
    }


def _shown(notice: dict[str, Any]) -> dict[str, Any]:
    """A loaded notice for the page: its rest days as runs of consecutive days, its 调休 working days."""
    holidays = [date.fromisoformat(d) for d in notice["holidays"]]
    return {
        "year": int(notice["year"]),
        "note": str(notice.get("note", "")),
        "holiday_runs": [_run(run) for run in _consecutive(holidays)],
        "holiday_count": len(holidays),
        "workdays": [_day(date.fromisoformat(d)) for d in notice["workdays"]],
    }


def _consecutive(days: list[date]) -> list[list[date]]:
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


_WEEKDAYS = "一二三四五六日"


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（星期{_WEEKDAYS[day.weekday()]}）"


def _run(run: list[date]) -> str:
    """``2027年10月1日（星期五）至10月7日（星期四），共7天`` or one day."""
    first, last = run[0], run[-1]
    if first == last:
        return _day(first)
    end = f"{last.month}月{last.day}日" if last.year == first.year else f"{last.year}年{last.month}月{last.day}日"
    return f"{_day(first)}至{end}（星期{_WEEKDAYS[last.weekday()]}），共{len(run)}天"
