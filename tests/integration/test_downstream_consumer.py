"""Downstream agencies: the example consumer (examples/downstream_consumer.py, kafka-python) receives a
published and a withdrawn document over a Kafka-protocol broker, and ``gongkai tail`` reads the same topic."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from gongkai.bus.kafka import KafkaBus
from gongkai.cli import cli
from gongkai.events import Envelope, Topic
from gongkai.settings import Settings
from gongkai.tail import records
from tests.deploy.events import published, withdrawn
from tests.kafka_broker import Broker, kafka_settings_env, running_broker
from tests.polling import eventually_sync

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def kafka_broker() -> Iterator[Broker]:
    """A Tansu broker of this module's own (tests/kafka_broker.py, as the session's ``kafka_broker``): the
    documents published here would otherwise reach the services of the other Kafka tests, which share the
    session's broker and count what they read. ``KAFKA_BOOTSTRAP`` still points it at a real cluster."""
    with running_broker() as broker:
        yield broker


def kafka_settings(broker: Broker, data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        bus=f"kafka://{broker.bootstrap}",
        kafka_idempotence=not broker.is_tansu,
    )


def publish(settings: Settings, events: list[Envelope]) -> None:
    async def go() -> None:
        bus = KafkaBus(settings)
        await bus.start()
        try:
            await bus.publish_many(events)
        finally:
            await bus.close()

    asyncio.run(go())


def mirrored(db: Path) -> dict[str, tuple[str, int, str | None]]:
    if not db.exists():
        return {}
    try:
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT id, status, version, title FROM documents").fetchall()
    except sqlite3.OperationalError:  # the consumer is creating its tables
        return {}
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def test_the_example_consumer_receives_a_published_and_a_withdrawn_document(
    kafka_broker: Broker, tmp_path: Path
) -> None:
    settings = kafka_settings(kafka_broker, tmp_path)
    kept, gone = f"doc-{uuid.uuid4()}", f"doc-{uuid.uuid4()}"
    events = [published(kept, "关于印发年度计划的通知"), published(gone, "已过时的通知"), withdrawn(gone, version=2)]
    publish(settings, events)

    db = tmp_path / "mirror.db"
    out = tmp_path / "consumer.out"
    with open(out, "wb") as stdout, open(tmp_path / "consumer.err", "wb") as stderr:
        consumer = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "examples" / "downstream_consumer.py"),
                "--bootstrap",
                kafka_broker.bootstrap,
                "--group",
                f"city-platform-{uuid.uuid4()}",
                "--db",
                str(db),
                *(["--session-timeout-ms", "3000", "--max-poll-interval-ms", "3000"] if kafka_broker.is_tansu else []),
            ],
            stdout=stdout,
            stderr=stderr,
        )
        try:

            def both_arrived() -> bool:
                assert consumer.poll() is None, (tmp_path / "consumer.err").read_text()
                docs = mirrored(db)
                return docs.get(kept, ("",))[0] == "published" and docs.get(gone, ("",))[0] == "withdrawn"

            eventually_sync(both_arrived, timeout=60, every=0.2)
        finally:
            consumer.send_signal(signal.SIGTERM)
            code = consumer.wait(timeout=30)
    assert code == 0, (tmp_path / "consumer.err").read_text()
    docs = mirrored(db)
    assert docs[kept] == ("published", 1, "关于印发年度计划的通知")
    assert docs[gone] == ("withdrawn", 2, None)  # its text is dropped with it
    changes = [json.loads(line) for line in out.read_text().splitlines()]
    ours = [(c["event"], c["document"], c["version"]) for c in changes if c["document"] in (kept, gone)]
    assert sorted(ours) == sorted(
        [("document.published", kept, 1), ("document.published", gone, 1), ("document.withdrawn", gone, 2)]
    )
    assert ours.index(("document.published", gone, 1)) < ours.index(
        ("document.withdrawn", gone, 2)
    )  # one key, in order

    # Operators see the same stream with `gongkai tail`, keyed by document id, without joining a group.
    keyed = {
        json.loads(r.value)["id"]: r.key
        for r in records(settings, Topic.PUBLIC_DOCUMENTS, last=None)
        if json.loads(r.value)["subject"] in (kept, gone)
    }
    assert keyed == {str(e.id): e.subject for e in events}
    env = {**kafka_settings_env(kafka_broker), "GONGKAI_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(
        cli, ["tail", Topic.PUBLIC_DOCUMENTS, "--from-beginning", "--type", "document.withdrawn", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    assert any(json.loads(line)["subject"] == gone for line in result.output.splitlines())
