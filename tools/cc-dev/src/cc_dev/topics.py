"""`cc-dev topics`: the platform's topics with their sizes and consumer-group lag, and their
creation (every topic of cc_schemas and its `.dlq`, in the namespace)."""

from __future__ import annotations

from dataclasses import dataclass

from cc_dev import kafka_io
from cc_dev.kafka_io import PartitionOffsets
from cc_dev.settings import DevSettings
from cc_runtime import ensure_topics
from cc_schemas import TOPICS, dlq


@dataclass(frozen=True)
class TopicRow:
    topic: str
    partitions: int
    messages: int  # end - start offsets: what is retained (compaction aside)


@dataclass(frozen=True)
class LagRow:
    group: str
    topic: str
    lag: int  # messages written and not yet committed by the group


@dataclass(frozen=True)
class Overview:
    topics: list[TopicRow]
    lags: list[LagRow]


def platform_topics(settings: DevSettings) -> list[str]:
    """Every topic of the contact-centre platform and its dead-letter topic, in the namespace."""
    names = [name for topic in TOPICS for name in (topic, dlq(topic))]
    return sorted(settings.topic(name) for name in names)


def in_namespace(topic: str, namespace: str) -> bool:
    return not namespace or topic.startswith(namespace + ".")


def summarise(
    offsets: list[PartitionOffsets], committed: dict[str, dict[tuple[str, int], int]]
) -> Overview:
    """Rows of the overview from partition offsets and the groups' committed offsets."""
    by_topic: dict[str, list[PartitionOffsets]] = {}
    for part in offsets:
        by_topic.setdefault(part.topic, []).append(part)
    topics = [
        TopicRow(topic, len(parts), sum(p.end - p.start for p in parts))
        for topic, parts in sorted(by_topic.items())
    ]
    lags = [
        LagRow(group, topic, lag_of(parts, group_offsets))
        for group, group_offsets in sorted(committed.items())
        for topic, parts in sorted(by_topic.items())
        if any((topic, p.partition) in group_offsets for p in parts)
    ]
    return Overview(topics, lags)


def lag_of(parts: list[PartitionOffsets], committed: dict[tuple[str, int], int]) -> int:
    # A partition the group never committed counts from the start of what is retained.
    return sum(p.end - max(committed.get((p.topic, p.partition), p.start), p.start) for p in parts)


async def overview(settings: DevSettings) -> Overview:
    bootstrap = settings.kafka_bootstrap_servers
    names = [
        t for t in await kafka_io.list_topic_names(bootstrap) if in_namespace(t, settings.namespace)
    ]
    async with kafka_io.raw_consumer(bootstrap) as consumer:
        offsets = await kafka_io.partition_offsets(consumer, names)
    return summarise(offsets, await kafka_io.group_offsets(bootstrap))


async def create_all(settings: DevSettings, partitions: int) -> list[str]:
    """Create the platform's topics that are missing; returns those created. Idempotent."""
    bootstrap = settings.kafka_bootstrap_servers
    async with kafka_io.kafka_errors(bootstrap):
        return await ensure_topics(bootstrap, platform_topics(settings), partitions)
