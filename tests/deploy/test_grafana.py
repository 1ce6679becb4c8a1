"""The provisioned Grafana dashboard: generated and current, well formed, wired to the stack's Prometheus,
and every query names only metrics that the services' /metrics really exports."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from tests.deploy.dashboards import GRAFANA, alert_rules, dashboard, generator, panel_queries
from tests.deploy.promql import exported, grafana_to_promql, metric_names
from tests.deploy.tools import ROOT, require

#: Recorded by Prometheus itself for every target it scrapes (the service-down panel and alerts).
PROMETHEUS_OWN = {"up"}


def test_the_committed_dashboard_is_the_generated_one() -> None:
    committed = (GRAFANA / "dashboards" / "gongkai.json").read_text(encoding="utf-8")
    assert committed == generator().render(), "stale: run `make dashboards`"


def test_every_panel_query_names_only_exported_metrics(metrics_text: str) -> None:
    known = exported(metrics_text) | PROMETHEUS_OWN
    missing = {
        f"{title}: {name}"
        for title, query in panel_queries()
        for name in metric_names(grafana_to_promql(query))
        if name not in known
    }
    assert not missing, "not exported by /metrics:\n" + "\n".join(sorted(missing))


def test_every_alert_names_only_exported_metrics(metrics_text: str) -> None:
    known = exported(metrics_text) | PROMETHEUS_OWN
    missing = {
        f"{rule['alert']}: {name}" for rule in alert_rules() for name in metric_names(rule["expr"]) if name not in known
    }
    assert not missing, "not exported by /metrics:\n" + "\n".join(sorted(missing))


def test_all_series_are_gongkai_series(metrics_text: str) -> None:
    assert all(name.startswith("gongkai_") for name in exported(metrics_text))


def test_the_dashboard_shows_what_operators_watch() -> None:
    queries = "\n".join(query for _, query in panel_queries())
    for needed in (
        "gongkai_http_requests_total",  # rate and errors per service
        'status=~"5.."',
        "gongkai_http_request_duration_seconds_bucket",
        "gongkai_bus_consumer_lag_events",
        "gongkai_bus_event_age_seconds_bucket",
        'outcome="dead_lettered"',
        "gongkai_requests_open",
        "gongkai_requests_overdue",
        "gongkai_letters_open",
        "gongkai_letters_overdue",
        "gongkai_proposals_open",
        "gongkai_proposals_overdue",
        "gongkai_documents_publish_overdue",
        "gongkai_documents_submitted_total",
        "gongkai_calendar_year_provisional",
    ):
        assert needed in queries, needed


def test_panels_are_well_formed() -> None:
    board = dashboard()
    panels = board["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    variables = {f"${v['name']}" for v in board["templating"]["list"]}
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        area = {
            (x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not area & cells, f"{panel['title']} overlaps another panel"
        cells |= area
        if panel["type"] == "row":
            continue
        assert panel["targets"], panel["title"]
        assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"])
        for target in panel["targets"]:
            used = set(re.findall(r"\$\w+", target["expr"])) - {"$__rate_interval", "$__interval", "$__range"}
            assert used <= variables, (panel["title"], used)


def test_the_dashboard_uses_the_provisioned_datasource_and_is_mounted_where_grafana_looks() -> None:
    provisioned = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    (source,) = provisioned["datasources"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert source["url"] == "http://prometheus:9090"
    assert "prometheus" in compose["services"]
    board = dashboard()
    uids = {p["datasource"]["uid"] for p in board["panels"] if "datasource" in p}
    uids |= {t["datasource"]["uid"] for p in board["panels"] for t in p.get("targets", [])}
    assert uids == {source["uid"]}
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "gongkai.yml").read_text())["providers"]
    mounts = dict(volume.split(":")[:2] for volume in compose["services"]["grafana"]["volumes"])
    assert mounts["./deploy/grafana/dashboards"] == providers[0]["options"]["path"]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    home = compose["services"]["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == providers[0]["options"]["path"] + "/gongkai.json"


def test_every_panel_query_is_valid_promql(tmp_path: Path) -> None:
    """promtool parses each query (with Grafana's variables filled in) as a recording rule."""
    promtool = require("promtool")
    rules = [
        {"record": f"panel:query_{i}", "expr": grafana_to_promql(query)}
        for i, (title, query) in enumerate(panel_queries())
        if not title.startswith("variable ")
    ]
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}, allow_unicode=True))
    checked = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
