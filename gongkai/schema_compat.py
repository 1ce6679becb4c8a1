"""Schema compatibility: a change to an event's schema must not break the consumers that exist.

Every (event type, version) of the catalog has a frozen baseline, ``docs/events/baseline/<type>.v<N>.schema.json``:
its JSON Schema as first released, written once by ``make schemas`` and never rewritten. Within a
version the schema may only grow: a new optional field, a new value of an enumeration, new words in
a description. Anything else is a break (:func:`breaking_changes`), and a break is a new ``version``
with an upcaster (``../shared/design/ARCHITECTURE.md``), whose baseline is then added beside the old one:

* a field removed: old events in the log carry it, and the models refuse unknown fields;
* a field retyped (type, format, bounds, pattern, const) or its values narrowed: old events no longer
  validate, or consumers meet values they were never promised;
* a field that becomes required, new or not: old events lack it;
* a required field that becomes optional: consumers relied on it being there;
* an event type that disappears from the catalog: its consumers wait for it in vain.

>>> old = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
>>> breaking_changes(old, {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]})
['a: type changed from string to integer']
>>> breaking_changes(old, {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
...                        "required": ["a"]})
[]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from gongkai.events import CATALOG
from gongkai.schemas import event_schema

__all__ = ["BASELINE", "baseline_path", "breaking_changes", "check_catalog", "write_missing_baselines"]

BASELINE = Path("docs/events/baseline")

#: Words about a value, not its shape: they may change freely.
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "deprecated", "$comment"})
#: Keywords handled structurally below; every other keyword must stay exactly as it was.
_STRUCTURE = frozenset({"properties", "required", "items", "anyOf", "oneOf", "allOf", "enum", "$defs", "$schema"})


def baseline_path(folder: Path, event_type: str, version: int) -> Path:
    return folder / f"{event_type}.v{version}.schema.json"


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every way in which ``new`` breaks consumers or stored events written against ``old``; empty if none."""
    problems: list[str] = []
    _compare(_Resolver(old), old, _Resolver(new), new, "", problems)
    return problems


def check_catalog(folder: Path) -> list[str]:
    """Compare each catalog event's schema with its baseline; what breaks, and which baselines are missing."""
    problems: list[str] = []
    current = {(spec.type, spec.version): spec for spec in CATALOG.values()}
    for (event_type, version), spec in sorted(current.items()):
        path = baseline_path(folder, event_type, version)
        if not path.exists():
            problems.append(f"{event_type} v{version}: no baseline {path} (run `make schemas` and commit it)")
            continue
        old = json.loads(path.read_text(encoding="utf-8"))
        problems.extend(f"{event_type} v{version}: {p}" for p in breaking_changes(old, event_schema(spec)))
    for path in sorted(folder.glob("*.v*.schema.json")):
        event_type, _, rest = path.name.removesuffix(".schema.json").rpartition(".v")
        if event_type not in CATALOG:
            problems.append(f"{event_type} v{rest}: removed from the catalog, but consumers may still expect it")
    return problems


