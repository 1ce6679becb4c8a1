"""docker-compose.yml runs each service alone with the settings the code reads (no Docker engine here).

The file is read as Compose reads it (``${VAR:-default}`` filled in from an empty environment), and each
service's environment is given to ``Settings`` exactly as the container would. The file's validity against
the Compose specification is checked by tests/deploy/test_compose_spec.py.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from gongkai.cli import FRONTEND_NAMES, SERVICE_NAMES
from gongkai.settings import Settings

ROOT = Path(__file__).parents[2]
#: Replicas of each service: intake and publish keep no state of their own that forbids a second one.
REPLICAS = {"intake": 2, "review": 1, "publish": 2, "stats": 1}
#: What the compose file demands from whoever starts it (no default on purpose).
REQUIRED = {"GRAFANA_ADMIN_PASSWORD": "s3cret"}


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable substitution: ``${V}``, ``${V:-default}``, ``${V-default}``, ``${V:?error}``, ``$$``."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(found: re.Match[str]) -> str:
        name, op, arg = found.group(1), found.group(2) or "", found.group(3) or ""
        present = env.get(name)
        if op in (":-", "-"):
            return present if present or (op == "-" and present is not None) else arg
        if op in (":?", "?"):
            if not present:
                raise ValueError(f"{name}: {arg}")
            return present
        return present or ""

    return re.sub(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}", one, value).replace("$$", "$")


def raw() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return loaded


def compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    resolved: dict[str, Any] = interpolate(raw(), REQUIRED if env is None else env)
    return resolved


def settings_of(name: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The Settings a service's container builds from its environment (and nothing else)."""
    for variable in [v for v in os.environ if v.startswith("GONGKAI_")]:
        monkeypatch.delenv(variable)
    for variable, value in compose()["services"][name]["environment"].items():
        monkeypatch.setenv(variable, str(value))
    return Settings()


def code_variables() -> set[str]:
    """Every GONGKAI_* variable the code reads: the Settings fields, and those read from os.environ directly."""
    read = {f"GONGKAI_{name.upper()}" for name in Settings.model_fields}
    for path in [*ROOT.glob("gongkai/**/*.py"), *ROOT.glob("services/**/*.py")]:
        read |= set(re.findall(r"""environ(?:\.get\(|\[)\s*["'](GONGKAI_\w+)["']""", path.read_text(encoding="utf-8")))
    return read


