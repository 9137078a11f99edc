"""Composition root of crm: settings -> infrastructure -> repository, subscribers, HTTP app.
Reads customer-events."""

from fastapi import FastAPI

from cc_runtime import ServiceSpec, connect, create_http_app
from cc_schemas import CUSTOMER_EVENTS
from crm.access import ACCESS
from crm.api import customer_routes
from crm.repository import PostgresCustomers
from crm.settings import Settings
from crm.subscribers import register_subscribers


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    infra = connect(settings)
    customers = PostgresCustomers(infra.postgres)
    register_subscribers(infra.broker, settings, customers)
    spec = ServiceSpec(
        title="CRM",
        description=(
            "Customers recognised at once from caller number, e-mail or social handle; "
            "their contacts, cases, attachments and orders."
        ),
        consumes=[CUSTOMER_EVENTS],
        routers=[customer_routes(settings, customers)],
        migrations="crm",
        uses_mongodb=False,
        access=ACCESS,
    )
    return create_http_app(infra, spec)
