"""Inline SVG charts for the annual report page. Pure string building: no JavaScript, no fonts, no clock.

Every chart is an ``<svg role="img">`` with a ``<title>`` (what it shows) and a ``<desc>`` (every
figure, for screen readers); all text from the report is escaped. Zero data draws empty bars and
says so, never divides by zero. Coordinates are written with one decimal, so the same figures
give the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

__all__ = ["CHANNEL_LABELS", "Chart", "horizontal_bar_chart", "monthly_bar_chart", "report_charts"]

#: Short labels for the channel codes of ``charts.channels``.
CHANNEL_LABELS = {
    "internet": "互联网",
    "in_person": "当面",
    "registered_post": "邮寄（挂号）",
    "ordinary_post": "平常信函",
    "fax": "传真",
}

WIDTH = 640
FONT = 12
BAR = "#2f5d8a"
GRID = "#c8c8c8"
INK = "#222"
NO_DATA = "本年无数据"


@dataclass(frozen=True)
class Chart:
    """One chart: an id (for ``aria-labelledby``), a caption to print under it, the SVG markup."""

    id: str
    caption: str
    svg: str


def _n(x: float) -> str:
    """A coordinate, fixed to one decimal (and no “-0.0”)."""
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text


def text_width(text: str, size: float = FONT) -> float:
    """Rough advance width of ``text``: a CJK or full-width character is one em, anything else 0.6 em."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in text)


