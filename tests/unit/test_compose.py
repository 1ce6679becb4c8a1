"""docker-compose.yml runs each service alone with the settings the code reads (no Docker engine here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gongkai.cli import SERVICE_NAMES
from gongkai.settings import Settings

ROOT = Path(__file__).parents[2]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return loaded


def test_each_service_runs_alone_on_kafka() -> None:
    services = compose()["services"]
    for name in SERVICE_NAMES:
        assert services[name]["command"][:3] == ["gongkai", "serve", name]
        assert services[name]["environment"]["GONGKAI_BUS"].startswith("kafka://")
        assert services[name]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_every_gongkai_variable_in_compose_is_a_setting() -> None:
    known = {f"GONGKAI_{name.upper()}" for name in Settings.model_fields}
    for service in compose()["services"].values():
        for variable in service.get("environment", {}):
            if variable.startswith("GONGKAI_"):
                assert variable in known, variable


def test_prometheus_scrapes_every_service() -> None:
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
    targets = {t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    assert targets == {f"{name}:8000" for name in SERVICE_NAMES}
