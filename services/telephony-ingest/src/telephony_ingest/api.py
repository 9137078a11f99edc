"""HTTP routes -> handlers, nothing more: the signed PBX webhook and the queue_log bulk import
(who may call each: access.py). Writes call-events, agent-events and call-events.dlq (through
the handlers)."""

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, BinaryIO, TypeVar

from fastapi import APIRouter, Body, Depends, HTTPException, UploadFile, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from cc_runtime import AuditEntry, WriteBy
from cc_schemas import AnyAgentEvent, AnyCallEvent, Event
from telephony_ingest.guard import Door, guarded_route
from telephony_ingest.handlers import WEBHOOK, ImportReport, publish_events
from telephony_ingest.metrics import IngestMetrics
from telephony_ingest.repository import NonceRepository
from telephony_ingest.settings import Settings
from telephony_ingest.sink import EventPublisher
from telephony_ingest.webhook import WebhookEvents

E = TypeVar("E", bound=Event)
FileImporter = Callable[[BinaryIO, str, AuditEntry], Awaitable[ImportReport | None]]

SERVER_PATH_MAX_BODY_BYTES = 64 * 1024

SIGNED: dict[int | str, dict[str, Any]] = {
    401: {"description": "Signature missing, malformed, stale or wrong; the reason is in `detail`"},
    409: {"description": "This exact signed request was already accepted (a replay)"},
    413: {"description": "The body is over the limit that fits a Kafka message, or the batch "
          "has too many events"},
    422: {"description": "The event is malformed (NaN and Infinity are not JSON numbers); the "
          "reason is in `detail`"},
}  # fmt: skip
# The access table lets an administrator's bearer token in before the body is read. A request
# from a web page is not refused as such: a plain cross-site form cannot send an
# `Authorization` header, and a script of another origin that sets one needs a CORS preflight,
# which the runtime grants only to the configured origins (the console's), so no page can make
# an administrator's browser import on their behalf.
IMPORT_CREDENTIALS = (
    "Who may call: an administrator, or a machine client holding the `admin` role (cc-dev's "
    "client credentials), with `Authorization: Bearer <access token>`. Recorded in the audit "
    "(subject, roles, time, file); each published event names the caller as its `actor`."
)

OFFERED_EXAMPLE: dict[str, Any] = {
    "event_id": "pbx-1710408413.4211-offered",
    "event_type": "call.offered",
    "occurred_at": "2024-03-14T09:26:53Z",
    "source": "pbx-webhook",
    "call_id": "1710408413.4211",
    "queue": "sales",
    "caller": {"number_raw": "+39 02 1234 5678", "e164": "+390212345678"},
    "position": 1,
}
ANSWERED_EXAMPLE: dict[str, Any] = {
    "event_id": "pbx-1710408413.4211-answered",
    "event_type": "call.answered",
    "occurred_at": "2024-03-14T09:27:20Z",
    "source": "pbx-webhook",
    "call_id": "1710408413.4211",
    "queue": "sales",
    "agent": "PJSIP/1002",
    "wait_seconds": 27,
}
PAUSED_EXAMPLE: dict[str, Any] = {
    "event_id": "pbx-PJSIP/1002-paused-1710410000",
    "event_type": "agent.paused",
    "occurred_at": "2024-03-14T09:53:20Z",
    "source": "pbx-webhook",
    "agent_id": "PJSIP/1002",
    "reason": "lunch",
}
SIGNING_HELP = (
    "Who may call: the PBX middleware, holding the webhook secret. "
    "Signed: `X-Timestamp` is the Unix time of sending, `X-Signature` is "
    "`sha256=` + hex HMAC-SHA256 of `<X-Timestamp>.<raw body>` with the shared secret. "
    "Requests older than five minutes, or already accepted (however the signature is "
    "written), are refused. `event_id` is the middleware's own stable id: a retried event "
    "(re-signed) is deduplicated downstream."
)


class Accepted(BaseModel):
    event_id: str
    call_id: str


class AcceptedAgentEvent(BaseModel):
    event_id: str
    agent_id: str


class Batch(BaseModel):
    events: list[AnyCallEvent | AnyAgentEvent] = Field(min_length=1)


class BatchAccepted(BaseModel):
    accepted: int
    event_ids: list[str]


class ServerPath(BaseModel):
    path: str = Field(description="A queue_log file under one of TELEPHONY_INGEST_IMPORT_ROOTS")


class ImportSummary(BaseModel):
    """Every line read is in exactly one count: lines = published + duplicates + ignored +
    the rejected + the unknown verbs."""

    name: str
    lines: int = Field(description="Lines read")
    published: int = Field(description="Lines published as an event")
    duplicates: int = Field(description="Lines an earlier import published or dead-lettered")
    ignored: int = Field(description="Blank lines and verbs without a lifecycle fact")
    rejected: dict[str, int] = Field(description="Lines dead-lettered, by reason")
    unknown_verbs: dict[str, int] = Field(
        description="Lines of a verb without a mapping, by verb (the first of each verb is "
        "dead-lettered as a sample, once)"
    )
    offset: int = Field(description="Bytes read")


