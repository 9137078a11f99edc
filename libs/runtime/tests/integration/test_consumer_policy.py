"""The consumer policy on the real broker: nothing lost, poison messages dead-lettered with
their error, the partition never blocked, infrastructure outages waited out, not dead-lettered."""

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import ClassVar

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from cc_runtime import consumer_options, ensure_topics, make_broker
from cc_runtime.postgres import DatabaseUnavailable
from cc_runtime.settings import ServiceSettings
from cc_testing import Servers, eventually_async, headers_of, produce, read_records

pytestmark = pytest.mark.infra

TOPIC = "pings"


class PolicySettings(ServiceSettings):
    service_name: ClassVar[str] = "policy-test"


class Ping(BaseModel):
    n: int


def ping(n: int) -> bytes:
    return json.dumps({"n": n}).encode()


@pytest.fixture
def settings(servers: Servers, namespace: str) -> PolicySettings:
    return PolicySettings(
        CC_KAFKA_BOOTSTRAP_SERVERS=servers.kafka_bootstrap_servers,
        CC_NAMESPACE=namespace,
        CC_CONSUMER_BACKOFF_SECONDS=0.01,
    )


@asynccontextmanager
async def consuming(
    settings: PolicySettings, handle: Callable[[Ping], None]
) -> AsyncIterator[tuple[KafkaBroker, CollectorRegistry]]:
    topic = settings.topic(TOPIC)
    await ensure_topics(settings.kafka_bootstrap_servers, [topic, f"{topic}.dlq"], partitions=1)
    registry = CollectorRegistry()
    broker = make_broker(settings, registry)

    @broker.subscriber(topic, **consumer_options(settings))
    async def on_ping(message: Ping) -> None:
        handle(message)

    await broker.start()
    try:
        yield broker, registry
    finally:
        await broker.stop()


async def reaches(read: Callable[[], object], expected: object) -> None:
    """Wait until what `read` returns equals `expected`; a timeout shows both."""

    async def check() -> None:
        assert read() == expected

    await eventually_async(check)


async def committed_is(settings: PolicySettings, expected: int) -> None:
    assert await committed_offset(settings) == expected


async def end_offset(settings: PolicySettings, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        return (await consumer.end_offsets([partition]))[partition]
    finally:
        await consumer.stop()


async def committed_offset(settings: PolicySettings) -> int | None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, group_id=settings.consumer_group
    )
    await consumer.start()
    try:
        return await consumer.committed(TopicPartition(settings.topic(TOPIC), 0))
    finally:
        await consumer.stop()


async def test_a_handler_that_fails_once_loses_nothing_and_commits_after_success(
    settings: PolicySettings,
) -> None:
    seen: list[int] = []

    def fail_first_time(message: Ping) -> None:
        seen.append(message.n)
        if len(seen) == 1:
            raise RuntimeError("database hiccup")

    async with consuming(settings, fail_first_time):
        await produce(settings.kafka_bootstrap_servers, settings.topic(TOPIC), [(b"k", ping(1))])
        await reaches(lambda: len(seen), 2)
    assert seen == [1, 1]
    assert await committed_offset(settings) == 1


async def test_a_poison_message_goes_to_the_dead_letter_topic_and_does_not_block_its_partition(
    settings: PolicySettings,
) -> None:
    handled: list[int] = []
    topic = settings.topic(TOPIC)

    async with consuming(settings, lambda m: handled.append(m.n)) as (_, registry):
        await produce(
            settings.kafka_bootstrap_servers,
            topic,
            [(b"k", b'{"n": "not a number"}'), (b"k", b"\xff\xfe"), (b"k", ping(7))],
        )
        await reaches(lambda: handled, [7])
        dead = await read_records(
            settings.kafka_bootstrap_servers, f"{topic}.dlq", until=lambda r: len(r) >= 2
        )

    assert [(r.key, r.value) for r in dead] == [
        (b"k", b'{"n": "not a number"}'),
        (b"k", b"\xff\xfe"),
    ]
    first = headers_of(dead[0])
    assert first["x-dlq-error-type"] == "ValidationError"
    assert "n" in first["x-dlq-error"]
    assert (first["x-dlq-source-topic"], first["x-dlq-source-partition"]) == (topic, "0")
    assert [headers_of(r)["x-dlq-source-offset"] for r in dead] == ["0", "1"]
    assert (
        registry.get_sample_value(
            "cc_dlq_messages_total", {"service": "policy-test", "topic": topic, "reason": "invalid"}
        )
        == 2
    )
    assert await committed_offset(settings) == 3


