"""Topic -> handler, nothing more. Reads call-events, agent-events, ticket-opened,
ticket-assigned, ticket-closed, chat-events, interactions, csat-responses, contact-requests and
contact-outcomes: call-events with one consumer per partition (the volume), the other topics with
one consumer between them (few consumers, so start-up joins the group few times)."""

from faststream.kafka import KafkaBroker, KafkaMessage

from cc_runtime import consumer_options
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
    parse,
)
from kpi.handlers import record_event
from kpi.metrics import KpiMetrics
from kpi.repository import EventStore
from kpi.settings import Settings
from kpi.state import KpiState

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
    store: EventStore,
    state: KpiState,
    metrics: KpiMetrics,
) -> None:
    logical = {settings.topic(topic): topic for topic in CONSUMED}

    async def on_event(message: KafkaMessage) -> None:
        topic = logical[message.raw_message.topic]  # type: ignore[union-attr]
        await record_event(topic, parse(topic, message.body), store, state, metrics)

    description = (
        "validated by its topic's contract (bad ones go to <topic>.dlq), stored once and "
        "folded into the KPIs"
    )
    calls, *others = logical
    broker.subscriber(
        calls,
        title="call-events",
        description=f"Call events, {description}",
        max_workers=settings.topic_partitions,
        **consumer_options(settings),
    )(on_event)
    broker.subscriber(
        *others,
        title="kpi-other-events",
        description=f"Agent, ticket, chat, interaction, CSAT and contact events, {description}",
        **consumer_options(settings),
    )(on_event)