def write_missing_baselines(folder: Path) -> list[Path]:
    """Freeze the schema of each (type, version) that has no baseline yet; existing ones are never touched."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in CATALOG.values():
        path = baseline_path(folder, spec.type, spec.version)
        if not path.exists():
            path.write_text(
                json.dumps(event_schema(spec), ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
            written.append(path)
    return written


class _Resolver:
    """Follows local ``$ref``s (``#/$defs/Name``): a renamed model is not a changed one."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root

    def resolve(self, schema: dict[str, Any], depth: int = 0) -> dict[str, Any]:
        ref = schema.get("$ref")
        if not isinstance(ref, str) or depth > 20:
            return schema
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, not {ref}")
        target: Any = self.root
        for part in ref[2:].split("/"):
            target = target[part]
        merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return self.resolve(merged, depth + 1)


def _compare(
    old_r: _Resolver, old: dict[str, Any], new_r: _Resolver, new: dict[str, Any], where: str, problems: list[str]
) -> None:
    old, new = _const_as_enum(old_r.resolve(old)), _const_as_enum(new_r.resolve(new))
    name = where or "(event)"
    old_alts, new_alts = _alternatives(old), _alternatives(new)
    if old_alts is not None or new_alts is not None:
        _compare_alternatives(old_r, old_alts or [old], new_r, new_alts or [new], name, problems)
        return
    for key in sorted((set(old) | set(new)) - _ANNOTATIONS - _STRUCTURE):
        if old.get(key) != new.get(key):
            what = "type" if key == "type" else key
            problems.append(f"{name}: {what} changed from {_show(old.get(key))} to {_show(new.get(key))}")
    if "enum" in old or "enum" in new:
        if "enum" not in old:
            problems.append(f"{name}: values restricted to {_show(new['enum'])}")
        else:
            dropped = [v for v in old["enum"] if v not in new.get("enum", old["enum"])]
            if dropped:
                problems.append(f"{name}: values {_show(dropped)} removed")
    if "items" in old or "items" in new:
        _compare(old_r, old.get("items", {}), new_r, new.get("items", {}), f"{where}[]", problems)
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
    for prop in sorted(old_props):
        path = f"{where}.{prop}" if where else prop
        if prop not in new_props:
            problems.append(f"{path}: removed")
            continue
        _compare(old_r, old_props[prop], new_r, new_props[prop], path, problems)
        if prop in old_required and prop not in new_required:
            problems.append(f"{path}: no longer required")
    for prop in sorted(new_required - old_required):
        path = f"{where}.{prop}" if where else prop
        problems.append(f"{path}: {'now required' if prop in old_props else 'added as required'}")


def _const_as_enum(schema: dict[str, Any]) -> dict[str, Any]:
    """``Literal["a"]`` is ``enum: ["a"]`` with one value: compared the same way as a longer one."""
    if "const" in schema and "enum" not in schema:
        return {**{k: v for k, v in schema.items() if k != "const"}, "enum": [schema["const"]]}
    return schema


def _alternatives(schema: dict[str, Any]) -> list[dict[str, Any]] | None:
    for key in ("anyOf", "oneOf"):
        if key in schema:
            alternatives: list[dict[str, Any]] = schema[key]
            return alternatives
    return None


def _compare_alternatives(
    old_r: _Resolver,
    old: list[dict[str, Any]],
    new_r: _Resolver,
    new: list[dict[str, Any]],
    name: str,
    problems: list[str],
) -> None:
    """``A | B`` must stay ``A | B``: each alternative is matched by its shape and compared in turn."""
    old_by = {_kind(old_r.resolve(a)): a for a in old}
    new_by = {_kind(new_r.resolve(a)): a for a in new}
    for kind in sorted(set(old_by) - set(new_by)):
        problems.append(f"{name}: no longer accepts {kind}")
    for kind in sorted(set(new_by) - set(old_by)):
        problems.append(f"{name}: now also {kind}")
    for kind in sorted(set(old_by) & set(new_by)):
        _compare(old_r, old_by[kind], new_r, new_by[kind], name if len(old_by) == 1 else f"{name}<{kind}>", problems)


def _kind(schema: dict[str, Any]) -> str:
    if "const" in schema:
        return f"const {_show(schema['const'])}"
    kind = schema.get("type", "any")
    return (
        "/".join(kind)
        if isinstance(kind, list)
        else str(kind) + (f" ({schema['format']})" if "format" in schema else "")
    )


def _show(value: Any) -> str:
    return "(none)" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


if __name__ == "__main__":  # python -m gongkai.schema_compat [FOLDER]: add missing baselines, then check
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else BASELINE
    for written in write_missing_baselines(folder):
        sys.stdout.write(f"{written}\n")
    found = check_catalog(folder)
    sys.stdout.write("".join(f"breaking: {p}\n" for p in found))
    raise SystemExit(1 if found else 0)
