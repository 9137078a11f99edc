"""The engine on the real broker and database, in-process apps driven by a manual clock:
every rule's scenario, the suppression cases, a restart and two instances in one group."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError
from fastapi import FastAPI

from cc_runtime import DeadLetters, ensure_topics
from cc_runtime.postgres import Database
from cc_runtime.settings import schema_name
from cc_schemas import (
    CartItemAdded,
    ChatStarted,
    CheckoutFailed,
    CheckoutFailureReason,
    CheckoutOrderPlaced,
    ContactRequested,
    CustomerContext,
    Event,
    FaqSearched,
    OrderHeldAtCarrier,
    OrderStatusChecked,
    ProductViewed,
    encode,
    key_of,
    topic_of,
)
from cc_testing import Servers, eventually_async, headers_of, produce, read_records
from proactive_engine import app as app_module
from proactive_engine.app import create_app
from proactive_engine.clock import ManualClock
from proactive_engine.codec import live_session
from proactive_engine.config import load_config
from proactive_engine.handlers import Publish
from proactive_engine.rules import build_rules, next_deadline
from proactive_engine.session import SessionState
from proactive_engine.settings import Settings
from proactive_engine.store import PostgresSessionStore

pytestmark = pytest.mark.infra

PARTITIONS = 3
T0 = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def shop(cls: type[Event], session: str, n: int, minute: float, **fields: Any) -> Event:
    return cls(
        event_id=f"{session}-{n}",
        occurred_at=at(minute),
        source="shop",
        session_id=session,
        **fields,
    )


def added(session: str, n: int, minute: float, **fields: Any) -> Event:
    return shop(
        CartItemAdded,
        session,
        n,
        minute,
        product_id="train-1",
        quantity=1,
        unit_price_cents=4990,
        currency="EUR",
        cart_value_cents=4990,
        **fields,
    )


async def send(servers: Servers, namespace: str, events: list[Event]) -> None:
    for event in events:
        topic = f"{namespace}.{topic_of(event)}"
        await produce(
            servers.kafka_bootstrap_servers, topic, [(key_of(event).encode(), encode(event))]
        )


@contextlib.asynccontextmanager
async def engine_app(env: dict[str, str], clock: ManualClock) -> AsyncIterator[FastAPI]:
    assert env["CC_TOPIC_PARTITIONS"] == str(PARTITIONS)
    settings = Settings(
        **env,  # type: ignore[arg-type]
        timer_interval_seconds=0.05,
        checkpoint_seconds=0.5,
        order_refresh_seconds=0.5,
        allowed_lateness_seconds=0,  # the manual clock is the watermark: deadlines fire on it
    )
    assert settings.checkpoint_seconds == 0.5
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        yield app


async def metrics_of(app: FastAPI) -> dict[str, float]:
    """The app's /metrics as {series: value}."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://engine") as client:
        text = (await client.get("/metrics")).text
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


@pytest.fixture
async def db(servers: Servers, namespace: str) -> AsyncIterator[Database]:
    """The engine's schema in this test's namespace (its migrations create it at start-up)."""
    assert servers.postgres_url is not None
    database = Database(servers.postgres_url, schema_name("proactive-engine", namespace))
    await database.open()
    yield database
    await database.close()


async def stored(db: Database, session: str) -> SessionState:
    row = await PostgresSessionStore(db).get(session)
    assert row is not None, f"session {session} is not stored"
    return live_session(row).state


async def folded(db: Database, session: str, events: int) -> None:
    """The session's events are stored."""
    assert len((await stored(db, session)).visits) >= events  # one visit per event


async def settled(db: Database, session: str, rule: str) -> None:
    """The timer decided the session's rule and stored that it did."""
    fired = (await stored(db, session)).fired
    assert [k for k in fired if k.startswith(f"{rule}|")], fired


