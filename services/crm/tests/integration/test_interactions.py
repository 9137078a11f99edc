"""Interactions on the real broker and database: every call and chat is one interaction (its id
the call's or the chat's), published whole on `interactions` at each change, once however often
its events are redelivered; operators write reason and notes with If-Match (a stale version is
a 409, two at once never both win), and attach an unknown caller to the customer they found."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cc_runtime.postgres import Database
from cc_runtime.settings import schema_name
from cc_schemas import (
    INTERACTIONS,
    CallAnswered,
    CallEnded,
    Caller,
    CallOffered,
    ChatAgentJoined,
    ChatEnded,
    ChatMessageSent,
    ChatOrigin,
    ChatParty,
    ChatStarted,
    CustomerRegistered,
    EndedBy,
    Event,
    InteractionRecorded,
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


def operator(subject: str = "op-anna") -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject=subject)


@pytest.fixture
async def client(service_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(Settings(**service_env, **ISSUER.env()))  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
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


def at(minutes: float) -> dict[str, Any]:
    return {"occurred_at": NOW + timedelta(minutes=minutes), "source": "asterisk-queue-log"}


async def with_anna(client: httpx.AsyncClient, servers: Servers, namespace: str) -> None:
    """Anna (C-1) registered, and crm knows her number: her calls are recognised."""
    anna = CustomerRegistered(
        event_id="reg-1",
        occurred_at=NOW - timedelta(days=30),
        source="shop",
        customer_id="C-1",
        first_name="Anna",
        phones=("02 1234 5678",),
    )
    await send(servers, namespace, [anna])

    async def known() -> None:
        found = await client.get("/v1/identify?phone=0212345678", headers=operator())
        assert found.json()["customer_id"] == "C-1"

    await eventually_async(known)


def calls() -> list[Event]:
    """Anna's call (answered, ended) and an unknown caller's."""
    return [
        CallOffered(
            event_id="off-1",
            **at(0),
            call_id="call-1",
            queue="support",
            caller=Caller(number_raw="+390212345678"),
        ),
        CallAnswered(event_id="ans-1", **at(1), call_id="call-1", agent="1127", wait_seconds=60),
        CallEnded(
            event_id="end-1",
            **at(5),
            call_id="call-1",
            agent="1127",
            wait_seconds=60,
            talk_seconds=240,
            ended_by=EndedBy.CALLER,
        ),
        CallOffered(
            event_id="off-2",
            **at(2),
            call_id="call-2",
            queue="support",
            caller=Caller(number_raw="+39 333 0000000"),
        ),
    ]


def chat() -> list[Event]:
    """An anonymous visitor's chat: joined, the customer writes, the operator replies twice."""
    ids = {"source": "chat", "chat_id": "chat-9"}
    return [
        ChatStarted(event_id="c1", occurred_at=NOW, origin=ChatOrigin.CUSTOMER, **ids),
        ChatAgentJoined(
            event_id="c2", occurred_at=NOW + timedelta(seconds=20), agent="op-b", **ids
        ),
        ChatMessageSent(
            event_id="c3",
            occurred_at=NOW + timedelta(seconds=30),
            message_id="m1",
            sender=ChatParty.CUSTOMER,
            text="Il mio ordine?",
            **ids,
        ),
        ChatMessageSent(
            event_id="c4",
            occurred_at=NOW + timedelta(seconds=45),
            message_id="m2",
            sender=ChatParty.AGENT,
            agent="op-b",
            text="Controllo subito",
            **ids,
        ),
        ChatMessageSent(
            event_id="c5",
            occurred_at=NOW + timedelta(seconds=60),
            message_id="m3",
            sender=ChatParty.AGENT,
            agent="op-b",
            text="Arriva domani",
            **ids,
        ),
        ChatEnded(
            event_id="c6",
            occurred_at=NOW + timedelta(minutes=3),
            ended_by=ChatParty.CUSTOMER,
            resolved=True,
            **ids,
        ),
    ]


async def send(servers: Servers, namespace: str, events: list[Event]) -> None:
    for event in events:
        await produce(
            servers.kafka_bootstrap_servers,
            f"{namespace}.{topic_of(event)}",
            [(key_of(event).encode(), encode(event))],
        )


async def published(
    servers: Servers, namespace: str, count: int
) -> list[tuple[str, InteractionRecorded]]:
    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{INTERACTIONS}",
        until=lambda got: len(got) >= count,
    )
    events = [(r.key.decode(), parse(INTERACTIONS, r.value)) for r in records]
    found = [(k, e) for k, e in events if isinstance(e, InteractionRecorded)]
    # partitions interleave: each interaction's versions in order
    return sorted(found, key=lambda pair: (pair[1].interaction_id, pair[1].version or 0))


