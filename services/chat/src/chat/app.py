"""Composition root of chat: settings -> infrastructure -> HTTP app.

A skeleton so far: it serves health, readiness, metrics, its (empty) AsyncAPI page and who
the signed-in person is (/v1/me); its topics and routes come with its own issue.
"""

from fastapi import FastAPI

from cc_runtime import ServiceSpec, connect, create_http_app
from chat.access import ACCESS
from chat.api import me_router
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
        routers=[me_router()],
        access=ACCESS,
    )
    return create_http_app(infra, spec)
