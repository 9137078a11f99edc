"""Recognition and the customer 360 on the real broker and database: customers, orders and a
claim arrive on their topics; offered calls are identified (known, ambiguous, unknown,
anonymous) and published on contact-identifications with the strategic level and its reason;
identify and the 360 answer operators over HTTP, with 404 / 422 for what they cannot answer."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cc_schemas import (
    CONTACT_IDENTIFICATIONS,
    CallAnswered,
    CallEnded,
    Caller,
    CallOffered,
    ChatOrigin,
    ChatStarted,
    ClaimCluster,
    ContactIdentified,
    CustomerRegistered,
    EndedBy,
    Event,
    OrderCancelled,
    OrderDelivered,
    OrderPlaced,
    OrderShipped,
    SocialHandle,
    Team,
    TicketChannel,
    TicketOpened,
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


def operator() -> dict[str, str]:
    """A fresh operator's token: one minted at import would expire in a long test session."""
    return ISSUER.bearer(["operator"])


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


def env(n: object, days_ago: float = 0) -> dict[str, Any]:
    return {"event_id": f"e-{n}", "occurred_at": NOW - timedelta(days=days_ago), "source": "shop"}


def customer(customer_id: str, *phones: str, **fields: Any) -> CustomerRegistered:
    return CustomerRegistered(
        **env(customer_id, 400), customer_id=customer_id, phones=phones, **fields
    )


def history() -> list[Event]:
    """C-1: 14 orders worth EUR 1,240 in 12 months (one shipped, one delivered), one cancelled
    and one older than a year; C-2 and C-3 share a mobile; C-3 has an open claim."""
    events: list[Event] = [
        customer("C-1", "02 1234 5678", first_name="Anna", last_name="Rossi", language="it"),
        customer("C-2", "347 123 4567", first_name="Marco"),
        customer("C-3", "+39 347 1234567", first_name="Luca"),
    ]
    for n in range(14):
        total = 9600 if n == 0 else 8800
        events.append(
            OrderPlaced(
                **env(f"o{n}", 300 - n),
                order_id=f"O-{n}",
                customer_id="C-1",
                total_cents=total,
                currency="EUR",
            )
        )
    events += [
        OrderPlaced(
            **env("old", 400),
            order_id="O-old",
            customer_id="C-1",
            total_cents=99900,
            currency="EUR",
        ),
        OrderPlaced(
            **env("x", 10), order_id="O-x", customer_id="C-1", total_cents=50000, currency="EUR"
        ),
        OrderCancelled(**env("xc", 9), order_id="O-x", customer_id="C-1"),
        OrderShipped(
            **env("s", 2),
            order_id="O-13",
            customer_id="C-1",
            carrier="DHL",
            tracking_number="JD0001",
        ),
        OrderDelivered(**env("d", 100), order_id="O-1", customer_id="C-1"),
        TicketOpened(
            **env("t", 3),
            ticket_id="T-1",
            customer_id="C-3",
            channel=TicketChannel.PHONE,
            cluster=ClaimCluster.RETURN,
            subject="broken train",
            opened_by="op-1",
            team=Team.CONTACT_CENTRE,
        ),
    ]
    return events


def offered(call_id: str, number: str, minutes_ago: float, withheld: bool = False) -> CallOffered:
    return CallOffered(
        event_id=f"offered-{call_id}",
        occurred_at=NOW - timedelta(minutes=minutes_ago),
        source="asterisk-queue-log",
        call_id=call_id,
        queue="support",
        caller=Caller(number_raw=number, withheld=withheld),
    )


async def send(servers: Servers, namespace: str, events: list[Event]) -> None:
    for event in events:  # one by one: each topic's order as listed
        await produce(
            servers.kafka_bootstrap_servers,
            f"{namespace}.{topic_of(event)}",
            [(key_of(event).encode(), encode(event))],
        )


