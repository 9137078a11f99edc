"""Live chat on the real broker and PostgreSQL: accepting a chat request opens a proactive chat
the customer's widget is invited to; operator and customer write, every message is stored once
in order and a reader coming back gets what it missed; the operator ends, the customer rates;
chat-events and csat-responses carry each step. A customer's own chat is taken by exactly one of
two operators joining at once; bad input is refused with the reason."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cc_schemas import (
    CHAT_EVENTS,
    CONTACT_REQUESTS,
    CSAT_RESPONSES,
    ContactChannel,
    ContactRequested,
    CustomerContext,
    encode,
    make_event_id,
    parse,
)
from cc_testing import Servers, TestIssuer, eventually_async, produce, read_records
from chat.app import create_app
from chat.settings import Settings
from chat.tokens import ShopSessions

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()


def marco() -> dict[str, str]:
    """A fresh token: one minted at import expires in a long test session (5 min)."""
    return ISSUER.bearer(["operator"], subject="marco-sub")


def anna() -> dict[str, str]:
    """A fresh token: one minted at import expires in a long test session (5 min)."""
    return ISSUER.bearer(["operator"], subject="anna-sub")


@pytest.fixture
async def client(service_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        **service_env,  # type: ignore[arg-type]
        **ISSUER.env(),
        message_max_chars=50,
        customer_messages_burst=100,  # the rate limits have their own test (test_bad_input)
        public_calls_burst=100,
    )
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://chat") as client:
            yield client


def chat_request(request_id: str) -> ContactRequested:
    now = datetime.now(UTC)
    return ContactRequested(
        event_id=make_event_id("test", request_id),
        occurred_at=now,
        source="proactive-engine",
        request_id=request_id,
        session_id=f"S-{request_id}",
        customer=CustomerContext(customer_id="C-1", contact_by_chat=True),
        rule="abandoned_cart",
        reason="Cart left for 30 minutes",
        channel=ContactChannel.CHAT,
        expires_at=now + timedelta(minutes=10),
    )


def supervisor() -> dict[str, str]:
    return ISSUER.bearer(["supervisor"], subject="sara-sub")


def shop_session(session_id: str) -> dict[str, str]:
    """The invitation's query as the shop's page gives it: the session signed by the shop."""
    sessions = ShopSessions(Settings().shop_session_secret.get_secret_value(), timedelta(hours=1))
    return {"session_token": sessions.sign(session_id)}


def chat_token(ticket: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Chat {ticket['token']}"}


async def texts(client: httpx.AsyncClient, headers: dict[str, str], url: str) -> list[Any]:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return [(m["seq"], m["sender"], m["text"]) for m in response.json()["messages"]]


async def test_an_accepted_chat_request_opens_a_chat_the_customer_writes_in_and_rates(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await produce(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_REQUESTS}",
        [(b"R-1", encode(chat_request("R-1")))],
    )

    async def accepted() -> httpx.Response:
        answer = await client.post("/v1/contact-requests/R-1/accept", headers=anna())
        assert answer.status_code == 200, answer.text
        return answer

    await eventually_async(accepted)
    [chat] = (await client.get("/v1/chats", headers=anna())).json()["chats"]
    assert (chat["origin"], chat["request_id"], chat["operator_id"]) == (
        "proactive",
        "R-1",
        "anna-sub",
    )
    nobody = await client.get("/v1/widget/invitation", params=shop_session("S-other"))
    assert nobody.status_code == 204
    invited = await client.get("/v1/widget/invitation", params=shop_session("S-R-1"))
    assert invited.status_code == 200, invited.text
    customer = chat_token(invited.json())
    chat_id = invited.json()["chat_id"]
    assert chat_id == chat["chat_id"]

    first = await client.post(
        f"/v1/chats/{chat_id}/messages", json={"text": "Hello, can I help?"}, headers=anna()
    )
    await client.post("/v1/widget/messages", json={"text": "Yes: shipping?"}, headers=customer)
    again = {"text": "Is it free?", "message_id": "m-42"}
    sent = await client.post("/v1/widget/messages", json=again, headers=customer)
    resent = await client.post("/v1/widget/messages", json=again, headers=customer)  # a retry

    assert first.status_code == 201, first.text
    assert (sent.status_code, resent.json()) == (201, sent.json())
    url = f"/v1/chats/{chat_id}/messages"
    assert await texts(client, anna(), url) == [
        (1, "agent", "Hello, can I help?"),
        (2, "customer", "Yes: shipping?"),
        (3, "customer", "Is it free?"),
    ]
    assert await texts(client, customer, "/v1/widget/messages?after=1") == [
        (2, "customer", "Yes: shipping?"),
        (3, "customer", "Is it free?"),
    ]
    assert await texts(client, customer, "/v1/widget/messages?after=3") == []

    early = await client.post("/v1/widget/csat", json={"score": 5}, headers=customer)
    ended = await client.post(f"/v1/chats/{chat_id}/end", headers=anna())
    late = await client.post("/v1/widget/messages", json={"text": "hi?"}, headers=customer)
    rated = await client.post(
        "/v1/widget/csat", json={"score": 4, "comment": "Fast, thanks"}, headers=customer
    )
    twice = await client.post("/v1/widget/csat", json={"score": 1}, headers=customer)

    assert (early.status_code, early.json()["detail"]) == (409, "a chat is rated once it has ended")
    assert (ended.json()["state"], ended.json()["ended_by"]) == ("ended", "agent")
    assert (late.status_code, late.json()["detail"][: len(f"chat {chat_id} ended at ")]) == (
        409,
        f"chat {chat_id} ended at ",
    )
    assert rated.json()["rated"] is True
    assert (twice.status_code, twice.json()["detail"]) == (409, "this chat has already been rated")
    chat_records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CHAT_EVENTS}",
        until=lambda got: len(got) >= 6,
    )
    events = [parse(CHAT_EVENTS, r.value) for r in chat_records]
    assert {r.key for r in chat_records} == {chat_id.encode()}
    assert [
        (e.event_type, getattr(e, "sender", None), getattr(e, "text", None)) for e in events
    ] == [
        ("chat.started", None, None),
        ("chat.agent_joined", None, None),
        ("chat.message_sent", "agent", "Hello, can I help?"),
        ("chat.message_sent", "customer", "Yes: shipping?"),
        ("chat.message_sent", "customer", "Is it free?"),
        ("chat.ended", None, None),
    ]
    assert events[2].model_dump(include={"agent", "actor"}, mode="json") == {
        "agent": "anna-sub",
        "actor": {"subject": "anna-sub", "role": "operator"},
    }
    [csat] = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CSAT_RESPONSES}",
        until=lambda got: len(got) >= 1,
    )
    assert parse(CSAT_RESPONSES, csat.value).model_dump(
        include={"customer_id", "chat_id", "score", "comment", "channel"}, mode="json"
    ) == {
        "customer_id": "C-1",
        "chat_id": chat_id,
        "score": 4,
        "comment": "Fast, thanks",
        "channel": "chat",
    }


async def test_a_customer_starts_a_chat_and_exactly_one_of_two_operators_takes_it(
    client: httpx.AsyncClient,
) -> None:
    started = await client.post("/v1/widget/chats", json={"session_id": "S-9"})
    assert started.status_code == 201, started.text
    chat_id = started.json()["chat_id"]
    customer = chat_token(started.json())
    waiting = (await client.get("/v1/chats", headers=marco())).json()["chats"]
    assert [(c["chat_id"], c["operator_id"]) for c in waiting] == [(chat_id, None)]

    answers = await asyncio.gather(
        client.post(f"/v1/chats/{chat_id}/join", headers=anna()),
        client.post(f"/v1/chats/{chat_id}/join", headers=marco()),
    )

    assert sorted(a.status_code for a in answers) == [200, 409]
    winner = next(a for a in answers if a.status_code == 200).json()["operator_id"]
    loser_headers = marco() if winner == "anna-sub" else anna()
    refused = await client.post(
        f"/v1/chats/{chat_id}/messages", json={"text": "mine?"}, headers=loser_headers
    )
    assert (refused.status_code, refused.json()["detail"]) == (
        403,
        f"chat {chat_id} is answered by {winner}",
    )
    ended = await client.post("/v1/widget/end", headers=customer)
    assert (ended.json()["state"], ended.json()["ended_by"]) == ("ended", "customer")


async def test_only_the_chats_operators_and_supervisors_read_it_and_a_customer_only_their_own(
    client: httpx.AsyncClient,
) -> None:
    mine = (await client.post("/v1/widget/chats")).json()
    other = (await client.post("/v1/widget/chats")).json()
    chat_id = mine["chat_id"]
    url = f"/v1/chats/{chat_id}/messages"
    untaken = await client.get(url, headers=marco())
    assert (untaken.status_code, untaken.json()["detail"]) == (
        403,
        f"chat {chat_id} has no operator yet: take it to read it",
    )
    assert (await client.post(f"/v1/chats/{chat_id}/join", headers=anna())).status_code == 200
    await client.post("/v1/widget/messages", json={"text": "my address"}, headers=chat_token(mine))

    by_holder = await client.get(url, headers=anna())
    by_other = await client.get(url, headers=marco())
    by_supervisor = await client.get(url, headers=supervisor())
    panel = await client.get(f"/console/chats/{chat_id}", headers=marco())
    poll = await client.get(f"/console/chats/{chat_id}/messages", headers=marco())
    customer_of_other = await client.get("/v1/widget/messages", headers=chat_token(other))

    assert [m["text"] for m in by_holder.json()["messages"]] == ["my address"]
    assert (by_other.status_code, by_other.json()["detail"]) == (
        403,
        f"chat {chat_id} is answered by anna-sub: only the operators who hold or held it, "
        "and supervisors, read it",
    )
    assert [m["text"] for m in by_supervisor.json()["messages"]] == ["my address"]
    for page in (panel, poll):  # the console says why in a notice; nothing of the chat
        assert page.status_code == 409
        assert "is answered by anna-sub" in page.text
        assert "my address" not in page.text
    assert customer_of_other.json()["chat"]["chat_id"] == other["chat_id"]
    assert customer_of_other.json()["messages"] == []
    written = await client.post(url, json={"text": "a supervisor's word"}, headers=supervisor())
    assert (written.status_code, written.json()["detail"]) == (
        403,
        f"chat {chat_id} is answered by anna-sub",
    )


async def test_the_invitation_takes_only_a_session_the_shop_signed(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    await produce(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CONTACT_REQUESTS}",
        [(b"R-7", encode(chat_request("R-7")))],
    )

    async def accepted() -> None:
        answer = await client.post("/v1/contact-requests/R-7/accept", headers=anna())
        assert answer.status_code == 200, answer.text

    await eventually_async(accepted)
    claimed = await client.get("/v1/widget/invitation", params={"session_id": "S-R-7"})
    forged = await client.get("/v1/widget/invitation", params={"session_token": "S-R-7"})
    other_secret = ShopSessions("another shop's secret", timedelta(hours=1)).sign("S-R-7")
    foreign = await client.get("/v1/widget/invitation", params={"session_token": other_secret})
    signed = await client.get("/v1/widget/invitation", params=shop_session("S-R-7"))

    assert claimed.status_code == 422  # a bare session id is not taken any more
    for refused in (forged, foreign):
        assert (refused.status_code, refused.json()["detail"]) == (
            403,
            "this is not a session token the shop issued, or it has expired",
        )
    assert signed.status_code == 200, signed.text


async def test_bad_messages_and_tokens_are_refused_with_the_reason(
    client: httpx.AsyncClient,
) -> None:
    customer = chat_token((await client.post("/v1/widget/chats")).json())

    too_long = await client.post("/v1/widget/messages", json={"text": "x" * 51}, headers=customer)
    empty = await client.post("/v1/widget/messages", json={"text": "   "}, headers=customer)
    huge = await client.post("/v1/widget/messages", json={"text": "x" * 2000}, headers=customer)
    forged = await client.get("/v1/widget/messages", headers={"Authorization": "Chat not-a-token"})
    bearer = await client.get("/v1/widget/messages", headers=anna())
    no_chat = await client.post("/v1/chats/nope/messages", json={"text": "hi"}, headers=anna())

    assert (too_long.status_code, too_long.json()["detail"]) == (
        422,
        "a message holds at most 50 characters; this one has 51",
    )
    assert (empty.status_code, empty.json()["detail"]) == (422, "a message needs some text")
    assert huge.status_code == 413
    assert huge.json()["detail"].startswith("a message body holds at most 1624 bytes")
    assert (forged.status_code, forged.json()["detail"]) == (
        401,
        "this is not a chat token of ours",
    )
    assert (bearer.status_code, bearer.headers["www-authenticate"]) == (401, "Chat")
    assert (no_chat.status_code, no_chat.json()["detail"]) == (404, "no chat 'nope'")
    assert await texts(client, customer, "/v1/widget/messages") == []


async def test_a_reader_polling_while_both_sides_write_at_once_gets_every_message_once_in_order(
    client: httpx.AsyncClient,
) -> None:
    ticket = (await client.post("/v1/widget/chats")).json()
    customer = chat_token(ticket)
    chat_id = ticket["chat_id"]
    assert (await client.post(f"/v1/chats/{chat_id}/join", headers=anna())).status_code == 200

    async def operator_writes() -> None:
        for i in range(15):
            sent = await client.post(
                f"/v1/chats/{chat_id}/messages", json={"text": f"a{i}"}, headers=anna()
            )
            assert sent.status_code == 201, sent.text

    async def customer_writes() -> None:
        for i in range(15):
            sent = await client.post(
                "/v1/widget/messages", json={"text": f"c{i}"}, headers=customer
            )
            assert sent.status_code == 201, sent.text

    seen: list[tuple[int, str]] = []

    async def reader_polls(until_done: asyncio.Event) -> None:
        after = 0
        while True:
            done = until_done.is_set()  # read before asking: the last round sees everything
            page = await client.get(f"/v1/widget/messages?after={after}", headers=customer)
            for message in page.json()["messages"]:
                seen.append((message["seq"], message["text"]))
                after = message["seq"]
            if done:
                return
            await asyncio.sleep(0.01)

    writers_done = asyncio.Event()
    reading = asyncio.create_task(reader_polls(writers_done))
    await asyncio.gather(operator_writes(), customer_writes())
    writers_done.set()
    await reading

    assert [seq for seq, _ in seen] == list(range(1, 31))
    assert [text for _, text in seen if text[0] == "a"] == [f"a{i}" for i in range(15)]
    assert [text for _, text in seen if text[0] == "c"] == [f"c{i}" for i in range(15)]
