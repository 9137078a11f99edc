"""Topic -> handler, nothing more. Reads cases (crm's case.resolved, reopened, merged),
ticket-opened, ticket-closed and ticket-changes (claims' subject, decision, reopening, merge)
and customer-events (customer.erased), with one subscriber, each record parsed by its own
topic's contract."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker

from cc_runtime import consumer_options
from cc_runtime.kafka import undecoded
from cc_schemas import CASES, CUSTOMER_EVENTS, TICKET_CHANGES, TICKET_CLOSED, TICKET_OPENED, parser
from knowledge.handlers import (
    MiningInput,
    record_case_event,
    record_customer_event,
    record_ticket_event,
)
from knowledge.settings import Settings

Handle = Callable[[Any, MiningInput], Awaitable[None]]
CONSUMED = (CASES, TICKET_OPENED, TICKET_CLOSED, TICKET_CHANGES, CUSTOMER_EVENTS)
HANDLERS: dict[str, Handle] = {
    CASES: record_case_event,
    TICKET_OPENED: record_ticket_event,
    TICKET_CLOSED: record_ticket_event,
    TICKET_CHANGES: record_ticket_event,
    CUSTOMER_EVENTS: record_customer_event,
}


def register_subscribers(broker: KafkaBroker, settings: Settings, store: MiningInput) -> None:
    handlers = {settings.topic(t): (parser(t), HANDLERS[t]) for t in CONSUMED}

    @broker.subscriber(
        *handlers,
        title="knowledge-input",
        description="case.resolved (solved) and resolved claims join the mining input, scrubbed "
        "of personal data; a reopened or merged case or claim leaves it; customer.erased removes "
        "the customer's cases from the input and from every topic's cases; other events of these "
        "topics are not needed here",
        decoder=undecoded,
        **consumer_options(settings),
    )
    async def on_event(record: ConsumerRecord) -> None:
        parse, handle = handlers[record.topic]
        await handle(parse(record.value), store)  # a ValidationError dead-letters the record