async def all_requests(servers: Servers, namespace: str) -> list[ContactRequested]:
    """Every record of contact-requests, up to the end offsets of now."""
    topic = f"{namespace}.contact-requests"
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers.kafka_bootstrap_servers, enable_auto_commit=False
    )
    await consumer.start()
    try:
        # service_env creates every topic with CC_TOPIC_PARTITIONS partitions
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return [ContactRequested.model_validate_json(r.value) for r in records]


def situations(prefix: str) -> dict[str, list[Event]]:
    """One session per rule, each stuck the way its rule describes."""
    s = {rule: f"{prefix}-{rule}" for rule in RULE_NAMES}
    return {
        "abandoned_cart": [added(s["abandoned_cart"], 1, 0)],
        "long_product_dwell": [
            shop(
                ProductViewed,
                s["long_product_dwell"],
                n,
                n * 3,
                product_id=f"p{n}",
                name="Train",
                price_cents=4990,
                currency="EUR",
            )
            for n in range(4)
        ],
        "long_faq_search": [
            shop(
                FaqSearched, s["long_faq_search"], n, n * 0.5, query=f"battery {n}", results_count=2
            )
            for n in range(4)
        ],
        "checkout_failing": [
            shop(
                CheckoutFailed,
                s["checkout_failing"],
                n,
                n,
                reason=CheckoutFailureReason.PAYMENT_DECLINED,
            )
            for n in range(3)
        ],
        "order_status_repeated": [
            *(
                shop(OrderStatusChecked, s["order_status_repeated"], n, n, order_id="o-1")
                for n in range(3)
            ),
            OrderHeldAtCarrier(
                event_id="o-1-held",
                occurred_at=at(-60),
                source="logistics",
                order_id="o-1",
                carrier="DHL",
                reason="customs",
            ),
        ],
    }


RULE_NAMES = [
    "abandoned_cart",
    "long_product_dwell",
    "long_faq_search",
    "checkout_failing",
    "order_status_repeated",
]


async def test_each_rule_asks_for_exactly_one_contact_when_its_deadline_passes(
    servers: Servers, namespace: str, service_env: dict[str, str], db: Database
) -> None:
    clock = ManualClock(at(1))
    cases = situations("rule")
    async with engine_app(service_env, clock) as app:
        for events in cases.values():
            await send(servers, namespace, events)
        for rule, events in cases.items():
            count = sum(1 for e in events if hasattr(e, "session_id"))
            await eventually_async(lambda r=rule, n=count: folded(db, f"rule-{r}", n))
        clock.set(at(19))  # past every rule's deadline, silent sessions included
        for rule in RULE_NAMES:
            await eventually_async(lambda r=rule: settled(db, f"rule-{r}", r))
        metrics = await metrics_of(app)

    for rule in RULE_NAMES:
        assert metrics[f'proactive_engine_rule_hits_total{{rule="{rule}"}}'] == 1
        assert metrics[f'proactive_engine_requests_published_total{{rule="{rule}"}}'] == 1
    assert metrics["proactive_engine_timer_lag_seconds_count"] == len(RULE_NAMES)
    assert metrics["proactive_engine_partitions_owned"] == PARTITIONS
    assert metrics["proactive_engine_shop_partitions"] == PARTITIONS
    assert metrics["proactive_engine_sessions_owned"] == len(RULE_NAMES)
    for topic in ("browse-events", "cart-events", "order-events"):
        sent = sum(1 for events in cases.values() for e in events if topic_of(e) == topic)
        assert metrics[f'proactive_engine_events_total{{topic="{topic}"}}'] == sent

    requests = await all_requests(servers, namespace)
    assert sorted((r.session_id, r.rule) for r in requests) == sorted(
        (f"rule-{rule}", rule) for rule in RULE_NAMES
    )
    by_rule = {r.rule: r for r in requests}
    assert by_rule["abandoned_cart"].context.cart_value_cents == 4990
    assert by_rule["abandoned_cart"].channel == "chat"
    assert by_rule["order_status_repeated"].context.order_id == "o-1"
    assert by_rule["long_faq_search"].context.search_queries[0] == "battery 3"
    assert by_rule["checkout_failing"].priority == "high"


