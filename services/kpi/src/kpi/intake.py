"""Kafka adapter of kpi's batch consumers: validates each record of a consumed batch against its
topic's contract and sends the records that break it to `<topic>.dlq` (the runtime's x-dlq-*
headers), so one bad record never takes its batch to the dead-letter topic. Reads every topic
kpi consumes; writes their `.dlq` topics.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage

from cc_runtime.dead_letter import DLQ_SUFFIX, ConsumerMetrics, dead_letter_headers
from cc_schemas import Event, parse

log = logging.getLogger(__name__)

Record: TypeAlias = "ConsumerRecord[Any, Any]"


@dataclass
class Batch:
    """A consumed batch, split: valid events with their logical topic, and rejected records."""

    events: list[tuple[str, Event]] = field(default_factory=list)
    invalid: list[tuple[Record, Exception]] = field(default_factory=list)


async def undecoded(message: StreamMessage[Any]) -> Any:
    """Decoder of the batch subscribers: the records as they came. `split_batch` parses each by
    its topic's contract; FastStream's default would JSON-decode every record first, for nothing."""
    return message.raw_message


def split_batch(records: Iterable[Record], logical: Mapping[str, str]) -> Batch:
    """Parse each record by its topic's contract; `logical` maps real -> logical topic names."""
    batch = Batch()
    for record in records:
        topic = logical[record.topic]
        try:
            batch.events.append((topic, parse(topic, record.value or b"")))
        except ValueError as error:  # pydantic's ValidationError, bad JSON included
            batch.invalid.append((record, error))
    return batch


class DeadLetters:
    """Publishes rejected records the way the runtime's consumer policy does, and counts them
    on its `cc_dlq_messages_total{reason="invalid"}` series."""

    def __init__(self, broker: KafkaBroker, service: str, metrics: ConsumerMetrics) -> None:
        self.broker = broker
        self.service = service
        self.metrics = metrics

    async def publish(self, rejected: Iterable[tuple[Record, Exception]]) -> None:
        for record, error in rejected:
            headers = {
                k: v.decode("utf-8", "backslashreplace") for k, v in record.headers if v is not None
            }
            headers.update(dead_letter_headers(record, error, self.service, attempts=1))
            await self.broker.publish(
                record.value or b"", record.topic + DLQ_SUFFIX, key=record.key, headers=headers
            )
            self.metrics.dead_lettered.labels(self.service, record.topic, "invalid").inc()
            log.error(
                "message sent to the dead-letter topic",
                extra={
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "error": repr(error),
                },
            )
