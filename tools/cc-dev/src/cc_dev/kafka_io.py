"""Kafka adapters of cc-dev: admin, offsets and consumer-group lag, a raw consumer and producer.

Every aiokafka call of the tool lives here; broker failures become `KafkaError` (exit code 4).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError as AioKafkaError

from cc_dev.errors import KafkaError

TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class PartitionOffsets:
    topic: str
    partition: int
    start: int
    end: int


@contextlib.asynccontextmanager
async def kafka_errors(bootstrap_servers: str) -> AsyncIterator[None]:
    """Turn aiokafka's errors into a KafkaError that names the servers."""
    try:
        yield
    except AioKafkaError as error:
        raise KafkaError(f"Kafka at {bootstrap_servers}: {error!r}") from error


@contextlib.asynccontextmanager
async def admin_client(bootstrap_servers: str) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=TIMEOUT_MS)
    async with kafka_errors(bootstrap_servers):
        try:
            await admin.start()
            yield admin
        finally:
            await admin.close()


@contextlib.asynccontextmanager
async def raw_consumer(bootstrap_servers: str) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer with no group that commits nothing: it only looks."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        group_id=None,
        request_timeout_ms=TIMEOUT_MS,
        auto_offset_reset="earliest",
    )
    async with kafka_errors(bootstrap_servers):
        try:
            await consumer.start()
            yield consumer
        finally:
            await consumer.stop()


@contextlib.asynccontextmanager
async def raw_producer(bootstrap_servers: str) -> AsyncIterator[AIOKafkaProducer]:
    """An idempotent producer: per partition, messages land in the order they were sent."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        enable_idempotence=True,
        request_timeout_ms=TIMEOUT_MS,
        linger_ms=5,
    )
    async with kafka_errors(bootstrap_servers):
        try:
            await producer.start()
            yield producer
        finally:
            await producer.stop()


async def list_topic_names(bootstrap_servers: str) -> list[str]:
    async with admin_client(bootstrap_servers) as admin:
        return sorted(t for t in await admin.list_topics() if not t.startswith("__"))


async def partition_offsets(
    consumer: AIOKafkaConsumer, topics: list[str]
) -> list[PartitionOffsets]:
    """Start and end offset of every partition of `topics` (end: the next offset to be written)."""
    partitions = [
        TopicPartition(topic, p)
        for topic in topics
        for p in sorted(await _partitions_of(consumer, topic))
    ]
    if not partitions:
        return []
    starts = await consumer.beginning_offsets(partitions)
    ends = await consumer.end_offsets(partitions)
    return [PartitionOffsets(tp.topic, tp.partition, starts[tp], ends[tp]) for tp in partitions]


async def _partitions_of(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    found = consumer.partitions_for_topic(topic)
    if found is None:
        await consumer._client.force_metadata_update()  # the public API has no refresh
        found = consumer.partitions_for_topic(topic)
    return set(found or ())


async def offsets_at(
    consumer: AIOKafkaConsumer, partitions: list[TopicPartition], timestamp_ms: int
) -> dict[TopicPartition, int | None]:
    """The first offset at or after `timestamp_ms` per partition; None when there is none."""
    found = await consumer.offsets_for_times(dict.fromkeys(partitions, timestamp_ms))
    return {tp: (found[tp].offset if found[tp] is not None else None) for tp in partitions}


async def group_offsets(bootstrap_servers: str) -> dict[str, dict[tuple[str, int], int]]:
    """Committed offsets of every consumer group: group -> (topic, partition) -> offset."""
    async with admin_client(bootstrap_servers) as admin:
        groups = sorted(str(g[0]) for g in await admin.list_consumer_groups())
        result: dict[str, dict[tuple[str, int], int]] = {}
        for group in groups:
            committed = await admin.list_consumer_group_offsets(group)
            result[group] = {
                (tp.topic, tp.partition): meta.offset
                for tp, meta in committed.items()
                if meta.offset >= 0
            }
        return result
