from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.kafka_broker import Broker, running_broker


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[Broker]:
    with running_broker() as broker:
        yield broker
