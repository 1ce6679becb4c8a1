from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gongkai.cli import SERVICE_NAMES, service_builder
from gongkai.runtime import Platform
from gongkai.settings import Settings


@pytest.fixture(scope="session")
def metrics_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    """``/metrics`` of an embedded ``gongkai up`` (all four services in one process)."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("metrics"), environment="test", clock="2026-06-01T10:00:00+08:00"
    )
    platform = Platform(settings, [service_builder(name) for name in SERVICE_NAMES])
    with TestClient(platform.app()) as client:
        client.get("/api/v1/search")  # so that the HTTP series have samples too
        answer = client.get("/metrics")
        assert answer.status_code == 200
        return answer.text
