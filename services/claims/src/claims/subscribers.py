"""Topic -> handler, nothing more. Reads order-events (the purchases warranties are dated by)
and customer-events (customer.erased: the customer forgotten), with one subscriber: one member
of the consumer group, each record parsed by its own topic's contract."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker

from cc_attachments import BlobStore
from cc_runtime import consumer_options
from cc_runtime.kafka import undecoded
from cc_schemas import CUSTOMER_EVENTS, ORDER_EVENTS, parser
from claims.customer.notify import Link
from claims.handlers import (
    Erasures,
    PurchaseWriter,
    Shipments,
    record_customer_event,
    record_order_event,
)
from claims.settings import Settings

Handle = Callable[[Any], Awaitable[None]]


def register_subscribers(
    broker: KafkaBroker,
    settings: Settings,
    orders: tuple[PurchaseWriter, Shipments, Link],
    erasures: tuple[Erasures, BlobStore],
) -> None:
    handlers: dict[str, tuple[Callable[[bytes], Any], Handle]] = {
        settings.topic(ORDER_EVENTS): (
            parser(ORDER_EVENTS),
            lambda event: record_order_event(event, *orders),
        ),
        settings.topic(CUSTOMER_EVENTS): (
            parser(CUSTOMER_EVENTS),
            lambda event: record_customer_event(event, *erasures),
        ),
    }

    @broker.subscriber(
        *handlers,
        title="claims-events",
        description="order.placed and order.delivered date each purchase and list its products "
        "(the warranty's start); order.shipped tells the customers of claims that asked for a "
        "replacement or a spare part for that order; customer.erased erases the customer's "
        "personal data from tickets, messages and purchases (figures kept under a pseudonym); "
        "other events of "
        "these topics are not needed here",
        decoder=undecoded,
        **consumer_options(settings),
    )
    async def on_event(record: ConsumerRecord) -> None:
        parse, handle = handlers[record.topic]
        await handle(parse(record.value))  # a ValidationError dead-letters the record
