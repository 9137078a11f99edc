"""Topic -> handler, nothing more. Reads contact-requests (each request queued once),
order-events (an order placed converts its customer's accepted requests) and customer-events
(customer.erased: the customer forgotten), call-events and crm's contact-identifications (the
operators' screen pop).

One subscriber for both topics, each record parsed by its own topic's contract: one consumer
joins the group once (two members of one process rebalance each other at every start)."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker

from cc_runtime import consumer_options
from cc_runtime.kafka import undecoded
from cc_schemas import (
    AGENT_EVENTS,
    CALL_EVENTS,
    CONTACT_IDENTIFICATIONS,
    CONTACT_REQUESTS,
    CUSTOMER_EVENTS,
    ORDER_EVENTS,
    parser,
)
from chat.handlers import Desk, receive, record_order
from chat.pop_store import Pops, record_call, record_identified
from chat.privacy import Privacy, record_customer_event
from chat.settings import Settings
from chat.wallboard_store import PostgresWallboard

CONSUMED = (
    CONTACT_REQUESTS,
    ORDER_EVENTS,
    CUSTOMER_EVENTS,
    CALL_EVENTS,
    CONTACT_IDENTIFICATIONS,
    AGENT_EVENTS,
)
Handle = Callable[[Any], Awaitable[Any]]


def register_subscribers(
    broker: KafkaBroker,
    settings: Settings,
    desk: Desk,
    privacy: Privacy,
    pops: Pops,
    board: PostgresWallboard,
) -> None:
    handlers: dict[str, tuple[Callable[[bytes], Any], Handle]] = {
        settings.topic(CONTACT_REQUESTS): (
            parser(CONTACT_REQUESTS),
            lambda event: receive(desk, event),
        ),
        settings.topic(ORDER_EVENTS): (
            parser(ORDER_EVENTS),
            lambda event: record_order(desk, event),
        ),
        settings.topic(CUSTOMER_EVENTS): (
            parser(CUSTOMER_EVENTS),
            lambda event: record_customer_event(privacy, event),
        ),
        settings.topic(CALL_EVENTS): (
            parser(CALL_EVENTS),
            lambda event: record_call(pops, event),
        ),
        settings.topic(CONTACT_IDENTIFICATIONS): (
            parser(CONTACT_IDENTIFICATIONS),
            lambda event: record_identified(pops, event),
        ),
        settings.topic(AGENT_EVENTS): (
            parser(AGENT_EVENTS),
            board.record_agent,
        ),
    }

    @broker.subscriber(
        *handlers,
        title="chat-events-in",
        description="contact-requests (each request queued once, by event and request id) and "
        "order-events (order.placed converts the customer's requests accepted within the "
        "window before it) and customer-events (customer.erased: the customer's chats "
        "pseudonymised, their text and files erased) and call-events and "
        "contact-identifications (the screen pop: whose phone a call rings on, who is "
        "calling) and agent-events (the supervisor's view: who is paused); each record "
        "validated by its topic's contract",
        decoder=undecoded,
        **consumer_options(settings),
    )
    async def on_event(record: ConsumerRecord) -> None:
        parse, handle = handlers[record.topic]
        await handle(parse(record.value))  # a ValidationError dead-letters the record