async def test_offered_calls_are_identified_published_and_shown_in_the_360(
    app: FastAPI, client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await send(servers, namespace, history())

    async def c1_is_gold() -> None:
        found = (await client.get("/v1/identify?phone=0212345678", headers=operator())).json()
        # Whole lists compared: an index into a list not filled yet would raise IndexError,
        # which `eventually` does not wait out (it retries assertions only).
        assert [c["strategic_reason"] for c in found["candidates"]] == [
            "gold: 14 orders, EUR 1,240 in 12 months"
        ]
        c3 = (await client.get("/v1/identify?phone=3471234567", headers=operator())).json()
        assert [c["open_claims"] for c in c3["candidates"]] == [0, 1]

    await eventually_async(c1_is_gold)
    calls = [
        offered("call-known-1", "+390212345678", 50),
        offered("call-known-2", "0039 02 1234 5678", 40),
        offered("call-known-3", "02 12345678", 30),
        offered("call-ambiguous", "3471234567", 20),
        offered("call-unknown", "+39 333 0000000", 10),
        offered("call-anonymous", "", 5, withheld=True),
    ]
    answered = CallAnswered(**env("a"), call_id="call-known-3", agent="1127", wait_seconds=12)
    ended = CallEnded(
        **env("end"),
        call_id="call-known-3",
        agent="1127",
        wait_seconds=12,
        talk_seconds=184,
        ended_by=EndedBy.CALLER,
    )
    await send(servers, namespace, [*calls, answered, ended])

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_IDENTIFICATIONS}",
        until=lambda got: len(got) >= len(calls),
    )
    identified = {r.key.decode(): parse(CONTACT_IDENTIFICATIONS, r.value) for r in records}
    assert {k: (v.level.value, v.customer_id) for k, v in identified.items()} == {  # type: ignore[attr-defined]
        "call-known-1": ("known", "C-1"),
        "call-known-2": ("known", "C-1"),
        "call-known-3": ("known", "C-1"),
        "call-ambiguous": ("ambiguous", None),
        "call-unknown": ("unknown", None),
        "call-anonymous": ("anonymous", None),
    }
    known = identified["call-known-1"]
    assert isinstance(known, ContactIdentified)
    assert (known.strategic_level, known.presented, known.candidates[0].name) == (
        "gold",
        "+390212345678",
        "Anna Rossi",
    )
    ambiguous = identified["call-ambiguous"]
    assert isinstance(ambiguous, ContactIdentified)
    assert [
        (c.customer_id, c.strategic_level.value, c.strategic_reason) for c in ambiguous.candidates
    ] == [
        ("C-2", "standard", "standard: 0 orders, EUR 0 in 12 months"),
        ("C-3", "silver", "silver: 0 orders, EUR 0 in 12 months; raised one step: 1 open claim"),
    ]

    async def talk_recorded() -> dict[str, Any]:
        page = (await client.get("/v1/customers/C-1?limit=2", headers=operator())).json()
        assert [c["talk_seconds"] for c in page["contacts"]["contacts"]][:1] == [184]
        return page

    first = await eventually_async(talk_recorded)
    assert [c["contact_id"] for c in first["contacts"]["contacts"]] == [
        "call-known-3",
        "call-known-2",
    ]
    assert first["contacts"]["contacts"][0] | {"started_at": None} == {
        "contact_id": "call-known-3",
        "channel": "phone",
        "direction": "inbound",
        "level": "known",
        "presented": "+390212345678",
        "queue": "support",
        "agent": "1127",
        "started_at": None,
        "answered_at": answered.occurred_at.isoformat().replace("+00:00", "Z"),
        "first_response_at": None,
        "ended_at": ended.occurred_at.isoformat().replace("+00:00", "Z"),
        "wait_seconds": 12.0,
        "talk_seconds": 184.0,
        "outcome": "answered",
        "resolved": None,
        "reason": None,
        "notes": None,
        "order_id": None,
        "product": None,
        "case_id": None,
        "version": 3,
        "linked_by": None,
    }
    assert [o["order_id"] for o in first["orders_in_progress"]][:2] == ["O-13", "O-12"]
    assert first["orders_in_progress"][0]["status"] == "shipped"
    assert first["orders_in_progress"][0]["tracking_number"] == "JD0001"
    in_progress = {o["order_id"] for o in first["orders_in_progress"]}
    # 13 of the year's 14 (O-1 was delivered) and the old one, never delivered; not O-x
    assert in_progress == {f"O-{n}" for n in range(14) if n != 1} | {"O-old"}
    # Three calls in 30 days since: one step up, and the reason says so.
    assert first["strategic_reason"] == (
        "platinum: 14 orders, EUR 1,240 in 12 months; raised one step: 3 contacts in 30 days"
    )
    assert first["phones"] == [{"raw": "02 1234 5678", "e164": "+390212345678"}]
    cursor = first["contacts"]["next_cursor"]
    second = await client.get(f"/v1/customers/C-1?limit=2&cursor={cursor}", headers=operator())
    assert [c["contact_id"] for c in second.json()["contacts"]["contacts"]] == ["call-known-1"]
    assert second.json()["contacts"]["next_cursor"] is None
    shared = (await client.get("/v1/customers/C-2", headers=operator())).json()
    assert (shared["possible_duplicates"], shared["orders_in_progress"], shared["open_cases"]) == (
        ["C-3"],
        [],
        [],
    )


