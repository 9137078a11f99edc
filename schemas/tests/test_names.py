"""Identifiers and names refuse control characters (C0, DEL, C1): they reach logs, metric
labels and Kafka keys, where a NUL or an escape breaks or disguises what it is part of."""

import json
import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

import cc_schemas as s
from cc_schemas.envelope import NO_CONTROL_CHARACTERS, Id, Name
from cc_schemas.export import schema_of

CONTROL = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]]
IDS: TypeAdapter[str] = TypeAdapter(Id)
NAMES: TypeAdapter[str] = TypeAdapter(Name)


def is_control(character: str) -> bool:
    return unicodedata.category(character) == "Cc"


@given(st.text(max_size=20), st.sampled_from(CONTROL), st.text(max_size=20))
def test_a_control_character_anywhere_is_refused_in_an_id_and_a_name(
    before: str, control: str, after: str
) -> None:
    for adapter in (IDS, NAMES):
        with pytest.raises(ValidationError, match="should match pattern"):
            adapter.validate_python(before + control + after)


# Surrogates (Cs) are no text at all: pydantic refuses them whatever the pattern.
@given(st.text(alphabet=st.characters(exclude_categories=["Cc", "Cs"]), max_size=40))
def test_any_text_without_control_characters_is_a_name_and_if_not_empty_an_id(
    text: str,
) -> None:
    assert NAMES.validate_python(text) == text
    if text:
        assert IDS.validate_python(text) == text


def test_the_refused_characters_are_exactly_unicodes_control_characters() -> None:
    assert [chr(c) for c in range(0x110000) if is_control(chr(c))] == CONTROL


def call_answered(**changes: Any) -> bytes:
    event = {
        "event_id": "e-1",
        "event_type": "call.answered",
        "occurred_at": "2026-11-23T09:30:27Z",
        "source": "pbx-webhook",
        "call_id": "1700000000.1",
        "queue": "sales",
        "agent": "1001",
        "interface": "PJSIP/1001",
        "wait_seconds": 27,
    }
    return json.dumps({**event, **changes}).encode()


@pytest.mark.parametrize("field", ["event_id", "source", "call_id", "queue", "agent", "interface"])
def test_a_call_event_with_a_nul_in_an_identifier_is_refused_naming_the_field(field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        s.parse(s.CALL_EVENTS, call_answered(**{field: "s\x00les"}))

    assert [e["loc"][-1] for e in refused.value.errors()] == [field]


@pytest.mark.parametrize("field", ["agent_id", "queue", "interface"])
def test_an_agent_event_with_an_escape_in_a_name_is_refused(field: str) -> None:
    raw = {
        "event_id": "e-2",
        "event_type": "agent.paused",
        "occurred_at": "2026-11-23T09:30:27Z",
        "source": "pbx-webhook",
        "agent_id": "1001",
        field: "10\x1b[2J01",
    }

    with pytest.raises(ValidationError, match=field):
        s.parse(s.AGENT_EVENTS, json.dumps(raw).encode())


def test_the_published_schemas_say_so_for_every_identifier_and_queue_or_agent_name() -> None:
    named = {
        name
        for topic in (s.CALL_EVENTS, s.AGENT_EVENTS)
        for cls in s.TOPICS[topic].events
        for name, prop in schema_of(cls)["properties"].items()
        if NO_CONTROL_CHARACTERS in json.dumps(prop).replace("\\\\", "\\")
    }

    assert named >= {
        "event_id",
        "source",
        "call_id",
        "queue",
        "agent",
        "interface",
        "agent_id",
        "target_queue",
        "target_agent",
        "campaign",
    }
