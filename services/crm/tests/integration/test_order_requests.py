"""Operators' requests on orders in progress, on the real broker and database: refused with
the reason before anything is published when the order cannot take them; otherwise published
on order-commands and shown `requested` until the shop's order-events (cc-dev's simulated shop
answers here) confirm them, or the order moves on to a state that cannot take them."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cc_dev.simulation.orders import answer
from cc_schemas import (
    ORDER_COMMANDS,
    Event,
    OrderDelivered,
    OrderHeldAtCarrier,
    OrderPlaced,
    OrderShipped,
    encode,
    key_of,
    parse,
    topic_of,
)
from cc_testing import Servers, TestIssuer, eventually_async, produce, read_records
from crm.app import create_app
from crm.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
NOW = datetime.now(UTC).replace(microsecond=0)
NEW_ADDRESS = {"line1": "Via Torino 5", "postcode": "20123", "city": "Milano", "country": "IT"}


def anna() -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject="anna")


@pytest.fixture
async def client(service_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(Settings(**service_env, **ISSUER.env()))  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://crm") as client:
            yield client


def order(order_id: str, *steps: str) -> list[Event]:
    """An order placed an hour ago, then taken through `steps`, a minute apart."""
    placed = NOW - timedelta(hours=1)

    def env(step: str, n: int) -> dict[str, Any]:
        at = placed + timedelta(minutes=n)
        ids = {"order_id": order_id, "customer_id": "C-1"}
        return {"event_id": f"{order_id}-{step}", "occurred_at": at, "source": "shop"} | ids

    made: dict[str, Any] = {
        "shipped": lambda e: OrderShipped(**e, carrier="DHL", tracking_number="DHL1"),
        "held": lambda e: OrderHeldAtCarrier(**e, carrier="DHL", reason="customs"),
        "delivered": lambda e: OrderDelivered(**e, carrier="DHL"),
    }
    first = OrderPlaced(**env("placed", 0), total_cents=4990, currency="EUR", items=())
    return [first, *(made[step](env(step, n)) for n, step in enumerate(steps, start=1))]


async def send(servers: Servers, namespace: str, events: list[Event]) -> None:
    for event in events:
        await produce(
            servers.kafka_bootstrap_servers,
            f"{namespace}.{topic_of(event)}",
            [(key_of(event).encode(), encode(event))],
        )


async def statuses(client: httpx.AsyncClient, *order_ids: str) -> dict[str, Any]:
    found = {}
    for order_id in order_ids:
        response = await client.get(f"/v1/orders/{order_id}", headers=anna())
        found[order_id] = response.json().get("status") if response.status_code == 200 else None
    return found


async def ask(client: httpx.AsyncClient, order_id: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"/v1/orders/{order_id}/requests", json=body, headers=anna())


async def test_requests_are_refused_with_the_reason_or_published_and_confirmed_by_the_shop(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    imported = await client.post(
        "/v1/customers/imports",
        content="customer_id,first_name\nC-1,Anna\n",
        headers={"content-type": "text/csv", **ISSUER.bearer(["admin"])},
    )
    assert imported.json()["imported"] == 1, imported.text
    await send(
        servers,
        namespace,
        [
            *order("O-1"),
            *order("O-2", "shipped"),
            *order("O-3", "shipped", "held"),
            *order("O-4", "shipped", "delivered"),
        ],
    )

    async def arrived() -> None:
        assert await statuses(client, "O-1", "O-2", "O-3", "O-4") == {
            "O-1": "placed",
            "O-2": "shipped",
            "O-3": "held_at_carrier",
            "O-4": "delivered",
        }

    await eventually_async(arrived)

    shipped = await ask(
        client, "O-2", {"kind": "change_address", "reason": "moved", "address": NEW_ADDRESS}
    )
    assert (shipped.status_code, shipped.json()["detail"]) == (
        409,
        "order O-2 is shipped: only an order not shipped yet can take a change address "
        "(once delivered, ask for a return; held at the carrier, release it or send it back)",
    )
    moved = await ask(
        client, "O-1", {"kind": "change_address", "reason": "moved", "address": NEW_ADDRESS}
    )
    assert moved.status_code == 202, moved.text
    assert (moved.json()["state"], moved.json()["requested_by"]) == ("requested", "anna")
    second = await ask(client, "O-1", {"kind": "cancel", "reason": "changed mind"})
    assert second.status_code == 409
    assert "already has a change address request by anna" in second.json()["detail"]
    released = await ask(
        client,
        "O-3",
        {"kind": "release_carrier_hold", "reason": "duties paid", "instructions": "ring twice"},
    )
    returned = await ask(client, "O-4", {"kind": "return", "reason": "wrong colour"})
    unknown = await ask(client, "O-404", {"kind": "cancel", "reason": "x"})
    no_address = await ask(client, "O-2", {"kind": "change_address", "reason": "moved"})
    assert (released.status_code, returned.status_code, unknown.status_code) == (202, 202, 404)
    assert no_address.status_code == 422
    waiting = (await client.get("/v1/customers/C-1", headers=anna())).json()
    assert {o["order_id"]: o["waiting_request"] for o in waiting["orders_in_progress"]} == {
        "O-1": "change_address",
        "O-2": None,
        "O-3": "release_carrier_hold",
    }

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{ORDER_COMMANDS}",
        until=lambda found: len(found) >= 3,
    )
    commands = [parse(ORDER_COMMANDS, r.value) for r in records]
    # only the accepted requests were published, each keyed by its order
    assert sorted(
        (r.key, c.event_type, c.requested_by) for r, c in zip(records, commands, strict=True)
    ) == [
        (b"O-1", "order.address_change_requested", "anna"),
        (b"O-3", "order.carrier_hold_release_requested", "anna"),
        (b"O-4", "order.return_requested", "anna"),
    ]
    await send(servers, namespace, [answer(c) for c in commands])  # the shop complies

    async def confirmed() -> None:
        found = {}
        for order_id in ("O-1", "O-3", "O-4"):
            detail = (await client.get(f"/v1/orders/{order_id}", headers=anna())).json()
            found[order_id] = (detail["status"], [r["state"] for r in detail["requests"]])
        assert found == {
            "O-1": ("placed", ["confirmed"]),
            "O-3": ("shipped", ["confirmed"]),
            "O-4": ("returned", ["confirmed"]),
        }

    await eventually_async(confirmed)
    o1 = (await client.get("/v1/orders/O-1", headers=anna())).json()
    assert o1["waiting_request"] is None
    assert [(r["outcome"], r["detail"]) for r in o1["requests"]] == [
        (
            "order.modified: delivery address changed to Via Torino 5, 20123 Milano (IT)",
            {"address": NEW_ADDRESS | {"kind": "shipping", "line2": None, "region": None}},
        )
    ]


async def test_a_request_the_order_moved_past_is_overtaken_with_the_reason(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    placed = order("O-5", "shipped")
    await send(servers, namespace, placed[:1])

    async def arrived() -> None:
        assert await statuses(client, "O-5") == {"O-5": "placed"}

    await eventually_async(arrived)
    cancel = await ask(client, "O-5", {"kind": "cancel", "reason": "changed mind"})
    assert cancel.status_code == 202, cancel.text

    await send(servers, namespace, placed[1:])  # the warehouse was quicker

    async def overtaken() -> None:
        detail = (await client.get("/v1/orders/O-5", headers=anna())).json()
        assert [(r["state"], r["outcome"]) for r in detail["requests"]] == [
            (
                "overtaken",
                "order O-5 is shipped: only an order not shipped yet can take a cancel "
                "(once delivered, ask for a return; held at the carrier, release it or "
                "send it back)",
            )
        ]

    await eventually_async(overtaken)
    again = await ask(client, "O-5", {"kind": "return_to_sender", "reason": "changed mind"})
    assert again.status_code == 202  # nothing waits any more: the next request is taken
    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{ORDER_COMMANDS}",
        until=lambda r: len(r) >= 2,
    )
    assert [
        (c.event_type, getattr(c, "carrier", None))
        for c in (parse(ORDER_COMMANDS, r.value) for r in records)
    ] == [("order.cancel_requested", None), ("order.return_to_sender_authorised", "DHL")]