async def test_a_message_that_keeps_failing_is_dead_lettered_after_the_bounded_retries(
    settings: PolicySettings,
) -> None:
    attempts: list[int] = []
    handled: list[int] = []

    def always_fail_on_one(message: Ping) -> None:
        if message.n == 1:
            attempts.append(1)
            raise RuntimeError("a bug in the handler")
        handled.append(message.n)

    async with consuming(settings, always_fail_on_one):
        await produce(
            settings.kafka_bootstrap_servers,
            settings.topic(TOPIC),
            [(b"k", ping(1)), (b"k", ping(2))],
        )
        await reaches(lambda: handled, [2])
        dead = await read_records(
            settings.kafka_bootstrap_servers,
            settings.topic(TOPIC) + ".dlq",
            until=lambda r: len(r) >= 1,
        )

    assert len(attempts) == settings.consumer_max_attempts == 3
    headers = headers_of(dead[0])
    assert headers["x-dlq-attempts"] == "3"
    assert headers["x-dlq-error"] == "a bug in the handler"
    assert headers["x-dlq-error-type"] == "RuntimeError"


async def test_an_infrastructure_outage_is_waited_out_and_nothing_is_dead_lettered(
    settings: PolicySettings,
) -> None:
    calls: list[int] = []

    def database_down_for_five_calls(message: Ping) -> None:
        calls.append(message.n)
        if len(calls) <= 5:
            raise DatabaseUnavailable("connection refused")

    async with consuming(settings, database_down_for_five_calls) as (_, registry):
        await produce(settings.kafka_bootstrap_servers, settings.topic(TOPIC), [(b"k", ping(3))])
        await reaches(lambda: len(calls), 6)

    assert calls == [3] * 6
    assert await committed_offset(settings) == 1
    topic = settings.topic(TOPIC)
    assert (
        registry.get_sample_value(
            "cc_consumer_failures_total",
            {"service": "policy-test", "topic": topic, "kind": "infrastructure"},
        )
        >= 1
    )
    assert await end_offset(settings, f"{topic}.dlq") == 0


async def test_a_failing_batch_sends_every_record_of_it_to_the_dead_letter_topic(
    settings: PolicySettings,
) -> None:
    topic = settings.topic(TOPIC)
    await ensure_topics(settings.kafka_bootstrap_servers, [topic, f"{topic}.dlq"], partitions=1)
    await produce(
        settings.kafka_bootstrap_servers, topic, [(b"k", ping(1)), (b"k", b"oops"), (b"k", ping(3))]
    )
    broker = make_broker(settings, CollectorRegistry())

    @broker.subscriber(topic, batch=True, max_records=10, **consumer_options(settings))
    async def on_pings(messages: list[Ping]) -> None:
        raise AssertionError("a batch with an invalid record never reaches the handler")

    await broker.start()
    try:
        dead = await read_records(
            settings.kafka_bootstrap_servers, f"{topic}.dlq", until=lambda r: len(r) >= 3
        )
        await eventually_async(lambda: committed_is(settings, 3))
    finally:
        await broker.stop()

    assert [r.value for r in dead] == [ping(1), b"oops", ping(3)]
    assert {headers_of(r)["x-dlq-error-type"] for r in dead} == {"ValidationError"}
