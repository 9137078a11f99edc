"""Composition root of crm: settings -> infrastructure -> repositories, recognition,
subscribers, HTTP app. Reads customer-events, order-events, ticket-opened, ticket-closed,
call-events, chat-events; writes contact-identifications, and through its outbox
customer-events (customer.erased), order-commands (operators' requests on orders) and
interactions (every contact, at each change) and cases (their lifecycle)."""

from datetime import timedelta

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from cc_attachments import FileBlobStore
from cc_runtime import PostgresAuditTrail, ServiceSpec, connect, create_http_app
from cc_runtime.outbox import Relay, broker_publisher
from cc_schemas import (
    CALL_EVENTS,
    CASES,
    CHAT_EVENTS,
    CONTACT_IDENTIFICATIONS,
    CUSTOMER_EVENTS,
    INTERACTIONS,
    ORDER_COMMANDS,
    ORDER_EVENTS,
    TICKET_CLOSED,
    TICKET_OPENED,
    ContactIdentified,
    encode,
    key_of,
)
from crm.access import ACCESS
from crm.api import customer_routes, order_routes, personal_data_routes, search_routes
from crm.attachment_api import attachment_routes
from crm.attachment_repository import PostgresAttachments
from crm.case_api import case_routes
from crm.case_repository import PostgresCases
from crm.cases import ProposalRule
from crm.handlers import Publish, Recognition
from crm.interaction_api import interaction_routes
from crm.interaction_repository import PostgresInteractions
from crm.repository import (
    PostgresCustomers,
    PostgresCustomerSearch,
    PostgresErasures,
    PostgresOrderRequests,
    PostgresOrders,
    PostgresSummaries,
)
from crm.settings import Settings
from crm.strategic import load_rule
from crm.subscribers import register_subscribers


def kafka_publisher(broker: KafkaBroker, topic: str) -> Publish:
    async def publish(event: ContactIdentified) -> None:
        await broker.publish(
            encode(event),
            topic,
            key=key_of(event).encode(),
            headers={"content-type": "application/json"},
        )

    return publish


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    infra = connect(settings)
    customers = PostgresCustomers(infra.postgres)
    orders = PostgresOrders(infra.postgres)
    summaries = PostgresSummaries(infra.postgres)
    blobs = FileBlobStore(settings.attachments_dir)
    erasures = PostgresErasures(infra.postgres, blobs)
    relay = Relay(infra.postgres, broker_publisher(infra.broker, settings))
    trail = PostgresAuditTrail(infra.postgres)
    interactions = PostgresInteractions(infra.postgres, relay.wake)
    cases = PostgresCases(infra.postgres, relay.wake)
    proposal_rule = ProposalRule(window=timedelta(days=settings.case_window_days))
    recognition = Recognition(
        reading=summaries.reading,
        contacts=interactions,
        publish=kafka_publisher(infra.broker, settings.topic(CONTACT_IDENTIFICATIONS)),
        rule=load_rule(settings.strategic_file),
        region=settings.default_region,
        open_cases=cases.open_cases_of,
        proposal_rule=proposal_rule,
    )
    register_subscribers(infra.broker, settings, (customers, erasures), orders, recognition)
    spec = ServiceSpec(
        title="CRM",
        description=(
            "Customers recognised at once from caller number, e-mail or social handle; "
            "their contacts, cases, attachments and orders."
        ),
        consumes=[
            CUSTOMER_EVENTS,
            ORDER_EVENTS,
            TICKET_OPENED,
            TICKET_CLOSED,
            CALL_EVENTS,
            CHAT_EVENTS,
        ],
        produces=[CONTACT_IDENTIFICATIONS, CUSTOMER_EVENTS, ORDER_COMMANDS, INTERACTIONS, CASES],
        routers=[
            customer_routes(
                settings,
                customers,
                summaries,
                recognition,
                trail,
            ),
            personal_data_routes(erasures, trail, relay.wake),
            order_routes(PostgresOrderRequests(infra.postgres), relay.wake),
            interaction_routes(interactions, settings.default_region),
            attachment_routes(
                PostgresAttachments(infra.postgres), blobs, settings.attachment_max_bytes
            ),
            case_routes(
                cases,
                interactions,
                proposal_rule,
            ),
            search_routes(
                PostgresCustomerSearch(infra.postgres), recognition, settings.default_region
            ),
        ],
        migrations="crm",
        resources=[relay.running],
        access=ACCESS,
    )
    return create_http_app(infra, spec)
