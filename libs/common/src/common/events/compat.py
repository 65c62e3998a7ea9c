"""The compatibility rule for published events, as code CI runs.

A new version of an event may add optional fields only. Renaming, removing or retyping a field,
or adding a required one, breaks readers that other teams have deployed; it needs a new
``schema_version`` with an upcaster (``upcast_vN_vN+1``, ``common.events.base.upcast``), which
also makes it a new message (``…CallEnded.v2``) in the AsyncAPI document.

The schema of each released version is kept in ``docs/events/schemas/<Type>.v<N>.json``. The
check compares the code's schema of every public event with the committed one of the same
version; a version with no committed schema must be the step after a committed one and come
with its upcaster. Pure functions over JSON Schema documents, no I/O but reading that folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from common.events import calls, leads, qa, scheduling
from common.events.base import DomainEvent, registered_types
from common.events.personal import personal_fields

# The modules whose events are published to other teams (tests register their own events in
# the same registry; those are not part of the contract).
PUBLIC_MODULES = (calls, leads, qa, scheduling)


def public_events() -> list[type[DomainEvent]]:
    """Every published event class, by owner then name."""
    modules = {m.__name__ for m in PUBLIC_MODULES}
    found = [cls for cls in registered_types().values() if cls.__module__ in modules]
    return sorted(found, key=lambda cls: (cls.owner, cls.event_type))


def schema_file_name(cls: type[DomainEvent]) -> str:
    return f"{cls.event_type}.v{cls.schema_version}.json"


def event_schema(cls: type[DomainEvent]) -> dict[str, Any]:
    """The JSON Schema of the event's data (the message body), generated from the pydantic
    model, with the CloudEvents type it travels under and its personal fields."""
    schema = cls.model_json_schema(mode="serialization")
    schema["$id"] = f"urn:{cls.cloudevents_type()}"
    schema["x-cloudevents-type"] = cls.cloudevents_type()
    schema["x-schema-version"] = cls.schema_version
    schema["x-personal-data"] = personal_fields(cls)
    return schema


# --- comparing two schemas ----------------------------------------------------------------


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved = root.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
        return resolved if isinstance(resolved, dict) else {}
    return schema


def _shape(schema: dict[str, Any], root: dict[str, Any], seen: frozenset[str] = frozenset()) -> Any:
    """What a reader relies on in a field's schema: its JSON types, allowed values, item shape
    and, for an object, that it is an object (its fields are compared one by one). Titles,
    descriptions and defaults are left out: they do not change what a reader receives."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in seen:
            return ("ref", ref)
        return _shape(_resolve(schema, root), root, seen | {ref})
    for key in ("anyOf", "oneOf"):
        if key in schema:
            shapes = {json.dumps(_shape(s, root, seen), sort_keys=True) for s in schema[key]}
            return ("union", tuple(sorted(shapes)))
    if "const" in schema:
        return ("const", json.dumps(schema["const"]))
    if "enum" in schema:
        return ("enum", tuple(sorted(json.dumps(v) for v in schema["enum"])))
    kind = schema.get("type")
    if kind == "array":
        return ("array", _shape(schema.get("items", {}), root, seen))
    if kind == "object" or "properties" in schema:
        return ("object",)
    return (kind, schema.get("format"))


def _object_changes(
    path: str,
    old: dict[str, Any],
    old_root: dict[str, Any],
    new: dict[str, Any],
    new_root: dict[str, Any],
    depth: int = 0,
) -> list[str]:
    if depth > 8:  # recursive models: the shapes above already compared them
        return []
    changes: list[str] = []
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    old_required = set(old.get("required", []))
    new_required = set(new.get("required", []))
    for name, old_field in old_props.items():
        where = f"{path}{name}"
        if name not in new_props:
            changes.append(f"{where}: removed (or renamed)")
            continue
        new_field = new_props[name]
        if name in new_required and name not in old_required:
            changes.append(f"{where}: was optional, now required")
        if _shape(old_field, old_root) != _shape(new_field, new_root):
            changes.append(f"{where}: type changed")
            continue
        changes += _nested_changes(where, old_field, old_root, new_field, new_root, depth)
    for name in sorted(set(new_props) - set(old_props)):
        if name in new_required:
            changes.append(f"{path}{name}: new required field")
    return changes