async def test_an_order_held_after_the_customer_checked_it_still_gets_them_a_call(
    servers: Servers, namespace: str, service_env: dict[str, str], db: Database
) -> None:
    clock = ManualClock(at(5))
    checks = [shop(OrderStatusChecked, "worried", n, n, order_id="o-7") for n in range(3)]
    held = OrderHeldAtCarrier(
        event_id="o-7-held",
        occurred_at=at(4),
        source="logistics",
        order_id="o-7",
        carrier="GLS",
        reason="address",
    )
    async with engine_app(service_env, clock):
        await send(servers, namespace, checks)
        await eventually_async(lambda: folded(db, "worried", 3))
        await asyncio.sleep(1)  # an order refresh finds nothing wrong with the order yet
        await send(servers, namespace, [held])
        await eventually_async(lambda: settled(db, "worried", "order_status_repeated"))

    requests = await all_requests(servers, namespace)
    assert [(r.session_id, r.rule, r.context.order_id) for r in requests] == [
        ("worried", "order_status_repeated", "o-7")
    ]


async def test_no_request_for_an_opted_out_ordered_chatting_or_throttled_customer(
    servers: Servers, namespace: str, service_env: dict[str, str], db: Database
) -> None:
    clock = ManualClock(at(1))
    opted_out = CustomerContext(customer_id="c-out", proactive_opt_out=True)
    ann = CustomerContext(customer_id="c-ann", contact_by_email=True)
    events = [
        added("opted-out", 1, 0, customer=opted_out),
        added("ordered", 1, 0),
        shop(
            CheckoutOrderPlaced, "ordered", 2, 0.5, order_id="o-9", total_cents=4990, currency="EUR"
        ),
        added("chatting", 1, 0),
        ChatStarted(
            event_id="chat-1",
            occurred_at=at(0.2),
            source="chat",
            chat_id="chat-1",
            session_id="chatting",
            origin="customer",
        ),
        added("ann-first", 1, 0, customer=ann),
        added("ann-second", 1, 2, customer=ann),
    ]
    async with engine_app(service_env, clock) as app:
        await send(servers, namespace, events)
        for session, count in [
            ("opted-out", 1),
            ("ordered", 2),
            ("chatting", 1),
            ("ann-first", 1),
            ("ann-second", 1),
        ]:
            await eventually_async(lambda s=session, n=count: folded(db, s, n))
        await eventually_async(lambda: chat_open(db, "chat-1"))
        clock.set(at(20))
        for session in ["opted-out", "chatting", "ann-first", "ann-second"]:
            await eventually_async(lambda s=session: settled(db, s, "abandoned_cart"))
        metrics = await metrics_of(app)
        ordered = await stored(db, "ordered")
        rules = build_rules(load_config())
        assert next_deadline(rules, ordered) is None  # nothing ever becomes due once ordered

    requests = await all_requests(servers, namespace)
    assert [(r.session_id, r.rule) for r in requests] == [("ann-first", "abandoned_cart")]
    for cause in ("opted_out", "in_chat", "throttled"):
        assert metrics[f'proactive_engine_requests_suppressed_total{{cause="{cause}"}}'] == 1


async def chat_open(db: Database, chat_id: str) -> None:
    async with db.connection() as connection:
        assert await connection.fetchval("SELECT count(*) FROM chats WHERE chat_id = $1", chat_id)


def publisher_failing_for(session_id: str) -> Callable[..., Publish]:
    """The engine's publisher, except that publishing this session's request fails (the
    instance dies between entering a request into the ledger and publishing it)."""
    real = app_module.kafka_publisher

    def make(broker: Any, topic: str) -> Publish:
        publish = real(broker, topic)

        async def publish_or_fail(requests: Sequence[ContactRequested]) -> None:
            if any(r.session_id == session_id for r in requests):
                raise ConnectionError("the instance dies mid-round")
            await publish(requests)

        return publish_or_fail

    return make


