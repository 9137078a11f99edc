"""The registry: every event on exactly one topic, DLQ names, keys, parse errors."""

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, get_args, get_origin

import pytest
from pydantic import ValidationError

import cc_schemas as s
from cc_schemas import (
    agents,
    calls,
    cases,
    chat,
    contacts,
    csat,
    customers,
    interactions,
    notifications,
    orders,
    shop,
    tickets,
)
from cc_schemas.envelope import Event

DOMAIN_MODULES = [
    agents,
    calls,
    cases,
    chat,
    contacts,
    csat,
    customers,
    interactions,
    notifications,
    orders,
    shop,
    tickets,
]
DESIGN_TOPICS = {
    "call-events",
    "agent-events",
    "browse-events",
    "cart-events",
    "order-events",
    "order-commands",
    "contact-requests",
    "contact-outcomes",
    "ticket-opened",
    "ticket-assigned",
    "ticket-closed",
    "ticket-changes",
    "ticket-sla",
    "interactions",
    "chat-events",
    "csat-responses",
    "customer-events",
    "contact-identifications",
    "customer-notifications",
    "cases",
}


def _concrete_event_classes() -> set[type[Event]]:
    """Every class in the domain modules that sets its own event_type."""
    found = set()
    for module in DOMAIN_MODULES:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Event):
                default = value.model_fields["event_type"].default
                if isinstance(default, str):
                    found.add(value)
    return found


def test_the_registry_has_exactly_the_topics_of_the_design() -> None:
    assert set(s.TOPICS) == DESIGN_TOPICS


def test_every_event_class_belongs_to_exactly_one_topic() -> None:
    registered = Counter(cls for spec in s.TOPICS.values() for cls in spec.events)

    assert set(registered) == _concrete_event_classes()
    assert [cls for cls, n in registered.items() if n > 1] == []


def test_event_types_are_unique_within_a_topic() -> None:
    for spec in s.TOPICS.values():
        assert len(spec.event_types) == len(spec.events), spec.name


def test_order_placed_exists_on_the_cart_and_on_the_order_topic_as_distinct_classes() -> None:
    assert s.TOPICS[s.CART_EVENTS].event_types["order.placed"] is s.CheckoutOrderPlaced
    assert s.TOPICS[s.ORDER_EVENTS].event_types["order.placed"] is s.OrderPlaced


def test_every_topic_key_field_is_a_required_string_or_has_a_required_fallback() -> None:
    for spec in s.TOPICS.values():
        for cls in spec.events:
            field = cls.model_fields[spec.key_field]
            if not spec.fallback_keys:
                assert field.is_required(), f"{cls.__name__}.{spec.key_field}"
                assert field.annotation is str, f"{cls.__name__}.{spec.key_field}"
            else:
                last = cls.model_fields[spec.fallback_keys[-1]]
                assert last.is_required(), f"{cls.__name__}.{spec.fallback_keys[-1]}"


def test_an_interaction_of_nobody_known_is_keyed_by_its_own_id() -> None:
    anonymous = s.InteractionRecorded(
        event_id="e-1",
        occurred_at=datetime(2026, 3, 14, 9, tzinfo=UTC),
        source="crm",
        interaction_id="1710408413.4211",
        channel=s.InteractionChannel.PHONE,
        direction=s.Direction.INBOUND,
        started_at=datetime(2026, 3, 14, 9, tzinfo=UTC),
    )
    assert anonymous.customer_id is None
    assert s.key_of(anonymous) == "1710408413.4211"
    assert s.key_of(anonymous.model_copy(update={"customer_id": "C-42"})) == "C-42"


def test_an_anonymous_csat_answer_is_keyed_by_its_chat_else_by_itself() -> None:
    answer = s.CsatSubmitted(
        event_id="e-1",
        occurred_at=datetime(2026, 3, 14, 9, tzinfo=UTC),
        source="chat",
        response_id="R-1",
        score=4,
        channel=s.InteractionChannel.CHAT,
    )
    assert s.key_of(answer) == "R-1"
    assert s.key_of(answer.model_copy(update={"chat_id": "chat-9"})) == "chat-9"


def test_the_dead_letter_topic_is_the_topic_with_a_dlq_suffix() -> None:
    assert s.dlq(s.CALL_EVENTS) == "call-events.dlq"
    assert {spec.dlq for spec in s.TOPICS.values()} == {f"{t}.dlq" for t in DESIGN_TOPICS}


def test_topic_of_accepts_an_event_class() -> None:
    assert s.topic_of(s.TicketClosed) == s.TICKET_CLOSED


def test_an_unregistered_event_class_has_no_topic() -> None:
    with pytest.raises(s.UnknownTopicError, match="Event is not registered"):
        s.topic_of(Event)


@pytest.mark.parametrize("call", [lambda: s.parse("calls", b"{}"), lambda: s.dlq("calls")])
def test_an_unknown_topic_is_a_lookup_error_naming_the_known_ones(call: object) -> None:
    with pytest.raises(s.UnknownTopicError, match="call-events"):
        call()  # type: ignore[operator]


def test_an_unknown_event_type_on_a_topic_is_rejected_listing_the_expected_ones() -> None:
    raw = json.dumps({"event_type": "call.teleported", "event_id": "e", "call_id": "1"})

    with pytest.raises(ValidationError) as info:
        s.parse(s.CALL_EVENTS, raw.encode())

    (error,) = info.value.errors()
    assert error["type"] == "union_tag_invalid"
    assert "'call.teleported'" in error["msg"]
    assert "'call.answered'" in error["msg"]


def test_an_event_type_of_another_topic_is_rejected() -> None:
    raw = json.dumps({"event_type": "ticket.opened", "event_id": "e"})

    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        s.parse(s.TICKET_CLOSED, raw)


def test_a_message_without_event_type_is_rejected_even_on_a_single_event_topic() -> None:
    raw = {"event_id": "e", "occurred_at": "2025-03-14T09:00:00Z", "source": "claims"}
    raw |= {"ticket_id": "T-1", "resolution": "resolved", "closed_by": "op-7"}

    with pytest.raises(ValidationError, match="Unable to extract tag using discriminator"):
        s.parse(s.TICKET_CLOSED, json.dumps(raw))
    assert isinstance(
        s.parse(s.TICKET_CLOSED, json.dumps(raw | {"event_type": "ticket.closed"})), s.TicketClosed
    )


@pytest.mark.parametrize(
    ("alias", "topic"),
    [
        (s.AnyCallEvent, s.CALL_EVENTS),
        (s.AnyAgentEvent, s.AGENT_EVENTS),
        (s.AnyBrowseEvent, s.BROWSE_EVENTS),
        (s.AnyCartEvent, s.CART_EVENTS),
        (s.AnyOrderEvent, s.ORDER_EVENTS),
        (s.AnyOrderCommand, s.ORDER_COMMANDS),
        (s.AnyContactOutcome, s.CONTACT_OUTCOMES),
        (s.AnyChatEvent, s.CHAT_EVENTS),
        (s.AnyCustomerEvent, s.CUSTOMER_EVENTS),
    ],
)
def test_the_typed_union_aliases_list_the_events_of_their_topic(alias: object, topic: str) -> None:
    assert get_origin(alias) is Annotated
    assert set(get_args(get_args(alias)[0])) == set(s.TOPICS[topic].events)
