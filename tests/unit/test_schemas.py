"""The event docs are generated from the catalog, never written by hand, and never stale."""

from __future__ import annotations

import json
from pathlib import Path

from gongkai.events import CATALOG, TOPICS
from gongkai.schemas import asyncapi, event_schema, write_schemas

DOCS = Path(__file__).parents[2] / "docs" / "events"


def test_committed_event_docs_match_the_catalog(tmp_path: Path) -> None:
    for fresh in write_schemas(tmp_path):
        committed = DOCS / fresh.relative_to(tmp_path)
        assert committed.exists(), f"{committed} missing: run `make schemas`"
        assert committed.read_text(encoding="utf-8") == fresh.read_text(encoding="utf-8"), (
            f"{committed} is stale: run `make schemas`"
        )


def test_every_topic_is_a_channel_and_every_event_a_message() -> None:
    doc = asyncapi()
    assert set(doc["channels"]) == set(TOPICS)
    assert set(doc["components"]["messages"]) == set(CATALOG)


def test_an_event_schema_fixes_the_type_and_types_the_data() -> None:
    schema = event_schema(CATALOG["document.published"])
    assert schema["properties"]["type"] == {"const": "document.published", "type": "string"}
    assert "published_at" in schema["properties"]["data"]["properties"]
    json.dumps(schema)


def test_public_events_carry_no_personal_data_fields() -> None:
    personal = {"name", "id_number", "phone", "email", "address", "applicant", "contact"}
    for spec in CATALOG.values():
        if spec.public:
            assert not personal & set(spec.model.model_fields), spec.type
