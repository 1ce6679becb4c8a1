"""Writes the provisioned Grafana dashboard ``dashboards/gongkai.json`` (``make dashboards``).

The panels are listed here, compactly; the JSON is generated from them and committed, and
``tests/deploy/test_grafana.py`` fails when it is stale or when a query names a metric that the
services' ``/metrics`` does not export. ``job`` is the service (one Prometheus job per service).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUT = Path(__file__).parent / "dashboards" / "gongkai.json"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}  # provisioning/datasources/prometheus.yml
SERVICE = 'job=~"$service"'
RATE = "[$__rate_interval]"


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[Query, ...]
    description: str = ""
    unit: str = "short"
    kind: str = "timeseries"  # or "stat"
    width: int = 8
    mappings: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    thresholds: tuple[tuple[float | None, str], ...] = ((None, "green"),)


def q(expr: str, legend: str = "") -> Query:
    return Query(" ".join(expr.split()), legend)


def quantiles(metric: str, by: str, selector: str) -> tuple[Query, ...]:
    rate = f"rate({metric}_bucket{{{selector}}}{RATE})"
    return tuple(
        q(f"histogram_quantile({p}, sum by ({by}, le) ({rate}))", f"{{{{{by}}}}} p{n}")
        for p, n in ((0.5, 50), (0.95, 95), (0.99, 99))
    )


#: Gauges of open cases, exported by the review service: (metric, legend).
CASE_GAUGES = (
    ("gongkai_requests_open", "requests open"),
    ("gongkai_requests_overdue", "requests overdue"),
    ("gongkai_requests_due_soon", "requests due soon"),
    ("gongkai_requests_provisional", "requests with a provisional deadline"),
    ("gongkai_letters_open", "letters open"),
    ("gongkai_letters_overdue", "letters overdue"),
    ("gongkai_proposals_open", "proposals open"),
    ("gongkai_proposals_overdue", "proposals overdue"),
)
WARN = ((None, "green"), (1, "red"))

ROWS: tuple[tuple[str, tuple[Panel, ...]], ...] = (
    (
        "Services: traffic, errors, duration",
        (
            Panel(
                "Replicas up",
                (q(f"sum by (job) (up{{{SERVICE}}})", "{{job}}"),),
                "Replicas Prometheus scrapes successfully (one target per replica, found through Docker's DNS).",
                kind="stat",
                width=6,
                thresholds=((None, "red"), (1, "green")),
            ),
            Panel(
                "Requests per second",
                (q(f"sum by (job) (rate(gongkai_http_requests_total{{{SERVICE}}}{RATE}))", "{{job}}"),),
                unit="reqps",
                width=6,
            ),
            Panel(
                "Server errors (share of requests)",
                (
                    q(
                        f'sum by (job) (rate(gongkai_http_requests_total{{{SERVICE}, status=~"5.."}}{RATE}))'
                        f" / sum by (job) (rate(gongkai_http_requests_total{{{SERVICE}}}{RATE}))",
                        "{{job}}",
                    ),
                ),
                "5xx answers; bad input never gives one (alert GongkaiServerErrors above 5 %).",
                unit="percentunit",
                width=6,
            ),
            Panel(
                "Refused requests (4xx) per second",
                (
                    q(
                        f'sum by (job, status) (rate(gongkai_http_requests_total{{{SERVICE}, status=~"4.."}}{RATE}))',
                        "{{job}} {{status}}",
                    ),
                ),
                "Validation (422), conflicts with a case's state (409), missing or wrong tokens (401/403).",
                unit="reqps",
                width=6,
            ),
            Panel(
                "Request duration",
                quantiles("gongkai_http_request_duration_seconds", "job", SERVICE),
                unit="s",
            ),
            Panel(
                "Slowest routes (p95)",
                (
                    q(
                        "topk(5, histogram_quantile(0.95, sum by (job, route, le) "
                        f"(rate(gongkai_http_request_duration_seconds_bucket{{{SERVICE}}}{RATE}))))",
                        "{{job}} {{route}}",
                    ),
                ),
                unit="s",
            ),
            Panel(
                "CPU and memory",
                (
                    q(f"sum by (job) (rate(gongkai_process_cpu_seconds_total{{{SERVICE}}}{RATE}))", "{{job}} CPU"),
                    q(f"sum by (job) (gongkai_process_resident_memory_bytes{{{SERVICE}}}) / 2^30", "{{job}} GiB"),
                ),
                "CPU in cores; resident memory in GiB, summed over replicas.",
            ),
        ),
    ),
    (
        "Event bus: lag, age, dead letters",
        (
            Panel(
                "Consumer lag",
                (q(f"sum by (group, topic) (gongkai_bus_consumer_lag_events{{{SERVICE}}})", "{{group}} ← {{topic}}"),),
                "Events in a topic after the last one the group finished, summed over its replicas.",
                width=12,
            ),
            Panel(
                "Event age when handled",
                quantiles("gongkai_bus_event_age_seconds", "group", SERVICE),
                "now − occurred_at when a group finishes an event. Paper entered late is old by design.",
                unit="s",
                width=12,
            ),
            Panel(
                "Events handled per second",
                (
                    q(
                        f'sum by (group) (rate(gongkai_bus_events_handled_total{{{SERVICE}, outcome="ok"}}{RATE}))',
                        "{{group}}",
                    ),
                ),
                unit="ops",
                width=6,
            ),
            Panel(
                "Dead letters",
                (
                    q(
                        "sum by (group, topic) "
                        f'(increase(gongkai_bus_events_handled_total{{{SERVICE}, outcome="dead_lettered"}}{RATE}))',
                        "{{group}} ← {{topic}}",
                    ),
                ),
                "Events a consumer gave up on after its retries: inspect them with `gongkai tail TOPIC.dlq --json`.",
                width=6,
            ),
            Panel(
                "Dead letters since the processes started",
                (
                    q(
                        "sum by (group, topic) "
                        f'(gongkai_bus_events_handled_total{{{SERVICE}, outcome="dead_lettered"}})',
                        "{{group}} ← {{topic}}",
                    ),
                ),
                "Alert GongkaiDeadLetters fires on each new one.",
                kind="stat",
                width=6,
                thresholds=WARN,
            ),
            Panel(
                "Handler retries per second",
                (q(f"sum by (group) (rate(gongkai_bus_handler_retries_total{{{SERVICE}}}{RATE}))", "{{group}}"),),
                unit="ops",
                width=6,
            ),
        ),
    ),
    (
        "Cases and deadlines",
        (
            Panel(
                "Open cases now",
                tuple(q(f"max({metric})", legend) for metric, legend in CASE_GAUGES),
                "Counted by the review service at each scrape.",
                kind="stat",
                width=12,
            ),
            Panel(
                "Documents past their publication deadline",
                (q("max(gongkai_documents_publish_overdue)", "documents"),),
                "Documents not yet published 20 working days after they were formed (条例 Art. 26).",
                kind="stat",
                width=6,
                thresholds=WARN,
            ),
            Panel(
                "Holiday calendar",
                (q("max by (year) (gongkai_calendar_year_provisional)", "{{year}}"),),
                "A year whose 放假安排 is not loaded: its deadlines are provisional (gongkai calendar load-year).",
                kind="stat",
                width=6,
                mappings=(
                    {
                        "type": "value",
                        "options": {
                            "0": {"text": "loaded", "color": "green"},
                            "1": {"text": "missing", "color": "red"},
                        },
                    },
                ),
                thresholds=WARN,
            ),
            Panel(
                "Open and overdue cases",
                tuple(q(f"max({m})", legend) for m, legend in CASE_GAUGES if m.endswith(("_open", "_overdue"))),
                width=12,
            ),
            Panel(
                "Review flow (per day)",
                (
                    q("sum(increase(gongkai_documents_submitted_total[1d]))", "drafts submitted"),
                    q("sum(increase(gongkai_documents_reviewed_total[1d]))", "review decisions"),
                    q("sum(increase(gongkai_documents_published_total[1d]))", "published"),
                    q("sum(increase(gongkai_documents_withdrawn_total[1d]))", "withdrawn"),
                ),
                "Documents awaiting review grow while drafts come in faster than decisions.",
                width=12,
            ),
            Panel(
                "Received (per day)",
                (
                    q("sum(increase(gongkai_requests_received_total[1d]))", "disclosure requests"),
                    q("sum(increase(gongkai_letters_received_total[1d]))", "letters"),
                    q("sum(increase(gongkai_proposals_assigned_total[1d]))", "proposals"),
                    q("sum(increase(gongkai_appeals_filed_total[1d]))", "appeals"),
                ),
                width=12,
            ),
        ),
    ),
)


def _panel(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "unit": panel.unit,
        "mappings": list(panel.mappings),
        "thresholds": {"mode": "absolute", "steps": [{"value": v, "color": c} for v, c in panel.thresholds]},
    }
    options: dict[str, Any]
    if panel.kind == "stat":
        defaults["color"] = {"mode": "thresholds"}
        options = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "background",
            "graphMode": "none",
            "textMode": "value_and_name",
        }
    else:
        options = {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}}
    return {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": panel.width, "x": x, "y": y},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": t.expr, "legendFormat": t.legend}
            for i, t in enumerate(panel.queries)
        ],
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options,
    }


def dashboard() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    y = 0
    next_id = 1
    for title, row in ROWS:
        panels.append({"id": next_id, "type": "row", "title": title, "collapsed": False, "panels": []})
        panels[-1]["gridPos"] = {"h": 1, "w": 24, "x": 0, "y": y}
        next_id += 1
        y += 1
        x = 0
        for panel in row:
            if x + panel.width > 24:
                x, y = 0, y + 8
            panels.append(_panel(panel, next_id, x, y))
            next_id += 1
            x += panel.width
        y += 8
    service_query = "label_values(gongkai_process_start_time_seconds, job)"
    return {
        "uid": "gongkai",
        "title": "Gongkai",
        "description": "Services, event bus and statutory deadlines (generated by deploy/grafana/dashboard.py).",
        "tags": ["gongkai"],
        "timezone": "browser",
        "editable": False,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "service",
                    "label": "Service",
                    "type": "query",
                    "datasource": DATASOURCE,
                    "definition": service_query,
                    "query": {"query": service_query, "refId": "service"},
                    "refresh": 2,
                    "sort": 1,
                    "multi": True,
                    "includeAll": True,
                    "allValue": ".+",
                    "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
                }
            ]
        },
        "annotations": {"list": []},
        "links": [],
        "panels": panels,
    }


def render() -> str:
    return json.dumps(dashboard(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"{OUT}\n")
