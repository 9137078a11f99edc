"""Composition root of telephony-ingest: settings -> infrastructure -> publisher, routes."""

from cc_runtime import ServiceSpec, connect, create_http_app
from cc_schemas import CALL_EVENTS
from fastapi import FastAPI

from telephony_ingest.api import call_events_router
from telephony_ingest.publisher import KafkaCallEventPublisher
from telephony_ingest.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    infra = connect(settings)
    publisher = KafkaCallEventPublisher(infra.broker, settings)
    spec = ServiceSpec(
        title="Telephony ingest",
        description="Takes call events from the PBX middleware and publishes them on call-events.",
        produces=[CALL_EVENTS],
        routers=[call_events_router(publisher)],
    )
    return create_http_app(infra, spec)
