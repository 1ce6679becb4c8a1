"""The Grafana dashboard and the alert rules as the tests read them."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import yaml

from tests.deploy.tools import ROOT

GRAFANA = ROOT / "deploy" / "grafana"
PROMETHEUS = ROOT / "deploy" / "prometheus"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gongkai_dashboard", GRAFANA / "dashboard.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((GRAFANA / "dashboards" / "gongkai.json").read_text(encoding="utf-8"))
    return loaded


def panel_queries() -> Iterator[tuple[str, str]]:
    """(panel title, query) of every panel and of the template variables."""
    board = dashboard()
    for variable in board["templating"]["list"]:
        yield f"variable {variable['name']}", variable["query"]["query"]
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]


def alert_rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text(encoding="utf-8"))
    return [rule for group in loaded["groups"] for rule in group["rules"]]
