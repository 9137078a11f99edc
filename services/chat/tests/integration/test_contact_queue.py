"""The contact-request queue on the real broker and database: requests published on
contact-requests are queued once, in order, with their countdown; of two operators accepting
at once exactly one wins and the other is told why; a decline needs a reason; an expired request
leaves by itself; an order converts an accepted request; every step is on contact-outcomes with
the operator's sign-in subject as actor, and bad input is dead-lettered with the reason."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cc_runtime.postgres import Database
from cc_runtime.settings import schema_name
from cc_schemas import (
    CONTACT_OUTCOMES,
    CONTACT_REQUESTS,
    ORDER_EVENTS,
    ContactChannel,
    ContactPriority,
    ContactRequested,
    CustomerContext,
    OrderPlaced,
    StrategicLevel,
    encode,
    make_event_id,
    parse,
)
from cc_testing import Servers, TestIssuer, eventually_async, headers_of, produce, read_records
from chat.app import create_app
from chat.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()


def marco() -> dict[str, str]:
    """A fresh token: one minted at import expires in a long test session (5 min)."""
    return ISSUER.bearer(["operator"], subject="marco-sub")


def anna() -> dict[str, str]:
    """A fresh token: one minted at import expires in a long test session (5 min)."""
    return ISSUER.bearer(["operator"], subject="anna-sub")


@pytest.fixture
async def app(service_env: dict[str, str]) -> AsyncIterator[FastAPI]:
    settings = Settings(**service_env, **ISSUER.env(), expiry_check_seconds=0.2)  # type: ignore[arg-type]
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://chat") as client:
        yield client


def requested(
    request_id: str,
    priority: ContactPriority = ContactPriority.NORMAL,
    strategic_level: StrategicLevel | None = None,
    expires_in: timedelta = timedelta(minutes=10),
    customer_id: str = "C-1",
    age: timedelta = timedelta(0),
) -> ContactRequested:
    made = datetime.now(UTC) - age
    return ContactRequested(
        event_id=make_event_id("test", request_id),
        occurred_at=made,
        source="proactive-engine",
        request_id=request_id,
        session_id=f"S-{request_id}",
        customer=CustomerContext(customer_id=customer_id, contact_by_chat=True),
        rule="abandoned_cart",
        reason="Cart of 89.90 EUR left for 30 minutes",
        priority=priority,
        strategic_level=strategic_level,
        channel=ContactChannel.CHAT,
        expires_at=made + expires_in,
    )


async def publish(servers: Servers, namespace: str, *events: ContactRequested) -> None:
    await produce(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_REQUESTS}",
        [(e.request_id.encode(), encode(e)) for e in events],
    )


async def queue_ids(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/v1/contact-requests", headers=anna())
    assert response.status_code == 200, response.text
    return [r["request_id"] for r in response.json()["requests"]]


async def outcomes(
    servers: Servers, namespace: str, count: int
) -> list[tuple[str, str, dict[str, Any] | None]]:
    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_OUTCOMES}",
        until=lambda got: len(got) >= count,
    )
    events = [parse(CONTACT_OUTCOMES, r.value) for r in records]
    return sorted(
        (
            e.event_type,
            getattr(e, "request_id", ""),
            e.actor.model_dump(mode="json") if e.actor else None,
        )
        for e in events
    )


async def test_requests_are_queued_once_by_priority_then_strategic_level_then_age(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    old = requested("old", age=timedelta(minutes=5))
    await publish(
        servers,
        namespace,
        old,
        requested("gold", strategic_level=StrategicLevel.GOLD),
        requested("urgent", ContactPriority.URGENT),
        requested("low", ContactPriority.LOW, StrategicLevel.PLATINUM, age=timedelta(minutes=9)),
        old,  # a redelivery
    )

    async def all_queued() -> list[str]:
        ids = await queue_ids(client)
        assert ids == ["urgent", "gold", "old", "low"]
        return ids

    await eventually_async(all_queued)
    view = (await client.get("/v1/contact-requests", headers=anna())).json()["requests"]
    assert [r["seconds_left"] for r in view] == [
        pytest.approx(600, abs=5),
        pytest.approx(600, abs=5),
        pytest.approx(300, abs=5),
        pytest.approx(60, abs=5),
    ]
    assert view[0]["reason"] == "Cart of 89.90 EUR left for 30 minutes"


async def test_of_two_operators_accepting_at_once_exactly_one_wins(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await publish(servers, namespace, requested("R-1"))

    async def queued() -> None:
        assert await queue_ids(client) == ["R-1"]

    await eventually_async(queued)

    answers = await asyncio.gather(
        client.post("/v1/contact-requests/R-1/accept", headers=anna()),
        client.post("/v1/contact-requests/R-1/accept", headers=marco()),
    )

    assert sorted(a.status_code for a in answers) == [200, 409]
    winner = next(a for a in answers if a.status_code == 200).json()
    loser = next(a for a in answers if a.status_code == 409).json()
    assert loser["detail"] == f"already accepted by {winner['operator_id']}"
    assert loser["request"]["state"] == winner["state"] == "accepted"
    assert await queue_ids(client) == []
    assert await outcomes(servers, namespace, 1) == [
        ("contact.accepted", "R-1", {"subject": winner["operator_id"], "role": "operator"})
    ]


async def test_a_decline_needs_a_reason_and_is_published_with_it(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await publish(servers, namespace, requested("R-2"))

    async def queued() -> None:
        assert await queue_ids(client) == ["R-2"]

    await eventually_async(queued)

    without = await client.post("/v1/contact-requests/R-2/decline", json={}, headers=anna())
    declined = await client.post(
        "/v1/contact-requests/R-2/decline", json={"reason": "on the phone"}, headers=anna()
    )
    again = await client.post("/v1/contact-requests/R-2/accept", headers=marco())
    unknown = await client.post("/v1/contact-requests/R-404/accept", headers=marco())

    assert without.status_code == 422
    assert (declined.status_code, declined.json()["decline_reason"]) == (200, "on the phone")
    assert (again.status_code, again.json()["detail"]) == (
        409,
        "already declined by anna-sub: on the phone",
    )
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "no contact request 'R-404'")
    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_OUTCOMES}",
        until=lambda got: len(got) >= 1,
    )
    assert [parse(CONTACT_OUTCOMES, r.value).model_dump(mode="json") for r in records] == [
        {
            "event_id": make_event_id("chat", "R-2", "declined"),
            "event_type": "contact.declined",
            "occurred_at": declined.json()["decided_at"].replace("+00:00", "Z"),
            "source": "chat",
            "schema_version": 1,
            "actor": {"subject": "anna-sub", "role": "operator"},
            "request_id": "R-2",
            "declined_by": "operator",
            "operator_id": "anna-sub",
            "reason": "on the phone",
        }
    ]
    assert await audited(servers, namespace) == [
        ("anna-sub", "POST /v1/contact-requests/{request_id}/decline", "R-2")
    ]


async def test_an_expired_request_leaves_the_queue_by_itself(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await publish(
        servers,
        namespace,
        requested("short", expires_in=timedelta(seconds=2)),
        requested("long"),
    )

    async def only_long_left() -> None:
        assert await queue_ids(client) == ["long"]

    await eventually_async(only_long_left)
    assert await outcomes(servers, namespace, 1) == [("contact.expired", "short", None)]
    late = await client.post("/v1/contact-requests/short/accept", headers=anna())
    assert (late.status_code, late.json()["detail"][:11]) == (409, "expired at ")


async def test_an_order_by_the_customer_after_acceptance_converts_the_request(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await publish(servers, namespace, requested("R-3", customer_id="C-9"))

    async def queued() -> None:
        assert await queue_ids(client) == ["R-3"]

    await eventually_async(queued)
    accepted = await client.post("/v1/contact-requests/R-3/accept", headers=anna())
    assert accepted.status_code == 200, accepted.text

    def order(order_id: str, customer_id: str) -> OrderPlaced:
        return OrderPlaced(
            event_id=make_event_id("test", order_id),
            occurred_at=datetime.now(UTC),
            source="shop",
            order_id=order_id,
            customer_id=customer_id,
            total_cents=8990,
            currency="EUR",
        )

    await produce(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{ORDER_EVENTS}",
        [(b"O-8", encode(order("O-8", "C-8"))), (b"O-9", encode(order("O-9", "C-9")))],
    )

    got = await outcomes(servers, namespace, 2)
    assert got == [
        ("contact.accepted", "R-3", {"subject": "anna-sub", "role": "operator"}),
        ("contact.converted", "R-3", None),
    ]

    async def converted() -> None:
        one = await client.get("/v1/contact-requests/R-3", headers=anna())
        assert one.json()["state"] == "converted"

    await eventually_async(converted)


async def test_bad_requests_are_dead_lettered_with_the_reason(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    backwards = requested("backwards").model_copy(
        update={"expires_at": datetime.now(UTC) - timedelta(days=1)}
    )
    topic = f"{namespace}.{CONTACT_REQUESTS}"
    await produce(
        servers.kafka_bootstrap_servers,
        topic,
        [(b"x", b"not json"), (b"backwards", encode(backwards))],
    )

    dead = await read_records(
        servers.kafka_bootstrap_servers, f"{topic}.dlq", until=lambda got: len(got) >= 2
    )

    errors = {r.key: headers_of(r)["x-dlq-error"].split("\n")[0] for r in dead}
    assert errors == {
        b"x": "1 validation error for tagged-union[ContactRequested]",
        b"backwards": f"request backwards expires ({backwards.expires_at.isoformat()}) "
        f"before it was made ({backwards.occurred_at.isoformat()})",
    }
    assert await queue_ids(client) == []


async def audited(servers: Servers, namespace: str) -> Sequence[tuple[str, str, str]]:
    database = Database(servers.postgres_url or "", schema_name("chat", namespace))
    await database.open()
    try:
        async with database.connection() as connection:
            rows = await connection.fetch("SELECT subject, action, target FROM audit ORDER BY id")
    finally:
        await database.close()
    return [(r["subject"], r["action"], r["target"]) for r in rows]
