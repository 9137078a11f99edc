"""A running service: its settings, broker, database and metrics, served over HTTP.

`create_http_app` gives every service the same face for people and operators: OpenAPI docs,
`/healthz` (the process answers), `/readyz` (Kafka and, for a service that keeps state,
PostgreSQL answer), `/metrics` (Prometheus) and `/asyncapi` (the topics it reads and writes).
A service that gives its access table (`ServiceSpec.access`) has every route guarded by it.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import uvicorn
from fastapi import APIRouter, FastAPI, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI, get_asyncapi_html
from faststream.specification.base.specification import Specification
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from cc_runtime.access import (
    Access,
    AccessMiddleware,
    AccessTable,
    document_access,
    operations_access,
)
from cc_runtime.browser import cors_origins, protect_browsers
from cc_runtime.dead_letter import ConsumerMetrics, DeadLetters
from cc_runtime.http_metrics import instrument_http
from cc_runtime.kafka import (
    dead_letter_publisher,
    ensure_topics,
    make_broker,
    topics_with_dead_letters,
)
from cc_runtime.logs import configure_json_logging
from cc_runtime.migrations import migrate, package_migrations
from cc_runtime.outages import KAFKA, POSTGRESQL, OutageLog
from cc_runtime.postgres import DATABASE_UNAVAILABLE_ERRORS, Database
from cc_runtime.settings import ServiceSettings
from cc_runtime.tokens import RemoteKeys, StaticKeys, TokenVerifier
from cc_runtime.validation import validation_refused

log = logging.getLogger(__name__)

READINESS_TIMEOUT_SECONDS = 2.0
STARTUP_TIMEOUT_SECONDS = 60.0

Hook = Callable[[], Awaitable[None]]
Resource = Callable[[], AbstractAsyncContextManager[object]]


@dataclass
class Infrastructure:
    """What a service's composition root wires its handlers to."""

    settings: ServiceSettings
    registry: CollectorRegistry
    broker: KafkaBroker
    consumer_metrics: ConsumerMetrics
    postgres: Database  # opened at start-up by a service that has migrations
    outages: OutageLog

    @property
    def dead_letters(self) -> DeadLetters:
        """For batch handlers that dead-letter single records themselves."""
        return DeadLetters(
            dead_letter_publisher(self.broker), self.settings.service_name, self.consumer_metrics
        )


def connect(settings: ServiceSettings) -> Infrastructure:
    """Build the clients; nothing connects until the app starts."""
    registry = CollectorRegistry()
    consumer_metrics = ConsumerMetrics(registry)
    broker = make_broker(settings, registry, consumer_metrics)
    postgres = Database(
        settings.postgres_url,
        settings.postgres_schema,
        application_name=settings.service_name,
        max_size=settings.postgres_pool_size,
    )
    outages = OutageLog(
        {
            KAFKA: lambda: broker.ping(READINESS_TIMEOUT_SECONDS),
            POSTGRESQL: lambda: postgres.ping(READINESS_TIMEOUT_SECONDS),
        }
    )
    return Infrastructure(settings, registry, broker, consumer_metrics, postgres, outages)


@dataclass
class ServiceSpec:
    """What differs between services: their name, topics, routes and start-up work.

    `migrations` names the package whose `migrations/` directory holds the service's numbered
    SQL files: such a service uses PostgreSQL, whose pool opens and whose pending migrations
    apply at start-up, before the hooks, and which `/readyz` checks (a service without
    migrations keeps no state: its `/readyz` asks Kafka alone). `on_startup` hooks run
    once the topics exist, before consuming starts; `resources` (own producers, background
    tasks) are entered after that and closed, in reverse order, before the broker stops.
    `on_scrape` hooks run inside `/metrics`, after its access check, before the registry is
    rendered (collectors render synchronously: a hook reads what they will serve). `access`
    is the service's access table (`"METHOD /path" -> Access`, see access.py) for its own
    routes; the runtime adds its operations routes. Without one, nothing is guarded (the
    services not yet moved onto sign-in).
    """

    title: str
    description: str
    consumes: Sequence[str] = ()
    produces: Sequence[str] = ()
    routers: Sequence[APIRouter] = ()
    migrations: str | None = None
    on_startup: Sequence[Hook] = field(default_factory=list)
    resources: Sequence[Resource] = field(default_factory=list)
    on_scrape: Sequence[Hook] = field(default_factory=list)
    access: Mapping[str, Access] | None = None


