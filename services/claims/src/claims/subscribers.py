"""Topic -> handler, nothing more. Reads order-events: the purchases warranties are dated by."""

from faststream.kafka import KafkaBroker

from cc_runtime import consumer_options
from cc_schemas import ORDER_EVENTS, AnyOrderEvent
from claims.handlers import PurchaseWriter, record_order_event
from claims.settings import Settings


def register_subscribers(
    broker: KafkaBroker, settings: Settings, purchases: PurchaseWriter
) -> None:
    @broker.subscriber(
        settings.topic(ORDER_EVENTS),
        title="claims-order-events",
        description="order.placed and order.delivered date each purchase and list its products "
        "(the warranty's start); other order events are not needed here",
        **consumer_options(settings),
    )
    async def on_order_event(event: AnyOrderEvent) -> None:
        await record_order_event(event, purchases)
