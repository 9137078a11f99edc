"""PostgreSQL stopped in the middle of a queue_log import, on the real broker and a server of
the test's own: the import waits the outage out and goes on, every line published once,
nothing dead-lettered."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import CollectorRegistry

from cc_runtime import ensure_topics
from cc_schemas import Event
from cc_testing import eventually_async
from cc_testing.servers import LocalStackPostgres
from telephony_ingest.app import line_context
from telephony_ingest.bulk import open_database
from telephony_ingest.handlers import QueueLogLines, import_queue_log
from telephony_ingest.metrics import IngestMetrics
from telephony_ingest.repository import PostgresRepository
from telephony_ingest.settings import Settings
from telephony_ingest.sink import KafkaEventSink

pytestmark = pytest.mark.infra

LINES = 1000


@pytest.fixture
def own_postgres() -> Iterator[LocalStackPostgres]:
    """A server of this test's own, since the test stops it."""
    server = LocalStackPostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


class StoppingAtFlush:
    """The sink, stopping PostgreSQL at its third flush: between a batch handed to the broker
    and its close in the ledger, with more batches to come."""

    def __init__(self, sink: KafkaEventSink, server: LocalStackPostgres) -> None:
        self.sink, self.server, self.flushes = sink, server, 0
        self.stopped = asyncio.Event()

    async def publish(self, event: Event, source: str) -> None:
        await self.sink.publish(event, source)

    async def dead_letter(self, value: bytes, key: bytes | None, headers: dict[str, str]) -> None:
        await self.sink.dead_letter(value, key, headers)

    async def flush(self) -> None:
        await self.sink.flush()
        self.flushes += 1
        if self.flushes == 3:
            await asyncio.to_thread(self.server.stop)
            self.stopped.set()


async def messages_in(settings: Settings, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await consumer.start()
    try:
        name = settings.topic(topic)
        partitions = [TopicPartition(name, n) for n in range(settings.topic_partitions)]
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


async def test_postgresql_stopped_mid_import_is_waited_out_and_nothing_is_lost(
    service_env: dict[str, str],
    own_postgres: LocalStackPostgres,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    for name, value in {**service_env, "CC_POSTGRES_URL": own_postgres.url}.items():
        monkeypatch.setenv(name, value)
    settings = Settings(import_checkpoint_lines=50)
    topics = [settings.topic(t) for t in ("call-events", "agent-events", "call-events.dlq")]
    await ensure_topics(settings.kafka_bootstrap_servers, topics, settings.topic_partitions)
    path = tmp_path / "queue_log"
    path.write_text(
        "".join(f"{1710410000 + n}|NONE|sales|PJSIP/1001|PAUSE|r-{n}\n" for n in range(LINES))
    )
    metrics = IngestMetrics(CollectorRegistry())
    database = await open_database(settings)
    sink = KafkaEventSink(settings, metrics)
    await sink.start()
    stopping = StoppingAtFlush(sink, own_postgres)
    lines = QueueLogLines(stopping, metrics, line_context(settings))

    async def waiting() -> None:
        # The import's own retry line, or the outage's start where cc_runtime.outages logs the
        # outage once instead while its log filter is installed (by a service app in this process).
        said = [r.getMessage() for r in caplog.records]
        assert any(
            "PostgreSQL unavailable" in m or "postgresql outage started" in m for m in said
        ), said

    try:
        with path.open("rb") as source:
            importing = asyncio.create_task(
                import_queue_log(source, str(path), lines, PostgresRepository(database))
            )
            await asyncio.wait_for(stopping.stopped.wait(), 60)
            await eventually_async(waiting)
            assert not importing.done()
            await asyncio.to_thread(own_postgres.start)
            report = await asyncio.wait_for(importing, 120)
    finally:
        await sink.stop()
        await database.close()

    assert (report.lines, report.published, report.duplicates) == (LINES, LINES, 0)
    assert report.rejected == {}
    assert await messages_in(settings, "agent-events") == LINES
    assert await messages_in(settings, "call-events.dlq") == 0
