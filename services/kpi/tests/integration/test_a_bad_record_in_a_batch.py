"""On the real broker and database: a batch holding one record that breaks its topic's contract
sends only that record to `<topic>.dlq` (the runtime's x-dlq-* headers, its own headers kept),
stores and counts the others, and commits the whole batch."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from cc_runtime import ensure_topics
from cc_schemas import CallAbandoned, Caller, CallOffered, encode
from cc_testing import (
    RunningService,
    Servers,
    TestIssuer,
    eventually,
    free_ports,
    headers_of,
    produce,
    read_records,
    service_process,
)

pytestmark = pytest.mark.infra

KEY = b"1700000000.7"
AT = datetime(2026, 11, 23, 10, tzinfo=UTC)
OFFERED = CallOffered(
    event_id="ok-1",
    occurred_at=AT,
    source="test",
    call_id=KEY.decode(),
    queue="sales",
    caller=Caller(number_raw="021234567"),
    position=1,
)
ABANDONED = CallAbandoned(
    event_id="ok-2",
    occurred_at=AT.replace(minute=1),
    source="test",
    call_id=KEY.decode(),
    queue="sales",
    wait_seconds=60,
    position=1,
)
INVALID = b'{"event_id": "bad-1", "event_type": "call.offered", "queue": "sales"}'
ISSUER = TestIssuer()


@pytest.fixture
def kpi_after_one_batch(
    servers: Servers, service_env: dict[str, str], namespace: str, tmp_path: Path
) -> Iterator[RunningService]:
    """The three records are on the topic before kpi starts, so its first poll gets them all."""
    topic = f"{namespace}.call-events"
    bootstrap = servers.kafka_bootstrap_servers
    asyncio.run(ensure_topics(bootstrap, [topic, f"{topic}.dlq"], partitions=1))
    batch = [(KEY, encode(OFFERED)), (KEY, INVALID), (KEY, encode(ABANDONED))]
    asyncio.run(produce(bootstrap, topic, batch, trace="t-7"))
    (port,) = free_ports(1)
    with service_process("kpi", port, {**service_env, **ISSUER.env()}, tmp_path) as kpi:
        wait_until_committed(bootstrap, f"{namespace}.kpi", TopicPartition(topic, 0), 3)
        yield kpi


def wait_until_committed(bootstrap: str, group: str, partition: TopicPartition, n: int) -> None:
    def all_committed() -> None:
        assert asyncio.run(committed(bootstrap, group, partition)) == n

    eventually(all_committed, 60)


async def committed(bootstrap: str, group: str, partition: TopicPartition) -> int | None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        return await consumer.committed(partition)
    finally:
        await consumer.stop()


async def end_offset(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        return (await consumer.end_offsets([partition]))[partition]
    finally:
        await consumer.stop()


async def stored_event_ids(servers: Servers, namespace: str) -> list[str]:
    connection = await asyncpg.connect(servers.postgres_url)
    try:
        schema = f"{namespace}_kpi"  # a test's own namespace
        rows = await connection.fetch(f'SELECT event_id FROM "{schema}".events')  # noqa: S608
    finally:
        await connection.close()
    return sorted(r["event_id"] for r in rows)


def test_a_batch_with_one_invalid_record_dead_letters_only_it_and_stores_the_others(
    kpi_after_one_batch: RunningService, servers: Servers, namespace: str
) -> None:
    kpi, topic = kpi_after_one_batch, f"{namespace}.call-events"
    bootstrap = servers.kafka_bootstrap_servers

    dead = asyncio.run(read_records(bootstrap, f"{topic}.dlq", until=lambda r: len(r) >= 1))

    assert asyncio.run(end_offset(bootstrap, f"{topic}.dlq")) == 1
    assert [(r.key, r.value) for r in dead] == [(KEY, INVALID)]
    headers = headers_of(dead[0])
    assert headers["x-dlq-error-type"] == "ValidationError"
    assert "occurred_at" in headers["x-dlq-error"]
    assert headers["x-dlq-source-topic"] == topic
    assert (headers["x-dlq-source-partition"], headers["x-dlq-source-offset"]) == ("0", "1")
    assert headers["x-dlq-service"] == "kpi"
    assert headers["trace"] == "t-7"
    assert asyncio.run(stored_event_ids(servers, namespace)) == ["ok-1", "ok-2"]
    metrics = httpx.get(f"{kpi.url}/metrics").text
    assert 'kpi_events_total{topic="call-events"} 2.0' in metrics
    dlq_series = f'cc_dlq_messages_total{{reason="invalid",service="kpi",topic="{topic}"}} 1.0'
    assert dlq_series in metrics
    params = {"from": "2026-11-23", "to": "2026-11-24"}
    supervisor = ISSUER.bearer(["supervisor"])
    (total,) = httpx.get(f"{kpi.url}/v1/reports/calls", params=params, headers=supervisor).json()
    assert (total["offered"], total["abandoned"]) == (1, 1)
