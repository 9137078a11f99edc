"""Transfer and operators' notes on the real broker and PostgreSQL: the holder passes a chat
to a colleague with a note (the colleague holds it at once, sees the note, the customer never
does; chat.transferred and chat.agent_joined via transfer on chat-events, without the note) or
to a team (it waits for that team's operators); refusals say why."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cc_schemas import CHAT_EVENTS, parse
from cc_testing import Servers, TestIssuer, read_records
from chat.app import create_app
from chat.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()


def operator(subject: str, **attributes: Any) -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject=subject, **attributes)


@pytest.fixture
async def client(service_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        **service_env,  # type: ignore[arg-type]
        **ISSUER.env(),
        presence_check_seconds=3600,  # no auto-assignment: the chats are taken by hand here
    )
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://chat") as client:
            yield client


async def taken_chat(client: httpx.AsyncClient, holder: dict[str, str]) -> tuple[str, Any]:
    started = await client.post("/v1/widget/chats", json={})
    chat_id = started.json()["chat_id"]
    customer = {"Authorization": f"Chat {started.json()['token']}"}
    joined = await client.post(f"/v1/chats/{chat_id}/join", headers=holder)
    assert joined.status_code == 200, joined.text
    await client.post("/v1/widget/messages", json={"text": "My parcel is late"}, headers=customer)
    return chat_id, customer


async def test_a_chat_passed_to_a_colleague_with_a_note_is_theirs_and_the_note_stays_internal(
    client: httpx.AsyncClient, servers: Servers, namespace: str
) -> None:
    anna, marco = operator("anna-sub"), operator("marco-sub")
    await client.put("/v1/presence", json={"status": "away"}, headers=marco)
    chat_id, customer = await taken_chat(client, anna)
    await client.post(f"/v1/chats/{chat_id}/notes", json={"text": "Order 4471, DHL"}, headers=anna)

    moved = await client.post(
        f"/v1/chats/{chat_id}/transfer",
        json={"to_operator": "marco-sub", "note": "Wants a refund: over to you"},
        headers=anna,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["operator_id"] == "marco-sub"
    written = await client.post(
        f"/v1/chats/{chat_id}/messages", json={"text": "Marco here"}, headers=marco
    )
    late = await client.post(f"/v1/chats/{chat_id}/messages", json={"text": "hi"}, headers=anna)
    assert (written.status_code, late.status_code) == (201, 403)

    notes = (await client.get(f"/v1/chats/{chat_id}/notes", headers=marco)).json()["notes"]
    assert [(n["note_no"], n["author"], n["text"]) for n in notes] == [
        (1, "anna-sub", "Order 4471, DHL"),
        (2, "anna-sub", "Wants a refund: over to you"),
    ]
    seen = (await client.get("/v1/widget/messages", headers=customer)).json()["messages"]
    assert [m["text"] for m in seen] == ["My parcel is late", "Marco here"]
    stranger = await client.get(f"/v1/chats/{chat_id}/notes", headers=operator("eve-sub"))
    assert stranger.status_code == 403

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CHAT_EVENTS}",
        until=lambda got: any(b"chat.transferred" in r.value for r in got) and len(got) >= 6,
    )
    events = [parse(CHAT_EVENTS, r.value) for r in records]
    transfers = [e for e in events if e.event_type == "chat.transferred"]
    assert [(e.from_agent, e.to_agent, e.to_team) for e in transfers] == [
        ("anna-sub", "marco-sub", None)
    ]
    joins = [(e.agent, e.via) for e in events if e.event_type == "chat.agent_joined"]
    assert joins == [("anna-sub", "operator"), ("marco-sub", "transfer")]
    assert not any(b"refund" in r.value or b"4471" in r.value for r in records)


async def test_a_chat_passed_to_a_team_waits_for_that_teams_operators(
    client: httpx.AsyncClient,
) -> None:
    anna = operator("anna-sub", team="Front desk")
    returns = operator("rita-sub", team="Returns")
    sales = operator("sam-sub", team="Sales")
    chat_id, _ = await taken_chat(client, anna)

    moved = await client.post(
        f"/v1/chats/{chat_id}/transfer", json={"to_team": "Returns"}, headers=anna
    )
    assert (moved.json()["operator_id"], moved.json()["team"]) == (None, "Returns")
    listed_returns = (await client.get("/v1/chats", headers=returns)).json()["chats"]
    listed_sales = (await client.get("/v1/chats", headers=sales)).json()["chats"]
    assert [c["chat_id"] for c in listed_returns] == [chat_id]
    assert listed_sales == []
    taken = await client.post(f"/v1/chats/{chat_id}/join", headers=returns)
    assert (taken.status_code, taken.json()["team"]) == (200, None)


async def test_a_transfer_is_refused_with_the_reason(client: httpx.AsyncClient) -> None:
    anna = operator("anna-sub")
    chat_id, _ = await taken_chat(client, anna)
    url = f"/v1/chats/{chat_id}/transfer"

    nobody = await client.post(url, json={"to_operator": "ghost-sub"}, headers=anna)
    both = await client.post(url, json={"to_operator": "x", "to_team": "y"}, headers=anna)
    neither = await client.post(url, json={"note": "?"}, headers=anna)
    await client.put("/v1/presence", json={"status": "online"}, headers=operator("bo-sub"))
    not_hers = await client.post(url, json={"to_operator": "bo-sub"}, headers=operator("bo-sub"))
    await client.post(f"/v1/chats/{chat_id}/end", headers=anna)
    ended = await client.post(url, json={"to_operator": "bo-sub"}, headers=anna)

    assert (nobody.status_code, nobody.json()["detail"]) == (
        409,
        "ghost-sub has not signed in to the console",
    )
    assert (both.status_code, neither.status_code) == (422, 422)
    assert not_hers.status_code == 403
    assert ended.status_code == 409
    assert "ended" in ended.json()["detail"]


async def test_typing_and_read_state_ride_on_the_polls(client: httpx.AsyncClient) -> None:
    anna = operator("anna-sub")
    chat_id, customer = await taken_chat(client, anna)  # the customer's message is number 1
    url = f"/v1/chats/{chat_id}/messages"

    async def as_operator(after: int) -> dict[str, Any]:
        return dict((await client.get(f"{url}?after={after}", headers=anna)).json()["chat"])

    async def as_customer(after: int) -> dict[str, Any]:
        answer = await client.get(f"/v1/widget/messages?after={after}", headers=customer)
        return dict(answer.json()["chat"])

    assert (await as_operator(0))["customer_typing"] is False
    assert (await client.post("/v1/widget/typing", headers=customer)).status_code == 204
    assert (await as_operator(0))["customer_typing"] is True
    assert (await client.post(f"/v1/chats/{chat_id}/typing", headers=anna)).status_code == 204
    assert (await as_customer(0))["agent_typing"] is True
    other = await client.post(f"/v1/chats/{chat_id}/typing", headers=operator("eve-sub"))
    forged = await client.post("/v1/widget/typing", headers={"Authorization": "Chat forged"})
    assert (other.status_code, forged.status_code) == (403, 401)

    assert (await as_operator(1))["agent_read_seq"] == 1  # asked after 1: shown up to 1
    assert (await as_customer(0))["agent_read_seq"] == 1
    await client.post(url, json={"text": "Let me check"}, headers=anna)  # number 2
    assert (await as_customer(1))["customer_read_seq"] == 1  # number 2 not shown yet
    assert (await as_customer(2))["customer_read_seq"] == 2
    assert (await as_customer(99))["customer_read_seq"] == 2  # never past the last message
    assert (await as_customer(0))["customer_read_seq"] == 2  # never moves back
    assert (await as_operator(2))["customer_read_seq"] == 2
