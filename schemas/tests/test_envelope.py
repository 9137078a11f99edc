"""The envelope: ids, UTC event time, tolerance of newer producers, immutability."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

import cc_schemas as s

RAW = {
    "event_id": "evt-1",
    "event_type": "agent.logged_in",
    "occurred_at": "2025-03-14T10:26:53+01:00",
    "source": "asterisk-queue-log",
    "agent_id": "PJSIP/1001",
}


def _raw(**changes: object) -> bytes:
    return json.dumps({**RAW, **changes}).encode()


def test_occurred_at_with_an_offset_is_normalised_to_utc() -> None:
    event = s.parse(s.AGENT_EVENTS, _raw())

    assert event.occurred_at == datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert json.loads(s.encode(event))["occurred_at"] == "2025-03-14T09:26:53Z"


def test_a_naive_occurred_at_is_rejected_with_a_timezone_error() -> None:
    with pytest.raises(ValidationError) as info:
        s.parse(s.AGENT_EVENTS, _raw(occurred_at="2025-03-14T09:26:53"))

    (error,) = info.value.errors()
    assert error["loc"][-1] == "occurred_at"
    assert error["type"] == "timezone_aware"
    assert "timezone" in error["msg"]


def test_a_naive_datetime_is_rejected_in_python_too() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        s.AgentLoggedIn(
            event_id="e", occurred_at=datetime(2025, 3, 14), source="x", agent_id="PJSIP/1001"
        )


def test_every_nested_datetime_is_normalised_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    event = s.InteractionRecorded(
        event_id="e",
        occurred_at=datetime(2025, 3, 14, 12, tzinfo=plus_two),
        source="crm",
        interaction_id="I-1",
        customer_id="C-1",
        channel=s.InteractionChannel.PHONE,
        direction=s.Direction.INBOUND,
        started_at=datetime(2025, 3, 14, 11, 50, tzinfo=plus_two),
    )

    assert event.started_at.tzinfo == UTC
    assert event.started_at.hour == 9


@pytest.mark.parametrize("field", ["event_id", "source"])
def test_an_empty_id_or_source_is_rejected(field: str) -> None:
    with pytest.raises(ValidationError):
        s.parse(s.AGENT_EVENTS, _raw(**{field: ""}))


def test_fields_from_a_newer_producer_are_ignored() -> None:
    event = s.parse(s.AGENT_EVENTS, _raw(skill_level=3, new_block={"a": 1}))

    assert event == s.parse(s.AGENT_EVENTS, _raw())
    assert "skill_level" not in event.model_dump()


def test_events_are_immutable() -> None:
    event = s.parse(s.AGENT_EVENTS, _raw())

    with pytest.raises(ValidationError):
        event.source = "other"  # type: ignore[misc]


def test_make_event_id_is_deterministic_and_depends_on_every_part() -> None:
    first = s.make_event_id("asterisk-queue-log", "1710408413.4211", "CONNECT", 1710408455)

    assert first == s.make_event_id("asterisk-queue-log", "1710408413.4211", "CONNECT", 1710408455)
    assert first != s.make_event_id("asterisk-queue-log", "1710408413.4211", "CONNECT", 1710408456)
    assert first != s.make_event_id("pbx-webhook", "1710408413.4211", "CONNECT", 1710408455)
    # parts are separated, so ("a", "bc") and ("ab", "c") do not collide
    assert s.make_event_id("x", "a", "bc") != s.make_event_id("x", "ab", "c")


def test_make_event_id_needs_a_source_id() -> None:
    with pytest.raises(ValueError, match="at least one id"):
        s.make_event_id("shop")


def test_a_proactive_chat_needs_its_contact_request() -> None:
    with pytest.raises(ValidationError, match="request_id"):
        s.ChatStarted(
            event_id="e",
            occurred_at=datetime(2025, 3, 14, tzinfo=UTC),
            source="chat",
            chat_id="c-1",
            origin=s.ChatOrigin.PROACTIVE,
        )


def test_an_interaction_cannot_end_before_it_started() -> None:
    at = datetime(2025, 3, 14, 9, tzinfo=UTC)
    with pytest.raises(ValidationError, match="ended_at is before started_at"):
        s.InteractionRecorded(
            event_id="e",
            occurred_at=at,
            source="crm",
            interaction_id="I-1",
            customer_id="C-1",
            channel=s.InteractionChannel.EMAIL,
            direction=s.Direction.OUTBOUND,
            started_at=at,
            ended_at=at - timedelta(seconds=1),
        )


def test_contact_priorities_rank_by_urgency() -> None:
    ranked = sorted(s.ContactPriority, key=lambda p: p.rank)

    assert ranked == [
        s.ContactPriority.LOW,
        s.ContactPriority.NORMAL,
        s.ContactPriority.HIGH,
        s.ContactPriority.URGENT,
    ]


def test_an_event_without_an_actor_is_still_valid_and_has_none() -> None:
    event = s.parse(s.AGENT_EVENTS, _raw())

    assert event.actor is None
    assert "actor" not in json.loads(s.encode(event))  # the wire of machines' events unchanged


def test_the_actor_of_a_persons_action_travels_with_the_event() -> None:
    raw = _raw(actor={"subject": "8c626462-919e", "role": "supervisor"})

    event = s.parse(s.AGENT_EVENTS, raw)
    again = s.parse(s.AGENT_EVENTS, s.encode(event))

    assert again.actor == s.Actor(subject="8c626462-919e", role="supervisor")


def test_an_actor_needs_a_subject_without_control_characters() -> None:
    with pytest.raises(ValidationError, match="subject"):
        s.parse(s.AGENT_EVENTS, _raw(actor={"subject": "", "role": "admin"}))
    with pytest.raises(ValidationError, match="subject"):
        s.parse(s.AGENT_EVENTS, _raw(actor={"subject": "a\x00b"}))
