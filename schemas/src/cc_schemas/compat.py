"""Backward-compatibility check between an old and a new JSON Schema of one event.

The rule: every message valid under the old schema stays valid under the new one, and no field
disappears (a v1 consumer may still read it). Adding optional fields, adding enum values and
widening types pass; removing or newly requiring a field, narrowing or changing a type, removing
an enum value and changing a const (such as `event_type`) are reported. Titles, descriptions,
examples and defaults are documentation and are ignored. Works on the subset of JSON Schema that
pydantic emits: `type`, `const`, `enum`, bounds, `pattern`, `format`, `properties`, `required`,
`additionalProperties`, `items`, `anyOf` / `oneOf`, and `$ref` into `$defs` (followed recursively).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

Schema = Mapping[str, Any]

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Human-readable breaking changes from `old` to `new`; empty when `new` is compatible."""
    checker = _Checker(old, new)
    checker.compare(old, new, "")
    return checker.problems


class _Checker:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.problems: list[str] = []
        self._stack: set[tuple[str | None, str | None]] = set()  # refs being compared: cycles

    def compare(self, old: Schema, new: Schema, path: str) -> None:
        old_variants = _variants(old, self.old_root)
        new_variants = _variants(new, self.new_root)
        for old_ref, old_node in old_variants:
            candidates = [v for v in new_variants if _accepts_types(v[1], old_node)]
            if not candidates:
                self._report(
                    path,
                    f"type changed: {_describe(old_node)} no longer accepted "
                    f"(now {' | '.join(_describe(n) for _, n in new_variants)})",
                )
                continue
            self._compare_best(old_ref, old_node, candidates, path)

    def _compare_best(
        self,
        old_ref: str | None,
        old: Schema,
        candidates: list[tuple[str | None, Schema]],
        path: str,
    ) -> None:
        # Prefer the same model by name; accept the old variant if any candidate takes it whole.
        candidates.sort(key=lambda c: c[1].get("title") != old.get("title"))
        attempts: list[list[str]] = []
        for new_ref, new in candidates:
            pair = (old_ref, new_ref)
            if old_ref is not None and pair in self._stack:
                return  # already comparing these two models further up: a recursive model
            sub = _Checker(self.old_root, self.new_root)
            sub._stack = (self._stack | {pair}) if old_ref is not None else self._stack
            sub._compare_node(old, new, path)
            if not sub.problems:
                return
            attempts.append(sub.problems)
        self.problems.extend(attempts[0])

    def _compare_node(self, old: Schema, new: Schema, path: str) -> None:
        self._compare_values(old, new, path)
        self._compare_bounds(old, new, path)
        if "properties" in old or "properties" in new:
            self._compare_objects(old, new, path)
        if "items" in old or "items" in new:
            self.compare(old.get("items", {}), new.get("items", {}), f"{path}[]")

    def _compare_values(self, old: Schema, new: Schema, path: str) -> None:
        old_values = _allowed_values(old)
        if "const" in new and "const" in old and old["const"] != new["const"]:
            self._report(path, f"const changed from {old['const']!r} to {new['const']!r}")
            return
        new_values = _allowed_values(new)
        if new_values is None:
            return
        if old_values is None:
            self._report(path, f"narrowed to the values {_show(new_values)}")
            return
        removed = [v for v in old_values if v not in new_values]
        if removed:
            self._report(path, f"enum value(s) removed: {_show(removed)}")

    def _compare_bounds(self, old: Schema, new: Schema, path: str) -> None:
        for key in _LOWER_BOUNDS:
            if key in new and (key not in old or new[key] > old[key]):
                self._report(path, f"narrowed: {key} {old.get(key)!r} -> {new[key]!r}")
        for key in _UPPER_BOUNDS:
            if key in new and (key not in old or new[key] < old[key]):
                self._report(path, f"narrowed: {key} {old.get(key)!r} -> {new[key]!r}")
        for key in ("pattern", "format"):
            if key in new and new[key] != old.get(key) and not _only_valued(old, key, new[key]):
                self._report(path, f"narrowed: {key} {old.get(key)!r} -> {new[key]!r}")

    def _compare_objects(self, old: Schema, new: Schema, path: str) -> None:
        old_props: Mapping[str, Schema] = old.get("properties", {})
        new_props: Mapping[str, Schema] = new.get("properties", {})
        for name, old_prop in old_props.items():
            if name not in new_props:
                self._report(_join(path, name), "field removed")
            else:
                self.compare(old_prop, new_props[name], _join(path, name))
        old_required = set(old.get("required", ()))
        for name in sorted(set(new.get("required", ())) - old_required):
            what = "field newly required" if name in old_props else "new field is required"
            self._report(_join(path, name), what)
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        if new_extra is False and old_extra is not False:
            self._report(path, "narrowed: extra fields no longer accepted")
        elif isinstance(old_extra, Mapping) and isinstance(new_extra, Mapping):
            self.compare(old_extra, new_extra, f"{path}{{*}}")

    def _report(self, path: str, problem: str) -> None:
        self.problems.append(f"{path or '(event)'}: {problem}")


def _variants(node: Schema, root: Schema) -> list[tuple[str | None, Schema]]:
    """The alternatives a node accepts, with `$ref`s followed and anyOf/oneOf flattened."""
    ref, node = _resolve(node, root)
    for key in ("anyOf", "oneOf"):
        if key in node:
            return [v for branch in node[key] for v in _variants(branch, root)]
    return [(ref, node)]


def _resolve(node: Schema, root: Schema) -> tuple[str | None, Schema]:
    ref: str | None = None
    seen: set[str] = set()
    while "$ref" in node:
        ref = str(node["$ref"])
        if not ref.startswith("#/$defs/") or ref in seen:
            raise ValueError(f"unsupported or circular $ref {ref!r}")
        seen.add(ref)
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        node = {**root.get("$defs", {})[ref.removeprefix("#/$defs/")], **siblings}
    return ref, node


def _types(node: Schema) -> set[str] | None:
    """The JSON types a node accepts; None when it accepts any."""
    if "type" in node:
        declared = node["type"]
        return {declared} if isinstance(declared, str) else set(declared)
    values = _allowed_values(node)
    if values is not None:
        return {_JSON_TYPES.get(type(v), "object") for v in values}
    if "properties" in node:
        return {"object"}
    return None


def _accepts_types(new: Schema, old: Schema) -> bool:
    new_types, old_types = _types(new), _types(old)
    if new_types is None:
        return True
    if old_types is None:
        return False
    if "number" in new_types:
        new_types = new_types | {"integer"}  # every integer is a number
    return old_types <= new_types


def _allowed_values(node: Schema) -> list[Any] | None:
    if "const" in node:
        return [node["const"]]
    if "enum" in node:
        return list(node["enum"])
    return None


def _only_valued(old: Schema, key: str, pattern: str) -> bool:
    """A closed list of values opened into a pattern every one of them matches (an enum made a
    configurable code) accepts all it accepted: no narrowing."""
    values = _allowed_values(old)
    return (
        key == "pattern"
        and values is not None
        and all(isinstance(v, str) and re.search(pattern, v) for v in values)
    )


def _describe(node: Schema) -> str:
    types = _types(node)
    return "any" if types is None else "/".join(sorted(types))


def _show(values: list[Any]) -> str:
    return ", ".join(json.dumps(v) for v in values)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
