"""Manual identification on the real database: operators find customers by name (typos and
accents forgiven, a postcode narrowing it), e-mail (typos forgiven), phone in any form, order
number (any case) or postcode, best first."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cc_schemas import OrderPlaced, encode, key_of, topic_of
from cc_testing import Servers, TestIssuer, eventually_async, produce
from crm.app import create_app
from crm.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
CSV = (
    "customer_id,first_name,last_name,phones,emails,address_line1,postcode,city,country\n"
    "C-1,Niccolò,Rossi,02 1234 5678,niccolo.rossi@example.it,Via Roma 1,20121,Milano,IT\n"
    "C-2,Nicola,Rossini,347 123 4567,nicola@example.it,Via Po 2,00100,Roma,IT\n"
    "C-3,Anna,Bianchi,333 765 4321,anna.bianchi@example.it,Via Dante 3,20121,Milano,IT\n"
)


@pytest.fixture
async def client(service_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(Settings(**service_env, **ISSUER.env()))  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://crm") as client:
            imported = await client.post(
                "/v1/customers/imports",
                content=CSV.encode(),
                headers={"content-type": "text/csv", **ISSUER.bearer(["admin"])},
            )
            assert imported.json()["imported"] == 3, imported.text
            yield client


async def found(client: httpx.AsyncClient, **params: str) -> list[tuple[str, list[str]]]:
    response = await client.get(
        "/v1/search/customers", params=params, headers=ISSUER.bearer(["operator"])
    )
    assert response.status_code == 200, response.text
    return [(r["customer"]["customer_id"], r["matched_by"]) for r in response.json()["results"]]


async def test_names_are_found_through_typos_and_accents_best_first(
    client: httpx.AsyncClient,
) -> None:
    assert await found(client, name="nicolo rosi") == [("C-1", ["name"])]
    assert await found(client, name="Nicola Rosini") == [("C-2", ["name"])]
    assert await found(client, name="Nicola Ross") == [("C-2", ["name"])]
    assert await found(client, name="rossi", postcode="20121") == [("C-1", ["name"])]
    assert await found(client, name="zzzz qqqq") == []


async def test_postcode_email_phone_and_order_number_find_their_customer(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    placed = OrderPlaced(
        event_id="o-77",
        occurred_at=datetime.now(UTC),
        source="shop",
        order_id="SO-77",
        customer_id="C-3",
        total_cents=990,
        currency="EUR",
    )
    await produce(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{topic_of(placed)}",
        [(key_of(placed).encode(), encode(placed))],
    )

    async def by_order() -> None:
        assert await found(client, order="so-77") == [("C-3", ["order"])]

    await eventually_async(by_order)
    assert await found(client, postcode="20121") == [("C-1", ["postcode"]), ("C-3", ["postcode"])]
    assert await found(client, email="anna.bianchi@exampel.it") == [("C-3", ["email"])]
    assert await found(client, phone="+39 02 12345678") == [("C-1", ["phone"])]
    both: dict[str, Any] = {"phone": "3471234567", "email": "nicola@example.it"}
    assert await found(client, **both) == [("C-2", ["email", "phone"])]


async def test_a_search_without_anything_or_with_a_bad_phone_says_why(
    client: httpx.AsyncClient,
) -> None:
    operator = ISSUER.bearer(["operator"])
    empty = await client.get("/v1/search/customers", headers=operator)
    bad = await client.get("/v1/search/customers", params={"phone": "12ab"}, headers=operator)
    assert (empty.status_code, empty.json()["detail"]) == (
        422,
        "give a name, postcode, email, phone or order",
    )
    assert bad.status_code == 422
    assert "is not a number" in bad.json()["detail"]