def test_each_service_runs_alone_on_kafka_and_elasticsearch(monkeypatch: pytest.MonkeyPatch) -> None:
    services = compose()["services"]
    kafka = services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"].removeprefix("PLAINTEXT://")
    for name in SERVICE_NAMES:
        service = services[name]
        assert service["command"] == ["gongkai", "serve", name]
        assert service["build"] == {"context": ".", "dockerfile": "deploy/Dockerfile"}
        settings = settings_of(name, monkeypatch)
        assert settings.environment == "production"
        assert settings.bus_kind == "kafka" and settings.kafka_bootstrap == kafka
        assert urlsplit(settings.index).hostname == "elasticsearch" and "elasticsearch" in services
        assert settings.host == "0.0.0.0"
        assert service["depends_on"]["kafka-init"]["condition"] == "service_completed_successfully"
        assert service["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
        assert service.get("deploy", {}).get("replicas", 1) == REPLICAS[name]
        assert "ports" not in service, f"{name}: clients come through the gateway"


def test_the_data_directory_is_a_volume(monkeypatch: pytest.MonkeyPatch) -> None:
    volumes = compose()["volumes"]
    for name in SERVICE_NAMES:
        settings = settings_of(name, monkeypatch)
        mounts = dict(v.split(":")[:2] for v in compose()["services"][name]["volumes"])
        assert mounts == {"gongkai-data": str(settings.data_dir)}, "one data volume: auth.db is shared"
        assert "gongkai-data" in volumes


def test_healthchecks_ask_readyz_on_the_port_the_service_listens_on(monkeypatch: pytest.MonkeyPatch) -> None:
    services = compose()["services"]
    for name in SERVICE_NAMES:
        port = settings_of(name, monkeypatch).port
        probe = " ".join(services[name]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/readyz" in probe, name


def test_every_gongkai_variable_in_compose_is_read_by_the_code() -> None:
    known = code_variables()
    assert "GONGKAI_LOG_LEVEL" in known  # read by the CLI: the scan works
    for name, service in compose()["services"].items():
        for variable in service.get("environment", {}):
            if variable.startswith("GONGKAI_"):
                assert variable in known, f"{name}: {variable} is read by nothing"


def test_the_defaults_give_a_single_broker_and_the_knobs_reach_kafka(monkeypatch: pytest.MonkeyPatch) -> None:
    services = compose()["services"]
    assert settings_of("review", monkeypatch).kafka_replication == 1
    scaled = compose({**REQUIRED, "KAFKA_REPLICATION": "3", "KAFKA_PARTITIONS": "12", "KAFKA_MIN_INSYNC_REPLICAS": "2"})
    env = scaled["services"]["review"]["environment"]
    assert (env["GONGKAI_KAFKA_REPLICATION"], env["GONGKAI_KAFKA_PARTITIONS"]) == ("3", "12")
    init = scaled["services"]["kafka-init"]["environment"]
    assert (init["TOPIC_REPLICATION"], init["TOPIC_PARTITIONS"], init["TOPIC_MIN_INSYNC_REPLICAS"]) == ("3", "12", "2")
    broker = scaled["services"]["kafka"]["environment"]
    assert broker["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3" and broker["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
    kafka = services["kafka"]["environment"]
    assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert kafka["KAFKA_LOG_RETENTION_MS"] == "-1"
    assert {"kafka-data": kafka["KAFKA_LOG_DIRS"]} == dict(v.split(":") for v in services["kafka"]["volumes"])


def test_topics_are_created_by_a_one_shot_init() -> None:
    init = compose()["services"]["kafka-init"]
    assert init["restart"] == "no"
    assert init["depends_on"]["kafka"]["condition"] == "service_healthy"
    mounts = dict(v.split(":")[:2] for v in init["volumes"])
    script = init["command"][-1]
    assert mounts["./deploy/kafka/create-topics.sh"] == script
    assert init["image"] == compose()["services"]["kafka"]["image"]


def test_the_gateway_is_the_one_entry_and_waits_for_healthy_services() -> None:
    services = compose()["services"]
    gateway = services["gateway"]
    assert gateway["image"].startswith("nginx:")
    assert gateway["ports"] == ["8000:80"]
    assert re.search(r"^\s*listen 80;", (ROOT / "deploy/gateway/nginx.conf").read_text(), re.M)
    assert "./deploy/gateway/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in gateway["volumes"]
    assert {name: c["condition"] for name, c in gateway["depends_on"].items()} == dict.fromkeys(
        (*SERVICE_NAMES, *FRONTEND_NAMES), "service_healthy"
    )
    published = {name for name, s in services.items() if "ports" in s}
    assert published == {"gateway", "prometheus", "grafana"}
    assert all(p.startswith("127.0.0.1:") for name in ("prometheus", "grafana") for p in services[name]["ports"])


def test_every_dependency_condition_can_be_met() -> None:
    services = compose()["services"]
    for name, service in services.items():
        for needed, how in (service.get("depends_on") or {}).items():
            assert needed in services, f"{name} depends on unknown {needed}"
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[needed], f"{name} waits for {needed}, which has no healthcheck"
            elif how["condition"] == "service_completed_successfully":
                assert services[needed].get("restart") == "no"
    long_running = set(services) - {"kafka-init"}
    assert all("healthcheck" in services[name] for name in long_running)


def test_images_are_pinned_and_state_lives_in_named_volumes() -> None:
    services = compose()["services"]
    declared = set(compose()["volumes"])
    for name, service in services.items():
        image = service["image"]
        if "build" in service:
            assert image.endswith(":latest") and image.startswith("gongkai")
        else:
            tag = image.rsplit(":", 1)[-1]
            assert ":" in image and tag != "latest" and re.search(r"\d", tag), f"{name}: pin {image}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith("./deploy/") or source in declared, f"{name}: {volume}"
            if source.startswith("./"):
                assert (ROOT / source).exists(), source
                assert volume.endswith(":ro"), f"{name}: configuration is mounted read-only"
    for name, volume in {
        "kafka": "kafka-data",
        "elasticsearch": "es-data",
        "prometheus": "prometheus-data",
        "grafana": "grafana-data",
    }.items():
        assert any(v.startswith(volume + ":") for v in services[name]["volumes"]), name


def test_secrets_have_no_defaults() -> None:
    password = raw()["services"]["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
    assert password.startswith("${GRAFANA_ADMIN_PASSWORD:?")
    with pytest.raises(ValueError, match="GRAFANA_ADMIN_PASSWORD"):
        compose({})


def test_the_image_runs_the_cli_and_elasticsearch_gets_the_chinese_plugin() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY gongkai ./gongkai" in dockerfile and "COPY services ./services" in dockerfile
    assert "/readyz" in dockerfile and "USER gongkai" in dockerfile
    assert "analysis-smartcn" in (ROOT / "deploy" / "elasticsearch" / "Dockerfile").read_text(encoding="utf-8")
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", ".git", "var"} <= set(ignored)


def test_the_console_reaches_the_api_through_the_gateway() -> None:
    console = compose()["services"]["console"]
    assert console["command"] == ["gongkai", "serve", "console"]
    assert console["environment"]["GONGKAI_CONSOLE_API_URL"] == "http://gateway"
    assert console["environment"]["GONGKAI_BUS"].startswith("kafka://")
    Settings(
        **{
            k.removeprefix("GONGKAI_").lower(): v
            for k, v in console["environment"].items()
            if k.startswith("GONGKAI_") and k != "GONGKAI_LOG_LEVEL"
        }
    )
