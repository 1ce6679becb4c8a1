from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from gongkai.auth import Role, create_token
from gongkai.cli import SERVICE_NAMES, service_builder
from gongkai.runtime import Platform
from gongkai.settings import Settings

if TYPE_CHECKING:
    from tests.e2e.requests_fixture import Running
    from tests.e2e.test_console import Site


@dataclass
class Staff:
    clerk: dict[str, str]
    reviewer: dict[str, str]
    publisher: dict[str, str]
    admin: dict[str, str]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_staff(data_dir: Path) -> Staff:
    path = data_dir / "auth.db"
    return Staff(
        *(
            bearer(create_token(path, role=role, name=f"{role.value}-甲"))
            for role in (Role.CLERK, Role.REVIEWER, Role.PUBLISHER, Role.ADMIN)
        )
    )


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[tuple[TestClient, Staff]]:
    """All four services in one process on the embedded bus, as ``gongkai up`` runs them."""
    settings = Settings(
        data_dir=tmp_path,
        bus="embedded",
        index="embedded",
        environment="test",
        clock="2026-06-01T10:00:00+08:00",
    )
    staff = make_staff(tmp_path)
    platform = Platform(settings, [service_builder(name) for name in SERVICE_NAMES])
    with TestClient(platform.app()) as client:
        yield client, staff


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    """The platform at 2026-06-01 10:00 (Beijing) with its clock and bus in reach (request tests)."""
    from tests.e2e.requests_fixture import running_platform

    yield from running_platform(tmp_path, "2026-06-01T10:00:00+08:00")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The platform with the console in one process (``TestClient``); console users admin (admin), li
    (clerk), shen (reviewer), zhao (publisher), and API tokens of every role (``Site.staff``).

    The console's HTTP tests share it; the browser tests define their own ``site`` on a real port.
    """
    from tests.e2e.console_fixture import console_platform, console_settings, create_users
    from tests.e2e.test_console import Site  # a test module's class: imported here, not at the top, to avoid a cycle

    settings = console_settings(tmp_path)
    create_users(settings)
    staff = make_staff(tmp_path)
    platform = console_platform(settings)
    with TestClient(platform.app()) as client:
        yield Site(client, staff, platform, tmp_path)
