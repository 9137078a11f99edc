"""The compatibility checker itself, on hand-made old/new schema pairs: each kind of break is
found, and compatible changes pass (so the committed-schema test cannot pass vacuously)."""

import copy
from typing import Any

import pytest

from cc_schemas.compat import breaking_changes

OLD: dict[str, Any] = {
    "type": "object",
    "properties": {
        "event_type": {"const": "call.ended", "type": "string"},
        "agent": {"type": "string", "minLength": 1},
        "queue": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "talk_seconds": {"type": "number", "minimum": 0},
        "position": {"type": "integer", "minimum": 1},
        "ended_by": {"$ref": "#/$defs/EndedBy"},
        "caller": {"$ref": "#/$defs/Caller"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["event_type", "agent", "talk_seconds", "ended_by", "caller"],
    "$defs": {
        "EndedBy": {"type": "string", "enum": ["caller", "agent", "unknown"]},
        "Caller": {
            "type": "object",
            "properties": {
                "number_raw": {"type": "string"},
                "e164": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
            },
            "required": ["number_raw"],
        },
    },
}


def _changed(edit: Any) -> dict[str, Any]:
    new = copy.deepcopy(OLD)
    edit(new)
    return new


def test_an_identical_schema_has_no_breaking_change() -> None:
    assert breaking_changes(OLD, copy.deepcopy(OLD)) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            lambda n: n["properties"].pop("queue"), "queue: field removed", id="field-removed"
        ),
        pytest.param(
            lambda n: n["required"].append("queue"),
            "queue: field newly required",
            id="field-newly-required",
        ),
        pytest.param(
            lambda n: (
                n["properties"].update(skill={"type": "string"}),
                n["required"].append("skill"),
            ),
            "skill: new field is required",
            id="new-required-field",
        ),
        pytest.param(
            lambda n: n["properties"].update(talk_seconds={"type": "string"}),
            "talk_seconds: type changed: number no longer accepted (now string)",
            id="type-changed",
        ),
        pytest.param(
            lambda n: n["properties"]["talk_seconds"].update(type="integer"),
            "talk_seconds: type changed: number no longer accepted (now integer)",
            id="number-narrowed-to-integer",
        ),
        pytest.param(
            lambda n: n["properties"].update(queue={"type": "string"}),
            "queue: type changed: null no longer accepted (now string)",
            id="nullable-made-non-null",
        ),
        pytest.param(
            lambda n: n["properties"]["position"].update(minimum=2),
            "position: narrowed: minimum 1 -> 2",
            id="bound-tightened",
        ),
        pytest.param(
            lambda n: n["properties"]["agent"].update(maxLength=10),
            "agent: narrowed: maxLength None -> 10",
            id="bound-added",
        ),
        pytest.param(
            lambda n: n["properties"]["agent"].update(pattern="^PJSIP/"),
            "agent: narrowed: pattern None -> '^PJSIP/'",
            id="pattern-added",
        ),
        pytest.param(
            lambda n: n["properties"]["agent"].update(enum=["a", "b"]),
            'agent: narrowed to the values "a", "b"',
            id="free-string-made-enum",
        ),
        pytest.param(
            lambda n: n["$defs"]["EndedBy"]["enum"].remove("unknown"),
            'ended_by: enum value(s) removed: "unknown"',
            id="enum-value-removed",
        ),
        pytest.param(
            lambda n: n["$defs"].update(EndedBy={"type": "string", "pattern": "^[a-z]{1,6}$"}),
            "ended_by: narrowed: pattern None -> '^[a-z]{1,6}$'",
            id="enum-opened-into-a-pattern-an-old-value-fails",
        ),
        pytest.param(
            lambda n: n["properties"]["event_type"].update(const="call.finished"),
            "event_type: const changed from 'call.ended' to 'call.finished'",
            id="event-type-changed",
        ),
        pytest.param(
            lambda n: n["$defs"]["Caller"]["properties"].pop("e164"),
            "caller.e164: field removed",
            id="nested-field-removed-via-ref",
        ),
        pytest.param(
            lambda n: n["$defs"]["Caller"]["required"].append("e164"),
            "caller.e164: field newly required",
            id="nested-field-newly-required-via-ref",
        ),
        pytest.param(
            lambda n: n["properties"]["tags"]["items"].update(type="integer"),
            "tags[]: type changed: string no longer accepted (now integer)",
            id="array-items-changed",
        ),
        pytest.param(
            lambda n: n["$defs"]["Caller"].update(additionalProperties=False),
            "caller: narrowed: extra fields no longer accepted",
            id="extra-fields-forbidden",
        ),
    ],
)
def test_each_kind_of_breaking_change_is_reported(edit: Any, expected: str) -> None:
    assert breaking_changes(OLD, _changed(edit)) == [expected]


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            lambda n: n["properties"].update(
                skill={"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
            ),
            id="optional-field-added",
        ),
        pytest.param(lambda n: n["required"].remove("agent"), id="required-made-optional"),
        pytest.param(
            lambda n: n["$defs"]["EndedBy"]["enum"].append("transfer"), id="enum-value-added"
        ),
        pytest.param(
            lambda n: n["properties"]["position"].update(type="number"), id="integer-widened"
        ),
        pytest.param(
            lambda n: n["properties"].update(
                agent={"anyOf": [{"type": "string", "minLength": 1}, {"type": "null"}]}
            ),
            id="made-nullable",
        ),
        pytest.param(lambda n: n["properties"]["position"].pop("minimum"), id="bound-dropped"),
        pytest.param(
            lambda n: n["properties"]["agent"].update(description="new words", title="Agent"),
            id="documentation-changed",
        ),
        pytest.param(
            lambda n: (
                n["$defs"].update(CallerV2=n["$defs"].pop("Caller")),
                n["properties"].update(caller={"$ref": "#/$defs/CallerV2"}),
            ),
            id="referenced-model-renamed",
        ),
        pytest.param(
            lambda n: n["$defs"].update(EndedBy={"type": "string", "pattern": "^[a-z]+$"}),
            id="enum-opened-into-a-pattern-every-old-value-matches",
        ),
    ],
)
def test_compatible_changes_pass(edit: Any) -> None:
    assert breaking_changes(OLD, _changed(edit)) == []


def test_several_breaks_are_all_listed() -> None:
    def edit(n: dict[str, Any]) -> None:
        n["properties"].pop("agent")
        n["$defs"]["EndedBy"]["enum"] = ["caller"]

    assert breaking_changes(OLD, _changed(edit)) == [
        "agent: field removed",
        'ended_by: enum value(s) removed: "agent", "unknown"',
    ]


def test_a_recursive_model_is_compared_without_looping() -> None:
    node: dict[str, Any] = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
        },
    }
    old: dict[str, Any] = {"$ref": "#/$defs/Node", "$defs": {"Node": node}}
    new = copy.deepcopy(old)
    new["$defs"]["Node"]["properties"]["name"]["type"] = "integer"

    assert breaking_changes(old, copy.deepcopy(old)) == []
    assert breaking_changes(old, new) == [
        "name: type changed: string no longer accepted (now integer)"
    ]
