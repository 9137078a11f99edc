"""Composition root of claims: settings -> infrastructure -> repository, outbox relay, use
cases, HTTP app. Writes ticket-opened, ticket-assigned, ticket-closed and ticket-changes
(through its outbox); reads no topic yet."""

from datetime import timedelta

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from cc_runtime import ServiceSpec, connect, create_http_app
from cc_schemas import TICKET_ASSIGNED, TICKET_CHANGES, TICKET_CLOSED, TICKET_OPENED
from claims.access import ACCESS
from claims.api import ticket_routes
from claims.domain import Rules
from claims.handlers import Claims
from claims.outbox import Publish, Relay
from claims.repository import PostgresTickets
from claims.settings import Settings


def kafka_publisher(broker: KafkaBroker, settings: Settings) -> Publish:
    async def publish(topic: str, key: bytes, value: bytes) -> None:
        await broker.publish(
            value,
            settings.topic(topic),
            key=key,
            headers={"content-type": "application/json"},
        )

    return publish


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    infra = connect(settings)
    tickets = PostgresTickets(infra.postgres)
    relay = Relay(infra.postgres, kafka_publisher(infra.broker, settings))
    claims = Claims(
        tickets=tickets,
        rules=Rules(reopen_window=timedelta(days=settings.reopen_window_days)),
        clusters=settings.clusters,
        written=relay.wake,
    )
    spec = ServiceSpec(
        title="Claims",
        description=(
            "Claim tickets opened, assigned down a chain of responsibles "
            "and closed resolved or unresolved."
        ),
        produces=[TICKET_OPENED, TICKET_ASSIGNED, TICKET_CLOSED, TICKET_CHANGES],
        routers=[ticket_routes(claims, tickets)],
        migrations="claims",
        resources=[relay.running],
        access=ACCESS,
    )
    return create_http_app(infra, spec)
