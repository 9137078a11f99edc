"""Composition root of claims: settings -> infrastructure -> repository, outbox relay, use
cases, SLA watcher, HTTP app. Writes ticket-opened, ticket-assigned, ticket-closed,
ticket-changes, ticket-sla, order-commands and customer-notifications (through its outbox);
reads order-events (purchases) and customer-events (erasure)."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from cc_attachments import FileBlobStore
from cc_runtime import ServiceSpec, connect, create_http_app
from cc_runtime.outbox import Relay, broker_publisher
from cc_schemas import (
    CUSTOMER_EVENTS,
    CUSTOMER_NOTIFICATIONS,
    ORDER_COMMANDS,
    ORDER_EVENTS,
    TICKET_ASSIGNED,
    TICKET_CHANGES,
    TICKET_CLOSED,
    TICKET_OPENED,
    TICKET_SLA,
)
from claims.access import ACCESS
from claims.api import attachment_routes, ticket_routes, warranty_routes
from claims.availability import Availability, NoLookup, ShopAvailability
from claims.business_time import BusinessCalendar, parse_hours, public_holidays
from claims.console import console_router, me_router
from claims.customer.links import LinkSigner
from claims.customer.page import customer_page_routes
from claims.domain import Rules
from claims.handlers import Claims, Warranty, watch_sla
from claims.repository import (
    PostgresAttachments,
    PostgresErasures,
    PostgresPurchases,
    PostgresShipments,
    PostgresTickets,
)
from claims.settings import Settings
from claims.sla import load_policies
from claims.subscribers import register_subscribers
from claims.upgrades import load_upgrades
from claims.warranty import load_checklists

log = logging.getLogger(__name__)


def availability_of(settings: Settings) -> Availability:
    if not settings.availability_url:
        return NoLookup()
    return ShopAvailability(settings.availability_url)


def calendar_of(settings: Settings) -> BusinessCalendar:
    return BusinessCalendar(
        zone=ZoneInfo(settings.zone),
        hours=parse_hours(settings.opening_hours),
        is_holiday=public_holidays(settings.holidays_country),
    )


@asynccontextmanager
async def sla_watcher(claims: Claims, every_seconds: float) -> AsyncIterator[None]:
    """The SLA watcher's rounds, in the background while the service runs."""

    async def rounds() -> None:
        while True:
            try:
                await watch_sla(claims, datetime.now(UTC))
            except Exception:  # PostgreSQL away or a bad row: logged, the next round retries
                log.exception("SLA watcher round failed")
            await asyncio.sleep(every_seconds)

    task = asyncio.create_task(rounds(), name="claims-sla-watcher")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def create_app(
    settings: Settings | None = None, availability: Availability | None = None
) -> FastAPI:
    """The app; `availability` replaces the shop's lookup (tests pass a fake)."""
    settings = settings or Settings()
    infra = connect(settings)
    tickets = PostgresTickets(infra.postgres)
    purchases = PostgresPurchases(infra.postgres)
    relay = Relay(infra.postgres, broker_publisher(infra.broker, settings))
    links = LinkSigner(
        settings.customer_link_secret.get_secret_value(),
        timedelta(days=settings.customer_link_days),
    )

    def customer_link(ticket_id: str) -> tuple[str, datetime]:
        token, expires = links.sign(ticket_id)
        return f"{settings.customer_page_url}?{urlencode({'token': token})}", expires

    claims = Claims(
        tickets=tickets,
        rules=Rules(reopen_window=timedelta(days=settings.reopen_window_days)),
        clusters=settings.clusters,
        policies=load_policies(settings.sla_file),
        calendar=calendar_of(settings),
        written=relay.wake,
        customer_link=customer_link,
    )
    warranty = Warranty(
        purchases=purchases,
        checklists=load_checklists(settings.checklists_file),
        months=settings.warranty_months,
    )
    blobs = FileBlobStore(settings.attachments_dir)
    attachments = PostgresAttachments(infra.postgres)
    erasures = (PostgresErasures(infra.postgres), blobs)
    orders = (purchases, PostgresShipments(infra.postgres), customer_link)
    register_subscribers(infra.broker, settings, orders, erasures)
    spec = ServiceSpec(
        title="Claims",
        description=(
            "Claim tickets opened, assigned down a chain of responsibles "
            "and closed resolved or unresolved."
        ),
        produces=[
            TICKET_OPENED,
            TICKET_ASSIGNED,
            TICKET_CLOSED,
            TICKET_CHANGES,
            TICKET_SLA,
            ORDER_COMMANDS,
            CUSTOMER_NOTIFICATIONS,
        ],
        consumes=[ORDER_EVENTS, CUSTOMER_EVENTS],
        routers=[
            ticket_routes(
                claims,
                tickets,
                (availability or availability_of(settings), load_upgrades(settings.upgrades_file)),
            ),
            warranty_routes(claims, warranty, purchases),
            attachment_routes(claims, attachments, blobs, settings.attachment_max_bytes),
            customer_page_routes(claims, tickets, links, (attachments, blobs)),
            console_router(settings),
            me_router(),
        ],
        migrations="claims",
        resources=[relay.running, lambda: sla_watcher(claims, settings.sla_check_seconds)],
        access=ACCESS,
    )
    return create_http_app(infra, spec)
