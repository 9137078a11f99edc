"""Topic -> handler, nothing more. Reads customer-events."""

from faststream.kafka import KafkaBroker

from cc_runtime import consumer_options
from cc_schemas import CUSTOMER_EVENTS, AnyCustomerEvent
from crm.handlers import record_customer_event
from crm.repository import CustomerRepository
from crm.settings import Settings


def register_subscribers(
    broker: KafkaBroker, settings: Settings, customers: CustomerRepository
) -> None:
    @broker.subscriber(
        settings.topic(CUSTOMER_EVENTS),
        title="customer-events",
        description="The shop's customer records, upserted on customer_id, once per event_id",
        **consumer_options(settings),
    )
    async def on_customer_event(event: AnyCustomerEvent) -> None:
        await record_customer_event(event, customers, settings.default_region)
