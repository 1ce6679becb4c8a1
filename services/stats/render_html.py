"""The annual report as one self-contained, printable HTML page (A4), charts as inline SVG. Pure.

Everything from the report is escaped (jinja2 autoescape; the SVG is built escaped by
:mod:`services.stats.charts`). No external resources: styles inline, no scripts, no web fonts.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from services.stats import render as layout
from services.stats.charts import report_charts

__all__ = ["TEMPLATES", "render_html"]

TEMPLATES = Path(__file__).parent / "templates"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(report: Mapping[str, Any]) -> str:
    """The page for ``report``, as text (UTF-8 when encoded)."""
    sections = [
        {
            "number": int(section["number"]),
            "title": str(section["title"]),
            "kind": section["kind"],
            "paragraphs": layout.paragraphs(section.get("text")),
        }
        for section in report["sections"]
    ]
    charts = [
        {"id": chart.id, "caption": chart.caption, "svg": Markup(chart.svg)}  # noqa: S704 - the SVG is built escaped
        for chart in report_charts(report)
    ]
    template = _environment().get_template("annual_report.html")
    return template.render(
        title=str(report["title"]),
        year=report.get("year"),
        sections=sections,
        table2=layout.table2_blocks(report),
        table3_header=layout.header_rows(layout.table3_header(report)),
        table3_lines=layout.table3_lines(report),
        table3_width=len(layout.table3_codes(report)),
        table4_header=layout.header_rows(layout.table4_header()),
        table4_values=layout.table4_values(report),
        charts=charts,
        checks=layout.check_lines(report),
        summary=[(label, layout.summary_text(value)) for label, value in layout.summary_lines(report)],
        checks_title=layout.CHECKS_TITLE,
        summary_title=layout.SUMMARY_TITLE,
        annex_note=layout.ANNEX_NOTE,
    )
