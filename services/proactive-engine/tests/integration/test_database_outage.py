"""PostgreSQL stopped while the engine runs, on the real broker and a server of the test's own:
shop events fold on and are stored once it is back, a chat event waits the outage out, nothing
is dead-lettered, and every request goes out once."""

import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI

from cc_runtime.postgres import Database
from cc_runtime.settings import schema_name
from cc_schemas import CartItemAdded, ChatStarted, ContactRequested, Event, encode, key_of, topic_of
from cc_testing import Servers, eventually_async, produce
from cc_testing.servers import LocalStackPostgres
from proactive_engine.app import create_app
from proactive_engine.clock import ManualClock
from proactive_engine.codec import live_session
from proactive_engine.settings import Settings
from proactive_engine.store import PostgresSessionStore

pytestmark = pytest.mark.infra

T0 = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


@pytest.fixture
def own_postgres() -> Iterator[LocalStackPostgres]:
    """A server of this test's own, since the test stops it."""
    server = LocalStackPostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


def added(session: str, minute: float) -> Event:
    return CartItemAdded(
        event_id=f"{session}-1",
        occurred_at=T0 + timedelta(minutes=minute),
        source="shop",
        session_id=session,
        product_id="train-1",
        quantity=1,
        unit_price_cents=4990,
        currency="EUR",
        cart_value_cents=4990,
    )


def chat_with(session: str) -> Event:
    return ChatStarted(
        event_id=f"chat-{session}",
        occurred_at=T0,
        source="chat",
        chat_id=f"chat-{session}",
        session_id=session,
        origin="customer",
    )


async def send(servers: Servers, namespace: str, events: list[Event]) -> None:
    for event in events:
        topic = f"{namespace}.{topic_of(event)}"
        await produce(
            servers.kafka_bootstrap_servers, topic, [(key_of(event).encode(), encode(event))]
        )


@contextlib.asynccontextmanager
async def engine_app(env: dict[str, str], clock: ManualClock) -> AsyncIterator[FastAPI]:
    settings = Settings(
        **env,  # type: ignore[arg-type]
        timer_interval_seconds=0.05,
        checkpoint_seconds=0.5,
    )
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        yield app


async def metric(app: FastAPI, series: str) -> float:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://engine") as client:
        text = (await client.get("/metrics")).text
    values = [
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(series)
    ]
    return sum(values)


async def end_offsets(servers: Servers, topics: list[str]) -> dict[str, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=servers.kafka_bootstrap_servers)
    await consumer.start()
    try:
        found = {}
        for topic in topics:  # service_env's topics have CC_TOPIC_PARTITIONS = 3 partitions
            partitions = [TopicPartition(topic, p) for p in range(3)]
            found[topic] = sum((await consumer.end_offsets(partitions)).values())
        return found
    finally:
        await consumer.stop()


async def requests(servers: Servers, namespace: str) -> list[ContactRequested]:
    topic = f"{namespace}.contact-requests"
    consumer = AIOKafkaConsumer(bootstrap_servers=servers.kafka_bootstrap_servers)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(3)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[Any] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return [ContactRequested.model_validate_json(r.value) for r in records]


async def test_postgresql_stopped_under_the_engine_is_waited_out_and_nothing_is_lost(
    servers: Servers,
    namespace: str,
    service_env: dict[str, str],
    own_postgres: LocalStackPostgres,
) -> None:
    env = {**service_env, "CC_POSTGRES_URL": own_postgres.url}
    db = Database(own_postgres.url, schema_name("proactive-engine", namespace))
    clock = ManualClock(T0 + timedelta(minutes=1))

    async def stored(session: str) -> None:
        await db.open()
        row = await PostgresSessionStore(db).get(session)
        assert row is not None, session
        assert live_session(row).state.visits, session

    async def chat_recorded(chat: str) -> None:
        async with db.connection() as connection:
            assert await connection.fetchval("SELECT count(*) FROM chats WHERE chat_id = $1", chat)

    async def published(expected: list[str]) -> None:
        assert sorted(r.session_id for r in await requests(servers, namespace)) == expected

    async with engine_app(env, clock) as app:
        await send(servers, namespace, [added("before", 0), added("chatting", 0)])
        await eventually_async(lambda: stored("before"))
        own_postgres.stop()
        await send(servers, namespace, [added("during", 1), chat_with("chatting")])
        failures = 'cc_consumer_failures_total{kind="infrastructure"'
        await eventually_async(lambda: _at_least_one(app, failures))
        own_postgres.start()
        await eventually_async(lambda: stored("during"))
        await eventually_async(lambda: chat_recorded("chat-chatting"))
        clock.set(T0 + timedelta(minutes=20))  # every cart is abandoned now
        await eventually_async(lambda: published(["before", "during"]))
        dead = await metric(app, "proactive_engine_dead_lettered_total")
        dlq = [f"{namespace}.{t}.dlq" for t in ("cart-events", "chat-events")]
        assert await end_offsets(servers, dlq) == dict.fromkeys(dlq, 0)
    await db.close()
    assert dead == 0


async def _at_least_one(app: FastAPI, series: str) -> None:
    assert await metric(app, series) >= 1
