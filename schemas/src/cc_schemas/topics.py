"""The topic registry: each topic's name, key field, dead-letter topic and the events it carries.

Every event class belongs to exactly one topic; `parse` is the one way to read a topic's bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Annotated, Any, Union, cast, get_args, get_origin

from pydantic import Field, TypeAdapter

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

CALL_EVENTS = "call-events"
AGENT_EVENTS = "agent-events"
BROWSE_EVENTS = "browse-events"
CART_EVENTS = "cart-events"
ORDER_EVENTS = "order-events"
ORDER_COMMANDS = "order-commands"
CONTACT_REQUESTS = "contact-requests"
CONTACT_OUTCOMES = "contact-outcomes"
TICKET_OPENED = "ticket-opened"
TICKET_ASSIGNED = "ticket-assigned"
TICKET_CLOSED = "ticket-closed"
TICKET_CHANGES = "ticket-changes"
TICKET_SLA = "ticket-sla"
INTERACTIONS = "interactions"
CHAT_EVENTS = "chat-events"
CSAT_RESPONSES = "csat-responses"
CUSTOMER_EVENTS = "customer-events"
CONTACT_IDENTIFICATIONS = "contact-identifications"
CUSTOMER_NOTIFICATIONS = "customer-notifications"
CASES = "cases"

DLQ_SUFFIX = ".dlq"


class UnknownTopicError(KeyError):
    """A topic name, or an event class, that the registry does not know: a programming error."""


@dataclass(frozen=True)
class TopicSpec:
    """One topic: its name, the event field that is its Kafka key, and the events it carries.
    `fallback_keys`: where the key field may be null (a contact nobody has identified yet),
    the fields keying the event instead, the first one set."""

    name: str
    key_field: str
    events: tuple[type[Event], ...]
    fallback_keys: tuple[str, ...] = ()
    event_types: Mapping[str, type[Event]] = field(init=False, repr=False, compare=False)
    adapter: TypeAdapter[Event] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_type = MappingProxyType({event_type_of(cls): cls for cls in self.events})
        if len(by_type) != len(self.events):
            raise ValueError(f"{self.name}: two events share an event_type")
        # A tagged union, even of one class: the tag is then required and checked, and an
        # unknown event_type fails with the list of expected ones.
        union: Any = Annotated[Union[self.events], Field(discriminator="event_type")]  # noqa: UP007
        object.__setattr__(self, "event_types", by_type)
        object.__setattr__(self, "adapter", cast(TypeAdapter[Event], TypeAdapter(union)))

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX

    def parse(self, raw: bytes | str) -> Event:
        """Validate one message from JSON; raises pydantic.ValidationError on bad input."""
        return self.adapter.validate_json(raw)


def event_type_of(cls: type[Event]) -> str:
    """The `event_type` literal a class carries (its field default)."""
    default = cls.model_fields["event_type"].default
    if not isinstance(default, str):
        raise TypeError(f"{cls.__name__} does not set a default event_type")
    return default


def _spec(name: str, key_field: str, union: Any, fallback_keys: tuple[str, ...] = ()) -> TopicSpec:
    # The domain modules' Any*Event aliases are the one list of a topic's events: unwrap
    # Annotated[A | B, Field(...)] (or take a lone class) rather than repeat them here.
    if get_origin(union) is Annotated:
        union = get_args(union)[0]
    return TopicSpec(name, key_field, get_args(union) or (union,), fallback_keys)


TOPICS: Mapping[str, TopicSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            _spec(CALL_EVENTS, "call_id", calls.AnyCallEvent),
            _spec(AGENT_EVENTS, "agent_id", agents.AnyAgentEvent),
            _spec(BROWSE_EVENTS, "session_id", shop.AnyBrowseEvent),
            _spec(CART_EVENTS, "session_id", shop.AnyCartEvent),
            _spec(ORDER_EVENTS, "order_id", orders.AnyOrderEvent),
            _spec(ORDER_COMMANDS, "order_id", orders.AnyOrderCommand),
            _spec(CONTACT_REQUESTS, "request_id", contacts.ContactRequested),
            _spec(CONTACT_OUTCOMES, "request_id", contacts.AnyContactOutcome),
            _spec(TICKET_OPENED, "ticket_id", tickets.TicketOpened),
            _spec(TICKET_ASSIGNED, "ticket_id", tickets.TicketAssigned),
            _spec(TICKET_CLOSED, "ticket_id", tickets.TicketClosed),
            _spec(TICKET_CHANGES, "ticket_id", tickets.AnyTicketChange),
            _spec(TICKET_SLA, "ticket_id", tickets.AnySlaEvent),
            _spec(
                INTERACTIONS, "customer_id", interactions.InteractionRecorded, ("interaction_id",)
            ),
            _spec(CHAT_EVENTS, "chat_id", chat.AnyChatEvent),
            _spec(CSAT_RESPONSES, "customer_id", csat.CsatSubmitted, ("chat_id", "response_id")),
            _spec(CUSTOMER_EVENTS, "customer_id", customers.AnyCustomerEvent),
            _spec(CONTACT_IDENTIFICATIONS, "contact_id", customers.ContactIdentified),
            _spec(
                CUSTOMER_NOTIFICATIONS,
                "customer_id",
                notifications.CustomerNotificationRequested,
            ),
            _spec(CASES, "case_id", cases.AnyCaseEvent),
        )
    }
)

_TOPIC_OF_CLASS: Mapping[type[Event], TopicSpec] = MappingProxyType(
    {cls: spec for spec in TOPICS.values() for cls in spec.events}
)


def topic_spec(topic: str) -> TopicSpec:
    try:
        return TOPICS[topic]
    except KeyError:
        raise UnknownTopicError(f"unknown topic {topic!r}; known: {sorted(TOPICS)}") from None


def spec_of(event: Event | type[Event]) -> TopicSpec:
    cls = event if isinstance(event, type) else type(event)
    try:
        return _TOPIC_OF_CLASS[cls]
    except KeyError:
        raise UnknownTopicError(f"{cls.__name__} is not registered on any topic") from None


def topic_of(event: Event | type[Event]) -> str:
    """The topic an event (or event class) is published on."""
    return spec_of(event).name


def key_of(event: Event) -> str:
    """The Kafka key of an event: its aggregate's id, so one aggregate stays on one partition;
    where that may be null (an unidentified contact), the topic's fallback key."""
    spec = spec_of(event)
    for name in (spec.key_field, *spec.fallback_keys):
        value = getattr(event, name)
        if value is not None:
            return str(value)
    raise ValueError(f"{type(event).__name__} has no key: {spec.key_field} is null")


def dlq(topic: str) -> str:
    """The dead-letter topic of a topic: `<topic>.dlq`."""
    return topic_spec(topic).dlq


def parse(topic: str, raw: bytes | str) -> Event:
    """Validate one message of `topic` from JSON; raises pydantic.ValidationError on bad input."""
    return topic_spec(topic).parse(raw)


def parser(topic: str) -> Callable[[bytes | str], Event]:
    """`parse` for one topic, its lookups done once: for loops over many messages."""
    return topic_spec(topic).adapter.validate_json


def encode(event: Event) -> bytes:
    """The JSON bytes to publish for an event (the inverse of `parse`)."""
    return event.model_dump_json().encode()
