"""Kafka wiring: the broker of a service with its consumer policy, and the topic bootstrap."""

import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy
from prometheus_client import CollectorRegistry
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_fixed

from cc_runtime.dead_letter import DLQ_SUFFIX, ConsumerMetrics, DeadLetterPolicy, DeadLetterPublish
from cc_runtime.settings import ServiceSettings

log = logging.getLogger(__name__)

METADATA_WAIT_SECONDS = 30.0


def make_broker(
    settings: ServiceSettings,
    registry: CollectorRegistry,
    consumer_metrics: ConsumerMetrics | None = None,
) -> KafkaBroker:
    """A broker whose every subscriber follows the consumer policy of `dead_letter`."""
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=settings.service_name,
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=settings.service_name)],
        logger=logging.getLogger(settings.service_name),
    )

    broker.add_middleware(
        DeadLetterPolicy(
            service=settings.service_name,
            publish=dead_letter_publisher(broker),
            metrics=consumer_metrics or ConsumerMetrics(registry),
            max_attempts=settings.consumer_max_attempts,
            backoff_seconds=settings.consumer_backoff_seconds,
        )
    )
    return broker


def dead_letter_publisher(broker: KafkaBroker) -> DeadLetterPublish:
    async def publish(topic: str, key: bytes | None, value: bytes, headers: dict[str, str]) -> None:
        await broker.publish(value, topic, key=key, headers=headers)

    return publish


async def undecoded(message: StreamMessage[Any]) -> Any:
    """Decoder of batch subscribers that parse each record by its topic's contract themselves:
    the records as they came (FastStream's default would JSON-decode every record first)."""
    return message.raw_message


def consumer_options(settings: ServiceSettings) -> dict[str, Any]:
    """Keyword arguments for `broker.subscriber(...)`: the group and the explicit ack policy.

    FastStream's Kafka default (ACK_FIRST) commits before the handler runs and loses a message
    whose handler fails; NACK_ON_ERROR commits after success and seeks back otherwise, which the
    dead-letter policy turns into bounded retries.
    """
    return {
        "group_id": settings.consumer_group,
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.NACK_ON_ERROR,
    }


def topics_with_dead_letters(consumed: Iterable[str], produced: Iterable[str]) -> list[str]:
    consumed = list(consumed)
    return sorted({*consumed, *(t + DLQ_SUFFIX for t in consumed), *produced})


async def ensure_topics(
    bootstrap_servers: str, topics: Iterable[str], partitions: int, replication: int = 1
) -> list[str]:
    """Create the topics that do not exist yet; returns those it created. Idempotent."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = sorted(set(topics) - existing)
        if missing:
            new = [
                NewTopic(t, num_partitions=partitions, replication_factor=replication)
                for t in missing
            ]
            with contextlib.suppress(TopicAlreadyExistsError):  # another instance was first
                await admin.create_topics(new)
            log.info("created topics", extra={"topics": missing})
        # Also topics another instance has just created: the same moment applies to them.
        await _until_in_metadata(admin, sorted(set(topics)))
        return missing
    finally:
        await admin.close()


async def set_topic_configs(
    bootstrap_servers: str, configs: Mapping[str, Mapping[str, str]]
) -> None:
    """Give existing topics these configs (`retention.ms`...), whoever created them. Kafka's
    AlterConfigs sets a topic's whole dynamic config: a topic keeps only what is given here,
    which is all the platform sets on any topic. Idempotent."""
    if not configs:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        resources = [
            ConfigResource(ConfigResourceType.TOPIC, topic, configs=dict(values))
            for topic, values in configs.items()
        ]
        for response in await admin.alter_configs(resources):
            for error_code, message, _, name in response.resources:
                if error_code:
                    raise TopicConfigError(f"{name}: {message or error_code}")
        log.info("topic configs set", extra={"configs": {t: dict(c) for t, c in configs.items()}})
    finally:
        await admin.close()


class TopicConfigError(RuntimeError):
    """The broker refused a topic's config."""


async def _until_in_metadata(admin: AIOKafkaAdminClient, topics: list[str]) -> None:
    """Wait until the broker's metadata shows every topic with a leader for each partition.

    A broker applies a created topic to its metadata a moment after CreateTopics answers; a
    consumer subscribing in that moment is told the topic does not exist and gets no partition
    of it until its next metadata refresh (five minutes by default)."""
    async for attempt in AsyncRetrying(
        stop=stop_after_delay(METADATA_WAIT_SECONDS),
        wait=wait_fixed(0.05),
        retry=retry_if_exception_type(TopicsNotReadyError),
        reraise=True,
    ):
        with attempt:
            described = await admin.describe_topics(topics)
            ready = {
                t["topic"]
                for t in described
                if t["error_code"] == 0
                and t["partitions"]
                and all(p["leader"] >= 0 for p in t["partitions"])
            }
            if not_ready := sorted(set(topics) - ready):
                raise TopicsNotReadyError(f"not in the broker's metadata yet: {not_ready}")


class TopicsNotReadyError(RuntimeError):
    """Created topics the broker's metadata does not show yet."""


async def partition_counts(bootstrap_servers: str, topics: Iterable[str]) -> dict[str, int]:
    """How many partitions each existing topic has (a missing topic is left out)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in described if t["error_code"] == 0}
