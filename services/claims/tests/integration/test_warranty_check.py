"""Warranty on the real broker and database: the purchase comes from order-events (delivery
dates the cover), the operator walks the product's checklist, and the ticket's timeline records
which check decided; a half-walked checklist is a 422 naming what is missing."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cc_schemas import (
    CustomerErased,
    OrderDelivered,
    OrderItem,
    OrderPlaced,
    encode,
    key_of,
    topic_of,
)
from cc_testing import Servers, TestIssuer, eventually_async, produce
from claims.app import create_app
from claims.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
NOW = datetime.now(UTC).replace(microsecond=0)
TRAIN_CHECKS = ["isolating_tab", "track_joined", "batteries", "damage"]


def anna() -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject="anna")


@pytest.fixture
async def client(service_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(Settings(**service_env, **ISSUER.env()))  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://claims") as client:
            yield client


async def bought(servers: Servers, namespace: str, order_id: str, days_ago: int) -> None:
    at = NOW - timedelta(days=days_ago)
    env = {"source": "shop", "order_id": order_id, "customer_id": "C-1"}
    placed = OrderPlaced(
        **env,
        event_id=f"{order_id}-placed",
        occurred_at=at - timedelta(days=2),
        total_cents=4990,
        currency="EUR",
        items=(OrderItem(product_id="TRN-2040", quantity=1, unit_price_cents=4990),),
    )
    delivered = OrderDelivered(**env, event_id=f"{order_id}-delivered", occurred_at=at)
    for event in (placed, delivered):
        topic = f"{namespace}.{topic_of(event)}"
        await produce(
            servers.kafka_bootstrap_servers, topic, [(key_of(event).encode(), encode(event))]
        )


async def claim_on(client: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    body = {
        "customer_id": "C-1",
        "channel": "phone",
        "cluster": "warranty_replacement",
        "subject": "The train does not move",
        "order_id": order_id,
        "product_code": "TRN-2040",
        "assignee": {"person": "anna", "team": "contact_centre"},
    }
    return (await client.post("/v1/tickets", json=body, headers=anna())).json()  # type: ignore[no-any-return]


async def test_a_train_still_under_warranty_is_no_fault_found_when_its_tab_was_left_in(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await bought(servers, namespace, "O-7", days_ago=100)
    ticket = await claim_on(client, "O-7")

    async def dated() -> dict[str, Any]:
        found = (
            await client.get(f"/v1/tickets/{ticket['ticket_id']}/warranty", headers=anna())
        ).json()
        delivered = str((NOW - timedelta(days=100)).date())  # both order events read
        assert (found["covered"], (found["purchase"] or {}).get("delivered_on")) == (
            True,
            delivered,
        )
        return found  # type: ignore[no-any-return]

    warranty = await eventually_async(dated)
    assert [c["check_id"] for c in warranty["checklist"]] == TRAIN_CHECKS

    path, version = f"/v1/tickets/{ticket['ticket_id']}/warranty-check", {"If-Match": '"1"'}
    half = await client.post(
        path, json={"answers": {"isolating_tab": "failed"}}, headers=anna() | version
    )
    assert half.status_code == 422
    assert "missing ['track_joined', 'batteries', 'damage']" in half.json()["detail"]

    answers = dict.fromkeys(TRAIN_CHECKS, "fine") | {"isolating_tab": "failed"}
    checked = await client.post(path, json={"answers": answers}, headers=anna() | version)
    assert checked.status_code == 200, checked.text
    result = checked.json()
    assert (result["verdict"], result["decided_by"], result["suggested_outcome"]) == (
        "user_error",
        "isolating_tab",
        "no_fault_found",
    )
    found = (await client.get(f"/v1/tickets/{ticket['ticket_id']}", headers=anna())).json()
    last = found["timeline"][-1]
    assert (last["kind"], last["reason"].split(";")[0]) == ("checked", "user_error: isolating_tab")
    again = (await client.get(f"/v1/tickets/{ticket['ticket_id']}/warranty", headers=anna())).json()
    assert [(c["verdict"], c["decided_by"]) for c in again["checks"]] == [
        ("user_error", "isolating_tab")
    ]


async def test_a_defect_out_of_warranty_points_to_a_refusal(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await bought(servers, namespace, "O-8", days_ago=800)
    ticket = await claim_on(client, "O-8")

    async def dated() -> None:
        found = (
            await client.get(f"/v1/tickets/{ticket['ticket_id']}/warranty", headers=anna())
        ).json()
        assert found["covered"] is False, found

    await eventually_async(dated)
    checked = await client.post(
        f"/v1/tickets/{ticket['ticket_id']}/warranty-check",
        json={"answers": dict.fromkeys(TRAIN_CHECKS, "fine")},
        headers=anna() | {"If-Match": '"1"'},
    )
    assert (checked.json()["verdict"], checked.json()["suggested_outcome"]) == (
        "defect",
        "rejected",
    )


async def test_without_an_order_the_cover_is_unknown_and_says_why(
    client: httpx.AsyncClient,
) -> None:
    ticket = await claim_on(client, "O-never-seen")
    found = (await client.get(f"/v1/tickets/{ticket['ticket_id']}/warranty", headers=anna())).json()
    assert (found["covered"], found["reason"]) == (None, "order O-never-seen is not known yet")


async def test_an_erased_customer_leaves_tickets_with_their_figures_and_without_their_data(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await bought(servers, namespace, "O-9", days_ago=10)
    ticket = await claim_on(client, "O-9")
    asked = await client.post(
        f"/v1/tickets/{ticket['ticket_id']}/wait",
        json={"waiting_for": "customer", "reason": "Anna, can you send a photo?"},
        headers=anna() | {"If-Match": '"1"'},
    )
    assert asked.status_code == 200
    erased = CustomerErased(
        event_id="erase-C-1", occurred_at=NOW, source="crm", customer_id="C-1", reason="GDPR"
    )
    topic = f"{namespace}.{topic_of(erased)}"
    await produce(servers.kafka_bootstrap_servers, topic, [(b"C-1", encode(erased))])

    async def forgotten() -> dict[str, Any]:
        found = (await client.get(f"/v1/tickets/{ticket['ticket_id']}", headers=anna())).json()
        assert found["customer_id"].startswith("erased-"), found["customer_id"]
        return found  # type: ignore[no-any-return]

    found = await eventually_async(forgotten)
    assert (found["subject"], found["description"], found["state"]) == (
        "[erased]",
        "",
        "pending_customer",
    )
    assert [c["reason"] for c in found["timeline"] if c["kind"] == "waiting"] == ["[erased]"]
    warranty = (
        await client.get(f"/v1/tickets/{ticket['ticket_id']}/warranty", headers=anna())
    ).json()
    assert warranty["purchase"]["order_id"] == "O-9"  # the order stays, no longer theirs
