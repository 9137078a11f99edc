"""Writes each event's JSON Schema into `schemas/json/`: `python -m cc_schemas.export [--out DIR]`.

One file per event type and version, `<topic>/<event_type>.v<schema_version>.json`, plus
`index.json`. Output is deterministic (sorted keys, trailing newline) so diffs show real changes.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cc_schemas.compat import breaking_changes
from cc_schemas.envelope import Event
from cc_schemas.topics import TOPICS, event_type_of, spec_of

# The source tree's schemas/json/ (this file is schemas/src/cc_schemas/export.py).
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "json"
INDEX = "index.json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_version_of(cls: type[Event]) -> int:
    default = cls.model_fields["schema_version"].default
    if not isinstance(default, int):
        raise TypeError(f"{cls.__name__} does not set a default schema_version")
    return default


def schema_path(cls: type[Event]) -> str:
    """Where an event class's schema lives, relative to the output directory."""
    return f"{spec_of(cls).name}/{event_type_of(cls)}.v{schema_version_of(cls)}.json"


def schema_of(cls: type[Event]) -> dict[str, Any]:
    """The JSON Schema of what a consumer accepts for this event (pydantic's validation mode)."""
    topic = spec_of(cls)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        **cls.model_json_schema(mode="validation"),
        "x-topic": topic.name,
        "x-key": topic.key_field,
        **({"x-key-fallback": list(topic.fallback_keys)} if topic.fallback_keys else {}),
    }


def render(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def rendered() -> dict[str, str]:
    """Every file the export writes, relative path -> text; nothing is written."""
    files = {schema_path(cls): render(schema_of(cls)) for t in TOPICS.values() for cls in t.events}
    index = {
        name: {
            "key": topic.key_field,
            **({"key_fallback": list(topic.fallback_keys)} if topic.fallback_keys else {}),
            "dlq": topic.dlq,
            "events": {event_type_of(cls): schema_path(cls) for cls in topic.events},
        }
        for name, topic in TOPICS.items()
    }
    files[INDEX] = render({"topics": index})
    return files


class BreakingChangeError(Exception):
    """The export would overwrite a committed schema with an incompatible one."""


def breaking_against(out_dir: Path) -> list[str]:
    """Breaking changes of the current models against the schemas already under `out_dir`."""
    problems = []
    for topic in TOPICS.values():
        for cls in topic.events:
            path = out_dir / schema_path(cls)
            if path.exists():
                old = json.loads(path.read_text(encoding="utf-8"))
                problems += [
                    f"{schema_path(cls)}: {p}" for p in breaking_changes(old, schema_of(cls))
                ]
    return problems


def export(out_dir: Path = DEFAULT_OUT, *, allow_breaking: bool = False) -> list[Path]:
    """Write every schema and the index under `out_dir`; returns the paths written.

    Refuses (BreakingChangeError) to overwrite a schema with an incompatible one unless told:
    otherwise re-exporting would quietly move the baseline the compatibility test checks.
    Files of event types that no longer exist are left alone for the same reason.
    """
    problems = [] if allow_breaking else breaking_against(out_dir)
    if problems:
        raise BreakingChangeError("breaking changes:\n  " + "\n  ".join(problems))
    written = []
    for relative, text in sorted(rendered().items()):
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cc_schemas.export", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--allow-breaking",
        action="store_true",
        help="overwrite committed schemas even with breaking changes (needs a version plan)",
    )
    args = parser.parse_args(argv)
    try:
        written = export(args.out, allow_breaking=args.allow_breaking)
    except BreakingChangeError as error:
        print(f"refusing to export: {error}", file=sys.stderr)
        return 1
    print(f"wrote {len(written)} files under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
