"""HTTP routes -> publisher, nothing more. Writes call-events."""

from cc_schemas import AnyCallEvent
from fastapi import APIRouter, status
from pydantic import BaseModel

from telephony_ingest.publisher import CallEventPublisher


class Accepted(BaseModel):
    event_id: str
    call_id: str


def call_events_router(publisher: CallEventPublisher) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["call events"])

    @router.post(
        "/call-events",
        status_code=status.HTTP_202_ACCEPTED,
        summary="Publish one call event from the PBX middleware",
        responses={422: {"description": "The event is malformed; the reason is in `detail`"}},
    )
    async def post_call_event(event: AnyCallEvent) -> Accepted:
        await publisher.publish(event)
        return Accepted(event_id=event.event_id, call_id=event.call_id)

    return router
