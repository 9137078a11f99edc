"""Auto-assignment offers waiting contact requests, on the real broker and PostgreSQL: each to
the online operator with the fewest open chats and offers below their seat limit, in queue
order; the console's queue shows to whom; an offer declined or lapsed goes to the next
operator, never back; accepting is the accept it always was (contact.accepted, nothing
published for an offer or its decline); offerers running at once offer each request once and
fill no seat twice. A manual Take or Accept of a chat is held to the seat limit (409 with the
reason); a supervisor's reassignment is not."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cc_runtime.postgres import Database
from cc_schemas import (
    CONTACT_OUTCOMES,
    CONTACT_REQUESTS,
    ContactChannel,
    ContactPriority,
    ContactRequested,
    CustomerContext,
    encode,
    make_event_id,
    parse,
)
from cc_testing import Servers, TestIssuer, eventually_async, produce, read_records
from chat import assignment
from chat.app import create_app
from chat.assignment import Seats
from chat.outcomes import queued
from chat.presence import Presence
from chat.repository import PostgresContactRequests, PostgresOperators
from chat.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()


def operator(subject: str, **attributes: Any) -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject=subject, **attributes)


@pytest.fixture
def settings(service_env: dict[str, str]) -> Settings:
    return Settings(
        **service_env,  # type: ignore[arg-type]
        **ISSUER.env(),
        seat_limit=1,
        presence_timeout_seconds=60,
        presence_check_seconds=0.3,
        offer_seconds=2,
    )


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://chat") as client:
            yield client


def requested(
    request_id: str,
    priority: ContactPriority,
    age: timedelta,
    channel: ContactChannel = ContactChannel.CALLBACK,
) -> ContactRequested:
    made = datetime.now(UTC) - age
    return ContactRequested(
        event_id=make_event_id("test", request_id),
        occurred_at=made,
        source="proactive-engine",
        request_id=request_id,
        session_id=f"S-{request_id}",
        customer=CustomerContext(customer_id="C-1", contact_by_chat=True),
        rule="abandoned_cart",
        reason="Cart of 89.90 EUR left for 30 minutes",
        priority=priority,
        channel=channel,
        expires_at=made + timedelta(minutes=10),
    )


async def offers(client: httpx.AsyncClient) -> dict[str, str | None]:
    answer = await client.get("/v1/contact-requests", headers=operator("lead-sub"))
    assert answer.status_code == 200, answer.text
    return {r["request_id"]: r["offered_to"] for r in answer.json()["requests"]}


async def test_offers_go_to_free_operators_and_on_to_the_next_when_declined_or_lapsed(
    settings: Settings, servers: Servers, namespace: str
) -> None:
    anna, marco = operator("anna-sub"), operator("marco-sub")  # one seat each (the setting)
    async with serving(settings) as client:
        for who in (anna, marco):
            said = await client.put("/v1/presence", json={"status": "online"}, headers=who)
            assert said.status_code == 200, said.text
        urgent = requested("urgent", ContactPriority.URGENT, timedelta(0))
        normal = requested("normal", ContactPriority.NORMAL, timedelta(minutes=3))
        await produce(
            servers.kafka_bootstrap_servers,
            f"{namespace}.{CONTACT_REQUESTS}",
            [(e.request_id.encode(), encode(e)) for e in (normal, urgent)],
        )

        async def both_offered() -> None:  # queue order: the urgent first, to anna (by id)
            assert await offers(client) == {"urgent": "anna-sub", "normal": "marco-sub"}

        await eventually_async(both_offered, seconds=10)
        page = (await client.get("/console/queue?lang=en", headers=anna)).text
        assert page.count("Offered to you") == 1  # the urgent one, in her console's poll
        assert page.count('data-offer="1"') == 1  # with its Pass on button
        assert page.index("Offered to you") > page.index('id="request-urgent"')
        assert page.index("Offered to you") < page.index('id="request-normal"')
        refused = await client.post(
            "/v1/contact-requests/urgent/offer/decline", json={"reason": "x"}, headers=marco
        )
        assert (refused.status_code, refused.json()["detail"]) == (
            409,
            "request urgent is not offered to marco-sub",
        )
        no_reason = await client.post(
            "/v1/contact-requests/urgent/offer/decline", json={}, headers=anna
        )
        assert no_reason.status_code == 422
        # Her console's Pass on (the decline dialog with offer=1): the offer, not the request.
        declined = await client.post(
            "/console/decline?lang=en",
            data={"request_id": "urgent", "reason": "on a long call", "offer": "1"},
            headers=anna,
        )
        assert declined.status_code == 200, declined.text
        assert "You passed the offer of request urgent on: on a long call" in declined.text
        still = await client.get("/v1/contact-requests/urgent", headers=anna)
        assert (still.json()["state"], still.json()["offered_to"]) == ("waiting", None)
        # Marco's seat is held by his offer, and anna passed: nobody has the urgent one...
        await asyncio.sleep(0.8)
        assert await offers(client) == {"urgent": None, "normal": "marco-sub"}

        # ...until marco's offer lapses (2 s): the urgent goes to him, the normal to anna.
        async def passed_on() -> None:
            assert await offers(client) == {"urgent": "marco-sub", "normal": "anna-sub"}

        await eventually_async(passed_on, seconds=10)
        accepted = await client.post("/v1/contact-requests/normal/accept", headers=anna)
        assert (accepted.status_code, accepted.json()["operator_id"]) == (200, "anna-sub")
        again = await client.post("/v1/contact-requests/normal/accept", headers=marco)
        assert again.status_code == 409  # the accept race as ever

        # Marco lets the urgent one lapse too; both passed it: it waits for someone new.
        async def nobody_left() -> None:
            assert await offers(client) == {"urgent": None}

        await eventually_async(nobody_left, seconds=10)
        await client.put("/v1/presence", json={"status": "online"}, headers=operator("luca-sub"))

        async def to_the_newcomer() -> None:
            assert await offers(client) == {"urgent": "luca-sub"}

        await eventually_async(to_the_newcomer, seconds=10)

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_OUTCOMES}",
        until=lambda got: len(got) >= 1,
    )
    published = [parse(CONTACT_OUTCOMES, r.value) for r in records]
    assert [(e.event_type, e.request_id, e.operator_id) for e in published] == [
        ("contact.accepted", "normal", "anna-sub")
    ]  # an offer and its decline are not outcomes


async def test_offerers_running_at_once_offer_each_request_once_and_fill_no_seat_twice(
    settings: Settings,
) -> None:
    async with serving(settings):  # runs the migrations; stopped before any request is
        pass  # queued, so no watcher's round offers one (its first comes at its start)
    database = Database(settings.postgres_url, settings.postgres_schema)
    await database.open()
    try:
        requests = PostgresContactRequests(database)
        seats = Seats(
            operators=PostgresOperators(database),
            timeout=timedelta(minutes=5),
            default_seat_limit=3,
            written=lambda: None,
            requests=requests,
            offer_lasts=timedelta(seconds=30),
        )
        for n in range(12):
            event = requested(f"R-{n:02}", ContactPriority.NORMAL, timedelta(seconds=n))
            assert await requests.add(queued(event), event.event_id)
        now = datetime.now(UTC)
        for name in ("op-a", "op-b", "op-c"):
            await assignment.heartbeat(seats, name, Presence.ONLINE, None, None, now)
        rounds = await asyncio.gather(
            *(assignment.offer_waiting(seats, datetime.now(UTC)) for _ in range(6))
        )
        stored = await requests.live(datetime.now(UTC), 100)
    finally:
        await database.close()

    offered = [(r.request_id, r.offered_to) for made in rounds for r in made]
    assert len(offered) == len({i for i, _ in offered}) == 9  # three operators, three seats
    assert Counter(o for _, o in offered) == Counter({"op-a": 3, "op-b": 3, "op-c": 3})
    # the oldest nine, as the queue orders them; the stored offers are the ones made
    assert {i for i, _ in offered} == {f"R-{n:02}" for n in range(3, 12)}
    assert {(r.request_id, r.offered_to) for r in stored if r.offered_to} == set(offered)


async def test_a_take_or_accept_at_the_seat_limit_is_409_but_a_supervisor_may_exceed_it(
    settings: Settings, servers: Servers, namespace: str
) -> None:
    anna, marco = operator("anna-sub"), operator("marco-sub")
    supervisor = ISSUER.bearer(["supervisor"], subject="sara-sub")
    full = (
        "anna-sub holds 1 of 1 chats (the seat limit): end one first, or ask a supervisor "
        "to reassign it"
    )
    async with serving(settings) as client:
        # Away: no chat is given nor offered to her, but her seat limit (the setting's 1) holds.
        said = await client.put("/v1/presence", json={"status": "away"}, headers=anna)
        assert said.json()["seat_limit"] == 1
        first, second = [
            (await client.post("/v1/widget/chats", json={})).json()["chat_id"] for _ in range(2)
        ]
        taken = await client.post(f"/v1/chats/{first}/join", headers=anna)
        assert taken.status_code == 200, taken.text
        refused = await client.post(f"/v1/chats/{second}/join", headers=anna)
        assert (refused.status_code, refused.json()["detail"]) == (409, full)

        event = requested("chat-req", ContactPriority.HIGH, timedelta(0), ContactChannel.CHAT)
        await produce(
            servers.kafka_bootstrap_servers,
            f"{namespace}.{CONTACT_REQUESTS}",
            [(event.request_id.encode(), encode(event))],
        )

        async def queued_request() -> None:
            assert "chat-req" in await offers(client)

        await eventually_async(queued_request, seconds=10)
        not_accepted = await client.post("/v1/contact-requests/chat-req/accept", headers=anna)
        assert not_accepted.status_code == 409
        assert not_accepted.json()["detail"] == full
        assert not_accepted.json()["request"]["state"] == "waiting"  # nothing opened or sent

        # Marco never said his seats: the setting's 1, none held: his accept opens the chat.
        accepted = await client.post("/v1/contact-requests/chat-req/accept", headers=marco)
        assert (accepted.status_code, accepted.json()["operator_id"]) == (200, "marco-sub")
        again = await client.post(f"/v1/chats/{second}/join", headers=marco)
        assert again.status_code == 409
        assert again.json()["detail"].startswith("marco-sub holds 1 of 1 chats")

        await client.put("/v1/presence", json={"status": "away"}, headers=anna)
        reassigned = await client.post(
            f"/v1/supervisor/chats/{second}/reassign",
            json={"operator_id": "anna-sub"},
            headers=supervisor,
        )
        assert reassigned.status_code == 200, reassigned.text  # beyond her seat: 2 of 1
        mine = (await client.get("/v1/chats", headers=anna)).json()["chats"]
        assert sorted(c["chat_id"] for c in mine if c["operator_id"] == "anna-sub") == sorted(
            [first, second]
        )

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_OUTCOMES}",
        until=lambda got: len(got) >= 1,
    )
    published = [parse(CONTACT_OUTCOMES, r.value) for r in records]
    assert [(e.event_type, e.operator_id) for e in published] == [
        ("contact.accepted", "marco-sub")
    ]  # anna's refused accept published nothing


async def test_an_offer_holds_its_seat_against_a_customers_chat(
    settings: Settings, servers: Servers, namespace: str
) -> None:
    anna = operator("anna-sub")  # one seat (the setting)
    async with serving(settings) as client:
        await client.put("/v1/presence", json={"status": "online"}, headers=anna)
        event = requested("proactive", ContactPriority.HIGH, timedelta(0), ContactChannel.CHAT)
        await produce(
            servers.kafka_bootstrap_servers,
            f"{namespace}.{CONTACT_REQUESTS}",
            [(event.request_id.encode(), encode(event))],
        )

        async def offered_to_her() -> None:
            assert await offers(client) == {"proactive": "anna-sub"}

        await eventually_async(offered_to_her, seconds=10)
        started = await client.post("/v1/widget/chats", json={})
        assert started.status_code == 201, started.text
        await asyncio.sleep(1)  # three watcher rounds: her seat is held by the offer
        listed = (await client.get("/v1/chats", headers=anna)).json()["chats"]
        assert [(c["chat_id"], c["operator_id"]) for c in listed] == [
            (started.json()["chat_id"], None)
        ]
        accepted = await client.post("/v1/contact-requests/proactive/accept", headers=anna)
        assert accepted.status_code == 200, accepted.text  # her seat was kept for it
        await asyncio.sleep(1)
        listed = (await client.get("/v1/chats", headers=anna)).json()["chats"]
        held = {c["chat_id"]: c["operator_id"] for c in listed}
        assert held[started.json()["chat_id"]] is None  # 1 of 1: the customer's chat waits
        assert list(held.values()).count("anna-sub") == 1