def version(got: list[tuple[str, InteractionRecorded]], of: str, n: int) -> InteractionRecorded:
    (found,) = [e for _, e in got if (e.interaction_id, e.version) == (of, n)]
    return found


async def test_each_call_and_chat_is_one_interaction_published_at_each_change_once(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await with_anna(client, servers, namespace)
    await send(servers, namespace, calls())
    await send(servers, namespace, calls())  # every call event redelivered
    await send(servers, namespace, chat())

    # call-1: offered, answered, ended; call-2: offered; chat-9: started, joined, first reply,
    # ended (the customer's message and the second reply change nothing)
    got = await published(servers, namespace, 8)
    await asyncio.sleep(1)  # anything published twice would be here by now
    got = await published(servers, namespace, 8)
    assert [(key, e.interaction_id, e.version) for key, e in got] == [
        ("C-1", "call-1", 1),
        ("C-1", "call-1", 2),
        ("C-1", "call-1", 3),
        ("call-2", "call-2", 1),
        ("chat-9", "chat-9", 1),
        ("chat-9", "chat-9", 2),
        ("chat-9", "chat-9", 3),
        ("chat-9", "chat-9", 4),
    ]
    ended_call, unknown = version(got, "call-1", 3), version(got, "call-2", 1)
    ended_chat = version(got, "chat-9", 4)
    assert (
        ended_call.customer_id,
        ended_call.channel.value,
        ended_call.agent,
        ended_call.wait_seconds,
        ended_call.talk_seconds,
        ended_call.outcome,
    ) == ("C-1", "phone", "1127", 60.0, 240.0, "answered")
    assert (unknown.customer_id, unknown.level) == (None, "unknown")
    assert (
        ended_chat.customer_id,
        ended_chat.channel.value,
        ended_chat.agent,
        ended_chat.first_response_at,
        ended_chat.ended_at,
        ended_chat.resolved,
    ) == (None, "chat", "op-b", NOW + timedelta(seconds=45), NOW + timedelta(minutes=3), True)


async def test_the_operator_writes_reason_and_notes_on_the_version_they_read(
    client: httpx.AsyncClient, servers: Servers, namespace: str, db: Database
) -> None:
    await with_anna(client, servers, namespace)
    await send(servers, namespace, calls())

    async def ended() -> httpx.Response:
        read = await client.get("/v1/interactions/call-1", headers=operator())
        assert (read.status_code, read.headers.get("etag")) == (200, '"3"')
        return read

    await eventually_async(ended)
    body = {"reason": "delivery", "notes": "Il pacco è in ritardo", "order_id": "O-7"}
    unversioned = await client.patch("/v1/interactions/call-1", json=body, headers=operator())
    written = await client.patch(
        "/v1/interactions/call-1", json=body, headers=operator() | {"If-Match": '"3"'}
    )
    stale = await client.patch(
        "/v1/interactions/call-1",
        json={"notes": "overwritten"},
        headers=operator("op-bruno") | {"If-Match": '"3"'},
    )
    missing = await client.patch(
        "/v1/interactions/nope", json=body, headers=operator() | {"If-Match": '"1"'}
    )
    bad_reason = await client.patch(
        "/v1/interactions/call-1", json={"reason": "Not A Code"}, headers=operator()
    )

    assert [r.status_code for r in (unversioned, written, stale, missing, bad_reason)] == [
        428,
        200,
        409,
        404,
        422,
    ]
    assert (written.headers["etag"], written.json()["notes"], written.json()["updated_by"]) == (
        '"4"',
        "Il pacco è in ritardo",
        "op-anna",
    )
    assert (stale.json()["current"]["notes"], stale.json()["current"]["version"]) == (
        "Il pacco è in ritardo",
        4,
    )
    edited = version(await published(servers, namespace, 5), "call-1", 4)
    assert (edited.version, edited.reason, edited.notes, edited.order_id) == (
        4,
        "delivery",
        "Il pacco è in ritardo",
        "O-7",
    )
    assert edited.actor is not None
    assert edited.actor.subject == "op-anna"
    async with db.connection() as connection:
        audit = await connection.fetch("SELECT subject, action, target FROM audit ORDER BY at")
    assert [tuple(a) for a in audit] == [
        ("op-anna", "PATCH /v1/interactions/{interaction_id}", "call-1")
    ]


async def test_two_operators_writing_one_version_at_once_never_both_win(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await send(servers, namespace, calls()[:1])

    async def offered() -> None:
        read = await client.get("/v1/interactions/call-1", headers=operator())
        assert read.status_code == 200

    await eventually_async(offered)

    async def write(subject: str) -> httpx.Response:
        return await client.patch(
            "/v1/interactions/call-1",
            json={"notes": f"notes of {subject}"},
            headers=operator(subject) | {"If-Match": '"1"'},
        )

    first, second = await asyncio.gather(write("op-anna"), write("op-bruno"))

    assert sorted([first.status_code, second.status_code]) == [200, 409]
    winner = first if first.status_code == 200 else second
    now = (await client.get("/v1/interactions/call-1", headers=operator())).json()
    assert (now["version"], now["notes"]) == (2, winner.json()["notes"])


async def test_an_unknown_caller_attached_by_hand_joins_the_customers_history(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await with_anna(client, servers, namespace)
    await send(servers, namespace, calls())

    async def recorded() -> None:
        read = await client.get("/v1/interactions/call-2", headers=operator())
        assert (read.status_code, read.json().get("level")) == (200, "unknown")

    await eventually_async(recorded)
    nobody = await client.put(
        "/v1/interactions/call-2/customer",
        json={"customer_id": "C-404"},
        headers=operator() | {"If-Match": '"1"'},
    )
    attached = await client.put(
        "/v1/interactions/call-2/customer",
        json={"customer_id": "C-1"},
        headers=operator() | {"If-Match": '"1"'},
    )

    assert (nobody.status_code, nobody.json()["detail"]) == (422, "no customer 'C-404'")
    assert (attached.status_code, attached.json()["customer_id"]) == (200, "C-1")
    got = await published(servers, namespace, 5)
    (key,) = [k for k, e in got if (e.interaction_id, e.version) == ("call-2", 2)]
    linked = version(got, "call-2", 2)
    assert linked.link is not None
    assert (key, linked.interaction_id, linked.link.previous_level, linked.link.linked_by) == (
        "C-1",
        "call-2",
        "unknown",
        "op-anna",
    )
    history = (await client.get("/v1/customers/C-1", headers=operator())).json()
    assert [(c["contact_id"], c["linked_by"]) for c in history["contacts"]["contacts"]] == [
        ("call-2", "op-anna"),
        ("call-1", None),
    ]


async def test_the_attached_callers_number_joins_the_customer_and_their_next_call_is_known(
    client: httpx.AsyncClient, servers: Servers, namespace: str, db: Database
) -> None:
    await with_anna(client, servers, namespace)
    visitor = ChatStarted(event_id="start-7", **at(0), chat_id="chat-7", origin=ChatOrigin.CUSTOMER)
    await send(servers, namespace, [*calls(), visitor])

    async def recorded() -> None:
        for contact_id in ("call-2", "chat-7"):
            read = await client.get(f"/v1/interactions/{contact_id}", headers=operator())
            assert read.status_code == 200

    await eventually_async(recorded)
    no_number = await client.put(
        "/v1/interactions/chat-7/customer",
        json={"customer_id": "C-1", "add_phone": True},
        headers=operator() | {"If-Match": '"1"'},
    )
    attached = await client.put(
        "/v1/interactions/call-2/customer",
        json={"customer_id": "C-1", "add_phone": True},
        headers=operator() | {"If-Match": '"1"'},
    )
    again = await client.put(
        "/v1/interactions/call-2/customer",
        json={"customer_id": "C-1", "add_phone": True},
        headers=operator() | {"If-Match": '"2"'},
    )

    assert (no_number.status_code, no_number.json()["detail"]) == (
        422,
        "interaction chat-7 has no caller number to add",
    )
    assert (attached.status_code, again.status_code) == (200, 200)
    anna = (await client.get("/v1/customers/C-1", headers=operator())).json()
    assert anna["phones"] == [  # once, however often asked
        {"raw": "02 1234 5678", "e164": "+390212345678"},
        {"raw": "+393330000000", "e164": "+393330000000"},
    ]
    async with db.connection() as connection:
        audited = await connection.fetch(
            "SELECT subject, action FROM audit WHERE target = 'C-1' ORDER BY id"
        )
    assert [tuple(r) for r in audited] == [
        ("op-anna", "PUT /v1/interactions/{interaction_id}/customer: phone +393330000000 added")
    ]
    next_call = CallOffered(
        event_id="off-3",
        **at(10),
        call_id="call-3",
        queue="support",
        caller=Caller(number_raw="333 0000000"),
    )
    # The shop's next record of Anna lists only its own number: the added one stays.
    renamed = CustomerRegistered(
        event_id="reg-2",
        occurred_at=NOW,
        source="shop",
        customer_id="C-1",
        first_name="Anna Maria",
        phones=("02 1234 5678",),
    )
    await send(servers, namespace, [renamed, next_call])

    async def known() -> dict[str, Any]:
        read = (await client.get("/v1/interactions/call-3", headers=operator())).json()
        assert (read.get("level"), read.get("customer_id")) == ("known", "C-1")
        now = (await client.get("/v1/customers/C-1", headers=operator())).json()
        assert now["first_name"] == "Anna Maria"
        return now

    after_update = await eventually_async(known)
    assert [p["e164"] for p in after_update["phones"]] == ["+390212345678", "+393330000000"]
