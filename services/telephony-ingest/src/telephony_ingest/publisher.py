"""Publishes normalised call events on call-events, keyed by call id."""

from typing import Protocol

from cc_schemas import CALL_EVENTS, CallEvent, key_of
from faststream.kafka import KafkaBroker

from telephony_ingest.settings import Settings


class CallEventPublisher(Protocol):
    async def publish(self, event: CallEvent) -> None: ...


class KafkaCallEventPublisher:
    def __init__(self, broker: KafkaBroker, settings: Settings) -> None:
        self.broker = broker
        self.topic = settings.topic(CALL_EVENTS)

    async def publish(self, event: CallEvent) -> None:
        await self.broker.publish(event, self.topic, key=key_of(event).encode())
