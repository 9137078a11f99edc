"""Composition root of telephony-ingest: settings -> infrastructure -> sink, repositories,
handlers, routes, and the background work (live queue_log follower, AMI client, housekeeping)."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from cc_runtime import PostgresAuditTrail, ServiceSpec, connect, create_http_app
from cc_runtime.postgres import DATABASE_UNAVAILABLE_ERRORS
from cc_runtime.validation import validation_refused
from cc_schemas import AGENT_EVENTS, CALL_EVENTS, dlq
from telephony_ingest.access import ACCESS
from telephony_ingest.agent_identity import AgentIdentities
from telephony_ingest.ami import AmiSource, Backoff, manager_config
from telephony_ingest.api import import_router, webhook_door, webhook_router
from telephony_ingest.directory import KeycloakDirectory, NoDirectory, StaticDirectory
from telephony_ingest.follower import QueueLogFollower
from telephony_ingest.handlers import WEBHOOK, LineContext, QueueLogLines, import_for
from telephony_ingest.housekeeping import housekeep
from telephony_ingest.metrics import IngestMetrics, PeopleDirectoryCollector
from telephony_ingest.naming import PersonNamingSink
from telephony_ingest.repository import PostgresRepository
from telephony_ingest.settings import Settings
from telephony_ingest.sink import EventSink, KafkaEventSink
from telephony_ingest.webhook import WebhookEvents

DESCRIPTION = (
    "Takes call and agent events from the PBX middleware (signed webhook, Asterisk queue_log "
    "import and live follow, AMI) and publishes them on call-events and agent-events."
)


def line_context(settings: Settings) -> LineContext:
    return LineContext(
        region=settings.default_region,
        pbx_id=settings.pbx_id,
        checkpoint_lines=settings.import_checkpoint_lines,
        identities=AgentIdentities(settings.agent_aliases),
    )


def people_directory(
    settings: Settings, identities: AgentIdentities
) -> StaticDirectory | KeycloakDirectory | NoDirectory:
    """The directory the settings name: Keycloak's users, a static file, or none."""
    if settings.people_keycloak_client_id:
        return KeycloakDirectory(
            settings.people_keycloak_realm_url or settings.oidc_issuer,
            settings.people_keycloak_client_id,
            settings.people_keycloak_client_secret.get_secret_value(),
            identities,
            settings.people_refresh_seconds,
        )
    if settings.people_file is not None:
        return StaticDirectory(settings.people_file, identities)
    return NoDirectory()


async def _cancel(task: "asyncio.Task[None]") -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def counting_validation_errors(
    metrics: IngestMetrics,
) -> Callable[[Request, Exception], Awaitable[Response]]:
    """The runtime's 422 answer, with the refusal counted."""

    async def handler(request: Request, error: Exception) -> Response:
        metrics.rejected.labels(WEBHOOK, "invalid_body").inc()
        assert isinstance(error, RequestValidationError)
        return await validation_refused(request, error)

    return handler


async def database_unavailable(request: Request, error: Exception) -> Response:
    """503 while PostgreSQL is away (a webhook's replay check): the sender tries again."""
    return JSONResponse(
        {"detail": "database_unavailable"}, status_code=503, headers={"Retry-After": "5"}
    )


def ami_source(
    settings: Settings, sink: EventSink, metrics: IngestMetrics, identities: AgentIdentities
) -> AmiSource | None:
    if settings.ami_host is None:
        return None
    config = manager_config(
        settings.ami_host,
        settings.ami_port,
        settings.ami_username,
        settings.ami_secret.get_secret_value(),
    )
    backoff = Backoff(settings.ami_backoff_seconds, settings.ami_max_backoff_seconds)
    return AmiSource(
        config,
        backoff,
        sink,
        metrics,
        settings.default_region,
        settings.pbx_id,
        identities,
        settings.ami_leave_grace_seconds,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    infra = connect(settings)
    metrics = IngestMetrics(infra.registry)
    sink = KafkaEventSink(settings, metrics)
    repository = PostgresRepository(infra.postgres)
    context = line_context(settings)
    # One identity map for the three sources: an agent is named alike whichever reports them.
    identities = context.identities
    directory = people_directory(settings, identities)
    infra.registry.register(PeopleDirectoryCollector(directory))
    named = PersonNamingSink(sink, directory)
    lines = QueueLogLines(named, metrics, context)
    trail = PostgresAuditTrail(infra.postgres)
    import_file = partial(import_for, lines=lines, ledger=repository, trail=trail)
    retention = timedelta(days=settings.ledger_retention_days)
    background: list[Callable[[], Coroutine[Any, Any, None]]] = [
        partial(housekeep, repository, retention, settings.housekeeping_seconds)
    ]
    if settings.follow_path is not None:
        follower = QueueLogFollower(
            settings.follow_path, lines, repository, settings.follow_poll_seconds
        )
        background.append(follower.run)
    if isinstance(directory, KeycloakDirectory):
        background.append(directory.run)
    ami = ami_source(settings, named, metrics, identities)

    @asynccontextmanager
    async def sources() -> AsyncIterator[None]:
        """The own producer, the AMI client, the live follower and housekeeping, for the
        app's lifetime."""
        async with AsyncExitStack() as stack:
            await sink.start()
            stack.push_async_callback(sink.stop)
            if isinstance(directory, KeycloakDirectory):
                # Read once before the sources start (a failure is logged, not fatal); its
                # `run` keeps it fresh in the background.
                await directory.refresh()
            if ami is not None:
                await ami.start()
                stack.push_async_callback(ami.stop)
            for source in background:
                task = asyncio.create_task(source())
                stack.push_async_callback(_cancel, task)
            # What start-up built (routes, models, clients) lives as long as the process: kept
            # out of the collector's full passes, which otherwise pause every request in flight.
            gc.collect()
            gc.freeze()
            yield

    spec = ServiceSpec(
        title="Telephony ingest",
        description=DESCRIPTION,
        produces=[CALL_EVENTS, AGENT_EVENTS, dlq(CALL_EVENTS)],
        routers=[
            webhook_router(
                named,
                settings,
                webhook_door(settings, repository, metrics),
                WebhookEvents(settings.default_region, identities, directory),
            ),
            import_router(import_file, settings),
        ],
        access=ACCESS,
        migrations="telephony_ingest",
        resources=[sources],
    )
    app = create_http_app(infra, spec)
    app.add_exception_handler(RequestValidationError, counting_validation_errors(metrics))
    for unavailable in DATABASE_UNAVAILABLE_ERRORS:
        if issubclass(unavailable, Exception):
            app.add_exception_handler(unavailable, database_unavailable)
    return app
