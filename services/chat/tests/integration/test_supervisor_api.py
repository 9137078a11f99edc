"""A supervisor reassigns chats through the API on the real broker and PostgreSQL: a waiting
chat to an operator, then the same chat from that operator to another (chat.transferred and
chat.agent_joined via transfer, the supervisor as actor); a waiting request handed to an
operator (contact.accepted for them, the supervisor as actor, its chat theirs); refusals with
the reason."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from cc_schemas import (
    CHAT_EVENTS,
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
from chat.app import create_app
from chat.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()


def supervisor() -> dict[str, str]:
    """Minted per call: a token minted at import expires before a long run reaches it."""
    return ISSUER.bearer(["supervisor"], subject="sara-sub")


@pytest.fixture
async def client(service_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(**service_env, **ISSUER.env(), presence_check_seconds=3600)  # type: ignore[arg-type]
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://chat") as client:
            yield client


async def test_a_supervisor_reassigns_a_chat_and_is_refused_with_reasons(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    for subject in ("anna-sub", "luca-sub"):
        said = await client.put(
            "/v1/presence",
            json={"status": "away"},
            headers=ISSUER.bearer(["operator"], subject=subject),
        )
        assert said.status_code == 200, said.text
    chat_id = (await client.post("/v1/widget/chats", json={})).json()["chat_id"]

    def reassign(to: str, chat: str = chat_id, headers: dict[str, str] | None = None) -> object:
        return client.post(
            f"/v1/supervisor/chats/{chat}/reassign",
            json={"operator_id": to},
            headers=supervisor() if headers is None else headers,
        )

    first = await reassign("anna-sub")
    assert first.status_code == 200, first.text
    assert first.json() == {"chat_id": chat_id, "operator_id": "anna-sub"}
    second = await reassign("luca-sub")
    assert second.status_code == 200, second.text

    again = await reassign("luca-sub")
    assert (again.status_code, again.json()["detail"]) == (
        409,
        f"chat {chat_id} is already luca-sub's",
    )
    stranger = await reassign("nobody-sub")
    assert (stranger.status_code, stranger.json()["detail"]) == (
        409,
        "nobody-sub has not signed in to the console",
    )
    unknown = await reassign("anna-sub", chat="no-such-chat")
    assert unknown.status_code == 404
    empty = await client.post(
        f"/v1/supervisor/chats/{chat_id}/reassign", json={}, headers=supervisor()
    )
    assert empty.status_code == 422
    by_operator = await reassign(
        "anna-sub", headers=ISSUER.bearer(["operator"], subject="anna-sub")
    )
    assert by_operator.status_code == 403

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CHAT_EVENTS}",
        until=lambda got: len(got) >= 4,
    )
    events = [parse(CHAT_EVENTS, r.value) for r in records]
    assert [
        (e.event_type, getattr(e, "agent", None), e.actor.subject if e.actor else None)
        for e in events
    ] == [
        ("chat.started", None, None),
        ("chat.agent_joined", "anna-sub", "sara-sub"),
        ("chat.transferred", None, "sara-sub"),
        ("chat.agent_joined", "luca-sub", "sara-sub"),
    ]


async def test_a_supervisor_hands_a_waiting_request_to_an_operator(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    now = datetime.now(UTC)
    request = ContactRequested(
        event_id=make_event_id("test", "R-9"),
        occurred_at=now,
        source="proactive-engine",
        request_id="R-9",
        session_id="S-9",
        customer=CustomerContext(customer_id="C-9", contact_by_chat=True),
        rule="abandoned_cart",
        priority=ContactPriority.NORMAL,
        channel=ContactChannel.CHAT,
        expires_at=now + timedelta(minutes=15),
    )
    await produce(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_REQUESTS}",
        [(b"R-9", encode(request))],
    )
    luca = ISSUER.bearer(["operator"], subject="luca-sub")
    assert (
        await client.put("/v1/presence", json={"status": "away"}, headers=luca)
    ).status_code == 200

    async def queued() -> None:
        assert (await client.get("/v1/contact-requests/R-9", headers=luca)).status_code == 200

    await eventually_async(queued, seconds=15)
    handed = await client.post(
        "/v1/supervisor/requests/R-9/assign", json={"operator_id": "luca-sub"}, headers=supervisor()
    )
    assert handed.status_code == 200, handed.text
    again = await client.post(
        "/v1/supervisor/requests/R-9/assign", json={"operator_id": "luca-sub"}, headers=supervisor()
    )
    assert again.status_code == 409
    assert "already accepted by luca-sub" in again.json()["detail"]
    assert (
        await client.post(
            "/v1/supervisor/requests/R-0/assign",
            json={"operator_id": "luca-sub"},
            headers=supervisor(),
        )
    ).status_code == 404

    chats = (await client.get("/v1/chats", headers=luca)).json()["chats"]
    assert [(c["request_id"], c["operator_id"]) for c in chats] == [("R-9", "luca-sub")]
    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_OUTCOMES}",
        until=lambda got: len(got) >= 1,
    )
    accepted = parse(CONTACT_OUTCOMES, records[0].value)
    assert accepted.event_type == "contact.accepted"
    assert (accepted.operator_id, accepted.actor.subject if accepted.actor else None) == (
        "luca-sub",
        "sara-sub",
    )