async def forget_firing(db: Database, session_id: str) -> None:
    """What a crash right after publishing leaves: no confirmation in the ledger, and a
    stored session that does not say the rule fired."""
    async with db.connection() as connection:
        rewritten = await connection.execute(
            "UPDATE sessions SET fired = '{}' WHERE session_id = $1", session_id
        )
        await connection.execute("UPDATE requests SET published_at = NULL")
    assert rewritten == "UPDATE 1", f"expected one stored session {session_id}: {rewritten}"


async def test_a_restarted_engine_neither_loses_nor_doubles_a_request(
    servers: Servers,
    namespace: str,
    service_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    db: Database,
) -> None:
    clock = ManualClock(at(1))
    monkeypatch.setattr(app_module, "kafka_publisher", publisher_failing_for("died-before"))
    async with engine_app(service_env, clock):
        events = [  # known customers who may be e-mailed: a channel even after the session
            added(
                session,
                1,
                minute,
                customer=CustomerContext(customer_id=session, contact_by_email=True),
            )
            for session, minute in [("died-after", 0), ("died-before", 2), ("while-down", 15)]
        ]
        await send(servers, namespace, events)
        for session in ("died-after", "died-before", "while-down"):
            await eventually_async(lambda s=session: folded(db, s, 1))
        clock.set(at(16))  # died-after is due: published and confirmed
        await eventually_async(lambda: settled(db, "died-after", "abandoned_cart"))
        clock.set(at(18))  # died-before is due: entered into the ledger, never published
        await eventually_async(lambda: ledger_has(db, "died-before"))
    monkeypatch.undo()
    await forget_firing(db, "died-after")  # as if it died between publish and confirm
    clock.set(at(40))  # while-down's deadline passed while no engine ran
    async with engine_app(service_env, clock):
        for session in ("died-after", "died-before", "while-down"):
            await eventually_async(lambda s=session: settled(db, s, "abandoned_cart"))

    requests = await all_requests(servers, namespace)
    assert sorted(r.session_id for r in requests) == ["died-after", "died-before", "while-down"]


async def ledger_has(db: Database, session_id: str) -> None:
    async with db.connection() as connection:
        count = "SELECT count(*) FROM requests WHERE session_id = $1"
        assert await connection.fetchval(count, session_id)


async def test_two_instances_in_one_group_ask_once_per_situation_across_a_rebalance(
    servers: Servers, namespace: str, service_env: dict[str, str], db: Database
) -> None:
    clock = ManualClock(at(1))
    sessions = [f"pair-{n}" for n in range(12)]
    later = [f"later-{n}" for n in range(12)]  # due only after the second instance left
    async with engine_app(service_env, clock) as first:
        await send(servers, namespace, [added(s, 1, 0) for s in sessions])
        async with engine_app(service_env, clock) as second:  # joins mid-session: rebalance
            await eventually_async(lambda: partitions_split(first, second))
            await send(servers, namespace, [added(s, 2, 1) for s in sessions])
            await send(servers, namespace, [added(s, 1, 20) for s in later])
            for session in sessions + later:
                await eventually_async(lambda s=session: folded(db, s, 1 if s in later else 2))
            clock.set(at(20))  # each instance fires the sessions of its partitions
            for session in sessions:
                await eventually_async(lambda s=session: settled(db, s, "abandoned_cart"))
        clock.set(at(40))  # the second left: the first took its partitions back, and fires
        for session in later:
            await eventually_async(lambda s=session: settled(db, s, "abandoned_cart"))

    requests = await all_requests(servers, namespace)
    assert sorted(r.session_id for r in requests) == sorted(sessions + later)


async def partitions_split(first: FastAPI, second: FastAPI) -> None:
    owned = [
        (await metrics_of(app))["proactive_engine_partitions_owned"] for app in (first, second)
    ]
    assert min(owned) >= 1, owned
    assert sum(owned) == PARTITIONS, owned


