"""A running platform for request tests, with its clock and bus in reach, and sample applicants."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from gongkai.cli import SERVICE_NAMES, service_builder
from gongkai.clock import FixedClock
from gongkai.events import Envelope
from gongkai.runtime import Platform
from gongkai.settings import Settings
from tests.e2e.conftest import Staff, make_staff
from tests.polling import eventually_sync

#: A natural person with a valid resident ID (GB 11643 check digit) and contacts to look for in leaks.
PERSON: dict[str, Any] = {
    "kind": "natural_person",
    "name": "欧阳明远",
    "id_number": "11010519491231002X",
    "phone": "13912345678",
    "email": "ouyang.private@example.com",
    "address": "北京市朝阳区幸福里7号楼301室",
}
PERSONAL_VALUES = ("欧阳明远", "11010519491231002X", "13912345678", "ouyang.private@example.com", "幸福里7号楼")


@dataclass
class Running:
    client: TestClient
    staff: Staff
    platform: Platform

    @property
    def clock(self) -> FixedClock:
        assert isinstance(self.platform.clock, FixedClock)
        return self.platform.clock

    def apply(self, channel: str = "registered_post", **extra: Any) -> dict[str, Any]:
        body = {"channel": channel, "applicant": PERSON, "description": "2025年某重大建设项目的批复文件", **extra}
        headers = {} if channel == "internet" else self.staff.clerk
        response = self.client.post("/api/v1/requests", json=body, headers=headers)
        assert response.status_code == 202, response.text
        filed = dict(response.json())
        url = f"/api/v1/requests/{filed['id']}"
        eventually_sync(lambda: self.client.get(url, headers=self.staff.clerk).status_code == 200)
        return filed

    def act(self, request_id: str, action: str, **fields: Any) -> Any:
        return self.client.post(
            f"/api/v1/requests/{request_id}/actions", json={"action": action, **fields}, headers=self.staff.clerk
        )

    def events(self, topic: str) -> list[Envelope]:
        """Every event now on ``topic`` of the platform's bus."""
        bus = self.platform.bus
        assert bus is not None and self.client.portal is not None
        return [Envelope.from_bytes(raw) for raw in self.client.portal.call(bus.read, topic)]

    def case(self, request_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/requests/{request_id}", headers=self.staff.clerk)
        assert response.status_code == 200, response.text
        return dict(response.json())


def running_platform(tmp_path: Path, clock: str) -> Iterator[Running]:
    settings = Settings(data_dir=tmp_path, bus="embedded", index="embedded", environment="test", clock=clock)
    staff = make_staff(tmp_path)
    platform = Platform(settings, [service_builder(name) for name in SERVICE_NAMES])
    with TestClient(platform.app()) as client:
        yield Running(client, staff, platform)
