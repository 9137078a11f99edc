"""The committed JSON Schemas in schemas/json/ are the published contract: the models may only
change compatibly against them, and every event type must have one."""

import json
from pathlib import Path

import pytest

from cc_schemas import TOPICS, Event
from cc_schemas.compat import breaking_changes
from cc_schemas.export import (
    DEFAULT_OUT,
    INDEX,
    BreakingChangeError,
    export,
    main,
    rendered,
    schema_of,
    schema_path,
)

RUN_EXPORT = "run `uv run python -m cc_schemas.export` and commit schemas/json/"
EVENT_CLASSES = [cls for spec in TOPICS.values() for cls in spec.events]


def _committed(relative: str) -> dict[str, object] | None:
    path = DEFAULT_OUT / relative
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _id(cls: type[Event]) -> str:
    return schema_path(cls)


def test_every_event_type_has_a_committed_schema() -> None:
    missing = [schema_path(cls) for cls in EVENT_CLASSES if _committed(schema_path(cls)) is None]

    assert missing == [], f"no committed schema for {missing}: {RUN_EXPORT}"


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=_id)
def test_the_model_is_backward_compatible_with_its_committed_schema(cls: type[Event]) -> None:
    committed = _committed(schema_path(cls))
    assert committed is not None, f"no committed schema {schema_path(cls)}: {RUN_EXPORT}"

    problems = breaking_changes(committed, schema_of(cls))

    assert problems == [], (
        f"{schema_path(cls)} has breaking changes against the committed schema:\n  "
        + "\n  ".join(problems)
        + "\nRevert them, or make them compatible (see schemas/README.md, Versioning)."
    )


def test_no_committed_event_type_has_lost_its_model() -> None:
    current = {schema_path(cls).rsplit(".v", 1)[0] for cls in EVENT_CLASSES}
    committed = {
        str(path.relative_to(DEFAULT_OUT)).rsplit(".v", 1)[0]
        for path in DEFAULT_OUT.glob("*/*.json")
    }

    assert committed - current == set(), "event types removed: a breaking change"


def test_the_committed_files_are_exactly_what_the_export_writes() -> None:
    stale = [
        relative
        for relative, text in rendered().items()
        if (DEFAULT_OUT / relative).read_text(encoding="utf-8") != text
    ]

    assert stale == [], f"out of date: {stale}: {RUN_EXPORT}"


def test_the_export_is_deterministic() -> None:
    assert rendered() == rendered()
    assert all(text.endswith("}\n") for text in rendered().values())


def test_the_index_lists_every_topic_with_key_and_dead_letter_topic() -> None:
    index = json.loads((DEFAULT_OUT / INDEX).read_text(encoding="utf-8"))["topics"]

    assert set(index) == set(TOPICS)
    for name, spec in TOPICS.items():
        assert index[name]["key"] == spec.key_field
        assert index[name]["dlq"] == f"{name}.dlq"
        assert set(index[name]["events"]) == set(spec.event_types)


def test_export_writes_into_the_given_directory(tmp_path: Path) -> None:
    written = export(tmp_path)

    assert {str(p.relative_to(tmp_path)) for p in written} == set(rendered())
    assert (tmp_path / "call-events" / "call.answered.v1.json").exists()


def test_export_refuses_to_overwrite_a_schema_with_a_breaking_change(tmp_path: Path) -> None:
    export(tmp_path)
    path = tmp_path / "call-events" / "call.answered.v1.json"
    old = json.loads(path.read_text(encoding="utf-8"))
    old["properties"]["skill"] = {"type": "string"}  # as if the model had dropped a field
    path.write_text(json.dumps(old), encoding="utf-8")

    with pytest.raises(
        BreakingChangeError, match=r"call\.answered\.v1\.json: skill: field removed"
    ):
        export(tmp_path)
    assert main(["--out", str(tmp_path)]) == 1
    assert "skill" in json.loads(path.read_text(encoding="utf-8"))["properties"]

    export(tmp_path, allow_breaking=True)
    assert "skill" not in json.loads(path.read_text(encoding="utf-8"))["properties"]
