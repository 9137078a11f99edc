"""PostgreSQL stopped in the middle of a stream, on the real broker and a private server: the
consumer policy waits the outage out, dead-letters nothing, and stores every message once."""

import asyncio
import json
from collections.abc import Iterator
from typing import ClassVar

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from asyncpg import exceptions as pg
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from cc_runtime import consumer_options, ensure_topics, make_broker
from cc_runtime.dead_letter import ConsumerMetrics
from cc_runtime.postgres import DATABASE_UNAVAILABLE_ERRORS, Database
from cc_runtime.settings import ServiceSettings
from cc_testing import Servers, eventually_async, produce
from cc_testing.servers import LocalStackPostgres

pytestmark = pytest.mark.infra

TOPIC = "pings"


class OutageSettings(ServiceSettings):
    service_name: ClassVar[str] = "outage-test"


class Ping(BaseModel):
    n: int


@pytest.fixture
def own_postgres() -> Iterator[LocalStackPostgres]:
    """A server of this test's own, since the test stops it."""
    server = LocalStackPostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


async def offsets(settings: OutageSettings, topic: str) -> tuple[int | None, int]:
    """(the group's committed offset on the topic, the dead-letter topic's end offset)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, group_id=settings.consumer_group
    )
    await consumer.start()
    try:
        dlq = TopicPartition(f"{topic}.dlq", 0)
        committed = await consumer.committed(TopicPartition(topic, 0))
        return committed, (await consumer.end_offsets([dlq]))[dlq]
    finally:
        await consumer.stop()


async def test_postgresql_stopped_mid_stream_is_waited_out_and_nothing_is_dead_lettered(
    servers: Servers, namespace: str, own_postgres: LocalStackPostgres
) -> None:
    settings = OutageSettings(
        CC_KAFKA_BOOTSTRAP_SERVERS=servers.kafka_bootstrap_servers,
        CC_NAMESPACE=namespace,
        CC_CONSUMER_BACKOFF_SECONDS=0.05,
    )
    topic = settings.topic(TOPIC)
    await ensure_topics(settings.kafka_bootstrap_servers, [topic, f"{topic}.dlq"], partitions=1)
    database = Database(own_postgres.url, "outage", connect_timeout=2)
    await database.open()
    async with database.connection() as connection:
        await connection.execute("CREATE SCHEMA outage; CREATE TABLE outage.pings (n int)")
    registry = CollectorRegistry()
    metrics = ConsumerMetrics(registry)
    metrics.start_at_zero("outage-test", topic)
    broker = make_broker(settings, registry, metrics)
    in_statement = asyncio.Event()
    errors: list[BaseException] = []

    @broker.subscriber(topic, **consumer_options(settings))
    async def on_ping(message: Ping) -> None:
        try:
            async with database.transaction() as connection:
                await connection.execute("INSERT INTO pings VALUES ($1)", message.n)
                if message.n == 2 and not in_statement.is_set():
                    in_statement.set()  # the server stops under this statement
                    await connection.execute("SELECT pg_sleep(10)")
        except Exception as error:
            errors.append(error)
            raise

    async def stored(expected: list[int]) -> None:
        async with database.connection() as connection:
            rows = await connection.fetch("SELECT n FROM pings ORDER BY n")
        assert [row["n"] for row in rows] == expected

    async def outage_seen() -> None:
        labels = {"service": "outage-test", "topic": topic, "kind": "infrastructure"}
        assert registry.get_sample_value("cc_consumer_failures_total", labels) >= 1

    async def committed_without_dead_letters() -> None:
        assert await offsets(settings, topic) == (4, 0)

    await broker.start()
    try:
        await produce(settings.kafka_bootstrap_servers, topic, [(b"k", b'{"n": 1}')])
        await eventually_async(lambda: stored([1]))
        pings = [(b"k", json.dumps({"n": n}).encode()) for n in (2, 3, 4)]
        await produce(settings.kafka_bootstrap_servers, topic, pings)
        await asyncio.wait_for(in_statement.wait(), 30)
        own_postgres.stop()
        await eventually_async(outage_seen)
        own_postgres.start()
        await eventually_async(lambda: stored([1, 2, 3, 4]))
        await eventually_async(committed_without_dead_letters)
    finally:
        await broker.stop()
        await database.close()
    # The connection lost under a statement, then connections refused while the server was down:
    # all of them outages (a plain InterfaceError would have been dead-lettered in the end).
    assert isinstance(errors[0], pg.PostgresConnectionError | pg.AdminShutdownError), errors
    assert [e for e in errors if not isinstance(e, DATABASE_UNAVAILABLE_ERRORS)] == []