def nice_ticks(maximum: int, count: int = 4) -> list[int]:
    """Whole-number axis ticks from 0 up to at least ``maximum``, at a step of 1, 2 or 5 × 10ⁿ."""
    if maximum <= 0:
        return [0]
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor * count >= maximum:
                step *= factor
                top = -(-maximum // step) * step
                return list(range(0, top + 1, step))
        step *= 10


def _svg_open(chart_id: str, height: float, title: str, desc: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'width="{WIDTH}" height="{_n(height)}" font-size="{FONT}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )


def monthly_bar_chart(values: Sequence[int], *, chart_id: str, title: str, unit: str = "件") -> str:
    """Twelve vertical bars, 1月 to 12月, with a whole-number axis and each non-zero value on its bar."""
    values = [int(v) for v in values]
    height, left, right, top, bottom = 260.0, 44.0, 12.0, 16.0, 32.0
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    base = top + plot_h
    ticks = nice_ticks(max(values, default=0))
    scale = plot_h / ticks[-1] if ticks[-1] > 0 else 0.0
    desc = "；".join(f"{m}月{v}{unit}" for m, v in enumerate(values, start=1))
    parts = [_svg_open(chart_id, height, title, desc)]
    for tick in ticks:
        y = base - tick * scale
        parts.append(
            f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(WIDTH - right)}" y2="{_n(y)}" stroke="{GRID}"/>'
            f'<text x="{_n(left - 6)}" y="{_n(y + 4)}" text-anchor="end" fill="{INK}">{tick}</text>'
        )
    slot = plot_w / max(len(values), 1)
    for i, value in enumerate(values):
        x = left + i * slot
        h = max(value, 0) * scale  # a negative figure (a counting error) draws no bar, but is printed
        parts.append(
            f"<g><title>{i + 1}月：{value}{escape(unit)}</title>"
            f'<rect x="{_n(x + slot * 0.2)}" y="{_n(base - h)}" width="{_n(slot * 0.6)}" height="{_n(h)}" '
            f'fill="{BAR}"/></g>'
        )
        if value:
            parts.append(
                f'<text x="{_n(x + slot / 2)}" y="{_n(base - h - 4)}" text-anchor="middle" fill="{INK}">{value}</text>'
            )
        parts.append(
            f'<text x="{_n(x + slot / 2)}" y="{_n(base + 18)}" text-anchor="middle" fill="{INK}">{i + 1}月</text>'
        )
    parts.append(f'<line x1="{_n(left)}" y1="{_n(base)}" x2="{_n(WIDTH - right)}" y2="{_n(base)}" stroke="{INK}"/>')
    if not any(values):
        parts.append(_no_data(left + plot_w / 2, top + plot_h / 2))
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bar_chart(
    items: Sequence[tuple[str, int]], *, chart_id: str, title: str, unit: str = "件", full_labels: Sequence[str] = ()
) -> str:
    """One horizontal bar per (label, value), labels on the left, values at the bar ends.

    ``full_labels`` (same order) are the unabridged labels, given as each bar's tooltip and in the
    description; the short ones are drawn.
    """
    full = list(full_labels) or [label for label, _ in items]
    row_h, top, bottom, gap = 28.0, 8.0, 8.0, 8.0
    height = top + bottom + row_h * max(len(items), 1)
    label_w = max((text_width(label) for label, _ in items), default=0.0) + 2 * gap
    value_w = text_width(str(max((v for _, v in items), default=0)) + unit) + 2 * gap
    plot_w = max(WIDTH - label_w - value_w, 1.0)
    maximum = max((int(v) for _, v in items), default=0)
    scale = plot_w / maximum if maximum > 0 else 0.0
    desc = "；".join(f"{name}{int(v)}{unit}" for name, (_, v) in zip(full, items, strict=True))
    parts = [_svg_open(chart_id, height, title, desc)]
    for i, ((label, value), name) in enumerate(zip(items, full, strict=True)):
        y = top + i * row_h
        w = max(int(value), 0) * scale
        parts.append(
            f"<g><title>{escape(name)}：{int(value)}{escape(unit)}</title>"
            f'<text x="{_n(label_w - gap)}" y="{_n(y + row_h / 2 + 4)}" text-anchor="end" fill="{INK}">'
            f"{escape(label)}</text>"
            f'<rect x="{_n(label_w)}" y="{_n(y + 5)}" width="{_n(w)}" height="{_n(row_h - 10)}" fill="{BAR}"/>'
            f'<text x="{_n(label_w + w + 6)}" y="{_n(y + row_h / 2 + 4)}" fill="{INK}">'
            f"{int(value)}{escape(unit)}</text></g>"
        )
    parts.append(
        f'<line x1="{_n(label_w)}" y1="{_n(top)}" x2="{_n(label_w)}" y2="{_n(height - bottom)}" stroke="{INK}"/>'
    )
    if maximum <= 0:
        parts.append(_no_data(label_w + plot_w / 2, height / 2))
    parts.append("</svg>")
    return "".join(parts)


def _no_data(x: float, y: float) -> str:
    return f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="middle" fill="#767676">{NO_DATA}</text>'


_OUTCOME_HEAD = re.compile(r"^（[一二三四五六七八九十]+）[^（]+")


def short_outcome(label: str) -> str:
    """“（二）部分公开（区分处理的，…）” → “（二）部分公开”; other labels unchanged."""
    match = _OUTCOME_HEAD.match(label)
    return match.group(0) if match else label


def report_charts(report: Mapping[str, Any]) -> list[Chart]:
    """The three charts of ``report["charts"]``: applications by month, outcomes by group, channels."""
    charts = report.get("charts") or {}
    year = report.get("year", "")
    out: list[Chart] = []
    monthly = [int(v) for v in charts.get("monthly_applications") or [0] * 12]
    caption = f"{year}年各月新收政府信息公开申请数量（件）"
    out.append(Chart("chart-monthly", caption, monthly_bar_chart(monthly, chart_id="chart-monthly", title=caption)))
    outcomes: Mapping[str, int] = charts.get("outcomes") or {}
    caption = f"{year}年政府信息公开申请办理结果（件）"
    svg = horizontal_bar_chart(
        [(short_outcome(label), int(v)) for label, v in outcomes.items()],
        chart_id="chart-outcomes",
        title=caption,
        full_labels=list(outcomes),
    )
    out.append(Chart("chart-outcomes", caption, svg))
    channels: Mapping[str, int] = charts.get("channels") or {}
    caption = f"{year}年政府信息公开申请提交渠道（件）"
    svg = horizontal_bar_chart(
        [(CHANNEL_LABELS.get(code, code), int(v)) for code, v in channels.items()],
        chart_id="chart-channels",
        title=caption,
    )
    out.append(Chart("chart-channels", caption, svg))
    return out
