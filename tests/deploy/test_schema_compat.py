"""Schema compatibility: the catalog's event schemas against their frozen baselines, and the rules themselves."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import Field, create_model

from gongkai.events import CATALOG, EventData, EventSpec
from gongkai.schema_compat import baseline_path, breaking_changes, check_catalog, write_missing_baselines
from gongkai.schemas import event_schema
from tests.deploy.tools import ROOT

BASELINE = ROOT / "docs" / "events" / "baseline"


def test_every_event_is_compatible_with_its_baseline() -> None:
    problems = check_catalog(BASELINE)
    assert not problems, (
        "these changes break consumers or the events already in the log; make them a new version with an "
        "upcaster instead:\n" + "\n".join(problems)
    )


def test_the_baselines_are_the_released_schemas_of_the_public_stream() -> None:
    for spec in CATALOG.values():
        if spec.public:
            saved = json.loads(baseline_path(BASELINE, spec.type, spec.version).read_text(encoding="utf-8"))
            assert saved["properties"]["type"]["const"] == spec.type


# --- the rules ---------------------------------------------------------------------------------------------


class Item(EventData):
    code: str
    size: int = 0


class Renamed(EventData):  # the same shape under another name
    code: str
    size: int = 0


class ItemWithoutSize(EventData):
    code: str


class V1(EventData):
    title: str
    count: int = 0
    kind: Literal["a", "b"] = "a"
    note: str | None = None
    formed_on: date | None = None
    item: Item
    items: list[Item] = Field(default_factory=list)


def schema(model: type[EventData]) -> dict[str, Any]:
    return event_schema(EventSpec("thing.happened", "gongkai.documents", model, 1, "Something happened."))


def changes(**fields: Any) -> list[str]:
    """What breaks when V1 becomes V1 with ``fields`` replaced by ``(annotation, default)`` (``None`` removes one)."""
    definitions: dict[str, Any] = {name: (f.annotation, f) for name, f in V1.model_fields.items()}
    for name, value in fields.items():
        if value is None:
            del definitions[name]
        else:
            definitions[name] = value
    changed = create_model("V2", __base__=EventData, **definitions)
    return breaking_changes(schema(V1), schema(changed))


def test_the_same_schema_is_compatible() -> None:
    assert breaking_changes(schema(V1), schema(V1)) == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"extra": (str | None, None)}, []),  # a new optional field
        ({"kind": (Literal["a", "b", "c"], "a")}, []),  # a new value
        ({"item": (Renamed, ...)}, []),  # a model renamed: the shape is what counts
        ({"count": (int, Field(default=0, description="how many"))}, []),  # words
        ({"title": None}, ["data.title: removed"]),
        ({"count": (str, "0")}, ["data.count: type changed from integer to string"]),
        ({"extra": (str, ...)}, ["data.extra: added as required"]),
        ({"count": (int, ...)}, ["data.count: now required"]),
        ({"title": (str, "")}, ["data.title: no longer required"]),
        (
            {"kind": (Literal["a"], "a")},
            ['data.kind: values ["b"] removed'],
        ),
        ({"title": (str | None, ...)}, ["data.title: now also null"]),
        ({"note": (str, "")}, ["data.note: no longer accepts null"]),
        (
            {"formed_on": (datetime | None, None)},
            ["data.formed_on: no longer accepts string (date)", "data.formed_on: now also string (date-time)"],
        ),
        ({"count": (int, Field(default=0, ge=1))}, ["data.count: minimum changed from (none) to 1"]),
        ({"item": (ItemWithoutSize, ...)}, ["data.item.size: removed"]),
        ({"items": (list[ItemWithoutSize], Field(default_factory=list))}, ["data.items[].size: removed"]),
    ],
)
def test_what_breaks_and_what_does_not(fields: dict[str, Any], expected: list[str]) -> None:
    assert changes(**fields) == expected


def test_an_envelope_change_breaks_every_event() -> None:
    old = schema(V1)
    new = json.loads(json.dumps(old))
    del new["properties"]["subject"]
    assert breaking_changes(old, new) == ["subject: removed"]


def test_missing_and_removed_event_types_are_reported(tmp_path: Path) -> None:
    assert len(check_catalog(tmp_path)) == len(CATALOG)
    assert all("no baseline" in p for p in check_catalog(tmp_path))
    written = write_missing_baselines(tmp_path)
    assert len(written) == len(CATALOG) and check_catalog(tmp_path) == []
    (tmp_path / "thing.gone.v1.schema.json").write_text("{}")
    assert check_catalog(tmp_path) == ["thing.gone v1: removed from the catalog, but consumers may still expect it"]


def test_a_baseline_is_never_rewritten(tmp_path: Path) -> None:
    write_missing_baselines(tmp_path)
    frozen = next(iter(sorted(tmp_path.iterdir())))
    frozen.write_text('{"frozen": true}')
    assert write_missing_baselines(tmp_path) == []
    assert frozen.read_text() == '{"frozen": true}'