async def test_an_invalid_shop_event_is_dead_lettered_and_the_batch_still_applies(
    servers: Servers, namespace: str, service_env: dict[str, str], db: Database
) -> None:
    clock = ManualClock(at(1))
    topic = f"{namespace}.cart-events"
    async with engine_app(service_env, clock) as app:
        await produce(servers.kafka_bootstrap_servers, topic, [(b"bad", b"{not json")])
        await send(servers, namespace, [added("after-bad", 1, 0)])
        await eventually_async(lambda: folded(db, "after-bad", 1))
        dead = await read_records(
            servers.kafka_bootstrap_servers, f"{topic}.dlq", until=lambda r: len(r) >= 1
        )
        # Both records are handled (one stored, one dead-lettered): a checkpoint commits both.
        group = f"{namespace}.proactive-engine.sessions"
        await eventually_async(lambda: committed_in(servers, group, topic, 2))
        metrics = await metrics_of(app)
    assert [(r.key, r.value) for r in dead] == [(b"bad", b"{not json")]
    assert headers_of(dead[0])["x-dlq-source-topic"] == topic
    assert headers_of(dead[0])["x-dlq-error"]
    # counted where the platform's dead-letter alert looks
    series = f'cc_dlq_messages_total{{reason="invalid",service="proactive-engine",topic="{topic}"}}'
    assert metrics[series] == 1


async def test_a_batch_whose_dead_letter_failed_is_read_again_not_skipped(
    servers: Servers,
    namespace: str,
    service_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    db: Database,
) -> None:
    """Kafka refuses the dead letter on every attempt the policy makes: the batch is read again
    afterwards, and neither its invalid record nor its valid one is committed past."""
    failures = 3  # the policy's attempts
    real_send = DeadLetters.send

    async def send_unless_kafka_is_away(self: DeadLetters, *args: Any, **kwargs: Any) -> None:
        nonlocal failures
        if failures:
            failures -= 1
            raise KafkaConnectionError("Kafka is away")
        await real_send(self, *args, **kwargs)

    monkeypatch.setattr(DeadLetters, "send", send_unless_kafka_is_away)
    topic = f"{namespace}.cart-events"
    env = {**service_env, "CC_CONSUMER_BACKOFF_SECONDS": "0.01"}
    async with engine_app(env, ManualClock(at(0))):
        await produce(servers.kafka_bootstrap_servers, topic, [(b"bad", b"{not json")])
        await send(servers, namespace, [added("after-bad", 1, 0)])
        await eventually_async(lambda: folded(db, "after-bad", 1))
        group = f"{namespace}.proactive-engine.sessions"
        await eventually_async(lambda: committed_in(servers, group, topic, 2))
        dead = await read_records(
            servers.kafka_bootstrap_servers, f"{topic}.dlq", until=lambda r: len(r) >= 1
        )
    assert failures == 0
    assert [(r.key, r.value) for r in dead] == [(b"bad", b"{not json")]


async def committed_in(servers: Servers, group: str, topic: str, records: int) -> None:
    """The group's committed offsets on the topic add up to `records`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap_servers)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    assert sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic) == records


async def test_the_engine_is_ready_when_kafka_and_postgresql_answer(
    service_env: dict[str, str],
) -> None:
    async with engine_app(service_env, ManualClock(at(0))) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://engine") as client:
            answer = await client.get("/readyz")
    assert (answer.status_code, answer.json()) == (
        200,
        {"status": "ready", "checks": {"kafka": True, "postgresql": True}},
    )


async def test_the_engine_refuses_to_start_when_shop_topics_are_not_co_partitioned(
    servers: Servers, namespace: str, service_env: dict[str, str]
) -> None:
    await ensure_topics(servers.kafka_bootstrap_servers, [f"{namespace}.cart-events"], 2)
    with pytest.raises(RuntimeError, match="same number of partitions"):
        async with engine_app(service_env, ManualClock(at(0))):
            pass
