"""GDPR on the real broker and database: an admin exports every row crm holds about a
customer and erases them (personal data deleted, contacts, orders and claims kept under a
pseudonym, the write audited, customer.erased published through the outbox); a customer.erased
from the shop erases the same way, once; an erased customer is not brought back."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cc_runtime.postgres import Database
from cc_runtime.settings import schema_name
from cc_schemas import (
    CUSTOMER_EVENTS,
    Caller,
    CallOffered,
    CustomerErased,
    Event,
    OrderPlaced,
    OrderShipped,
    TicketOpened,
    encode,
    key_of,
    topic_of,
)
from cc_testing import Servers, TestIssuer, eventually_async, produce, read_records
from crm.app import create_app
from crm.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
NOW = datetime.now(UTC).replace(microsecond=0)
CSV = (
    "customer_id,first_name,last_name,phones,emails,social_handles,address_line1,postcode,city,country\n"
    "C-1,Anna,Rossi,02 1234 5678,anna@example.it,instagram:@anna,Via Roma 1,20121,Milano,IT\n"
    "C-2,Marco,Bianchi,347 123 4567,marco@example.it,,Via Po 2,00100,Roma,IT\n"
)


def admin() -> dict[str, str]:
    return ISSUER.bearer(["admin"], subject="adm-paola")


@pytest.fixture
async def app(service_env: dict[str, str]) -> AsyncIterator[FastAPI]:
    application = create_app(Settings(**service_env, **ISSUER.env()))  # type: ignore[arg-type]
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://crm") as client:
        yield client


@pytest.fixture
async def db(servers: Servers, namespace: str) -> AsyncIterator[Database]:
    assert servers.postgres_url is not None
    database = Database(servers.postgres_url, schema_name("crm", namespace))
    await database.open()
    yield database
    await database.close()


def shop(event_id: str) -> dict[str, Any]:
    return {"event_id": event_id, "occurred_at": NOW - timedelta(days=1), "source": "shop"}


def history_of_c1() -> list[Event]:
    order = {"order_id": "O-1", "customer_id": "C-1"}
    return [
        OrderPlaced(**shop("o1-placed"), **order, total_cents=4990, currency="EUR", items=()),
        OrderShipped(
            **shop("o1-shipped"),
            **order,
            carrier="BRT",
            tracking_number="BRT123",
            tracking_url="https://brt.example/BRT123",
        ),
        TicketOpened(
            **shop("t1-opened") | {"source": "claims"},
            ticket_id="T-1",
            customer_id="C-1",
            channel="phone",
            cluster="return",
            subject="broken train",
            opened_by="op-1",
            team="contact_centre",
        ),
        CallOffered(
            **shop("call-1-offered") | {"source": "asterisk-queue-log"},
            call_id="call-1",
            queue="support",
            caller=Caller(number_raw="+390212345678"),
        ),
    ]


async def send(servers: Servers, namespace: str, events: list[Event]) -> None:
    for event in events:
        await produce(
            servers.kafka_bootstrap_servers,
            f"{namespace}.{topic_of(event)}",
            [(key_of(event).encode(), encode(event))],
        )


async def seeded(client: httpx.AsyncClient, servers: Servers, namespace: str) -> None:
    imported = await client.post(
        "/v1/customers/imports", content=CSV, headers={"content-type": "text/csv", **admin()}
    )
    assert imported.json()["imported"] == 2, imported.text
    await send(servers, namespace, history_of_c1())

    async def all_arrived() -> None:
        found = await client.get("/v1/customers/C-1/export", headers=admin())
        tables = found.json()["tables"]
        counts = {t: len(tables[t]) for t in ("orders", "claims", "contacts")}
        assert counts == {"orders": 1, "claims": 1, "contacts": 1}

    await eventually_async(all_arrived)


async def rows(db: Database, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    async with db.connection() as connection:
        return [tuple(r) for r in await connection.fetch(sql, *args)]


async def test_an_export_holds_every_row_of_every_table_about_the_customer(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await seeded(client, servers, namespace)

    exported = (await client.get("/v1/customers/C-1/export", headers=admin())).json()

    tables = exported["tables"]
    assert sorted(tables) == [
        "attachments",
        "audit",
        "case_history",
        "cases",
        "claims",
        "contacts",
        "customer_emails",
        "customer_handles",
        "customer_phones",
        "customers",
        "order_requests",
        "orders",
    ]
    assert [
        (c["first_name"], c["profile"]["addresses"][0]["postcode"]) for c in tables["customers"]
    ] == [("Anna", "20121")]
    assert [p["e164"] for p in tables["customer_phones"]] == ["+390212345678"]
    assert [e["address"] for e in tables["customer_emails"]] == ["anna@example.it"]
    assert [h["handle"] for h in tables["customer_handles"]] == ["anna"]
    assert [(o["order_id"], o["tracking_number"]) for o in tables["orders"]] == [("O-1", "BRT123")]
    assert [c["ticket_id"] for c in tables["claims"]] == ["T-1"]
    assert [(c["contact_id"], c["presented"]) for c in tables["contacts"]] == [
        ("call-1", "+390212345678")
    ]
    # the exports seeded() made while waiting are audited too: who read the whole record
    assert {(a["subject"], a["action"]) for a in tables["audit"]} == {
        ("adm-paola", "GET /v1/customers/{customer_id}/export")
    }
    c2 = (await client.get("/v1/customers/C-2/export", headers=admin())).json()["tables"]
    assert (c2["orders"], c2["contacts"]) == ([], [])
    unknown = await client.get("/v1/customers/C-404/export", headers=admin())
    operator = await client.get("/v1/customers/C-1/export", headers=ISSUER.bearer(["supervisor"]))
    assert (unknown.status_code, operator.status_code) == (404, 403)


async def test_an_erasure_forgets_the_customer_keeps_anonymous_figures_and_publishes_it(
    client: httpx.AsyncClient, servers: Servers, namespace: str, db: Database
) -> None:
    await seeded(client, servers, namespace)

    erased = await client.post(
        "/v1/customers/C-1/erase", json={"reason": "request R-77"}, headers=admin()
    )

    assert erased.status_code == 200, erased.text
    assert erased.json() == {
        "customer_id": "C-1",
        "already_erased": False,
        "contact_points_deleted": 3,
        "contacts_anonymised": 1,
        "orders_anonymised": 1,
        "claims_anonymised": 1,
        "attachments_deleted": 0,
    }
    published = await read_records(
        servers.kafka_bootstrap_servers, f"{namespace}.{CUSTOMER_EVENTS}", until=len
    )
    events = [CustomerErased.model_validate_json(r.value) for r in published]
    assert [(e.customer_id, e.reason, e.source, e.actor and e.actor.subject) for e in events] == [
        ("C-1", "request R-77", "crm", "adm-paola")
    ]
    assert [r.key for r in published] == [b"C-1"]
    gone = await client.get("/v1/customers/C-1", headers=ISSUER.bearer(["operator"]))
    identify = await client.get(
        "/v1/identify?phone=0212345678", headers=ISSUER.bearer(["operator"])
    )
    assert (gone.status_code, identify.json()["level"]) == (404, "unknown")
    pseudonyms = await rows(
        db,
        "SELECT customer_id FROM contacts UNION ALL SELECT customer_id FROM orders "
        "UNION ALL SELECT customer_id FROM claims",
    )
    assert len({p for (p,) in pseudonyms}) == 1  # one pseudonym: their figures count together
    assert all(p.startswith("erased-") for (p,) in pseudonyms), pseudonyms
    assert await rows(db, "SELECT presented FROM contacts") == [(None,)]
    late = OrderPlaced(
        **shop("o2-placed"),
        order_id="O-2",
        customer_id="C-1",
        total_cents=990,
        currency="EUR",
        items=(),
    )
    await send(servers, namespace, [late])

    async def stored_without_them() -> None:  # an order naming them does not link them again
        assert await rows(
            db, "SELECT order_id, customer_id FROM orders WHERE order_id = 'O-2'"
        ) == [("O-2", None)]

    await eventually_async(stored_without_them)
    assert await rows(
        db, "SELECT tracking_number, tracking_url, total_cents FROM orders WHERE order_id = 'O-1'"
    ) == [(None, None, 4990)]
    assert await rows(
        db,
        "SELECT customer_id FROM customer_phones UNION ALL SELECT customer_id FROM "
        "customer_emails UNION ALL SELECT customer_id FROM customer_handles",
    ) == [("C-2",), ("C-2",)]  # C-2 has a phone and an e-mail; nothing of C-1 is left
    assert await rows(db, "SELECT subject, action FROM audit WHERE action LIKE 'POST%erase'") == [
        ("adm-paola", "POST /v1/customers/{customer_id}/erase")
    ]

    async def relayed() -> None:  # published, then deleted by the relay in its transaction
        assert await rows(db, "SELECT count(*) FROM outbox") == [(0,)]

    await eventually_async(relayed)

    again = await client.post("/v1/customers/C-1/erase", headers=admin())
    reimported = await client.post(
        "/v1/customers/imports",
        content="customer_id,first_name\nC-1,Anna\n",
        headers={"content-type": "text/csv", **admin()},
    )
    assert (again.status_code, again.json()["already_erased"]) == (200, True)
    assert reimported.json()["imported"] == 0  # an erased customer is not brought back
    assert await rows(db, "SELECT customer_id FROM customers") == [("C-2",)]
    unknown = await client.post("/v1/customers/C-404/erase", headers=admin())
    assert unknown.status_code == 404


async def test_a_customer_erased_from_the_shop_is_forgotten_once(
    client: httpx.AsyncClient, servers: Servers, namespace: str, db: Database
) -> None:
    await seeded(client, servers, namespace)
    erased = CustomerErased(**shop("shop-erase-1"), customer_id="C-1", reason="GDPR")

    await send(servers, namespace, [erased, erased])

    async def forgotten() -> None:
        assert await rows(db, "SELECT customer_id FROM customers") == [("C-2",)]

    await eventually_async(forgotten)
    assert await rows(db, "SELECT customer_id, reason FROM erasures") == [("C-1", "GDPR")]
    assert await rows(db, "SELECT count(*) FROM contacts WHERE customer_id = 'C-1'") == [(0,)]
    assert await rows(db, "SELECT presented FROM contacts") == [(None,)]
