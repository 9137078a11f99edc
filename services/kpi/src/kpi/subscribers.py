"""Topic -> handler, nothing more. Reads call-events, agent-events, ticket-opened,
ticket-assigned, ticket-closed, chat-events, interactions, csat-responses, contact-requests and
contact-outcomes in batches (one transaction and one offset commit per batch, not per event):
call-events with consumers of its own sharing its partitions (the volume: one parses a batch
while another's transaction runs), the other topics with one consumer between them. Writes each
invalid record to `<topic>.dlq` and goes on with the rest of its batch."""

from datetime import UTC, datetime

from faststream.kafka import KafkaBroker, KafkaMessage

from cc_runtime import DeadLetters, consumer_options
from cc_runtime.kafka import undecoded
from cc_schemas import (
    AGENT_EVENTS,
    CALL_EVENTS,
    CHAT_EVENTS,
    CONTACT_OUTCOMES,
    CONTACT_REQUESTS,
    CSAT_RESPONSES,
    INTERACTIONS,
    TICKET_ASSIGNED,
    TICKET_CLOSED,
    TICKET_OPENED,
)
from kpi.handlers import record_events
from kpi.intake import split_batch
from kpi.repository import KpiStore
from kpi.settings import Settings

CONSUMED = [
    CALL_EVENTS,
    AGENT_EVENTS,
    TICKET_OPENED,
    TICKET_ASSIGNED,
    TICKET_CLOSED,
    CHAT_EVENTS,
    INTERACTIONS,
    CSAT_RESPONSES,
    CONTACT_REQUESTS,
    CONTACT_OUTCOMES,
]


def register_subscribers(
    broker: KafkaBroker,
    settings: Settings,
    store: KpiStore,
    dead_letters: DeadLetters,
) -> None:
    logical = {settings.topic(topic): topic for topic in CONSUMED}

    async def on_batch(message: KafkaMessage) -> None:
        batch = split_batch(message.raw_message, logical)
        await record_events(
            batch.events, store, settings.call_rules, settings.zone, datetime.now(UTC)
        )
        await dead_letters.send_all(batch.invalid)

    description = (
        "in batches; each validated by its topic's contract (bad ones go to <topic>.dlq, the "
        "rest of the batch goes on), stored once, the KPIs moved in the same transaction"
    )
    calls, *others = logical
    for n in range(1, settings.call_consumers + 1):
        broker.subscriber(
            calls,
            title=f"call-events-{n}",
            description=f"Call events (consumer {n}, its share of the partitions), {description}",
            batch=True,
            max_records=settings.batch_max_records,
            decoder=undecoded,
            **consumer_options(settings),
        )(on_batch)
    broker.subscriber(
        *others,
        title="kpi-other-events",
        description=f"Agent, ticket, chat, interaction, CSAT and contact events, {description}",
        batch=True,
        max_records=settings.batch_max_records,
        decoder=undecoded,
        **consumer_options(settings),
    )(on_batch)
