"""Composition root of chat: settings -> infrastructure -> repository, outbox relay, use cases,
expiry watcher, subscribers, HTTP app. Reads contact-requests and order-events; writes
contact-outcomes, chat-events and csat-responses (through its outbox)."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from cc_attachments import FileBlobStore
from cc_runtime import ServiceSpec, connect, create_http_app
from cc_runtime.kafka import set_topic_configs
from cc_runtime.outbox import Relay, broker_publisher
from cc_schemas import CHAT_EVENTS, CONTACT_OUTCOMES, CSAT_RESPONSES
from chat.access import ACCESS
from chat.activity_api import activity_router
from chat.api import me_router, queue_router
from chat.assignment import Seats, watch_round
from chat.attachments_api import attachment_routers
from chat.chat_api import operator_chats_router, widget_router
from chat.chats import Conversations
from chat.console import (
    console_chats_router,
    console_desk_router,
    console_left_router,
    console_presence_router,
    console_router,
)
from chat.console.pop_routes import console_pop_router
from chat.console.supervisor_routes import supervisor_routers
from chat.crm_search import CrmSearch
from chat.desk_api import desk_router
from chat.handlers import Desk, expire_due
from chat.pop_store import PostgresPops
from chat.presence_api import presence_router
from chat.privacy import Privacy, purge_round
from chat.rate_limit import Limiter, Rate, idle_after
from chat.repository import (
    PostgresBuckets,
    PostgresChats,
    PostgresContactRequests,
    PostgresForgetting,
    PostgresLeftMessages,
    PostgresOperators,
)
from chat.settings import Settings
from chat.subscribers import CONSUMED, register_subscribers
from chat.tokens import ChatTokens, ShopSessions
from chat.waiting_api import waiting_router
from chat.wallboard_store import PostgresWallboard
from chat.widget import widget_files_router

log = logging.getLogger(__name__)


@asynccontextmanager
async def watcher(
    name: str, round_at: Callable[[datetime], Awaitable[object]], every_seconds: float
) -> AsyncIterator[None]:
    """A watcher's rounds (expiry, presence), in the background while the service runs."""

    async def rounds() -> None:
        while True:
            try:
                await round_at(datetime.now(UTC))
            except Exception:  # PostgreSQL away or a bad row: logged, the next round retries
                log.exception("%s round failed", name)
            await asyncio.sleep(every_seconds)

    task = asyncio.create_task(rounds(), name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def chat_events_retention(settings: Settings) -> None:
    """chat-events carries message text: the broker keeps it as long as chat keeps its own."""
    retention_ms = int(settings.message_retention.total_seconds() * 1000)
    await set_topic_configs(
        settings.kafka_bootstrap_servers,
        {settings.topic(CHAT_EVENTS): {"retention.ms": str(retention_ms)}},
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    infra = connect(settings)
    requests = PostgresContactRequests(infra.postgres)
    relay = Relay(infra.postgres, broker_publisher(infra.broker, settings))
    desk = Desk(
        requests=requests,
        conversion_window=timedelta(hours=settings.conversion_window_hours),
        written=relay.wake,
        seat_default=settings.seat_limit,
    )
    conversations = Conversations(
        chats=PostgresChats(infra.postgres),
        max_chars=settings.message_max_chars,
        written=relay.wake,
        seat_default=settings.seat_limit,
    )
    tokens = ChatTokens(
        settings.chat_token_secret.get_secret_value(),
        timedelta(hours=settings.chat_token_hours),
    )
    sessions = ShopSessions(
        settings.shop_session_secret.get_secret_value(),
        timedelta(hours=settings.shop_session_hours),
    )
    seats = Seats(
        operators=PostgresOperators(infra.postgres),
        timeout=timedelta(seconds=settings.presence_timeout_seconds),
        default_seat_limit=settings.seat_limit,
        written=relay.wake,
        handling_window=timedelta(minutes=settings.handling_window_minutes),
        default_handling_seconds=settings.default_handling_minutes * 60,
        requests=requests,
        offer_lasts=timedelta(seconds=settings.offer_seconds),
    )
    limiter = Limiter(
        buckets=PostgresBuckets(infra.postgres),
        per_chat=Rate(settings.customer_messages_per_minute, settings.customer_messages_burst),
        per_client=Rate(settings.public_calls_per_minute, settings.public_calls_burst),
    )
    blobs = FileBlobStore(settings.attachments_dir)
    privacy = Privacy(
        store=PostgresForgetting(infra.postgres),
        blobs=blobs,
        retention=settings.message_retention,
        idle_buckets=max(idle_after(limiter.per_chat), idle_after(limiter.per_client)),
    )
    left = PostgresLeftMessages(infra.postgres)
    pops = PostgresPops(infra.postgres)
    board = PostgresWallboard(infra.postgres)
    register_subscribers(infra.broker, settings, desk, privacy, pops, board)
    spec = ServiceSpec(
        title="Chat",
        description=(
            "Live chat between operators and customers, "
            "and the operators' queue of contact requests."
        ),
        consumes=CONSUMED,
        produces=[CONTACT_OUTCOMES, CHAT_EVENTS, CSAT_RESPONSES],
        routers=[
            me_router(),
            presence_router(seats),
            waiting_router(
                seats, conversations.chats, tokens, left, limiter, settings.message_max_chars
            ),
            queue_router(desk, requests),
            operator_chats_router(conversations),
            desk_router(conversations, seats),
            activity_router(conversations, tokens),
            widget_router(conversations, tokens, sessions, limiter),
            console_router(desk, requests, conversations, settings),
            console_chats_router(conversations, settings),
            console_presence_router(seats),
            console_left_router(left),
            console_desk_router(conversations, seats, requests, settings.canned_table()),
            console_pop_router(pops, CrmSearch(settings.crm_url)),
            *supervisor_routers(board, seats, conversations, desk, settings),
            widget_files_router(settings, sessions),
            *attachment_routers(
                conversations, blobs, settings.attachment_max_bytes, tokens, limiter
            ),
        ],
        migrations="chat",
        on_startup=[lambda: chat_events_retention(settings)],
        resources=[
            relay.running,
            lambda: watcher(
                "chat-expiry-watcher",
                lambda now: expire_due(desk, now),
                settings.expiry_check_seconds,
            ),
            lambda: watcher(
                "chat-retention-watcher",
                lambda now: purge_round(privacy, now),
                settings.retention_check_seconds,
            ),
            lambda: watcher(
                "chat-presence-watcher",
                lambda now: watch_round(seats, now),
                settings.presence_check_seconds,
            ),
        ],
        access=ACCESS,
    )
    return create_http_app(infra, spec)