async def test_operators_set_the_competence_a_customer_needs_and_recognition_carries_it(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await send(servers, namespace, [customer("C-7", "+39 06 1234 5678")])

    async def stored() -> httpx.Response:
        response = await client.put(
            "/v1/customers/C-7/competence",
            json={"competence_needed": "product-specialist"},
            headers=ISSUER.bearer(["operator"], subject="op-giulia"),
        )
        assert response.status_code == 200, response.text
        return response

    assert (await eventually_async(stored)).json() == {
        "customer_id": "C-7",
        "competence_needed": "product-specialist",
        "set_by": "op-giulia",
    }
    found = (await client.get("/v1/identify?phone=%2B390612345678", headers=operator())).json()
    assert (found["level"], found["customer_id"]) == ("known", "C-7")
    assert found["candidates"][0]["competence_needed"] == "product-specialist"


REFUSALS = [
    ("/v1/customers/C-404", 404, "no customer 'C-404'"),
    ("/v1/identify?phone=12ab", 422, "phone '12ab' is not a number"),
    ("/v1/identify?phone=%2B39%2012", 422, "is not a valid number (default region IT)"),
    ("/v1/identify?email=anna.example.it", 422, "e-mail 'anna.example.it' has no local"),
    ("/v1/identify", 422, "give exactly one of phone or email"),
    ("/v1/customers/C-1?cursor=bm9wZQ", 422, "is not one this API gave"),
]


async def test_what_crm_cannot_answer_is_a_4xx_with_the_reason(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await send(servers, namespace, [customer("C-1", "02 1234 5678")])
    answers = []

    for path, _, detail in REFUSALS:
        response = await client.get(path, headers=operator())
        shown = response.json()["detail"]
        answers.append((path, response.status_code, detail if detail in shown else shown))

    assert answers == REFUSALS


async def test_identify_by_email_is_case_blind(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await send(servers, namespace, [customer("C-8", emails=("Sara.Verdi@Example.IT",))])

    async def known() -> None:
        found = await client.get("/v1/identify?email=sara.verdi@example.it", headers=operator())
        assert (found.json()["level"], found.json()["customer_id"]) == ("known", "C-8")

    await eventually_async(known)


def chat_started(chat_id: str, **visitor: Any) -> ChatStarted:
    return ChatStarted(
        **env(f"start-{chat_id}"), chat_id=chat_id, origin=ChatOrigin.CUSTOMER, **visitor
    )


async def test_a_chats_visitor_is_recognised_by_customer_id_email_or_handle_and_published(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await send(
        servers,
        namespace,
        [
            customer("C-20", first_name="Sara", emails=("Sara.Verdi@Example.IT",)),
            customer(
                "C-21",
                first_name="Leo",
                social_handles=(SocialHandle(network="instagram", handle="@Leo.Toys"),),
            ),
        ],
    )

    async def stored() -> None:
        found = await client.get("/v1/identify?email=sara.verdi@example.it", headers=operator())
        assert found.json()["customer_id"] == "C-20"

    await eventually_async(stored)
    chats = [
        chat_started("chat-named", customer_id="C-21"),
        chat_started("chat-email", email="SARA.verdi@example.it"),
        chat_started("chat-handle", social_handle="leo.toys"),
        chat_started("chat-stranger", email="nobody@example.it"),
        chat_started("chat-bad-email", email="not-an-address"),
        chat_started("chat-anonymous"),
    ]
    await send(servers, namespace, chats)

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_IDENTIFICATIONS}",
        until=lambda got: len(got) >= len(chats),
    )
    identified = {r.key.decode(): parse(CONTACT_IDENTIFICATIONS, r.value) for r in records}
    assert {
        k: (v.channel.value, v.level.value, v.matched_by, v.customer_id, v.presented)  # type: ignore[attr-defined]
        for k, v in identified.items()
    } == {
        "chat-named": ("chat", "known", "customer_id", "C-21", None),
        "chat-email": ("chat", "known", "email", "C-20", "sara.verdi@example.it"),
        "chat-handle": ("chat", "known", "social_handle", "C-21", "leo.toys"),
        "chat-stranger": ("chat", "unknown", None, None, "nobody@example.it"),
        "chat-bad-email": ("chat", "anonymous", None, None, None),
        "chat-anonymous": ("chat", "anonymous", None, None, None),
    }
    named = identified["chat-named"]
    assert isinstance(named, ContactIdentified)
    assert [c.name for c in named.candidates] == ["Leo"]
    contact = (await client.get("/v1/interactions/chat-email", headers=operator())).json()
    assert (contact["customer_id"], contact["level"], contact["channel"]) == (
        "C-20",
        "known",
        "chat",
    )
    sara = (await client.get("/v1/customers/C-20", headers=operator())).json()
    assert [c["contact_id"] for c in sara["contacts"]["contacts"]] == ["chat-email"]