def _members(schema: dict[str, Any], root: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _resolve(schema, root)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [m for s in schema[key] for m in _members(s, root)]
    return [schema]


def _nested_changes(
    where: str,
    old_field: dict[str, Any],
    old_root: dict[str, Any],
    new_field: dict[str, Any],
    new_root: dict[str, Any],
    depth: int,
) -> list[str]:
    """Fields inside a nested object (``customer.lead_id``) or a list of objects
    (``turns[].text``) follow the same rule."""
    changes: list[str] = []
    old_members, new_members = _members(old_field, old_root), _members(new_field, new_root)
    for old_m, new_m in zip(old_members, new_members, strict=False):
        if old_m.get("type") == "array":
            items_old = _members(old_m.get("items", {}), old_root)
            items_new = _members(new_m.get("items", {}), new_root)
            for io, inn in zip(items_old, items_new, strict=False):
                if "properties" in io:
                    changes += _object_changes(f"{where}[].", io, old_root, inn, new_root, depth + 1)
        elif "properties" in old_m:
            changes += _object_changes(f"{where}.", old_m, old_root, new_m, new_root, depth + 1)
    return changes


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in ``new`` would break a reader written against ``old``: removed or renamed fields,
    retyped fields, new required fields, optional fields made required. Empty when ``new`` only
    adds optional fields (or changes descriptions)."""
    return _object_changes("", old, old, new, new)


# --- the check over every public event ------------------------------------------------------


def load_committed(schemas_dir: Path) -> dict[tuple[str, int], dict[str, Any]]:
    committed: dict[tuple[str, int], dict[str, Any]] = {}
    for path in sorted(schemas_dir.glob("*.v*.json")):
        name, _, version = path.name.removesuffix(".json").rpartition(".v")
        committed[(name, int(version))] = json.loads(path.read_text())
    return committed


def check_event(cls: type[DomainEvent], committed: dict[tuple[str, int], dict[str, Any]]) -> list[str]:
    """The rule for one event class against the released schemas. A new event (no released
    version at all) passes; so does a new version that follows the last released one with its
    upcaster."""
    name, version = cls.event_type, cls.schema_version
    released = sorted(v for (n, v) in committed if n == name)
    if not released:
        return []
    current = event_schema(cls)
    if version in released:
        return [f"{name}.v{version} {change}" for change in breaking_changes(committed[(name, version)], current)]
    last = released[-1]
    if version < last:
        return [f"{name}: the code is at v{version}, v{last} was already released"]
    problems = []
    for step in range(last, version):
        if not callable(getattr(cls, f"upcast_v{step}_v{step + 1}", None)):
            problems.append(f"{name}.v{version}: no upcast_v{step}_v{step + 1} from the released v{last}")
    return problems


def check_all(schemas_dir: Path, events: list[type[DomainEvent]] | None = None) -> list[str]:
    """Every breaking change of every public event; and every released event still published
    (removing an event type breaks its subscribers as surely as removing a field)."""
    events = public_events() if events is None else events
    committed = load_committed(schemas_dir)
    problems = [p for cls in events for p in check_event(cls, committed)]
    present = {cls.event_type for cls in events}
    for name in sorted({n for (n, _) in committed} - present):
        problems.append(f"{name}: released, no longer published")
    return problems


__all__ = [
    "PUBLIC_MODULES",
    "breaking_changes",
    "check_all",
    "check_event",
    "event_schema",
    "load_committed",
    "public_events",
    "schema_file_name",
]
