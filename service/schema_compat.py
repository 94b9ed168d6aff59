"""Is a JSON Schema change safe for the consumers of a topic? (pure functions over dicts)

A change is *compatible* when both hold, so it can ship under the same ``schema_version``:

- every record valid under the old schema is still valid under the new one (records already
  in the topics, the compacted ``stories`` above all, and consumers that re-read history
  with the new schema), and
- every record valid under the new schema was valid under the old one (consumers still
  built against the old schema).

In practice only annotations (``description``, ``examples``, ``title``, ...) may change and
new *optional* properties may be added where extra properties were already allowed.
Everything else is reported by :func:`breaking_changes`: a property removed, a type changed,
narrowed or widened, an optional field made required (or the reverse), an enum value removed
or added, a constraint changed. :func:`check` accepts any change when the root
``schema_version`` const is bumped.
"""

from __future__ import annotations

from typing import Any

ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "examples", "default", "deprecated"}
)


def schema_version(schema: dict[str, Any]) -> int | None:
    """The root ``schema_version`` const, or None when the schema does not pin one."""
    prop = schema.get("properties", {}).get("schema_version", {})
    value = prop.get("const") if isinstance(prop, dict) else None
    return value if isinstance(value, int) else None


def check(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Breaking changes from ``old`` to ``new``; empty when compatible or the version is bumped."""
    old_v, new_v = schema_version(old), schema_version(new)
    if old_v is not None and new_v is not None and new_v > old_v:
        return []
    return breaking_changes(old, new)


def breaking_changes(old: Any, new: Any, path: str = "#") -> list[str]:
    """Consumer-visible differences between two (sub)schemas, one message each."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [] if strip(old) == strip(new) else [f"{path}: schema changed"]
    out: list[str] = []
    out += _types(old, new, path)
    out += _enum(old, new, path)
    out += _object(old, new, path)
    for key in ("items", "additionalItems", "contains", "not", "if", "then", "else"):
        if key in old or key in new:
            out += _sub(old.get(key), new.get(key), f"{path}/{key}")
    for key in ("$defs", "definitions", "patternProperties"):
        old_map, new_map = old.get(key, {}), new.get(key, {})
        for name in sorted(old_map.keys() | new_map.keys()):
            out += _sub(old_map.get(name), new_map.get(name), f"{path}/{key}/{name}")
    handled = {
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "additionalItems",
        "contains",
        "not",
        "if",
        "then",
        "else",
        "$defs",
        "definitions",
        "patternProperties",
    }
    for key in sorted((old.keys() | new.keys()) - handled - ANNOTATIONS):
        if strip(old.get(key)) != strip(new.get(key)):
            out.append(f"{path}: {key} changed from {old.get(key)!r} to {new.get(key)!r}")
    return out


def strip(node: Any) -> Any:
    """The schema without annotations (property names are kept whatever they are called)."""
    if isinstance(node, list):
        return [strip(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ANNOTATIONS:
            continue
        if key in {"properties", "$defs", "definitions", "patternProperties"}:
            out[key] = {name: strip(sub) for name, sub in value.items()}
        else:
            out[key] = strip(value)
    return out


def _sub(old: Any, new: Any, path: str) -> list[str]:
    if old is None and new is None:
        return []
    if old is None:
        return [f"{path}: constraint added"]
    if new is None:
        return [f"{path}: constraint removed"]
    return breaking_changes(old, new, path)


def _type_set(schema: dict[str, Any]) -> set[str] | None:
    if "type" not in schema:
        return None
    t = schema["type"]
    types = {t} if isinstance(t, str) else set(t)
    if "number" in types:
        types.add("integer")
    return types


def _types(old: dict[str, Any], new: dict[str, Any], path: str) -> list[str]:
    before, after = _type_set(old), _type_set(new)
    if before == after:
        return []
    if before is None or (after is not None and after < before):
        return [f"{path}: type narrowed from {_show(before)} to {_show(after)}"]
    if after is None or after > before:
        return [f"{path}: type widened from {_show(before)} to {_show(after)}"]
    return [f"{path}: type changed from {_show(before)} to {_show(after)}"]


def _show(types: set[str] | None) -> str:
    if types is None:
        return "any"
    return "|".join(sorted(types - {"integer"} if "number" in types else types))


def _enum(old: dict[str, Any], new: dict[str, Any], path: str) -> list[str]:
    out = []
    before = old.get("enum", [old["const"]] if "const" in old else None)
    after = new.get("enum", [new["const"]] if "const" in new else None)
    if before == after:
        return []
    if after is None:
        return [f"{path}: enum/const removed (values widened)"]
    if before is None:
        return [f"{path}: enum/const added (values narrowed)"]
    removed = [v for v in before if v not in after]
    added = [v for v in after if v not in before]
    if removed:
        out.append(f"{path}: enum value(s) removed: {removed!r}")
    if added:
        out.append(f"{path}: enum value(s) added: {added!r}")
    return out


def _object(old: dict[str, Any], new: dict[str, Any], path: str) -> list[str]:
    out = []
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
    old_extra = old.get("additionalProperties", True)
    new_extra = new.get("additionalProperties", True)
    for name in sorted(old_props.keys() - new_props.keys()):
        out.append(f"{path}/properties/{name}: property removed")
    for name in sorted(new_props.keys() - old_props.keys()):
        if name in new_req:
            continue  # reported below as a new required field
        if old_extra is False:
            out.append(f"{path}/properties/{name}: property added where none were allowed")
    for name in sorted(old_props.keys() & new_props.keys()):
        out += breaking_changes(old_props[name], new_props[name], f"{path}/properties/{name}")
    for name in sorted(new_req - old_req):
        kind = "optional field made required" if name in old_props else "new required field"
        out.append(f"{path}/properties/{name}: {kind}")
    for name in sorted(old_req - new_req):
        out.append(f"{path}/properties/{name}: required field made optional")
    if strip(old_extra) != strip(new_extra):
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            out += breaking_changes(old_extra, new_extra, f"{path}/additionalProperties")
        else:
            out.append(f"{path}: additionalProperties changed from {old_extra!r} to {new_extra!r}")
    return out
