"""Topic -> handler, nothing more. Reads customer-events (customer.erased too), order-events,
ticket-opened, ticket-closed, call-events (whose call.offered publishes contact.identified) and
chat-events (chats as contacts).

One subscriber for the six topics, each record parsed by its own topic's contract: one
consumer joins the group once, where a subscriber per topic made five members rebalance each
other at every start (measured: 10 s before the first message, against 1-2 s)."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker

from cc_runtime import consumer_options
from cc_runtime.kafka import undecoded
from cc_schemas import (
    CALL_EVENTS,
    CHAT_EVENTS,
    CUSTOMER_EVENTS,
    ORDER_EVENTS,
    TICKET_CLOSED,
    TICKET_OPENED,
    parser,
)
from crm.handlers import (
    Recognition,
    record_call_event,
    record_chat_event,
    record_claim,
    record_customer_event,
    record_order_event,
)
from crm.repository import CustomerRepository, ErasureRepository, OrderRepository
from crm.settings import Settings

Handle = Callable[[Any], Awaitable[Any]]
CONSUMED = (
    CUSTOMER_EVENTS,
    ORDER_EVENTS,
    TICKET_OPENED,
    TICKET_CLOSED,
    CALL_EVENTS,
    CHAT_EVENTS,
)


def register_subscribers(
    broker: KafkaBroker,
    settings: Settings,
    customers: tuple[CustomerRepository, ErasureRepository],
    orders: OrderRepository,
    recognition: Recognition,
) -> None:
    region = settings.default_region
    handlers: dict[str, tuple[Callable[[bytes], Any], Handle]] = {
        settings.topic(CUSTOMER_EVENTS): (
            parser(CUSTOMER_EVENTS),
            lambda event: record_customer_event(event, *customers, region),
        ),
        settings.topic(ORDER_EVENTS): (
            parser(ORDER_EVENTS),
            lambda event: record_order_event(event, orders),
        ),
        settings.topic(TICKET_OPENED): (
            parser(TICKET_OPENED),
            lambda event: record_claim(event, orders),
        ),
        settings.topic(TICKET_CLOSED): (
            parser(TICKET_CLOSED),
            lambda event: record_claim(event, orders),
        ),
        settings.topic(CALL_EVENTS): (
            parser(CALL_EVENTS),
            lambda event: record_call_event(event, recognition),
        ),
        settings.topic(CHAT_EVENTS): (
            parser(CHAT_EVENTS),
            lambda event: record_chat_event(event, recognition),
        ),
    }

    @broker.subscriber(
        *handlers,
        title="crm-events",
        description="customer-events (customers upserted once per event_id; customer.erased "
        "erases them), order-events "
        "(value, orders in progress), ticket-opened / ticket-closed (open claims), call-events "
        "(call.offered recognised and published as contact.identified; answer and end "
        "recorded on the contact), chat-events (a chat as a contact, its visitor recognised "
        "on chat.started and published as contact.identified); each change of a "
        "contact published on interactions; each record validated by its topic's contract",
        decoder=undecoded,
        **consumer_options(settings),
    )
    async def on_event(record: ConsumerRecord) -> None:
        parse, handle = handlers[record.topic]
        await handle(parse(record.value))  # a ValidationError dead-letters the record
