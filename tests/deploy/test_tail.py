"""``gongkai tail TOPIC`` on the embedded log (tests/integration/test_downstream_consumer.py runs it on Kafka)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from click.testing import CliRunner

from gongkai.bus.delivery import DeadLetter
from gongkai.bus.embedded import EmbeddedBus
from gongkai.cli import cli
from gongkai.events import Envelope, Topic
from gongkai.settings import Settings
from gongkai.tail import records
from tests.deploy.events import WHEN, published, withdrawn


def publish(data_dir: Path, events: Sequence[Envelope], raw: Sequence[tuple[str, bytes]] = ()) -> None:
    async def go() -> None:
        bus = EmbeddedBus(data_dir / "bus.db")
        await bus.start()
        try:
            for event in events:
                await bus.publish(event)
            for topic, value in raw:
                await bus.publish_raw(topic, key="k", value=value)
        finally:
            await bus.close()

    asyncio.run(go())


def tail(data_dir: Path, *args: str) -> list[str]:
    result = CliRunner().invoke(cli, ["tail", *args, "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_it_prints_the_last_events_one_line_each(tmp_path: Path) -> None:
    events = [published(f"doc-{i}", f"通知{i}") for i in range(12)]
    publish(tmp_path, events)
    lines = tail(tmp_path, Topic.PUBLIC_DOCUMENTS)
    assert lines == [
        f"{WHEN.isoformat().replace('+00:00', 'Z')}  document.published v1  {e.subject}  {e.id}" for e in events[-10:]
    ]
    assert len(tail(tmp_path, Topic.PUBLIC_DOCUMENTS, "-n", "3")) == 3
    assert len(tail(tmp_path, Topic.PUBLIC_DOCUMENTS, "--from-beginning")) == 12
    assert tail(tmp_path, Topic.PUBLIC_DOCUMENTS, "-n", "0") == []
    assert tail(tmp_path, Topic.DOCUMENTS) == []  # other topics are not mixed in


def test_json_prints_whole_records_and_type_filters(tmp_path: Path) -> None:
    publish(tmp_path, [published("d1", "甲"), withdrawn("d1", version=2), published("d2", "乙")])
    (line,) = tail(tmp_path, Topic.PUBLIC_DOCUMENTS, "--type", "document.withdrawn", "--json")
    record = json.loads(line)
    assert record["type"] == "document.withdrawn" and record["subject"] == "d1" and record["data"]["version"] == 2
    last_published = tail(tmp_path, Topic.PUBLIC_DOCUMENTS, "--type", "document.published", "-n", "1")
    assert len(last_published) == 1 and "  d2  " in last_published[0]


def test_dead_letters_show_the_group_the_error_and_the_event(tmp_path: Path) -> None:
    event = published("d9", "丙")
    letter = DeadLetter(
        group="publish-index",
        topic=Topic.PUBLIC_DOCUMENTS,
        error="ValueError: boom",
        attempts=5,
        failed_at=WHEN,
        event=json.loads(event.to_bytes()),
    )
    publish(
        tmp_path,
        [],
        raw=[
            (Topic.PUBLIC_DOCUMENTS + ".dlq", letter.model_dump_json().encode()),
            (Topic.PUBLIC_DOCUMENTS + ".dlq", b"\xff"),
        ],
    )
    first, second = tail(tmp_path, Topic.PUBLIC_DOCUMENTS + ".dlq")
    assert "dead letter of publish-index after 5 attempts: ValueError: boom" in first
    assert f"document.published d9 {event.id}" in first
    assert second == "(undecodable record, 1 bytes)"
    assert tail(tmp_path, Topic.PUBLIC_DOCUMENTS + ".dlq", "--type", "document.published", "-n", "5") == [first]


def test_follow_prints_what_arrives_later(tmp_path: Path) -> None:
    publish(tmp_path, [published("d1", "甲")])
    settings = Settings(data_dir=tmp_path)
    stream = records(settings, Topic.PUBLIC_DOCUMENTS, last=5, follow=True, poll_s=0.01)
    assert json.loads(next(stream).value)["subject"] == "d1"
    publish(tmp_path, [withdrawn("d1", version=2)])
    later = next(stream)
    assert json.loads(later.value)["type"] == "document.withdrawn" and later.key == "d1"
    stream.close()


def test_it_never_writes_to_the_log(tmp_path: Path) -> None:
    publish(tmp_path, [published("d1", "甲")])
    before = (tmp_path / "bus.db").read_bytes()
    tail(tmp_path, Topic.PUBLIC_DOCUMENTS, "--from-beginning")
    assert (tmp_path / "bus.db").read_bytes() == before
    with sqlite3.connect(tmp_path / "bus.db") as conn:
        assert conn.execute("SELECT count(*) FROM offsets").fetchone() == (0,)  # no consumer group either


def test_unknown_topics_and_missing_logs_are_usage_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["tail", "gongkai.nope", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "unknown topic 'gongkai.nope'" in result.output
    result = CliRunner().invoke(cli, ["tail", Topic.DOCUMENTS, "--data-dir", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "no event log" in result.output
