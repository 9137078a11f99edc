"""`parse` (and a topic's `parser`) fails on bad input only with pydantic's ValidationError,
whatever the bytes."""

import contextlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import cc_schemas as s

TOPIC_NAMES = st.sampled_from(sorted(s.TOPICS))
EVENT_TYPES = st.sampled_from(sorted({t for spec in s.TOPICS.values() for t in spec.event_types}))
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.datetimes().map(lambda d: d.isoformat()),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
# Real field names make the generated objects get past the tag and into the fields' validators.
FIELD_NAMES = st.sampled_from(
    sorted({name for spec in s.TOPICS.values() for cls in spec.events for name in cls.model_fields})
) | st.text(max_size=8)


def _parse_or_validation_error(topic: str, raw: bytes | str) -> None:
    with contextlib.suppress(ValidationError):
        s.parse(topic, raw)
    with contextlib.suppress(ValidationError):
        s.parser(topic)(raw)


@settings(max_examples=300)
@given(TOPIC_NAMES, st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_validation_errors(topic: str, raw: bytes) -> None:
    _parse_or_validation_error(topic, raw)


@settings(max_examples=300)
@given(TOPIC_NAMES, JSON_VALUES)
def test_arbitrary_json_raises_only_validation_errors(topic: str, value: object) -> None:
    _parse_or_validation_error(topic, json.dumps(value))


@settings(max_examples=500)
@given(TOPIC_NAMES, EVENT_TYPES, st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=10))
def test_event_shaped_json_raises_only_validation_errors(
    topic: str, event_type: str, fields: dict[str, object]
) -> None:
    _parse_or_validation_error(topic, json.dumps({**fields, "event_type": event_type}))
