"""Generates the event documentation from the catalog: JSON Schema per event type and one AsyncAPI file.

``gongkai schemas --out docs/events`` writes them; a test fails when the committed files are stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gongkai.events import CATALOG, TOPICS, Envelope, EventSpec, dead_letter_topic

__all__ = ["asyncapi", "event_schema", "write_schemas"]

_TOPIC_SUMMARIES = {
    "gongkai.documents": "Documents for proactive disclosure (主动公开), from draft to review decision. Internal.",
    "gongkai.requests": "Disclosure requests (依申请公开) and every step of their cases. Internal: personal data.",
    "gongkai.letters": "Mailbox letters and online consultations. Internal: personal data.",
    "gongkai.proposals": "Deputies' suggestions and CPPCC proposals. Internal.",
    "gongkai.appeals": "Administrative reconsiderations and lawsuits about disclosure. Internal.",
    "gongkai.public.letters": (
        "Published letters and replies (公开信件选登) and proposal replies, and their withdrawals, "
        "cleared of personal data."
    ),
    "gongkai.reports": "Figures and prose staff enter for the annual report (年度报告). Internal.",
    "gongkai.public.documents": (
        "Published, corrected and withdrawn documents for downstream agencies. No personal data."
    ),
}


def event_schema(spec: EventSpec) -> dict[str, Any]:
    """The JSON Schema of one event type: the envelope with ``type`` fixed and ``data`` typed."""
    envelope = Envelope.model_json_schema()
    data = spec.model.model_json_schema()
    definitions = {**envelope.pop("$defs", {}), **data.pop("$defs", {})}
    envelope["properties"]["type"] = {"const": spec.type, "type": "string"}
    envelope["properties"]["version"] = {"const": spec.version, "type": "integer"}
    envelope["properties"]["data"] = data
    envelope["title"] = spec.type
    envelope["description"] = spec.summary + (" Public stream." if spec.public else "")
    envelope["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    if definitions:
        envelope["$defs"] = definitions
    return envelope


def asyncapi() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    for topic in TOPICS:
        specs = [s for s in CATALOG.values() if s.topic == topic]
        base = topic.removesuffix(".dlq")
        summary = (
            f"Dead letters of {base}: events a consumer could not handle, with the error; replayable."
            if topic.endswith(".dlq")
            else _TOPIC_SUMMARIES[topic]
        )
        channels[topic] = {
            "address": topic,
            "description": summary + " Kafka key: the event's subject.",
            "messages": {s.type: {"$ref": f"#/components/messages/{s.type}"} for s in specs},
        }
    messages = {
        spec.type: {
            "name": spec.type,
            "title": spec.summary,
            "contentType": "application/json",
            "payload": {"$ref": f"./{spec.type}.schema.json"},
        }
        for spec in CATALOG.values()
    }
    operations = {
        f"receive.{topic}": {"action": "receive", "channel": {"$ref": f"#/channels/{topic}"}}
        for topic in TOPICS
        if topic == "gongkai.public.documents" or topic == dead_letter_topic("gongkai.public.documents")
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Gongkai event streams",
            "version": "1",
            "description": "Topics by aggregate; one JSON value per event (CloudEvents-like envelope). "
            "At-least-once: deduplicate by `id`.",
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def write_schemas(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in CATALOG.values():
        path = out / f"{spec.type}.schema.json"
        path.write_text(_dump(event_schema(spec)), encoding="utf-8")
        written.append(path)
    path = out / "asyncapi.json"
    path.write_text(_dump(asyncapi()), encoding="utf-8")
    written.append(path)
    return written


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
