"""Composition root of proactive-engine: settings -> infrastructure -> HTTP app.

A skeleton so far: it serves health, readiness, metrics and its (empty) AsyncAPI page;
its topics and routes come with its own issue.
"""

from cc_runtime import ServiceSpec, connect, create_http_app
from fastapi import FastAPI

from proactive_engine.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    infra = connect(settings)
    spec = ServiceSpec(
        title="Proactive engine",
        description=(
            "Watches the shop's browse and cart events and asks an operator "
            "to reach out to customers who are stuck."
        ),
    )
    return create_http_app(infra, spec)