def create_http_app(infra: Infrastructure, spec: ServiceSpec) -> FastAPI:
    settings = infra.settings
    topics = topics_with_dead_letters(
        (settings.topic(t) for t in spec.consumes), (settings.topic(t) for t in spec.produces)
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        infra.outages.install()
        try:
            await _start(infra, topics, spec)
            try:
                async with AsyncExitStack() as stack:
                    for resource in spec.resources:
                        await stack.enter_async_context(resource())
                    yield
            finally:
                await infra.broker.stop()
                await infra.postgres.close()
        finally:
            await infra.outages.uninstall()

    for topic in spec.consumes:
        infra.consumer_metrics.start_at_zero(settings.service_name, settings.topic(topic))
    app = FastAPI(
        title=spec.title,
        description=spec.description,
        lifespan=lifespan,
        swagger_ui_init_oauth={
            "clientId": settings.oidc_client_id,
            "usePkceWithAuthorizationCodeGrant": True,
        },
    )
    table = None
    if spec.access is not None:
        table = operations_access(settings.metrics_access) | AccessTable(spec.access)
        # Added before the metrics middleware, which wraps it: refusals are counted too.
        app.add_middleware(
            AccessMiddleware, routes=app, table=table, verifier=token_verifier(settings)
        )
        document_access(app, table, settings.oidc_issuer)
    app.add_exception_handler(RequestValidationError, validation_refused)
    instrument_http(app, infra.registry)
    protect_browsers(app, cors_origins(settings.cors_origins))
    app.include_router(_operations_router(infra, spec))
    for router in spec.routers:
        app.include_router(router)
    if table is not None and (missing := table.missing(app)):
        named = ", ".join(str(key) for key in missing)
        raise ValueError(f"{spec.title}: routes missing from the access table: {named}")
    return app


def token_verifier(settings: ServiceSettings) -> TokenVerifier:
    """The verifier of the configured issuer's tokens, or of the trusted test key's."""
    keys = (
        StaticKeys.parse(settings.oidc_trusted_jwks)
        if settings.oidc_trusted_jwks
        else RemoteKeys(settings.oidc_issuer, settings.oidc_jwks_url or None)
    )
    return TokenVerifier(
        keys,
        issuer=settings.oidc_issuer,
        audience=settings.oidc_audience,
        roles_claim=settings.oidc_roles_claim,
        leeway_seconds=settings.oidc_leeway_seconds,
    )


async def _start(infra: Infrastructure, topics: list[str], spec: ServiceSpec) -> None:
    """Create the topics, migrate the schema and start consuming, waiting for Kafka and
    PostgreSQL while they come up."""
    settings = infra.settings
    async for attempt in AsyncRetrying(
        stop=stop_after_delay(STARTUP_TIMEOUT_SECONDS),
        wait=wait_exponential(multiplier=0.5, max=5),
        reraise=True,
    ):
        with attempt:
            await ensure_topics(settings.kafka_bootstrap_servers, topics, settings.topic_partitions)
    if spec.migrations is not None:
        await _open_postgres(infra.postgres, spec.migrations)
    for hook in spec.on_startup:
        await hook()
    await infra.broker.start()
    log.info("service started", extra={"service": settings.service_name, "topics": topics})


async def _open_postgres(database: Database, package: str) -> None:
    """Open the pool and apply the pending migrations; instances starting together take
    turns (the migrations' advisory lock)."""
    migrations = package_migrations(package)
    async for attempt in AsyncRetrying(
        stop=stop_after_delay(STARTUP_TIMEOUT_SECONDS),
        wait=wait_exponential(multiplier=0.5, max=5),
        retry=retry_if_exception_type(DATABASE_UNAVAILABLE_ERRORS),
        reraise=True,
    ):
        with attempt:
            await database.open()
            async with database.connection() as connection:
                applied = await migrate(connection, database.schema, migrations)
    for migration in applied:
        log.info("migrated", extra={"schema": database.schema, "file": migration.file_name})


def _operations_router(infra: Infrastructure, spec: ServiceSpec) -> APIRouter:
    title = spec.title
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: Kafka and PostgreSQL answer")
    async def readyz() -> JSONResponse:
        checks = await readiness(infra)
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        for hook in spec.on_scrape:
            await hook()
        return Response(generate_latest(infra.registry), media_type=CONTENT_TYPE_LATEST)

    @router.get("/asyncapi.json", summary="AsyncAPI document of the topics")
    async def asyncapi_json() -> JSONResponse:
        return JSONResponse(asyncapi(infra, title).to_jsonable())

    @router.get("/asyncapi", summary="AsyncAPI page", response_class=HTMLResponse)
    async def asyncapi_page() -> HTMLResponse:
        return HTMLResponse(get_asyncapi_html(asyncapi(infra, title), try_it_out_path=None))

    return router


def asyncapi(infra: Infrastructure, title: str) -> Specification:
    return AsyncAPI(infra.broker, title=title).to_specification()


async def readiness(infra: Infrastructure) -> dict[str, bool]:
    async def postgres_ok() -> bool | None:  # None: the service does not use PostgreSQL
        if not infra.postgres.is_open:
            return None
        return await infra.postgres.ping(READINESS_TIMEOUT_SECONDS)

    kafka, postgres = await asyncio.gather(
        infra.broker.ping(READINESS_TIMEOUT_SECONDS), postgres_ok()
    )
    checks = {"kafka": bool(kafka)}
    if postgres is not None:
        checks["postgresql"] = postgres
    return checks


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run the app under uvicorn with JSON logs; used by each service's console script."""
    configure_json_logging(settings.log_level)
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None)
