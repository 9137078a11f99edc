"""Composition root of chat: settings -> infrastructure -> HTTP app.

A skeleton so far: it serves health, readiness, metrics and its (empty) AsyncAPI page;
its topics and routes come with its own issue.
"""

from fastapi import FastAPI

from cc_runtime import ServiceSpec, connect, create_http_app
from chat.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    infra = connect(settings)
    spec = ServiceSpec(
        title="Chat",
        description=(
            "Live chat between operators and customers, "
            "and the operators' queue of contact requests."
        ),
    )
    return create_http_app(infra, spec)
