"""``GET /api/v1/stats/summary``: the year's counts, each rate as numerator, denominator and value. Pure."""

from __future__ import annotations

from typing import Any

from gongkai.events.requests import CHANNELS
from services.stats.rates import letter_figures, proposal_figures, rate
from services.stats.report import OUTCOMES, Counters, Sums, table3, table4

__all__ = ["summary"]


def summary(year: int, counters: Counters, *, overdue_open: int) -> dict[str, Any]:
    sums = Sums(counters)
    this = (year,)
    rows = {row["code"]: row["cells"] for row in table3(sums, year)["rows"]}
    appeals = table4(sums, year)
    closed = sums.get("requests_closed", this)
    on_time = sums.get("requests_closed", this, on_time="true")
    return {
        "year": year,
        "documents": {
            "submitted": sums.get("documents_submitted", this),
            "published": sums.get("documents_published", this),
            "corrected": sums.get("documents_corrected", this),
            "withdrawn": sums.get("documents_withdrawn", this),
            "by_category": _by(sums, "documents_published", year, "category"),
        },
        "requests": {
            "received": rows["new"]["total"],
            "carried_over": rows["carried_over"]["total"],
            "answered": closed,
            "on_time": on_time,
            "on_time_rate": rate(on_time, closed),
            "overdue_open": overdue_open,
            "carried_forward": rows["carried_forward"]["total"],
            "by_outcome": {o: rows[o]["total"] for o in OUTCOMES if rows[o]["total"]},
            "by_channel": {c: n for c in CHANNELS if (n := sums.get("requests_received", this, channel=c))},
            "by_applicant": {k: v for k, v in rows["new"].items() if k != "total" and v},
        },
        "appeals": {
            "filed": sums.get("appeals_filed", this),
            "decided": sums.get("appeals_decided", this),
            "by_kind": appeals,
        },
        "letters": letter_figures(sums, year),
        "proposals": proposal_figures(sums, year),
    }


def _by(sums: Sums, name: str, year: int, label: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for labels, value in sums.by.get((name, year), []):
        key = labels.get(label, "")
        totals[key] = totals.get(key, 0) + value
    return dict(sorted(totals.items()))
