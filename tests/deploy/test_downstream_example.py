"""The example downstream consumer's rules, without Kafka: deduplicate by id, keep the highest version,
skip what it does not understand (tests/integration/test_downstream_consumer.py runs it over a broker)."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import date
from types import ModuleType
from typing import Any

import pytest

from gongkai.events import CATALOG, DocumentValidityChanged, Envelope, Topic, new_event
from tests.deploy.events import published, withdrawn
from tests.deploy.tools import ROOT


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("downstream_consumer", ROOT / "examples" / "downstream_consumer.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def envelope(event: Envelope) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(event.to_bytes())  # exactly what a consumer reads off the topic
    return loaded


def test_replays_and_late_events_change_nothing(example: ModuleType) -> None:
    conn = example.open_mirror(":memory:")
    first, gone, later = published("d1", "甲", version=1), withdrawn("d1", version=3), published("d1", "乙", version=2)
    assert example.apply(conn, envelope(first)) == {"event": "document.published", "document": "d1", "version": 1}
    assert example.apply(conn, envelope(first)) is None  # the same event twice
    assert example.apply(conn, envelope(gone))["event"] == "document.withdrawn"
    assert example.apply(conn, envelope(later)) is None  # older than the withdrawal
    assert conn.execute("SELECT status, version, title FROM documents").fetchall() == [("withdrawn", 3, None)]


def test_validity_changes_label_a_document_and_unknown_events_are_skipped(example: ModuleType) -> None:
    conn = example.open_mirror(":memory:")
    example.apply(conn, envelope(published("d1", "甲", version=1)))
    repeal = new_event(
        "document.validity_changed",
        subject="d1",
        source="publish",
        data=DocumentValidityChanged(validity="repealed", effective_on=date(2026, 4, 1), replaced_by="d2", version=2),
    )
    assert example.apply(conn, envelope(repeal))["version"] == 2
    assert conn.execute("SELECT status, validity, replaced_by FROM documents").fetchall() == [
        ("published", "repealed", "d2")
    ]
    future = {**envelope(published("d3", "丙")), "version": 2}
    assert example.apply(conn, future) is None  # a version this consumer was not written for
    assert example.apply(conn, {**envelope(published("d4", "丁")), "type": "document.translated"}) is None


def test_it_understands_every_event_of_the_public_stream(example: ModuleType) -> None:
    public = {spec.type: spec.version for spec in CATALOG.values() if spec.topic == Topic.PUBLIC_DOCUMENTS}
    assert public == example.UNDERSTOOD
