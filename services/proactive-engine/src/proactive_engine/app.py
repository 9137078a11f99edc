"""Composition root of proactive-engine: settings -> infrastructure -> rules, repository,
subscribers, timer loop, HTTP app. Reads browse-events, cart-events, order-events,
chat-events; writes contact-requests."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from cc_runtime import ServiceSpec, connect, create_http_app
from cc_runtime.kafka import partition_counts
from cc_schemas import (
    BROWSE_EVENTS,
    CART_EVENTS,
    CHAT_EVENTS,
    CONTACT_REQUESTS,
    ORDER_EVENTS,
    ContactRequested,
    encode,
)
from proactive_engine import collector
from proactive_engine.access import ACCESS
from proactive_engine.checkpoints import Checkpoints
from proactive_engine.clock import Clock, WallClock
from proactive_engine.config import EngineConfig, load_config
from proactive_engine.handlers import Dependencies, Limits, Publish
from proactive_engine.metrics import EngineMetrics
from proactive_engine.owned import OwnedSessions
from proactive_engine.repository import PostgresRepository
from proactive_engine.request_log import KafkaRequestLog
from proactive_engine.rules import build_rules
from proactive_engine.settings import Settings
from proactive_engine.store import PostgresSessionStore
from proactive_engine.subscribers import ShopOffsets, register_subscribers
from proactive_engine.timer import TimerSettings, run_timer
from proactive_engine.watermark import Watermarks

TIMER_STOP_SECONDS = 10.0  # how long a shutdown waits for the timer round in progress


def kafka_publisher(broker: KafkaBroker, topic: str) -> Publish:
    async def publish(requests: Sequence[ContactRequested]) -> None:
        await asyncio.gather(
            *(
                broker.publish(
                    encode(request),
                    topic,
                    key=request.request_id.encode(),
                    headers={"content-type": "application/json"},
                )
                for request in requests
            )
        )

    return publish


async def require_co_partitioned(settings: Settings, metrics: EngineMetrics) -> None:
    """Partition p of browse-events and of cart-events must hold the same sessions, or two
    instances would each own half of a session: refuse to start otherwise."""
    topics = [settings.topic(BROWSE_EVENTS), settings.topic(CART_EVENTS)]
    counts = await partition_counts(settings.kafka_bootstrap_servers, topics)
    if len(set(counts.values())) > 1:
        raise RuntimeError(
            f"browse-events and cart-events must have the same number of partitions "
            f"(sessions are owned by partition): {counts}"
        )
    metrics.shop_partitions.set(max(counts.values(), default=0))


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    config: EngineConfig | None = None,
) -> FastAPI:
    settings = settings or Settings()
    config = config or load_config(settings.rules_file)
    collector.tune()
    infra = connect(settings)
    rules = build_rules(config)
    owned = OwnedSessions(rules)
    store = PostgresSessionStore(infra.postgres)
    offsets = ShopOffsets()
    watermarks = Watermarks(
        lateness=timedelta(seconds=settings.allowed_lateness_seconds),
        idle_seconds=settings.idle_partition_seconds,
        follows_wall=settings.clock == "wall",
        topics=(settings.topic(BROWSE_EVENTS), settings.topic(CART_EVENTS)),
    )
    deps = Dependencies(
        store=store,
        repository=PostgresRepository(infra.postgres),
        request_log=KafkaRequestLog(
            settings.kafka_bootstrap_servers, settings.topic(CONTACT_REQUESTS)
        ),
        publish=kafka_publisher(infra.broker, settings.topic(CONTACT_REQUESTS)),
        rules=rules,
        config=config,
        clock=clock or WallClock(),
        metrics=EngineMetrics(infra.registry),
        owner=f"{settings.service_name}-{uuid.uuid4().hex[:12]}",
        owned=owned,
        checkpoints=Checkpoints(
            owned, watermarks, store, offsets.commit, settings.checkpoint_seconds
        ),
        watermarks=watermarks,
        limits=Limits(
            lease=timedelta(seconds=settings.lease_seconds),
            claim_limit=settings.claim_limit,
            retention=timedelta(hours=settings.retention_hours),
        ),
    )
    deps.metrics.watch(owned, watermarks)
    register_subscribers(infra.broker, settings, deps, offsets, infra.dead_letters)
    spec = ServiceSpec(
        title="Proactive engine",
        description=(
            "Watches the shop's browse and cart events and asks an operator "
            "to reach out to customers who are stuck."
        ),
        consumes=[BROWSE_EVENTS, CART_EVENTS, ORDER_EVENTS, CHAT_EVENTS],
        produces=[CONTACT_REQUESTS],
        migrations="proactive_engine",
        on_startup=[lambda: require_co_partitioned(settings, deps.metrics)],
        access=ACCESS,
    )
    app = create_http_app(infra, spec)
    timer = TimerSettings(
        interval_seconds=settings.timer_interval_seconds,
        order_refresh_seconds=settings.order_refresh_seconds,
        checkpoint_seconds=settings.checkpoint_seconds,
    )
    _run_timer_while_serving(app, deps, timer)
    return app


def _run_timer_while_serving(
    app: FastAPI, deps: Dependencies, timer_settings: TimerSettings
) -> None:
    """Start the timer once the broker runs (it publishes), stop it before the broker stops."""
    serving = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with serving(application):
            stop = asyncio.Event()
            timer = asyncio.create_task(run_timer(deps, timer_settings, stop))
            try:
                yield
            finally:
                # Let the round in progress finish (publish and record together); cancel only
                # if it hangs, e.g. on an unreachable database.
                stop.set()
                try:
                    await asyncio.wait_for(asyncio.shield(timer), TIMER_STOP_SECONDS)
                except TimeoutError:
                    timer.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await timer

    app.router.lifespan_context = lifespan
