"""Composition root of crm: settings -> infrastructure -> HTTP app.

A skeleton so far: it serves health, readiness, metrics and its (empty) AsyncAPI page;
its topics and routes come with its own issue.
"""

from fastapi import FastAPI

from cc_runtime import ServiceSpec, connect, create_http_app
from crm.access import ACCESS
from crm.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    infra = connect(settings)
    spec = ServiceSpec(
        title="CRM",
        description=(
            "Customers recognised at once from caller number, e-mail or social handle; "
            "their contacts, cases, attachments and orders."
        ),
        access=ACCESS,
    )
    return create_http_app(infra, spec)
