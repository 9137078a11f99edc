"""Composition root of claims: settings -> infrastructure -> HTTP app.

A skeleton so far: it serves health, readiness, metrics and its (empty) AsyncAPI page;
its topics and routes come with its own issue.
"""

from fastapi import FastAPI

from cc_runtime import ServiceSpec, connect, create_http_app
from claims.access import ACCESS
from claims.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    infra = connect(settings)
    spec = ServiceSpec(
        title="Claims",
        description=(
            "Claim tickets opened, assigned down a chain of responsibles "
            "and closed resolved or unresolved."
        ),
        access=ACCESS,
    )
    return create_http_app(infra, spec)