def webhook_door(settings: Settings, nonces: NonceRepository, metrics: IngestMetrics) -> Door:
    return Door(
        source=WEBHOOK,
        pbx_id=settings.pbx_id,
        secret=settings.webhook_secret.get_secret_value(),
        tolerance_seconds=settings.webhook_tolerance_seconds,
        nonces=nonces,
        metrics=metrics,
    )


def normalised(webhook: WebhookEvents, events: Sequence[E]) -> list[E]:
    """The events normalised like the other sources'; 422 when a mapped one is invalid."""
    try:
        return [webhook.normalised(event) for event in events]
    except ValidationError as error:
        raise RequestValidationError(error.errors(include_url=False)) from None


def webhook_router(
    sink: EventPublisher, settings: Settings, door: Door, webhook: WebhookEvents
) -> APIRouter:
    router = APIRouter(
        prefix="/v1",
        tags=["PBX webhook"],
        route_class=guarded_route(door),
        dependencies=[Depends(door.verified)],
        max_body_size=settings.webhook_max_body_bytes,
    )

    @router.post(
        "/call-events",
        status_code=status.HTTP_202_ACCEPTED,
        summary="Publish one call event from the PBX middleware",
        description=SIGNING_HELP,
        responses=SIGNED,
    )
    async def post_call_event(
        event: Annotated[
            AnyCallEvent,
            Body(openapi_examples={"offered": {"value": OFFERED_EXAMPLE}}),
        ],
    ) -> Accepted:
        [event] = normalised(webhook, [event])
        await publish_events([event], sink)
        return Accepted(event_id=event.event_id, call_id=event.call_id)

    @router.post(
        "/agent-events",
        status_code=status.HTTP_202_ACCEPTED,
        summary="Publish one agent event (login, logout, pause, unpause)",
        description=SIGNING_HELP,
        responses=SIGNED,
    )
    async def post_agent_event(
        event: Annotated[
            AnyAgentEvent, Body(openapi_examples={"paused": {"value": PAUSED_EXAMPLE}})
        ],
    ) -> AcceptedAgentEvent:
        [event] = normalised(webhook, [event])
        await publish_events([event], sink)
        return AcceptedAgentEvent(event_id=event.event_id, agent_id=event.agent_id)

    @router.post(
        "/events:batch",
        status_code=status.HTTP_202_ACCEPTED,
        summary="Publish a batch of call and agent events, all or none validated",
        description=SIGNING_HELP,
        responses=SIGNED,
    )
    async def post_batch(
        batch: Annotated[
            Batch,
            Body(
                openapi_examples={
                    "a call": {"value": {"events": [OFFERED_EXAMPLE, ANSWERED_EXAMPLE]}},
                    "mixed": {"value": {"events": [ANSWERED_EXAMPLE, PAUSED_EXAMPLE]}},
                }
            ),
        ],
    ) -> BatchAccepted:
        if len(batch.events) > settings.webhook_max_batch:
            raise door.refuse(
                413, "batch_too_large", f"at most {settings.webhook_max_batch} events per batch"
            )
        await publish_events(normalised(webhook, batch.events), sink)
        return BatchAccepted(
            accepted=len(batch.events), event_ids=[e.event_id for e in batch.events]
        )

    return router


def import_router(import_file: FileImporter, settings: Settings) -> APIRouter:
    router = APIRouter(prefix="/v1/queue-log", tags=["queue_log import"])

    @router.post(
        "/imports",
        summary="Import a queue_log file uploaded with the request (multipart, field `file`)",
        description="Lines already imported (by any import: each line is recognised by its own "
        "identity) are counted as duplicates, not published again; bad lines go to "
        "call-events.dlq with their reason and line number in the headers, once. "
        + IMPORT_CREDENTIALS,
    )
    async def import_upload(file: UploadFile, write: WriteBy) -> ImportSummary:
        name = file.filename or "upload"
        return _summary(await import_file(file.file, name, write), name)

    @router.post(
        "/imports:server-path",
        summary="Import a queue_log file the service can read, under TELEPHONY_INGEST_IMPORT_ROOTS",
        description=IMPORT_CREDENTIALS,
        responses={403: {"description": "Not an administrator, or a path outside the roots"}},
        max_body_size=SERVER_PATH_MAX_BODY_BYTES,
    )
    async def import_path(body: ServerPath, write: WriteBy) -> ImportSummary:
        path = _allowed(Path(body.path), settings.import_roots)
        with path.open("rb") as source:
            report = await import_file(source, str(path), write)
        return _summary(report, str(path))

    return router


def _allowed(path: Path, roots: list[Path]) -> Path:
    resolved = path.resolve()
    if not any(resolved.is_relative_to(root.resolve()) for root in roots):
        raise HTTPException(403, "path outside TELEPHONY_INGEST_IMPORT_ROOTS")
    if not resolved.is_file():
        raise HTTPException(404, "no such file")
    return resolved


def _summary(report: ImportReport | None, name: str) -> ImportSummary:
    if report is None:
        return ImportSummary(
            name=name, lines=0, published=0, duplicates=0, ignored=0, rejected={},
            unknown_verbs={}, offset=0,
        )  # fmt: skip
    return ImportSummary(
        name=report.name,
        lines=report.lines,
        published=report.published,
        duplicates=report.duplicates,
        ignored=report.ignored,
        rejected=dict(report.rejected),
        unknown_verbs=dict(report.unknown_verbs),
        offset=report.progress.offset,
    )
