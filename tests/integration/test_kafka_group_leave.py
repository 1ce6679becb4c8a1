"""A closed consumer leaves its group at once, on every broker, so its partitions go straight to the next member.

aiokafka sends LeaveGroup only for generations above 0; Tansu numbers a group's first generation 0,
so without ``_leave_even_at_generation_zero`` a closed first member stayed in the group as a ghost
until its session timed out, and the next member could be handed partitions nobody read.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from gongkai.bus import open_bus
from gongkai.events import Topic
from gongkai.settings import Settings
from tests.contract.test_bus import Collector, doc_event
from tests.kafka_broker import Broker, kafka_settings_env
from tests.polling import eventually

pytestmark = pytest.mark.kafka


async def members(bootstrap: str, group: str) -> list[str]:
    """The group's members as the broker's DescribeGroups answers (aiokafka's raw response)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="gongkai-test-admin")
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
        (described,) = response.groups
        return [str(member[0]) for member in described[5]]  # (error, group, state, protocol type, protocol, members)
    finally:
        await admin.close()


async def test_the_first_member_of_a_group_is_gone_as_soon_as_its_bus_closed(
    kafka_broker: Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in kafka_settings_env(kafka_broker).items():
        monkeypatch.setenv(name, value)
    settings = Settings(data_dir=tmp_path)
    run, group = uuid.uuid4().hex[:10], f"g-{uuid.uuid4().hex[:10]}"
    bus = open_bus(settings)
    await bus.start()
    collector = Collector(run)
    await bus.subscribe(group=group, topics=[Topic.DOCUMENTS], handler=collector)
    await bus.publish(doc_event(f"{run}-a", 1))
    await eventually(lambda: len(collector.seen) == 1)
    assert len(await members(settings.kafka_bootstrap, group)) == 1

    await bus.close()

    assert await members(settings.kafka_bootstrap, group) == []
