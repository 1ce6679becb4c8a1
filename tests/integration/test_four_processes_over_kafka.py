"""The walking skeleton with each service in its own OS process, talking over a Kafka-protocol broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from gongkai.auth import Role, create_token
from tests.e2e.scenario import Routes, run_request_skeleton, run_skeleton
from tests.integration.processes import Process, running
from tests.kafka_broker import Broker, kafka_settings_env

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_the_skeleton_passes_with_four_services_as_four_processes(kafka_broker: Broker, tmp_path: Path) -> None:
    env = {**kafka_settings_env(kafka_broker), "GONGKAI_DATA_DIR": str(tmp_path)}
    clerk = {"Authorization": "Bearer " + create_token(tmp_path / "auth.db", role=Role.CLERK)}
    reviewer = {"Authorization": "Bearer " + create_token(tmp_path / "auth.db", role=Role.REVIEWER)}
    services = {
        name: Process(["serve", name], env, log=tmp_path / f"{name}.log")
        for name in ("intake", "review", "publish", "stats")
    }
    with running(*services.values()):
        clients = {name: p.client() for name, p in services.items()}
        run_skeleton(Routes(**clients), clerk=clerk, reviewer=reviewer, timeout=60)
        run_request_skeleton(Routes(**clients), clerk=clerk, timeout=60)
        # Each process serves only its own routes: intake has no search, publish takes no drafts.
        assert clients["intake"].get("/api/v1/search").status_code == 404
        assert clients["publish"].post("/api/v1/documents", json={}, headers=clerk).status_code in (404, 405)
