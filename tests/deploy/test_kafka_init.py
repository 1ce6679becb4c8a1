"""The one-shot Kafka init creates exactly the catalog's topics, with the settings compose gives it.

The script runs here for real, against a stand-in ``kafka-topics.sh`` that records its arguments."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from gongkai.events import TOPICS
from tests.deploy.tools import ROOT, require

SCRIPT = ROOT / "deploy" / "kafka" / "create-topics.sh"


def run_script(tmp_path: Path, **env: str) -> list[list[str]]:
    bash = require("bash")
    bin_dir = tmp_path / "kafka" / "bin"
    bin_dir.mkdir(parents=True)
    calls = tmp_path / "calls"
    stub = bin_dir / "kafka-topics.sh"
    stub.write_text(f'#!/bin/bash\nprintf "%q " "$@" >> {shlex.quote(str(calls))}\necho >> {shlex.quote(str(calls))}\n')
    stub.chmod(0o755)
    done = subprocess.run(
        [bash, str(SCRIPT)],
        env={"PATH": os.environ["PATH"], "KAFKA_HOME": str(tmp_path / "kafka"), **env},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return [shlex.split(line) for line in calls.read_text().splitlines()]


def option(call: list[str], name: str) -> list[str]:
    return [call[i + 1] for i, arg in enumerate(call) if arg == name]


def test_it_creates_every_topic_of_the_catalog_and_nothing_else(tmp_path: Path) -> None:
    calls = run_script(tmp_path)
    created = [call for call in calls if "--create" in call]
    assert sorted(option(call, "--topic")[0] for call in created) == sorted(TOPICS)
    assert calls[-1][-1] == "--list"
    for call in created:
        assert "--if-not-exists" in call
        assert option(call, "--bootstrap-server") == ["kafka:9092"]
        assert option(call, "--partitions") == ["3"] and option(call, "--replication-factor") == ["1"]
        assert set(option(call, "--config")) == {"retention.ms=-1", "min.insync.replicas=1", "cleanup.policy=delete"}


def test_production_settings_come_from_the_environment(tmp_path: Path) -> None:
    calls = run_script(
        tmp_path,
        KAFKA_BOOTSTRAP="k1:9092,k2:9092",
        TOPIC_PARTITIONS="12",
        TOPIC_REPLICATION="3",
        TOPIC_MIN_INSYNC_REPLICAS="2",
        TOPIC_RETENTION_MS="31536000000",
    )
    for call in (c for c in calls if "--create" in c):
        assert option(call, "--bootstrap-server") == ["k1:9092,k2:9092"]
        assert option(call, "--partitions") == ["12"] and option(call, "--replication-factor") == ["3"]
        assert {"retention.ms=31536000000", "min.insync.replicas=2"} <= set(option(call, "--config"))


def test_a_failure_stops_the_init(tmp_path: Path) -> None:
    bin_dir = tmp_path / "kafka" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "kafka-topics.sh").write_text("#!/bin/bash\nexit 3\n")
    (bin_dir / "kafka-topics.sh").chmod(0o755)
    done = subprocess.run(
        [require("bash"), str(SCRIPT)],
        env={"PATH": os.environ["PATH"], "KAFKA_HOME": str(tmp_path / "kafka")},
        capture_output=True,
    )
    assert done.returncode == 3  # compose then never starts the services (service_completed_successfully)
