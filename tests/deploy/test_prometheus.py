"""Prometheus: the configuration and the alert rules pass promtool, every alert has a unit test, and a real
Prometheus (Debian's) running deploy/prometheus/ scrapes an embedded ``gongkai up`` and evaluates every rule
and every dashboard query on what it scraped."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from gongkai.cli import SERVICE_NAMES
from tests.deploy.dashboards import PROMETHEUS, alert_rules, panel_queries
from tests.deploy.promql import grafana_to_promql
from tests.deploy.tools import ROOT, require
from tests.integration.processes import Process
from tests.kafka_broker import free_port
from tests.polling import eventually_sync

CONFIG = PROMETHEUS / "prometheus.yml"
RULE_TESTS = sorted(PROMETHEUS.glob("alerts*.test.yml"))
#: The faust stats workers, scraped like a service on their own port.
FAUST_JOB = "stats-faust"


def _promtool(*args: str) -> str:
    done = subprocess.run([require("promtool"), *args], capture_output=True, text=True, cwd=PROMETHEUS)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_promtool_accepts_the_configuration_and_the_rules() -> None:
    _promtool("check", "config", str(CONFIG))
    _promtool("check", "rules", str(PROMETHEUS / "alerts.yml"))


def test_promtool_unit_tests_of_the_alerts_pass() -> None:
    assert RULE_TESTS
    _promtool("test", "rules", *(path.name for path in RULE_TESTS))


def test_every_alert_has_a_unit_test_that_fires_it() -> None:
    fired = {
        case["alertname"]
        for path in RULE_TESTS
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {rule["alert"] for rule in alert_rules()} <= fired


def test_the_alerts_the_issue_asks_for_exist() -> None:
    exprs = {rule["alert"]: rule["expr"] for rule in alert_rules()}
    for metric in (
        "gongkai_requests_overdue",  # overdue cases
        "gongkai_letters_overdue",
        "gongkai_proposals_overdue",
        "gongkai_documents_publish_overdue",
        "gongkai_bus_consumer_lag_events",  # growing consumer lag
        "gongkai_bus_event_age_seconds",  # stale events
        'outcome="dead_lettered"',  # dead letters
        "gongkai_calendar_year_provisional",  # provisional deadlines: a year's calendar is missing
        "gongkai_requests_provisional",
        "up{",  # service down
    ):
        assert any(metric in expr for expr in exprs.values()), metric
    for rule in alert_rules():
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_one_job_per_service_found_through_dns_on_the_service_port() -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {*SERVICE_NAMES, FAUST_JOB, "prometheus"}
    for name in (*SERVICE_NAMES, FAUST_JOB):
        (sd,) = jobs[name]["dns_sd_configs"]
        assert sd["names"] == [name] and sd["type"] == "A"
        environment = compose["services"][name].get("environment") or compose["x-gongkai"]["environment"]
        port = environment["GONGKAI_FAUST_WEB_PORT"] if name == FAUST_JOB else environment["GONGKAI_PORT"]
        assert str(sd["port"]) == port
        assert jobs[name].get("metrics_path", "/metrics") == "/metrics"
    assert compose["services"]["stats"]["environment"]["GONGKAI_STATS_COUNTERS"] == "faust"
    assert compose["services"][FAUST_JOB]["command"] == ["gongkai", "stats", "faust"]
    mounted = {v.split(":")[0]: v.split(":")[1] for v in compose["services"]["prometheus"]["volumes"]}
    assert mounted["./deploy/prometheus"] == "/etc/prometheus"
    assert "--config.file=/etc/prometheus/prometheus.yml" in compose["services"]["prometheus"]["command"]


# --- a real Prometheus --------------------------------------------------------------------------------------


def _for_test(target: str, prometheus_port: int) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with each job's discovery replaced by the embedded target, 1 s steps."""
    config: dict[str, Any] = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    config["rule_files"] = [str(PROMETHEUS / name) for name in config["rule_files"]]
    for job in config["scrape_configs"]:
        # No Kafka here: the faust job scrapes the embedded stats, which exports the same gongkai_* counters.
        scraped_here = job["job_name"] in (*SERVICE_NAMES, FAUST_JOB)
        address = target if scraped_here else f"127.0.0.1:{prometheus_port}"
        job.pop("dns_sd_configs", None)
        job["static_configs"] = [{"targets": [address]}]
    return config


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = require("prometheus")
    scratch = tmp_path_factory.mktemp("prometheus")
    gongkai = Process(["up"], {"GONGKAI_DATA_DIR": str(scratch / "data")}, log=scratch / "gongkai.log")
    port = free_port()
    config = scratch / "prometheus.yml"
    with open(scratch / "prometheus.log", "wb") as log:
        gongkai.start()
        config.write_text(yaml.safe_dump(_for_test(f"127.0.0.1:{gongkai.port}", port)), encoding="utf-8")
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={scratch / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            assert proc.poll() is None, (scratch / "prometheus.log").read_text(errors="replace")[-3000:]
            try:
                return httpx.get(url + "/-/ready", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            eventually_sync(ready, timeout=30, every=0.1)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=15)
            gongkai.stop()


def _api(url: str, path: str, **params: str) -> Any:
    answer = httpx.get(url + path, params=params, timeout=5).json()
    assert answer["status"] == "success", answer
    return answer["data"]


def _query(url: str, query: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = _api(url, "/api/v1/query", query=query)["result"]
    return result


def test_a_real_prometheus_scrapes_every_target(prometheus: str) -> None:
    def all_up() -> bool:
        try:
            targets = _api(prometheus, "/api/v1/targets")["activeTargets"]
        except httpx.HTTPError:
            return False
        return len(targets) == len(SERVICE_NAMES) + 2 and all(t["health"] == "up" for t in targets)

    eventually_sync(all_up, timeout=30, every=0.2)
    targets = _api(prometheus, "/api/v1/targets")["activeTargets"]
    assert {t["labels"]["job"] for t in targets} == {*SERVICE_NAMES, FAUST_JOB, "prometheus"}
    scraped = _query(prometheus, 'count by (job) ({__name__=~"gongkai_.+"})')
    assert {series["metric"]["job"] for series in scraped} == {*SERVICE_NAMES, FAUST_JOB}


def test_a_real_prometheus_evaluates_every_alert_rule(prometheus: str) -> None:
    def evaluated() -> bool:
        rules = [rule for group in _api(prometheus, "/api/v1/rules")["groups"] for rule in group["rules"]]
        return len(rules) == len(alert_rules()) and all(
            rule.get("lastEvaluation", "0001").startswith("2") for rule in rules
        )

    eventually_sync(evaluated, timeout=30, every=0.2)
    rules = [rule for group in _api(prometheus, "/api/v1/rules")["groups"] for rule in group["rules"]]
    assert [(r["name"], r["health"], r.get("lastError", "")) for r in rules if r["health"] != "ok"] == []


def test_a_real_prometheus_answers_every_dashboard_query(prometheus: str) -> None:
    for _, query in panel_queries():
        _query(prometheus, grafana_to_promql(query))
    # The scraped gauges are there, with the values the embedded platform exports.
    eventually_sync(lambda: bool(_query(prometheus, "max(gongkai_requests_open)")), timeout=20)
    (value,) = _query(prometheus, "max(gongkai_requests_open)")
    assert value["value"][1] == "0"


def test_the_scrape_config_needs_no_more_than_the_image_gives(tmp_path: Path) -> None:
    """The test configuration differs from deploy/ only in its targets and steps."""
    derived = _for_test("127.0.0.1:1", 2)
    original = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    assert [j["job_name"] for j in derived["scrape_configs"]] == [j["job_name"] for j in original["scrape_configs"]]
    path = tmp_path / "derived.yml"
    path.write_text(yaml.safe_dump(derived), encoding="utf-8")
    _promtool("check", "config", str(path))
