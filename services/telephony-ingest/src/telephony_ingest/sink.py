"""Kafka adapter: publishes events on call-events / agent-events (keyed by call or agent id) and
rejected inputs on call-events.dlq, batched by one aiokafka producer.

`publish` and `dead_letter` append the message to an open batch of its topic partition (the
partition the key hashes to, with Kafka's default murmur2 partitioner, as any producer would
choose); a full batch is handed to the producer at once. `flush` hands over the open batches
and waits until the broker acknowledged everything. Callers checkpoint their progress only
after a `flush`, so a crash repeats lines, never skips them, and the repeated events carry the
same `event_id` (consumers deduplicate on it). Filling batches ourselves, rather than calling
`send()` per message, is what lets a bulk import keep up with a raw producer.

`publish_now` is the webhook's: many small requests at once, each waiting for its own events'
acknowledgement. Their events go through the producer's own accumulator (`send()`), which puts
the events of concurrent requests into shared batches; a batch of our own per request would
wait behind the one before it on its partition (aiokafka sends one batch per partition at a
time), so under load the requests' waits would add up.
"""

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from cc_schemas import CALL_EVENTS, Event, dlq, encode, key_of, topic_of
from telephony_ingest.metrics import IngestMetrics
from telephony_ingest.settings import Settings

JSON_HEADERS = [("content-type", b"application/json")]
MAX_BATCH_BYTES = 512 * 1024
PARTITION_CACHE = 100_000
MAX_IN_FLIGHT = 200  # batches handed over but not acknowledged, before we wait for them


class EventSink(Protocol):
    async def publish(self, event: Event, source: str) -> None: ...

    async def dead_letter(
        self, value: bytes, key: bytes | None, headers: dict[str, str]
    ) -> None: ...

    async def flush(self) -> None: ...


class EventPublisher(Protocol):
    async def publish_now(self, events: Sequence[Event], source: str) -> None:
        """Publish the events and wait until the broker has acknowledged them all."""
        ...


@dataclass
class OpenBatch:
    builder: Any  # aiokafka's BatchBuilder (untyped)
    started: float
    sources: dict[str, int] = field(default_factory=dict)


class KafkaEventSink:
    def __init__(self, settings: Settings, metrics: IngestMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.dlq_topic = settings.topic(dlq(CALL_EVENTS))
        self.topics: dict[type[Event], str] = {}
        self.partitions: dict[str, list[int]] = {}
        self.partitioner = DefaultPartitioner()
        self.partition_of: dict[tuple[str, bytes | None], int] = {}
        self.counters: dict[tuple[str, str], Any] = {}
        self.open: dict[tuple[str, int], OpenBatch] = {}
        self.in_flight: list[asyncio.Future[object]] = []
        self.producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        compression = self.settings.producer_compression
        self.producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            client_id=f"{self.settings.service_name}-sink",
            acks="all",
            linger_ms=self.settings.producer_linger_ms,
            max_batch_size=MAX_BATCH_BYTES,
            compression_type=None if compression == "none" else compression,
        )
        await self.producer.start()

    async def stop(self) -> None:
        if self.producer is not None:
            await self.flush()
            await self.producer.stop()
            self.producer = None

    async def publish(self, event: Event, source: str) -> None:
        topic = self.topics.get(type(event)) or self._topic(type(event))
        await self._append(topic, key_of(event).encode(), encode(event), JSON_HEADERS, source)
        self._count(source, event.event_type)

    async def publish_now(self, events: Sequence[Event], source: str) -> None:
        started = time.perf_counter()
        producer = self._producer()
        sent = []
        for event in events:
            topic = self.topics.get(type(event)) or self._topic(type(event))
            value, key = encode(event), key_of(event).encode()
            sent.append(await producer.send(topic, value, key=key, headers=JSON_HEADERS))
            self._count(source, event.event_type)
        await asyncio.gather(*sent)
        self.metrics.publish_seconds.labels(source).observe(time.perf_counter() - started)

    def _count(self, source: str, event_type: str) -> None:
        counter = self.counters.get((source, event_type))
        if counter is None:
            counter = self.counters[source, event_type] = self.metrics.events.labels(
                source, event_type
            )
        counter.inc()

    async def dead_letter(self, value: bytes, key: bytes | None, headers: dict[str, str]) -> None:
        encoded = [(k, v.encode()) for k, v in headers.items()]
        await self._append(self.dlq_topic, key, value, encoded, "dead-letter")

    async def flush(self) -> None:
        for where in list(self.open):
            await self._hand_over(where)
        in_flight, self.in_flight = self.in_flight, []
        if in_flight:
            await asyncio.gather(*in_flight)

    async def _append(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        headers: list[tuple[str, bytes]],
        source: str,
    ) -> None:
        where = (topic, await self._partition(topic, key))
        batch = self.open.get(where)
        if batch is None:
            batch = self.open[where] = self._new_batch()
        if batch.builder.append(timestamp=None, key=key, value=value, headers=headers) is None:
            await self._hand_over(where)
            batch = self.open[where] = self._new_batch()
            if batch.builder.append(timestamp=None, key=key, value=value, headers=headers) is None:
                raise ValueError(f"message of {len(value)} bytes exceeds the batch size")
        batch.sources[source] = batch.sources.get(source, 0) + 1

    def _new_batch(self) -> OpenBatch:
        return OpenBatch(self._producer().create_batch(), time.perf_counter())

    async def _hand_over(self, where: tuple[str, int]) -> None:
        batch = self.open.pop(where)
        batch.builder.close()
        future = await self._producer().send_batch(batch.builder, where[0], partition=where[1])
        future.add_done_callback(lambda _, b=batch: self._observe(b))
        self.in_flight.append(future)
        if len(self.in_flight) >= MAX_IN_FLIGHT:
            in_flight, self.in_flight = self.in_flight, []
            await asyncio.gather(*in_flight)

    def _observe(self, batch: OpenBatch) -> None:
        # One observation per batch and source: from the batch's first append (its message
        # that waited longest) to the broker's acknowledgement.
        elapsed = time.perf_counter() - batch.started
        for source in batch.sources:
            self.metrics.publish_seconds.labels(source).observe(elapsed)

    async def _partition(self, topic: str, key: bytes | None) -> int:
        # aiokafka's murmur2 is pure Python: a call's lines share a key, so remember it.
        cached = self.partition_of.get((topic, key))
        if cached is not None:
            return cached
        partitions = self.partitions.get(topic)
        if partitions is None:
            partitions = self.partitions[topic] = sorted(
                await self._producer().partitions_for(topic)
            )
        if len(self.partition_of) > PARTITION_CACHE:
            self.partition_of.clear()
        result: int = self.partitioner(key, partitions, partitions)
        self.partition_of[topic, key] = result
        return result

    def _topic(self, cls: type[Event]) -> str:
        topic = self.topics[cls] = self.settings.topic(topic_of(cls))
        return topic

    def _producer(self) -> AIOKafkaProducer:
        if self.producer is None:
            raise RuntimeError("the Kafka sink is not started")
        return self.producer
