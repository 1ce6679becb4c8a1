"""A downstream consumer of Gongkai's public document stream, for the city platform and other agencies.

It reads the Kafka topic ``gongkai.public.documents`` in its own consumer group with kafka-python and keeps
a copy of every public document in a local SQLite file: published and corrected documents are stored,
withdrawn ones marked withdrawn (their text dropped), validity changes applied. Run it with::

    pip install kafka-python
    python examples/downstream_consumer.py --bootstrap kafka.example.gov.cn:9092 --group city-platform \\
        --db city-mirror.db

Each applied event is also printed as one JSON line (``{"event": …, "document": …, "version": …}``).
The stream's contract (docs/events/asyncapi.json and the JSON Schemas beside it):

* one JSON object per record, the envelope ``{id, type, version, occurred_at, subject, data, …}``;
  the Kafka key is the document id (``subject``), so one document's events stay in order;
* delivery is at least once: the same event may come twice. Deduplicate by ``id``, and keep per
  document the highest ``data.version``, so replays and late events change nothing;
* within a ``version`` fields are only ever added, never removed or retyped: ignore fields and event
  types you do not know, and check ``version`` before you read ``data``;
* commit your offsets after your own write, as here, so a crash replays instead of skipping.

To read everything again (a new mirror), use a new ``--group`` or reset the group's offsets
(docs/operations.md, "Replaying a consumer").
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from typing import Any

TOPIC = "gongkai.public.documents"
#: The envelope versions this consumer understands, per event type.
UNDERSTOOD = {
    "document.published": 1,
    "document.corrected": 1,
    "document.withdrawn": 1,
    "document.validity_changed": 1,
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,           -- published | withdrawn
    title TEXT, body TEXT, category TEXT, department TEXT, doc_number TEXT,
    published_at TEXT, withdrawn_at TEXT, withdrawal_reason TEXT,
    validity TEXT, replaced_by TEXT,
    revision INTEGER
);
CREATE TABLE IF NOT EXISTS seen_events (id TEXT PRIMARY KEY);
"""

log = logging.getLogger("downstream")


def open_mirror(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    return conn


def apply(conn: sqlite3.Connection, event: dict[str, Any]) -> dict[str, Any] | None:
    """Apply one envelope to the mirror; what changed, or ``None`` for a duplicate, stale or unknown event."""
    kind, data, doc_id = event.get("type"), event.get("data") or {}, event.get("subject")
    if UNDERSTOOD.get(str(kind)) != event.get("version") or not doc_id:
        log.info("skipping %s v%s: not understood by this consumer", kind, event.get("version"))
        return None
    if conn.execute("SELECT 1 FROM seen_events WHERE id = ?", (event["id"],)).fetchone():
        return None
    conn.execute("INSERT INTO seen_events(id) VALUES (?)", (event["id"],))
    version = int(data["version"])
    row = conn.execute("SELECT version FROM documents WHERE id = ?", (doc_id,)).fetchone()
    if row is not None and row[0] >= version:
        return None  # a replay or an event overtaken by a newer one
    if kind in ("document.published", "document.corrected"):
        conn.execute(
            "INSERT OR REPLACE INTO documents(id, version, status, title, body, category, department, doc_number,"
            " published_at, validity, replaced_by, revision) VALUES (?, ?, 'published', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                doc_id,
                version,
                data["title"],
                data["body"],
                data["category"],
                data["department"],
                data.get("doc_number"),
                data["published_at"],
                data.get("validity", "in_force"),
                data.get("replaced_by"),
                data.get("revision", 1),
            ),
        )
    elif kind == "document.withdrawn":
        conn.execute(
            "INSERT INTO documents(id, version, status, withdrawn_at, withdrawal_reason)"
            " VALUES (?, ?, 'withdrawn', ?, ?) ON CONFLICT(id) DO UPDATE SET version = excluded.version,"
            " status = 'withdrawn', title = NULL, body = NULL, withdrawn_at = excluded.withdrawn_at,"
            " withdrawal_reason = excluded.withdrawal_reason",
            (doc_id, version, data["withdrawn_at"], data["reason"]),
        )
    else:  # document.validity_changed: the document stays public, labelled amended or repealed
        if row is None:
            return None  # never saw it published: nothing to label
        conn.execute(
            "UPDATE documents SET version = ?, validity = ?, replaced_by = ? WHERE id = ?",
            (version, data["validity"], data.get("replaced_by"), doc_id),
        )
    return {"event": kind, "document": doc_id, "version": version}


def consume(
    consumer: Any,
    conn: sqlite3.Connection,
    *,
    emit: Callable[[dict[str, Any]], None],
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Poll, apply each batch in one transaction, then commit the offsets; until ``should_stop()``."""
    while not should_stop():
        batch = consumer.poll(timeout_ms=500)
        if not batch:
            continue
        changes = []
        with conn:  # one SQLite transaction per batch
            for records in batch.values():
                for record in records:
                    try:
                        event = json.loads(record.value)
                    except ValueError:
                        log.warning("undecodable record at %s/%s", record.partition, record.offset)
                        continue
                    change = apply(conn, event)
                    if change is not None:
                        changes.append(change)
        consumer.commit()  # after the write: a crash before this replays the batch, harmlessly
        for change in changes:
            emit(change)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers, host:port[,host:port]")
    parser.add_argument("--group", default="city-platform", help="this consumer's group id")
    parser.add_argument("--db", default="public-documents.db", help="the local SQLite mirror")
    parser.add_argument("--topic", default=TOPIC)
    # Kafka's defaults suit a real cluster; the tests shorten them for their small test broker.
    parser.add_argument("--session-timeout-ms", type=int, default=10_000)
    parser.add_argument("--max-poll-interval-ms", type=int, default=300_000, help="also the rebalance timeout")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")

    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        args.topic,
        bootstrap_servers=args.bootstrap.split(","),
        group_id=args.group,
        client_id=f"{args.group}-mirror",
        enable_auto_commit=False,
        auto_offset_reset="earliest",  # a new group starts at the beginning of the stream
        session_timeout_ms=args.session_timeout_ms,
        heartbeat_interval_ms=min(3_000, args.session_timeout_ms // 3),
        max_poll_interval_ms=args.max_poll_interval_ms,
    )
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    conn = open_mirror(args.db)
    started = time.monotonic()
    try:
        consume(
            consumer,
            conn,
            emit=lambda change: print(json.dumps(change, ensure_ascii=False), flush=True),  # noqa: T201
            should_stop=lambda: stopping,
        )
    finally:
        consumer.close()
        conn.close()
        log.info("stopped after %.0f s", time.monotonic() - started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
